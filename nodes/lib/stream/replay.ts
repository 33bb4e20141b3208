// The audio a session keeps for a replay after a dropped connection (sent since the last final
// result, up to a bound), in the node's own blocks: as it is, or (the compact choice) compressed
// without loss: 16-bit PCM as the differences between successive samples, bit-packed (about half
// the size for speech; pcm-codec.ts), any other audio as it is. It is decoded only when a replay
// happens, which is rare.
import { REPLAY_BLOCK_BYTES as BLOCK, ReplayArena, type Slab } from './arena';
import { ByteQueue } from './frames';
import { decodePcm16, PCM_CODE_MAX_BYTES, pcmCoderAvailable } from './pcm-codec';

/** Audio bytes kept together: the most a drop from the front can leave kept and unused. */
const SEGMENT_BYTES = PCM_CODE_MAX_BYTES;
// Each segment starts with a 4-byte entry: its audio bytes, its kept bytes and whether it is
// coded. An entry never spans two blocks (the rest of a block too short for one is left unused);
// the kept bytes after it do.
const ENTRY = 4;
const LEN_BITS = 13;
const LEN_MASK = (1 << LEN_BITS) - 1;
const CODED = 1 << (2 * LEN_BITS);

/**
 * A FIFO of audio with its position on the session's timeline, as ByteQueue has, that keeps its
 * bytes (coded or as they are) back to back in blocks of an arena, in segments of at most
 * SEGMENT_BYTES of audio. Bytes dropped from the front inside a segment are skipped when it is
 * given back; the segment's memory goes once all of it is dropped.
 *
 * A live stream pushes a chunk into each session's store in turn, so by its next chunk a
 * session's store has left the processor's caches: a chunk touches the store's own numbers and
 * the block being filled, and allocates nothing; the list of blocks changes only when a block
 * fills, and the segments' entries are read back only when audio is dropped or replayed.
 */
export class ReplayStore {
    /** Bytes kept. */
    length = 0;
    /** Position of the first kept byte. */
    start = 0;
    /** The block being filled: its slab, its offset there, and how much of it is used. */
    private slab: Slab | undefined;
    private base = 0;
    private used = 0;
    /** Bytes of the first segment's audio dropped already. */
    private skip = 0;
    /** Bytes the kept segments take in the blocks, their entries included. */
    private kept = 0;
    /** The blocks holding the kept bytes, in order; the last is the one being filled. */
    private blocks: number[] = [];
    /** Where the first kept segment's entry is in `blocks[0]` (or the rest of it too short for one). */
    private readAt = 0;
    /** Whether the audio is coded: 16-bit PCM, on a runtime that can code it. */
    private readonly pcm16: boolean;
    private readonly arena: ReplayArena;

    /** `pcm16`: the audio is 16-bit PCM (coded); otherwise it is kept as it is. */
    constructor(pcm16: boolean, arena?: ReplayArena) {
        this.pcm16 = pcm16 && pcmCoderAvailable;
        this.arena = arena ?? new ReplayArena();
    }

    get end(): number {
        return this.start + this.length;
    }

    /** Bytes of memory the kept audio takes (for tests and diagnostics). */
    get codedBytes(): number {
        return this.kept;
    }

    /** Keeps the first `len` bytes of `audio` (copied) at the end. */
    push(audio: Buffer, len = audio.length): void {
        for (let off = 0; off < len; off += SEGMENT_BYTES) {
            const n = len - off < SEGMENT_BYTES ? len - off : SEGMENT_BYTES;
            if (this.slab === undefined || BLOCK - this.used < ENTRY) this.nextBlock();
            const slab = this.slab as Slab;
            const part = off === 0 && n === audio.length ? audio : audio.subarray(off, off + n);
            const coder = this.pcm16 && (n & 1) === 0 ? slab.coder : undefined;
            let size = n;
            if (coder) {
                slab.bytes.set(part, coder.input);
                size = coder.encode(n >> 1);
            }
            const coded = coder !== undefined && size < n;
            if (!coded) size = n;
            const entry = n | (size << LEN_BITS) | (coded ? CODED : 0);
            const bytes = slab.bytes;
            const at = this.base + this.used;
            bytes[at] = entry;
            bytes[at + 1] = entry >>> 8;
            bytes[at + 2] = entry >>> 16;
            bytes[at + 3] = entry >>> 24;
            this.used += ENTRY;
            if (coded) this.append(bytes, (coder as NonNullable<Slab['coder']>).output, size);
            else this.append(part, 0, n);
            this.kept += ENTRY + size;
            this.length += n;
        }
    }

    /** Drops the first `n` bytes. */
    drop(n: number): void {
        let left = Math.min(n, this.length);
        this.length -= left;
        this.start += left;
        while (left > 0) {
            const entry = this.firstEntry();
            const rest = (entry & LEN_MASK) - this.skip;
            if (left < rest) {
                this.skip += left;
                return;
            }
            left -= rest;
            this.skip = 0;
            const size = ENTRY + ((entry >> LEN_BITS) & LEN_MASK);
            this.kept -= size;
            this.pass(size);
        }
        if (this.length === 0) this.empty();
    }

    /** Empties the store; the next byte will sit at `position`. */
    clear(position = this.end): void {
        this.empty();
        this.length = 0;
        this.start = position;
    }

    /** Gives back every block (the session is over). */
    releaseAll(): void {
        this.clear();
        for (const block of this.blocks) this.arena.give(block);
        this.blocks = [];
        this.slab = undefined;
        this.used = 0;
    }

    /** Puts the kept audio, as it was, in front of `queue` (it must end where `queue` starts) and empties the store. */
    moveInFront(queue: ByteQueue): void {
        if (this.length === 0) return;
        // New memory, not a block: it is sent again, then kept again like any audio.
        const out = Buffer.allocUnsafeSlow(this.length + this.skip);
        const scratch = Buffer.allocUnsafeSlow(SEGMENT_BYTES);
        for (let at = 0; at < out.length; ) {
            const entry = this.firstEntry();
            const raw = entry & LEN_MASK;
            const size = (entry >> LEN_BITS) & LEN_MASK;
            this.pass(ENTRY);
            if (entry & CODED) decodePcm16(this.read(size, scratch), raw, out, at);
            else this.read(size, out.subarray(at, at + raw));
            this.pass(size);
            at += raw;
        }
        const front = new ByteQueue();
        front.clear(this.start);
        front.push(out.subarray(this.skip));
        queue.prepend(front);
        this.clear(this.end);
    }

    /** Starts a new block to fill (the rest of the current one is too short for an entry). */
    private nextBlock(): void {
        const block = this.arena.take();
        this.blocks.push(block);
        this.slab = this.arena.slabOf(block);
        this.base = this.arena.offsetOf(block);
        this.used = 0;
    }

    /** Copies `size` bytes of `src` from `from` after the kept bytes, into new blocks where the last one is full. */
    private append(src: Buffer, from: number, size: number): void {
        for (;;) {
            const slab = this.slab as Slab;
            const n = size < BLOCK - this.used ? size : BLOCK - this.used;
            const to = this.base + this.used;
            if (src === slab.bytes) slab.bytes.copyWithin(to, from, from + n);
            else slab.bytes.set(from === 0 && n === src.length ? src : src.subarray(from, from + n), to);
            this.used += n;
            size -= n;
            if (size === 0) return;
            from += n;
            this.nextBlock();
        }
    }

    /** The entry of the first kept segment (the store is not empty). */
    private firstEntry(): number {
        if (BLOCK - this.readAt < ENTRY) this.pass(BLOCK - this.readAt);
        const bytes = this.arena.slabOf(this.blocks[0]).bytes;
        const at = this.arena.offsetOf(this.blocks[0]) + this.readAt;
        return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
    }

    /** Moves the read position `size` bytes on; blocks left behind go back to the arena. */
    private pass(size: number): void {
        this.readAt += size;
        while (this.readAt >= BLOCK && this.blocks.length > 1) {
            this.arena.give(this.blocks.shift() as number);
            this.readAt -= BLOCK;
        }
    }

    /** Copies the `size` bytes at the read position into `into` (at least `size` long); returns that part of it. */
    private read(size: number, into: Buffer): Buffer {
        let at = this.readAt;
        for (let filled = 0, i = 0; filled < size; i++, at = 0) {
            const n = Math.min(BLOCK - at, size - filled);
            const from = this.arena.offsetOf(this.blocks[i]) + at;
            this.arena.slabOf(this.blocks[i]).bytes.copy(into, filled, from, from + n);
            filled += n;
        }
        return into.subarray(0, size);
    }

    /** Lets go of every kept byte: the last block stays, to be filled again from its start. */
    private empty(): void {
        const last = this.blocks.length - 1;
        for (let i = 0; i < last; i++) this.arena.give(this.blocks[i]);
        if (last > 0) this.blocks = [this.blocks[last]];
        this.readAt = 0;
        this.used = 0;
        this.skip = 0;
        this.kept = 0;
    }
}
