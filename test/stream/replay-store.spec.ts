// The audio a stream session keeps for a replay (nodes/lib/stream/replay.ts): exactly the bytes
// kept, in order, after drops and clears, whatever the audio, and every block given back.
import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { BlockPool, ByteQueue } from '../../nodes/lib/stream/frames';
import { ReplayStore } from '../../nodes/lib/stream/replay';
import { fixture } from '../helpers/fixtures';

describe('replay store', () => {
    /** A pool that knows the blocks it lent: each given back once, and only those. */
    class CountingPool extends BlockPool {
        private readonly lent = new Set<Buffer>();
        get out(): number {
            return this.lent.size;
        }
        override take(): Buffer {
            const block = super.take();
            this.lent.add(block);
            return block;
        }
        override give(block: Buffer): void {
            assert.ok(this.lent.delete(block), 'a block given back that was not lent, or given back twice');
            super.give(block);
        }
    }

    it('gives back exactly the bytes kept, in order, after drops from the front, whatever the audio', () => {
        fc.assert(
            fc.property(
                fc.boolean(),
                fc.array(
                    fc.record({
                        // Speech-like (small steps), noise, extremes, odd lengths.
                        kind: fc.constantFrom('smooth', 'noise', 'extreme'),
                        len: fc.integer({ min: 0, max: 9000 }),
                        // None at all sometimes: a clear, the replay or the next push then meets
                        // the newest entries still in the store's own fields.
                        drop: fc.option(fc.integer({ min: 0, max: 12000 }), { freq: 2 }),
                        // Audio at an odd byte offset of its memory (a view into a larger buffer).
                        odd: fc.boolean(),
                        // Everything dropped at once, as a new recognition does.
                        clear: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, fc.constant(true)),
                        // Pushed in this many pieces: many segments, so the store's rings grow and wrap.
                        pieces: fc.integer({ min: 1, max: 64 }),
                    }),
                    { maxLength: 12 },
                ),
                fc.integer({ min: 0, max: 1 << 20 }),
                // Small blocks: hundreds of them, past the size at which an emptied store shrinks its ring.
                fc.constantFrom(2048, 64),
                (pcm16, steps, seed, blockBytes) => {
                    const pool = new CountingPool(blockBytes, () => 3);
                    const store = new ReplayStore(pcm16, pool);
                    store.clear(seed);
                    let model: number[] = [];
                    let start = seed;
                    let x = seed;
                    for (const step of steps) {
                        const audio = step.odd ? Buffer.alloc(step.len + 1).subarray(1) : Buffer.alloc(step.len);
                        for (let i = 0; i + 1 < audio.length; i += 2) {
                            x = (x * 1103515245 + 12345) & 0x7fffffff;
                            const v =
                                step.kind === 'smooth'
                                    ? Math.round(8000 * Math.sin(i / 40)) + (x % 64)
                                    : step.kind === 'noise'
                                      ? (x % 65536) - 32768
                                      : x & 1
                                        ? 32767
                                        : -32768;
                            audio.writeInt16LE(v, i);
                        }
                        if (audio.length % 2) audio[audio.length - 1] = x & 0xff;
                        const piece = Math.ceil(audio.length / step.pieces);
                        for (let off = 0; off < audio.length; off += piece)
                            store.push(audio.subarray(off, off + piece));
                        model.push(...audio);
                        if (step.drop !== null) store.drop(step.drop);
                        const dropped = Math.min(step.drop ?? 0, model.length);
                        model.splice(0, dropped);
                        start += dropped;
                        if (step.clear) {
                            store.clear();
                            start += model.length;
                            model = [];
                        }
                        assert.equal(store.length, model.length);
                        assert.equal(store.start, start);
                    }
                    const queue = new ByteQueue();
                    queue.clear(store.end);
                    queue.push(Buffer.from([1, 2, 3]));
                    store.moveInFront(queue);
                    assert.equal(store.length, 0);
                    assert.equal(queue.start, start);
                    assert.deepEqual([...queue.take(queue.length)], [...model, 1, 2, 3]);
                    // Emptied, the store holds at most the block it fills next; released, none.
                    assert.ok(pool.out <= 1, `${pool.out} blocks held by an empty store`);
                    store.releaseAll();
                    assert.equal(pool.out, 0, 'every block given back');
                    // Released, it writes into none of the blocks it gave back.
                    store.push(Buffer.from([5, 6, 7, 8]));
                    assert.equal(pool.out, 1, 'a new block for audio kept after a release');
                    store.releaseAll();
                },
            ),
            { numRuns: 200 },
        );
    });

    it('keeps working after a burst of thousands of segments and blocks is dropped', () => {
        const pool = new CountingPool(64, () => 3);
        const store = new ReplayStore(false, pool);
        const burst = Buffer.from(Array.from({ length: 3000 * 33 }, (_, i) => i % 251));
        for (let off = 0; off < burst.length; off += 33) store.push(burst.subarray(off, off + 33));
        assert.equal(store.length, burst.length);
        assert.ok(pool.out > 1024, `${pool.out} blocks`);
        // Dropped but for the last few bytes, then all of it: emptied, the store takes its grown rings
        // back to their first size, and must go on keeping audio as before.
        store.drop(burst.length - 5);
        assert.equal(store.start, burst.length - 5);
        store.drop(5);
        assert.equal(store.length, 0);
        assert.ok(pool.out <= 1, `${pool.out} blocks held by an empty store`);
        const after = Buffer.from([9, 8, 7, 6, 5, 4, 3]);
        for (let i = 0; i < 100; i++) store.push(after);
        store.drop(3);
        const queue = new ByteQueue();
        queue.clear(store.end);
        store.moveInFront(queue);
        assert.equal(queue.start, burst.length + 3);
        assert.deepEqual([...queue.take(queue.length)], [...Buffer.concat(Array(100).fill(after)).subarray(3)]);
        store.releaseAll();
        assert.equal(pool.out, 0, 'every block given back');
    });

    it('keeps speech in about half its size', () => {
        const speech = fixture('en_16k.pcm');
        const store = new ReplayStore(true);
        for (let off = 0; off < speech.length; off += 1280) store.push(speech.subarray(off, off + 1280));
        assert.equal(store.length, speech.length);
        assert.ok(store.codedBytes < speech.length * 0.6, `${store.codedBytes} of ${speech.length} bytes`);
        const queue = new ByteQueue();
        queue.clear(store.end);
        store.moveInFront(queue);
        assert.ok(queue.take(queue.length).equals(speech));
    });
});
