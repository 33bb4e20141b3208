// The coder of the audio kept for a replay (nodes/lib/stream/pcm-codec.*): the committed
// WebAssembly is what its source compiles to, the code is the documented format, and decoding
// gives back every sample, whatever the audio. The store around it is covered in replay-store.spec.ts.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { decodePcm16, encodePcm16, PCM_CODE_MAX_BYTES, pcmCoderAvailable } from '../../nodes/lib/stream/pcm-codec';
import { fixture } from '../helpers/fixtures';

const root = join(__dirname, '..', '..');
// Plain JavaScript: the build script's own helper.
const { compileWat, watSources } = require(join(root, 'scripts', 'wasm.js')) as {
    compileWat(file: string): Promise<Buffer>;
    watSources(): string[];
};

function roundTrip(audio: Buffer, off = 0, len = audio.length): Buffer | undefined {
    const code = encodePcm16(audio, off, len);
    if (!code) return undefined;
    const copy = Buffer.from(code);
    const out = Buffer.alloc(len + 3, 0xaa);
    decodePcm16(copy, len, out, 3);
    assert.deepEqual(out.subarray(3), audio.subarray(off, off + len), `${len} bytes`);
    assert.deepEqual(out.subarray(0, 3), Buffer.from([0xaa, 0xaa, 0xaa]), 'nothing written before `at`');
    return copy;
}

function samples(values: number[]): Buffer {
    const b = Buffer.alloc(values.length * 2);
    for (const [i, v] of values.entries()) b.writeInt16LE(v, i * 2);
    return b;
}

describe('replay coder', () => {
    it('runs here, from the WebAssembly its source compiles to', async () => {
        assert.equal(pcmCoderAvailable, true);
        const sources = watSources();
        assert.ok(sources.some((f) => f.endsWith(join('stream', 'pcm-codec.wat'))));
        for (const wat of sources) {
            const committed = readFileSync(wat.replace(/\.wat$/, '.wasm'));
            assert.ok((await compileWat(wat)).equals(committed), `${wat}: run node scripts/wasm.js`);
        }
    });

    it('writes the documented format', () => {
        // 16 equal samples: first sample, one width nibble (1 bit), then the 16 lanes' low bytes (all 0).
        const flat = roundTrip(samples(new Array(16).fill(5)));
        assert.deepEqual(flat, Buffer.concat([Buffer.from([0, 5, 0, 0]), Buffer.alloc(16)]));
        // A ramp of step 1 from 100: differences 0, 1, 1, …, zigzagged 0, 2, 2, … (2 bits each:
        // width nibble 1), then 3 samples after the group as they are.
        const ramp = Array.from({ length: 19 }, (_, i) => 100 + i);
        const code = roundTrip(samples(ramp));
        assert.deepEqual(
            code,
            Buffer.concat([
                Buffer.from([0, 100, 0, 1]),
                Buffer.from(Array.from({ length: 16 }, (_, i) => (i === 0 ? 0 : 2))),
                samples(ramp.slice(16)),
            ]),
        );
    });

    it('keeps the extremes exact (differences wrap around 16 bits) and leaves noise as it is', () => {
        // -32768 to 32767 is a difference of -1 modulo 2^16: small, and exact.
        const jumps = samples(Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? -32768 : 32767)));
        assert.ok((roundTrip(jumps)?.length ?? Infinity) < jumps.length / 2);
        const spike = samples(Array.from({ length: 200 }, (_, i) => (i === 77 ? 32767 : i === 78 ? -32768 : i % 5)));
        assert.ok(roundTrip(spike));
        let x = 1;
        const noise = samples(
            Array.from({ length: PCM_CODE_MAX_BYTES / 2 }, () => {
                x = (x * 1103515245 + 12345) & 0x7fffffff;
                return (x % 65536) - 32768;
            }),
        );
        assert.equal(encodePcm16(noise, 0, noise.length), undefined, 'noise does not get smaller');
    });

    it('gives back every sample, at every length, offset and kind of audio', () => {
        const speech = fixture('en_16k.pcm');
        fc.assert(
            fc.property(
                fc.integer({ min: 1, max: PCM_CODE_MAX_BYTES / 2 }),
                fc.constantFrom('speech', 'smooth', 'noise', 'extreme', 'silence'),
                fc.integer({ min: 0, max: 3 }),
                fc.integer({ min: 0, max: 1 << 20 }),
                (count, kind, lead, seed) => {
                    const audio = Buffer.alloc(lead + count * 2);
                    let x = seed;
                    for (let i = 0; i < count; i++) {
                        x = (x * 1103515245 + 12345) & 0x7fffffff;
                        const v =
                            kind === 'speech'
                                ? speech.readInt16LE(((seed + i) * 2) % (speech.length - 1))
                                : kind === 'smooth'
                                  ? Math.round(8000 * Math.sin(i / 40)) + (x % 64)
                                  : kind === 'noise'
                                    ? (x % 65536) - 32768
                                    : kind === 'extreme'
                                      ? x & 1
                                          ? 32767
                                          : -32768
                                      : 0;
                        audio.writeInt16LE(v, lead + i * 2);
                    }
                    const code = roundTrip(audio, lead, count * 2);
                    // Only audio with nothing to gain is left uncoded.
                    if (kind === 'silence' || kind === 'smooth') assert.ok(code || count < 64, `${kind} of ${count}`);
                },
            ),
            { numRuns: 400 },
        );
        // Every length around the group (16 samples) and word boundaries, with growing widths.
        for (let count = 1; count <= 80; count++) {
            for (const scale of [1, 37, 4000]) {
                roundTrip(samples(Array.from({ length: count }, (_, i) => Math.round(scale * Math.sin(i * 1.7)))));
            }
        }
    });

    it('keeps speech in about half its size', () => {
        const speech = fixture('zh_16k.pcm');
        let coded = 0;
        let raw = 0;
        for (let off = 0; off + 1280 <= speech.length; off += 1280) {
            coded += roundTrip(speech, off, 1280)?.length ?? 1280;
            raw += 1280;
        }
        assert.ok(coded < raw * 0.55, `${coded} of ${raw} bytes`);
    });

    it('codes in the built package, and keeps the audio as it is on a runtime without WebAssembly', () => {
        // The compiled store, as Node-RED loads it; --jitless leaves Node without WebAssembly.
        const script = `
            const { ReplayStore } = require(${JSON.stringify(join(root, 'dist', 'nodes', 'lib', 'stream', 'replay.js'))});
            const { ByteQueue } = require(${JSON.stringify(join(root, 'dist', 'nodes', 'lib', 'stream', 'frames.js'))});
            const speech = require('node:fs').readFileSync(process.argv[1]).subarray(0, 64000);
            const store = new ReplayStore(true);
            for (let off = 0; off < speech.length; off += 1280) store.push(speech.subarray(off, off + 1280));
            store.drop(3001);
            const queue = new ByteQueue();
            queue.clear(store.end);
            const kept = store.codedBytes;
            store.moveInFront(queue);
            const same = queue.take(queue.length).equals(speech.subarray(3001));
            console.log(JSON.stringify({ wasm: typeof WebAssembly, kept, same }));
        `;
        const run = (flags: string[]): { wasm: string; kept: number; same: boolean } =>
            JSON.parse(
                execFileSync(process.execPath, [...flags, '-e', script, join(root, 'test', 'fixtures', 'en_16k.pcm')], {
                    encoding: 'utf8',
                    stdio: ['ignore', 'pipe', 'pipe'],
                }),
            );
        const coded = run([]);
        assert.equal(coded.same, true);
        assert.ok(coded.kept > 0 && coded.kept < 64000 * 0.55, `${coded.kept} bytes kept`);
        // Without WebAssembly: every chunk kept as it is, but the two the drop went past.
        assert.deepEqual(run(['--jitless']), { wasm: 'undefined', kept: 64000 - 2 * 1280, same: true });
    });
});
