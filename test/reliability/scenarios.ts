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
    /** A sequence of messages that makes one good input (a stream: its chunks, then "end"). */
    inputs?(): Record<string, unknown>[];
    /** Failures that come after an input's done (a stream session's) are reported on their own. */
    lateErrors?: boolean;
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
const zhPcm = fixture('zh_16k.pcm');

/** The Mandarin sample as a live stream: 100 ms chunks of raw PCM, then "end". */
function streamOf(session: string): Record<string, unknown>[] {
    const chunks: Record<string, unknown>[] = [];
    for (let at = 0; at < zhPcm.length; at += 3200) chunks.push({ payload: zhPcm.subarray(at, at + 3200), session });
    chunks.push({ control: 'end', session });
    return chunks;
}
let streamCount = 0;
const registerZh = (emu: Emulator): void => emu.transcripts.register(zh, transcript('zh_16k.wav'));

const streamSis = fc.oneof(
    fc.constant(undefined),
    fc.anything({ maxDepth: 1 }),
    fc.dictionary(
        fc.constantFrom(
            'property',
            'audio_format',
            'interim_results',
            'vad_head',
            'vad_tail',
            'max_seconds',
            'add_punc',
            'other',
        ),
        fc.oneof(
            fc.anything({ maxDepth: 0 }),
            fc.constantFrom('yes', 'no', 'pcm8k16bit', 'alaw16k8bit', 0, 500, 61_000, -1),
        ),
        { maxKeys: 3 },
    ),
);

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
        lateErrors: true,
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
    {
        name: 'sis-stream-asr',
        type: 'sis-stream-asr',
        props: {
            mode: 'continue-stream',
            audio_format: 'pcm16k16bit',
            property: 'chinese_16k_common',
            add_punc: 'yes',
        },
        outputs: 2,
        route: 'rasr',
        websocket: true,
        repeatable: true,
        prepare: registerZh,
        input: () => ({ payload: zhPcm.subarray(0, 3200), session: 'one' }),
        inputs: () => streamOf(`s${++streamCount}`),
        expected: 2,
        lateErrors: true,
        arbitrary: fc.record(
            {
                payload: fc.oneof(
                    fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a)),
                    fc.constantFrom(Buffer.alloc(0), zh.subarray(0, 44), zh.subarray(0, 5000), zhPcm.subarray(0, 3200)),
                    fc.anything({ maxDepth: 1 }),
                ),
                session: fc.oneof(fc.constant(undefined), fc.constantFrom('a', 'b', ''), fc.anything({ maxDepth: 0 })),
                control: fc.oneof(
                    fc.constant(undefined),
                    fc.constantFrom('start', 'end', 'cancel', 'stop'),
                    fc.anything({ maxDepth: 0 }),
                ),
                sis: streamSis,
            },
            { requiredKeys: [] },
        ),
    },
];
