// 16-bit PCM helpers and the windowed-sinc resampler.
import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { Resampler, resample } from '../../nodes/lib/audio/resample';
import { refusal, rms, sine } from '../helpers/audio-bytes';

describe('PCM helpers and resampler', () => {
    describe('resampler', () => {
        const sources = [8000, 11025, 22050, 32000, 44100, 48000];

        it('gives ceil(n·to/from) samples for every supported source rate', () => {
            for (const from of sources) {
                for (const to of [8000, 16000]) {
                    const n = Math.round(from * 0.25) + 7;
                    assert.equal(
                        resample(new Int16Array(n), from, to).length,
                        Math.ceil((n * to) / from),
                        `${from}→${to}`,
                    );
                }
            }
        });

        it('passes a 1 kHz tone at its level', () => {
            for (const from of sources) {
                for (const to of [8000, 16000]) {
                    const out = resample(sine(1000, from, 0.5), from, to);
                    const ratio = rms(out) / rms(sine(1000, to, 0.5));
                    assert.ok(Math.abs(ratio - 1) < 0.02, `${from}→${to}: ${ratio}`);
                }
            }
        });

        it('removes what would alias (tones above the new Nyquist frequency)', () => {
            const cases: [number, number, number][] = [
                [48000, 16000, 10000],
                [44100, 16000, 12000],
                [32000, 8000, 5000],
                [22050, 8000, 6000],
                [48000, 8000, 15000],
            ];
            for (const [from, to, tone] of cases) {
                const input = sine(tone, from, 0.5);
                const out = resample(input, from, to);
                const db = 20 * Math.log10(Math.max(1e-9, rms(out)) / rms(input));
                assert.ok(db < -50, `${from}→${to} at ${tone} Hz: ${db.toFixed(1)} dB`);
            }
        });

        it('upsampling keeps a tone and adds no images', () => {
            const out = resample(sine(2000, 8000, 0.5), 8000, 16000);
            const ref = sine(2000, 16000, 0.5);
            assert.ok(Math.abs(rms(out) / rms(ref) - 1) < 0.02);
            // Sample-by-sample close to the ideal tone away from the edges.
            let maxErr = 0;
            for (let i = 800; i < out.length - 800; i++) maxErr = Math.max(maxErr, Math.abs(out[i] - ref[i]));
            assert.ok(maxErr < 150, `max error ${maxErr}`);
        });

        it('streams: chunked input gives the same samples as one call (property)', () => {
            fc.assert(
                fc.property(
                    fc.constantFrom(...sources),
                    fc.constantFrom(8000, 16000),
                    fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
                    (from, to, sizes) => {
                        const total = sizes.reduce((a, b) => a + b, 0);
                        const input = sine(440, from, total / from);
                        const whole = resample(input, from, to);
                        const r = new Resampler(from, to);
                        const parts: number[] = [];
                        let off = 0;
                        for (const n of sizes) {
                            parts.push(...r.push(input.subarray(off, off + n)));
                            off += n;
                        }
                        parts.push(...r.flush());
                        assert.deepEqual(Int16Array.from(parts), whole);
                    },
                ),
                { numRuns: 60 },
            );
        });

        it('can be reused after flush, and copies when the rates are equal', () => {
            const r = new Resampler(48000, 16000);
            const a = [...r.push(sine(300, 48000, 0.05)), ...r.flush()];
            const b = [...r.push(sine(300, 48000, 0.05)), ...r.flush()];
            assert.deepEqual(a, b);
            const s = sine(300, 16000, 0.01);
            assert.deepEqual(resample(s, 16000, 16000), s);
        });

        it('refuses unusable rates', () => {
            refusal(() => new Resampler(0, 16000));
            refusal(() => new Resampler(44100.5, 16000));
            refusal(() => resample(new Int16Array(4), 16000, -1));
            assert.equal(Resampler.supports(44100, 16000), true);
            assert.equal(Resampler.supports(44100, 15999), false);
        });
    });
});
