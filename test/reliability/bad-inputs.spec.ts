// Property-based bad inputs: hundreds of generated messages per node (wrong types, empty and huge
// Buffers, bytes that are not audio, wrong rates, broken msg.sis). Each input must end exactly once,
// in a result or one clear coded error, and the runtime must keep running.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Emulator, startCanaryEmulator } from '../helpers/emulator';
import { fixture } from '../helpers/fixtures';
import { harness } from '../helpers/flow';
import { helper, nodeRedVersion } from '../helpers/nr';
import { delay } from '../helpers/wait';
import { SCENARIOS } from './scenarios';

const CASES = 500;
const KNOWN_CODES =
    /^(SIS\.\d{4,5}|INVALID_INPUT|NOT_CONFIGURED|AUTH_FAILED|RATE_LIMITED|TIMEOUT|NETWORK|SERVICE_UNAVAILABLE|PROTOCOL|NOT_FOUND|REQUEST_REJECTED|CANCELLED|JOB_FAILED|QUEUE_FULL|TOO_MANY_SESSIONS)$/;

const AUDIO = ['zh_16k.wav', 'en_8k.wav', 'zh_16k.mp3', 'stereo_16k.wav', 'silence_16k.wav', 'zh_16k.pcm'].map(fixture);

/** Values a flow might put anywhere: scalars, odd objects, arrays, Buffers. */
const junk = fc.oneof(
    fc.anything({ maxDepth: 2 }),
    fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
    fc.constantFrom(Buffer.alloc(0), Buffer.alloc(3 * 1024 * 1024, 1), ...AUDIO),
    fc.constantFrom('obs://', 'obs://b/k', 'obs://sis-audio-stage/', 'https://example.com/a.wav', {
        bucket: 1,
        key: [],
    }),
    fc.constantFrom(
        { bucket: 'sis-audio-stage', key: 'missing.wav' },
        { bucket: 'sis-audio-stage', key: 'x'.repeat(2000) },
    ),
);

const sisValue = fc.oneof(
    fc.anything({ maxDepth: 1 }),
    fc.constantFrom(
        'yes',
        'no',
        true,
        false,
        'auto',
        'wav',
        'mp3',
        'pcm16k16bit',
        'chinese_8k_common',
        'chinese_16k_common',
        -1,
        1e9,
    ),
);

const sis = fc.oneof(
    fc.constant(undefined),
    fc.anything({ maxDepth: 1 }),
    fc.dictionary(
        fc.constantFrom(
            'property',
            'audio_format',
            'add_punc',
            'digit_norm',
            'need_word_info',
            'first_channel_only',
            'vocabulary_id',
            'unknown',
        ),
        sisValue,
        { maxKeys: 4 },
    ),
);

/** Cuts a real recording at a random place, or flips bytes in its header. */
const damagedAudio = fc.tuple(fc.constantFrom(...AUDIO), fc.nat(), fc.nat(255)).map(([buf, cut, byte]) => {
    const copy = Buffer.from(buf.subarray(0, Math.max(1, cut % buf.length)));
    copy[cut % Math.min(copy.length, 44)] = byte;
    return copy;
});

const message = fc.record({ payload: fc.oneof(junk, damagedAudio), sis }, { requiredKeys: ['payload'] });

describe(`bad inputs (${CASES} generated per node) on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(120_000);
    let emu: Emulator;
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => {
        uncaught.push(err);
    };

    before(async () => {
        emu = await startCanaryEmulator({ limits: { jobDelayMs: 100 } });
        helper.settings({ sisJobAsrPollMs: 50 } as unknown as Parameters<typeof helper.settings>[0]);
        process.on('uncaughtException', onUncaught);
        process.on('unhandledRejection', onUncaught);
    });
    after(async () => {
        helper.settings({ sisJobAsrPollMs: undefined } as unknown as Parameters<typeof helper.settings>[0]);
        process.off('uncaughtException', onUncaught);
        process.off('unhandledRejection', onUncaught);
        await emu.close();
    });
    beforeEach((done) => {
        helper.startServer(done);
    });
    afterEach(async () => {
        await helper.unload();
        await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    });

    // One run per node type (scenarios that only differ by the request under test are skipped).
    const perType = SCENARIOS.filter((s, i) => SCENARIOS.findIndex((o) => o.type === s.type) === i);
    for (const scenario of perType) {
        it(`${scenario.type}: every input ends exactly once, in a result or a coded error`, async () => {
            scenario.prepare(emu);
            const h = await harness(emu, scenario.type, scenario.props, { outputs: scenario.outputs });
            const inputs = fc.sample(scenario.arbitrary ?? message, { numRuns: CASES, seed: 20261122 });
            const ends = new Map<number, string[]>();
            const record = (m: Record<string, unknown>, how: string): void => {
                const id = m._case as number;
                ends.set(id, [...(ends.get(id) ?? []), how]);
            };
            let seen = 0;
            for (const [i, input] of inputs.entries()) {
                h.send({ ...input, _case: i });
                // Keep a bounded number in flight so the run stays fast without flooding.
                if (i - seen > 16) {
                    while (h.completed.length + h.caught.length < i - 8) await delay(2);
                    seen = i - 8;
                }
            }
            // Count the inputs that ended, not the endings: a job may also fail later, after its
            // input was done, and that second ending must not stand in for an input still running.
            const ended = (): number => new Set([...h.completed, ...h.caught].map((m) => m._case)).size;
            const end = Date.now() + 60_000;
            while (ended() < CASES && Date.now() < end) await delay(10);
            await delay(200);
            for (const m of h.completed) record(m, 'done');
            for (const m of h.caught) {
                const info = m.sis_error as { code?: unknown; message?: unknown };
                assert.match(String(info?.code), KNOWN_CODES, `case ${String(m._case)}: ${String(info?.message)}`);
                assert.equal(typeof info.message, 'string');
                record(m, 'error');
            }
            const missing = inputs.map((_, i) => i).filter((i) => !ends.has(i));
            assert.deepEqual(missing, [], 'inputs that never ended');
            // A stream session may also fail later, on its own, after its chunk was accepted.
            const doubled = [...ends.entries()].filter(([, how]) =>
                scenario.lateErrors ? how.filter((x) => x === 'done').length > 1 : how.length !== 1,
            );
            assert.deepEqual(doubled, [], 'inputs that ended more than once');
            assert.deepEqual(uncaught, [], 'nothing escaped to the process');
            // The runtime still works: a good input still gives its result (counted by its tag:
            // results of earlier inputs that were real audio may still arrive).
            const good = (): number => h.out[0].filter((m) => m._case === -1).length;
            for (const m of scenario.inputs ? scenario.inputs() : [scenario.input()]) h.send({ ...m, _case: -1 });
            const endGood = Date.now() + 10_000;
            while (good() < scenario.expected && Date.now() < endGood) await delay(10);
            await delay(100);
            assert.equal(good(), scenario.expected);
        });
    }
});
