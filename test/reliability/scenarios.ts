// One scenario per node (and per request path) for the reliability suites: how to configure it,
// a good input, what a good outcome looks like, the emulator route its request uses, and how the
// node answers faults on that route.
import fc from 'fast-check';
import type { Emulator } from '../helpers/emulator';
import { fixture, transcript } from '../helpers/fixtures';

export type Outcome = 'ok' | string;

export interface Scenario {
    name: string;
    type: string;
    props: Record<string, unknown>;
    outputs: number;
    /** Emulator route that carries the request under test (faults are injected there). */
    route: string;
    /** Whether that request is a WebSocket session. */
    websocket: boolean;
    /** Whether the request may be repeated: a job submission may not (never retried once sent). */
    repeatable: boolean;
    prepare(emu: Emulator): void;
    input(): Record<string, unknown>;
    /** Messages a good input yields on output 0. */
    expected: number;
    /** A stream whose parts already delivered stay delivered when it fails later. */
    partialOnError?: boolean;
    /** Outcomes that differ from the matrix's default for this scenario, by cell name. */
    outcomes?: Record<string, Outcome | Outcome[]>;
    /** Generated inputs for the bad-input suite (payload and msg.sis). */
    arbitrary?: fc.Arbitrary<Record<string, unknown>>;
}

const zh = fixture('zh_16k.wav');
const registerZh = (emu: Emulator): void => emu.transcripts.register(zh, transcript('zh_16k.wav'));

export const SCENARIOS: Scenario[] = [
    {
        name: 'sis-short-asr',
        type: 'sis-short-asr',
        props: { property: 'chinese_16k_common', audio_format: 'auto', add_punc: 'yes' },
        outputs: 1,
        route: 'short-audio',
        websocket: false,
        repeatable: true,
        prepare: registerZh,
        input: () => ({ payload: zh }),
        expected: 1,
    },
    {
        name: 'sis-flash-asr',
        type: 'sis-flash-asr',
        props: {
            property: 'chinese_16k_conversation',
            audio_format: 'auto',
            add_punc: 'yes',
            stagingPrefix: 'node-red/',
        },
        outputs: 1,
        route: 'flash',
        websocket: false,
        repeatable: true,
        prepare: registerZh,
        input: () => ({ payload: zh }),
        expected: 2,
    },
    {
        name: 'sis-tts',
        type: 'sis-tts',
        props: { property: 'chinese_xiaoyan_common', audio_format: 'wav', sample_rate: '16000', mode: 'rest' },
        outputs: 1,
        route: 'tts',
        websocket: false,
        repeatable: true,
        prepare: () => undefined,
        input: () => ({ payload: '今天天气很好。我们去公园散步吧。' }),
        expected: 1,
        arbitrary: fc.record(
            {
                payload: fc.oneof(
                    fc.string({ maxLength: 700 }),
                    fc.string({ unit: 'binary', maxLength: 80 }),
                    fc.constantFrom(
                        '',
                        ' ',
                        '<speak>unclosed',
                        '<speak><break time="1s"/>好</speak>',
                        '。'.repeat(600),
                        'a'.repeat(12_000),
                    ),
                    fc.anything({ maxDepth: 1 }),
                ),
                sis: fc.oneof(
                    fc.constant(undefined),
                    fc.anything({ maxDepth: 1 }),
                    fc.dictionary(
                        fc.constantFrom('property', 'audio_format', 'sample_rate', 'speed', 'pitch', 'volume', 'other'),
                        fc.oneof(
                            fc.anything({ maxDepth: 0 }),
                            fc.constantFrom(
                                'wav',
                                'mp3',
                                'pcm',
                                'ogg',
                                '8000',
                                '16000',
                                16000,
                                600,
                                -600,
                                'chinese_xiaoyan_common',
                            ),
                        ),
                        { maxKeys: 3 },
                    ),
                ),
            },
            { requiredKeys: ['payload'] },
        ),
    },
    {
        name: 'sis-tts (real-time)',
        type: 'sis-tts',
        props: { property: 'chinese_xiaoyan_common', audio_format: 'pcm', sample_rate: '16000', mode: 'realtime' },
        outputs: 1,
        route: 'rtts',
        websocket: true,
        repeatable: true,
        prepare: () => undefined,
        input: () => ({ payload: '今天天气很好。' }),
        expected: -1,
        // Audio already played cannot be taken back: a dropped synthesis is one clear error.
        outcomes: { 'WebSocket closed mid-stream': 'NETWORK' },
        partialOnError: true,
    },
    {
        name: 'sis-job-asr (submission)',
        type: 'sis-job-asr',
        props: {
            property: 'chinese_16k_conversation',
            audio_format: 'auto',
            add_punc: 'yes',
            stagingPrefix: 'node-red/',
        },
        outputs: 1,
        route: 'transcriber.create',
        websocket: false,
        repeatable: false,
        prepare: registerZh,
        input: () => ({ payload: zh }),
        expected: 2,
    },
    {
        name: 'sis-job-asr (polling)',
        type: 'sis-job-asr',
        props: {
            property: 'chinese_16k_conversation',
            audio_format: 'auto',
            add_punc: 'yes',
            stagingPrefix: 'node-red/',
        },
        outputs: 1,
        route: 'transcriber.query',
        websocket: false,
        repeatable: true,
        // The job lives on at the service: a failed poll is tried again (with backoff) until the
        // node's own timeout, so a passing fault ends in the result and a lasting outage leaves
        // the job waiting (neither result nor error) rather than failing it.
        outcomes: {
            'malformed body': 'ok',
            '503 that never ends': 'waiting',
            '429 that never ends': 'waiting',
            'a SIS engine error': 'waiting',
        },
        prepare: registerZh,
        input: () => ({ payload: zh }),
        expected: 2,
    },
];
