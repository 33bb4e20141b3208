// The building blocks of sis-stream-asr on their own: frame cutting, byte queues, audio intake
// (WAV header, downmix, resampling) and START options. The WebSocket connection (proxy tunnel
// included) is covered in ws-connect.spec.ts.
import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { int16FromBuffer } from '../../nodes/lib/audio/pcm';
import { resample } from '../../nodes/lib/audio/resample';
import { AudioFormatError } from '../../nodes/lib/audio/types';
import {
    AudioBlocks,
    BlockPool,
    ByteQueue,
    frameSpec,
    nextFrameSize,
    padToMinimum,
    type RasrFormat,
} from '../../nodes/lib/stream/frames';
import { AudioIntake, MAX_WAV_HEADER_BYTES } from '../../nodes/lib/stream/intake';
import { chunkOf, controlOf, sessionKeyOf, startOptions } from '../../nodes/lib/stream/options';
import { fixture } from '../helpers/fixtures';
import { wavOf } from '../helpers/stream';

/** Bytes that never repeat within a frame, so any reordering or loss shows. */
const PATTERN = Buffer.from(Uint8Array.from({ length: 8 * 1024 * 1024 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));

/** Cuts `chunks` into frames the way a session does: all it can after each chunk, the rest at the end. */
function cut(format: RasrFormat, chunks: Buffer[]): Buffer[] {
    const spec = frameSpec(format);
    const q = new ByteQueue();
    // The frames are kept here, so no block may go back to a pool.
    const blocks = new AudioBlocks(new BlockPool(1000));
    const frames: Buffer[] = [];
    for (const c of chunks) {
        blocks.write(c, q);
        for (let n = nextFrameSize(spec, q.length, false); n > 0; n = nextFrameSize(spec, q.length, false)) {
            frames.push(q.take(n));
        }
        assert.ok(q.length < spec.min, `${q.length} bytes held back after a chunk`);
    }
    for (let n = nextFrameSize(spec, q.length, true); n > 0; n = nextFrameSize(spec, q.length, true)) {
        frames.push(q.take(n));
    }
    if (frames.length === 0 || frames[frames.length - 1].length < spec.min) {
        const last = frames.pop() ?? Buffer.alloc(0);
        frames.push(padToMinimum(spec, last));
    }
    return frames;
}

describe('sis-stream-asr building blocks', () => {
    describe('frames', () => {
        for (const format of ['pcm16k16bit', 'pcm8k16bit', 'alaw16k8bit', 'ulaw8k8bit'] as const) {
            it(`${format}: any chunking gives legal frames carrying the same bytes`, () => {
                const spec = frameSpec(format);
                fc.assert(
                    fc.property(fc.array(fc.integer({ min: 1, max: 3 * spec.max }), { maxLength: 40 }), (sizes) => {
                        let at = 0;
                        const chunks = sizes.map((n) => {
                            at += n;
                            return PATTERN.subarray(at - n, at);
                        });
                        const input = PATTERN.subarray(0, at);
                        const frames = cut(format, chunks);
                        for (const f of frames) {
                            assert.ok(f.length >= spec.min && f.length <= spec.max, `frame of ${f.length}`);
                            assert.ok(f.length <= spec.target, 'at most one second per frame');
                            assert.equal(f.length % spec.bytesPerSample, 0);
                        }
                        const whole = input.length - (input.length % spec.bytesPerSample);
                        const out = Buffer.concat(frames);
                        assert.deepEqual(out.subarray(0, whole), input.subarray(0, whole));
                        // Beyond the audio only the padding of a short last frame, in silence.
                        const padding = out.subarray(whole);
                        assert.ok(padding.length === 0 || frames[frames.length - 1].length === spec.min);
                        assert.ok(padding.every((b) => b === spec.silence));
                    }),
                    { numRuns: 200 },
                );
            });
        }

        it('chunks of every size from 1 to 70,000 bytes leave at once in legal frames', () => {
            for (const format of ['pcm16k16bit', 'alaw8k8bit'] as const) {
                const spec = frameSpec(format);
                for (let size = 1; size <= 70_000; size++) {
                    const q = new ByteQueue();
                    let sent = 0;
                    for (let i = 0; i < 2; i++) {
                        q.push(PATTERN.subarray(i * size, (i + 1) * size));
                        for (
                            let n = nextFrameSize(spec, q.length, false);
                            n > 0;
                            n = nextFrameSize(spec, q.length, false)
                        ) {
                            const f = q.peek(n);
                            if (f.length < spec.min || f.length > spec.target || f.length % spec.bytesPerSample !== 0) {
                                assert.fail(`${format}, chunks of ${size}: a frame of ${f.length} bytes`);
                            }
                            q.drop(n);
                            sent += n;
                        }
                        const whole = (i + 1) * size - (((i + 1) * size) % spec.bytesPerSample);
                        if (whole >= spec.min && sent !== whole) {
                            assert.fail(`${format}, chunks of ${size}: ${whole - sent} bytes held back`);
                        }
                    }
                    const last = nextFrameSize(spec, q.length, true);
                    if (last > 0 && padToMinimum(spec, q.peek(last)).length < spec.min) assert.fail('short last frame');
                }
            }
        });

        it('every byte leaves with its chunk; a short last frame and a short whole are padded with silence', () => {
            const spec = frameSpec('pcm16k16bit');
            const frames = cut('pcm16k16bit', [Buffer.alloc(1280, 1), Buffer.alloc(100, 2)]);
            assert.deepEqual(
                frames.map((f) => f.length),
                [1280, 320],
            );
            assert.deepEqual(frames[1].subarray(0, 100), Buffer.alloc(100, 2));
            assert.ok(frames[1].subarray(100).every((b) => b === 0));
            const tiny = cut('pcm16k16bit', [Buffer.alloc(10, 7)]);
            assert.equal(tiny.length, 1);
            assert.equal(tiny[0].length, spec.min);
            assert.deepEqual(tiny[0].subarray(0, 10), Buffer.alloc(10, 7));
            assert.ok(tiny[0].subarray(10).every((b) => b === 0));
            assert.ok(
                cut('alaw8k8bit', [Buffer.alloc(3, 1)])[0]
                    .subarray(3)
                    .every((b) => b === 0xd5),
            );
            assert.ok(
                cut('ulaw16k8bit', [Buffer.alloc(3, 1)])[0]
                    .subarray(3)
                    .every((b) => b === 0xff),
            );
        });

        it('audio is copied once into blocks; frames are views of them', () => {
            const q = new ByteQueue();
            const blocks = new AudioBlocks(new BlockPool(4096));
            const caller = Buffer.alloc(1280, 9);
            blocks.write(caller, q);
            blocks.write(Buffer.alloc(1280, 8), q);
            const frame = q.take(2000);
            assert.equal(frame.buffer.byteLength, 4096, 'a view of the block');
            assert.notEqual(frame.buffer, caller.buffer, 'not the caller’s memory');
            caller.fill(0);
            assert.equal(frame[0], 9);
            blocks.write(Buffer.alloc(3000, 7), q);
            // 560 left + 1536 up to the block's end, then the next block: one frame, joined in a copy.
            const joined = q.take(2500);
            assert.equal(joined.length, 2500);
            assert.notEqual(joined.buffer.byteLength, 4096);
            assert.equal(joined[559], 8);
            assert.equal(joined[560], 7);
        });

        it('blocks go back to the pool only once none of their audio is kept, and are reused', () => {
            const pool = new BlockPool(1000, () => 4);
            const pending = new ByteQueue();
            const sent = new ByteQueue();
            const oldest = (): number =>
                sent.length > 0 ? sent.start : pending.length > 0 ? pending.start : pending.end;
            const blocks = new AudioBlocks(pool, oldest);
            blocks.write(PATTERN.subarray(0, 2500), pending);
            assert.equal(blocks.blocksHeld, 3);
            sent.push(pending.take(1000)); // the first block's 1000 bytes: a view, not a copy
            assert.equal(sent.length, 1000);
            blocks.release();
            assert.equal(pool.spares, 0, 'the first block still holds audio kept for a replay');
            sent.drop(1000);
            blocks.release();
            assert.equal(pool.spares, 1);
            assert.equal(blocks.blocksHeld, 2);
            const spare = pool.take();
            pool.give(spare);
            blocks.write(PATTERN.subarray(2500, 3500), pending);
            assert.equal(pool.spares, 0, 'the spare is taken before a new block is allocated');
            pending.drop(2000);
            const view = pending.take(500);
            assert.equal(view.buffer, spare.buffer);
            assert.deepEqual(view, PATTERN.subarray(3000, 3500));
            sent.clear(pending.end);
            blocks.releaseAll();
            assert.equal(blocks.blocksHeld, 0);
            assert.equal(pool.spares, 3);
            pool.give(Buffer.alloc(1000));
            pool.give(Buffer.alloc(1000));
            assert.equal(pool.spares, 4, 'never more spares than the limit');
            pool.give(Buffer.alloc(999));
            assert.equal(pool.spares, 4);
        });

        it('recycled blocks never change audio that is kept or was sent (any chunking, any confirmations)', () => {
            fc.assert(
                fc.property(
                    fc.array(
                        fc.record({
                            chunk: fc.integer({ min: 1, max: 5000 }),
                            send: fc.integer({ min: 0, max: 6000 }),
                            confirm: fc.integer({ min: 0, max: 6000 }),
                            replay: fc.boolean(),
                        }),
                        { maxLength: 60 },
                    ),
                    (steps) => {
                        const pool = new BlockPool(2048, () => 3);
                        const pending = new ByteQueue();
                        const sent = new ByteQueue();
                        const oldest = (): number => {
                            const p = pending.length > 0 ? pending.start : pending.end;
                            return sent.length > 0 ? Math.min(sent.start, p) : p;
                        };
                        const blocks = new AudioBlocks(pool, oldest);
                        const scratch = Buffer.alloc(8000);
                        let written = 0;
                        let frames = 0;
                        // Each frame is checked when it is cut, as the WebSocket copies it then; audio
                        // kept for a replay is checked again when it is sent again.
                        const send = (n: number): void => {
                            if (n <= 0) return;
                            const at = pending.start;
                            // As a session sends: a view, or a copy in the shared scratch; then the
                            // views move on to the replay queue.
                            const frame = pending.peek(n, scratch);
                            assert.deepEqual(frame, PATTERN.subarray(at, at + frame.length), `frame at ${at}`);
                            pending.moveTo(frame.length, sent);
                            scratch.fill(0xee);
                            frames++;
                        };
                        for (const step of steps) {
                            blocks.write(PATTERN.subarray(written, written + step.chunk), pending);
                            written += step.chunk;
                            send(Math.min(step.send, pending.length));
                            if (step.replay) {
                                pending.prepend(sent);
                                sent.clear(pending.start);
                            } else {
                                sent.drop(step.confirm);
                            }
                            blocks.release();
                            // Nothing kept, nothing held: at most the block being filled.
                            if (sent.length === 0 && pending.length === 0) assert.ok(blocks.blocksHeld <= 1);
                        }
                        pending.prepend(sent);
                        while (pending.length > 0) send(pending.length);
                        assert.ok(frames > 0 || written === 0);
                    },
                ),
                { numRuns: 200 },
            );
        });

        it('a byte queue keeps positions across take, drop and prepend', () => {
            const q = new ByteQueue();
            q.push(Buffer.from('abcdef'));
            q.push(Buffer.from('ghij'));
            assert.equal(q.take(4).toString(), 'abcd');
            assert.equal(q.start, 4);
            const sent = new ByteQueue();
            sent.clear(0);
            sent.push(Buffer.from('abcd'));
            sent.drop(1);
            q.prepend(sent);
            assert.equal(q.start, 1);
            assert.equal(q.take(9).toString(), 'bcdefghij');
            assert.equal(q.end, 10);
            assert.equal(sent.length, 0);
            assert.equal(sent.start, 4);
            // Bytes sent without being queued move an empty queue's position on.
            q.passOver(1280);
            assert.equal(q.start, 1290);
            q.push(Buffer.from('kl'));
            assert.equal(q.end, 1292);
            assert.throws(() => q.passOver(1), /empty queue/);
        });
    });

    describe('intake', () => {
        const pcm = fixture('en_16k.pcm');

        function feed(intake: AudioIntake, data: Buffer, size: number): Buffer {
            const out: Buffer[] = [];
            for (let i = 0; i < data.length; i += size) out.push(intake.push(data.subarray(i, i + size)));
            out.push(intake.flush());
            return Buffer.concat(out);
        }

        it('strips a WAV header, even one split over several chunks, and stops at the declared data', () => {
            const wav = Buffer.concat([wavOf(pcm, 16000, 1), Buffer.from('LIST\x04\x00\x00\x00abcd', 'latin1')]);
            for (const size of [5, 44, 1000, 65536]) {
                assert.deepEqual(feed(new AudioIntake(frameSpec('pcm16k16bit')), wav, size), pcm, `chunks of ${size}`);
            }
        });

        it('passes headerless audio through untouched', () => {
            assert.deepEqual(feed(new AudioIntake(frameSpec('pcm16k16bit')), pcm, 333), pcm);
            const riffLike = Buffer.from('RIFXnot a wav at all');
            assert.deepEqual(feed(new AudioIntake(frameSpec('pcm16k16bit')), riffLike, 2), riffLike);
        });

        it('mixes stereo down and converts the rate with the anti-aliasing resampler', () => {
            const mono = int16FromBuffer(fixture('en_8k.wav').subarray(44));
            const stereo = Buffer.alloc(mono.length * 4);
            for (let i = 0; i < mono.length; i++) {
                stereo.writeInt16LE(mono[i], i * 4);
                stereo.writeInt16LE(mono[i], i * 4 + 2);
            }
            const out = feed(new AudioIntake(frameSpec('pcm16k16bit')), wavOf(stereo, 8000, 2), 999);
            const expected = resample(mono, 8000, 16000);
            assert.deepEqual(int16FromBuffer(out), expected);
        });

        it('takes A-law/µ-law WAV as is when it matches the format', () => {
            const alaw = fixture('en_8k_alaw.wav');
            const out = feed(new AudioIntake(frameSpec('alaw8k8bit')), alaw, 4096);
            assert.ok(out.length > 20000 && out.length < alaw.length);
        });

        const refused: [string, RasrFormat, () => Buffer, RegExp][] = [
            ['A-law WAV for a PCM format', 'pcm8k16bit', () => fixture('en_8k_alaw.wav'), /alaw/],
            ['PCM WAV for a µ-law format', 'ulaw16k8bit', () => fixture('en_16k.wav'), /pcm16k16bit/],
            ['8-bit PCM WAV', 'pcm16k16bit', () => wavOf(Buffer.alloc(100), 16000, 1, 8), /16-bit/],
            ['float WAV', 'pcm16k16bit', () => wavOf(Buffer.alloc(100), 16000, 1, 32, 3), /float/],
        ];
        for (const [what, format, make, pattern] of refused) {
            it(`refuses ${what}`, () => {
                assert.throws(
                    () => new AudioIntake(frameSpec(format)).push(make()),
                    (err: unknown) => {
                        assert.ok(err instanceof AudioFormatError);
                        assert.match(err.message, pattern);
                        return true;
                    },
                );
            });
        }

        it('refuses a WAV start without a readable header after a bound', () => {
            const intake = new AudioIntake(frameSpec('pcm16k16bit'));
            const start = Buffer.from('RIFF\xff\xff\xff\xffWAVEjunk\xff\xff\xff\x7f', 'latin1');
            assert.equal(intake.push(start).length, 0);
            assert.throws(() => intake.push(Buffer.alloc(MAX_WAV_HEADER_BYTES)), AudioFormatError);
        });
    });

    describe('options and message fields', () => {
        it('builds the START config with the service names and JSON types; short-stream drops VAD keys', () => {
            const settings = {
                property: 'chinese_8k_common',
                audio_format: 'pcm8k16bit',
                add_punc: 'yes',
                interim_results: 'no',
                vad_head: '2000',
                vad_tail: 300,
                max_seconds: '',
                vocabulary_id: '',
            };
            assert.deepEqual(startOptions('continue-stream', settings, { digit_norm: false }).config, {
                audio_format: 'pcm8k16bit',
                property: 'chinese_8k_common',
                add_punc: 'yes',
                digit_norm: 'no',
                interim_results: 'no',
                vad_head: 2000,
                vad_tail: 300,
            });
            assert.deepEqual(startOptions('short-stream', settings, undefined).config, {
                audio_format: 'pcm8k16bit',
                property: 'chinese_8k_common',
                add_punc: 'yes',
                interim_results: 'no',
            });
        });

        for (const [what, sis, pattern] of [
            ['a model of another rate', { property: 'chinese_8k_common' }, /8000|16000/],
            ['a format the model refuses', { property: 'chinese_8k_general', audio_format: 'ulaw16k8bit' }, /.+/],
            ['vad_tail out of range', { vad_tail: 5000 }, /vad_tail/],
            ['an unknown format', { audio_format: 'mp3' }, /audio_format/],
        ] as const) {
            it(`refuses ${what} with INVALID_INPUT`, () => {
                assert.throws(
                    () => startOptions('continue-stream', { audio_format: 'pcm16k16bit' }, sis),
                    (err: { code?: string; message: string }) =>
                        err.code === 'INVALID_INPUT' && pattern.test(err.message),
                );
            });
        }

        it('reads session keys, control words and chunks', () => {
            assert.equal(sessionKeyOf(undefined), 'default');
            assert.equal(sessionKeyOf(7), '7');
            assert.throws(() => sessionKeyOf({}), /msg\.session/);
            assert.equal(controlOf(' END '), 'end');
            assert.throws(() => controlOf('stop'), /msg\.control/);
            assert.equal(chunkOf(1700000000000, 'start'), undefined);
            assert.equal(chunkOf(Buffer.alloc(0), 'end'), undefined);
            assert.equal(chunkOf(new Uint8Array([1, 2]), undefined)?.length, 2);
            assert.throws(() => chunkOf('audio', undefined), /Buffer/);
            assert.throws(() => chunkOf(Buffer.alloc(0), undefined), /empty/);
        });
    });
});
