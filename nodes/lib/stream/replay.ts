// The audio a session keeps for a replay after a dropped connection (sent since the last final
// result, up to a bound), in the node's own blocks: as it is, or (the compact choice) compressed
// without loss: 16-bit PCM as the differences between successive samples, bit-packed (about half
// the size for speech; pcm-codec.ts), any other audio as it is. It is decoded only when a replay
// happens, which is rare.
import { BlockPool, ByteQueue } from './frames';
import { decodePcm16, encodePcm16, PCM_CODE_MAX_BYTES, pcmCoderAvailable } from './pcm-codec';

/** Size of the blocks the coded audio is kept in: about a quarter second of coded 16 kHz speech. */
export const REPLAY_BLOCK_BYTES = 2 * 1024;

/** Audio bytes kept together: the most a drop from the front can leave kept and unused. */
const SEGMENT_BYTES = PCM_CODE_MAX_BYTES;
// A segment's entry packs its audio bytes, its kept bytes and whether it is coded in one number.
const LEN_BITS = 13;
const LEN_MASK = (1 << LEN_BITS) - 1;
const CODED = 1 << (2 * LEN_BITS);

/** Segment entries the store holds in its own fields (`open0` to `open3`, one each) before they go to the ring together. */
const OPEN_SEGMENTS = 4;

/** Entries a store's rings start with (a power of two). */
const RING_START = 64;
/** A ring grown past this is given back when the store empties, so a burst leaves no large list behind. */
const RING_KEEP = 1024;

/** A ring of `size` entries (a power of two), each `fill`. */
function ring<T>(size: number, fill: T): T[] {
    return new Array<T>(size).fill(fill);
}

/** `old` (full, its oldest entry at `head`) in a ring of twice the size, oldest first. */
function grown<T>(old: T[], head: number, fill: T): T[] {
    const next = ring(old.length * 2, fill);
    for (let i = 0; i < old.length; i++) next[i] = old[(head + i) & (old.length - 1)];
    return next;
}

const NO_BLOCK: Buffer = Buffer.alloc(0);

/**
 * A FIFO of audio with its position on the session's timeline, as ByteQueue has, that keeps its
 * bytes (coded or as they are) back to back in blocks of its own, in segments of at most
 * SEGMENT_BYTES of audio. Bytes dropped from the front inside a segment are skipped when it is
 * given back; the segment's memory goes once all of it is dropped.
 *
 * A live stream pushes a chunk into each session's store in turn, so by its next chunk a
 * session's store has left the processor's caches, and each further object a push reads costs a
 * fetch from memory. So a push touches the store itself, the block being filled (held in a field
 * of its own) and the coder: the ring of blocks only when a block is added, the ring of segments
 * once every OPEN_SEGMENTS pushes (the newest entries wait in the store's own fields). The rings
 * keep their memory while the stream runs: lists that grew again after each sentence were new
 * objects for every collection of the young generation to copy.
 */
export class ReplayStore {
    /** Bytes kept. */
    length = 0;
    /** Position of the first kept byte. */
    start = 0;
    /** Blocks holding the kept bytes, a ring: `blockCount` from `blockHead`, read from `readAt` in the first, written up to `writeAt` in the last. */
    private blocks: Buffer[] = ring(RING_START, NO_BLOCK);
    /** The last block of the ring (NO_BLOCK when there is none): the one being filled. */
    private last: Buffer = NO_BLOCK;
    private blockHead = 0;
    private blockCount = 0;
    private readAt = 0;
    private writeAt = 0;
    /** One entry per segment (LEN_BITS, CODED), a ring: `segCount` from `segHead`; the newest `openCount` are in `open0`… instead. */
    private segs: number[] = ring(RING_START, 0);
    private segHead = 0;
    private segCount = 0;
    private open0 = 0;
    private open1 = 0;
    private open2 = 0;
    private open3 = 0;
    private openCount = 0;
    /** Bytes of the first segment's audio dropped already. */
    private skip = 0;
    /** Bytes the kept segments take in the blocks. */
    private kept = 0;
    /** Whether the audio is coded: 16-bit PCM, on a runtime that can code it. */
    private readonly pcm16: boolean;
    private readonly pool: BlockPool;

    /** `pcm16`: the audio is 16-bit PCM (coded); otherwise it is kept as it is. */
    constructor(pcm16: boolean, pool?: BlockPool) {
        this.pcm16 = pcm16 && pcmCoderAvailable;
        this.pool = pool ?? new BlockPool(REPLAY_BLOCK_BYTES, () => 2);
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
            const code = this.pcm16 && n % 2 === 0 ? encodePcm16(audio, off, n) : undefined;
            if (code) {
                this.write(code);
                this.addSegment(n | (code.length << LEN_BITS) | CODED);
                this.kept += code.length;
            } else {
                this.write(off === 0 && n === audio.length ? audio : audio.subarray(off, off + n));
                this.addSegment(n | (n << LEN_BITS));
                this.kept += n;
            }
            this.length += n;
        }
    }

    /** Drops the first `n` bytes. */
    drop(n: number): void {
        this.settleSegments();
        let left = Math.min(n, this.length);
        this.length -= left;
        this.start += left;
        let free = 0;
        const mask = this.segs.length - 1;
        while (left > 0) {
            const seg = this.segs[this.segHead];
            const rest = (seg & LEN_MASK) - this.skip;
            if (left < rest) {
                this.skip += left;
                break;
            }
            left -= rest;
            free += (seg >> LEN_BITS) & LEN_MASK;
            this.segHead = (this.segHead + 1) & mask;
            this.segCount--;
            this.skip = 0;
        }
        if (free > 0) this.free(free);
        if (this.segCount === 0 && this.segs.length > RING_KEEP) this.segs = ring(RING_START, 0);
    }

    /** Empties the store; the next byte will sit at `position`. */
    clear(position = this.end): void {
        this.free(this.kept);
        this.segHead = 0;
        this.segCount = 0;
        this.openCount = 0;
        if (this.segs.length > RING_KEEP) this.segs = ring(RING_START, 0);
        this.skip = 0;
        this.length = 0;
        this.start = position;
    }

    /** Gives back every block (the session is over). */
    releaseAll(): void {
        this.clear();
        for (let i = 0; i < this.blockCount; i++) {
            const at = (this.blockHead + i) & (this.blocks.length - 1);
            this.pool.give(this.blocks[at]);
            this.blocks[at] = NO_BLOCK;
        }
        this.blockHead = 0;
        this.blockCount = 0;
        this.last = NO_BLOCK;
        this.readAt = 0;
        this.writeAt = 0;
    }

    /** Puts the kept audio, as it was, in front of `queue` (it must end where `queue` starts) and empties the store. */
    moveInFront(queue: ByteQueue): void {
        if (this.length === 0) return;
        this.settleSegments();
        // New memory, not a block: it is sent again, then kept again like any audio.
        const out = Buffer.allocUnsafeSlow(this.length + this.skip);
        const scratch = Buffer.allocUnsafeSlow(SEGMENT_BYTES);
        let at = 0;
        for (let i = 0; i < this.segCount; i++) {
            const seg = this.segs[(this.segHead + i) & (this.segs.length - 1)];
            const raw = seg & LEN_MASK;
            const size = (seg >> LEN_BITS) & LEN_MASK;
            if (seg & CODED) decodePcm16(this.read(size, scratch), raw, out, at);
            else this.read(size, out.subarray(at, at + raw));
            this.free(size);
            at += raw;
        }
        const front = new ByteQueue();
        front.clear(this.start);
        front.push(out.subarray(this.skip));
        queue.prepend(front);
        this.clear(this.end);
    }

    private addSegment(entry: number): void {
        switch (this.openCount) {
            case 0:
                this.open0 = entry;
                break;
            case 1:
                this.open1 = entry;
                break;
            case 2:
                this.open2 = entry;
                break;
            default:
                this.open3 = entry;
        }
        if (++this.openCount === OPEN_SEGMENTS) this.settleSegments();
    }

    /** Moves the entries held in the store's fields to the ring, oldest first. */
    private settleSegments(): void {
        const n = this.openCount;
        if (n === 0) return;
        this.openCount = 0;
        this.ringSegment(this.open0);
        if (n > 1) this.ringSegment(this.open1);
        if (n > 2) this.ringSegment(this.open2);
        if (n > 3) this.ringSegment(this.open3);
    }

    private ringSegment(entry: number): void {
        if (this.segCount === this.segs.length) {
            this.segs = grown(this.segs, this.segHead, 0);
            this.segHead = 0;
        }
        this.segs[(this.segHead + this.segCount) & (this.segs.length - 1)] = entry;
        this.segCount++;
    }

    /** Copies `data` after the kept bytes, into new blocks where the last one is full. */
    private write(data: Uint8Array): void {
        let last = this.last;
        let room = last.length - this.writeAt;
        if (data.length <= room) {
            last.set(data, this.writeAt);
            this.writeAt += data.length;
            return;
        }
        for (let from = 0; from < data.length; ) {
            if (room === 0) {
                last = this.addBlock();
                this.writeAt = 0;
                room = last.length;
            }
            const n = Math.min(room, data.length - from);
            last.set(from === 0 && n === data.length ? data : data.subarray(from, from + n), this.writeAt);
            this.writeAt += n;
            from += n;
            room -= n;
        }
    }

    private addBlock(): Buffer {
        if (this.blockCount === this.blocks.length) {
            this.blocks = grown(this.blocks, this.blockHead, NO_BLOCK);
            this.blockHead = 0;
        }
        const block = this.pool.take();
        this.blocks[(this.blockHead + this.blockCount) & (this.blocks.length - 1)] = block;
        this.blockCount++;
        this.last = block;
        return block;
    }

    /** Copies the first `size` kept bytes into `into` (at least `size` long); returns that part of it. */
    private read(size: number, into: Buffer): Buffer {
        let filled = 0;
        let i = 0;
        let at = this.readAt;
        while (filled < size) {
            const b = this.blocks[(this.blockHead + i) & (this.blocks.length - 1)];
            const end = i === this.blockCount - 1 ? this.writeAt : b.length;
            const n = Math.min(end - at, size - filled);
            b.copy(into, filled, at, at + n);
            filled += n;
            i++;
            at = 0;
        }
        return into.subarray(0, size);
    }

    /** Lets go of the first `size` kept bytes: the blocks they emptied go back to the pool. */
    private free(size: number): void {
        this.kept -= size;
        const mask = this.blocks.length - 1;
        // Nothing kept: the last block stays, to be filled again from its start.
        const emptied = this.kept === 0;
        let at = this.readAt + size;
        while (this.blockCount > 1 && (emptied || at >= this.blocks[this.blockHead].length)) {
            const block = this.blocks[this.blockHead];
            at -= block.length;
            this.pool.give(block);
            this.blocks[this.blockHead] = NO_BLOCK;
            this.blockHead = (this.blockHead + 1) & mask;
            this.blockCount--;
        }
        if (emptied) {
            this.readAt = 0;
            this.writeAt = 0;
            if (this.blocks.length > RING_KEEP) this.shrinkBlocks();
        } else this.readAt = at;
    }

    /** The block ring back to its first size once it holds at most its last block. */
    private shrinkBlocks(): void {
        const blocks = ring(RING_START, NO_BLOCK);
        if (this.blockCount === 1) blocks[0] = this.blocks[this.blockHead];
        this.blocks = blocks;
        this.blockHead = 0;
    }
}
