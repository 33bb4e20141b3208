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

/**
 * A FIFO of audio with its position on the session's timeline, as ByteQueue has, that keeps its
 * bytes (coded or as they are) back to back in blocks of its own, in segments of at most
 * SEGMENT_BYTES of audio. Bytes dropped from the front inside a segment are skipped when it is
 * given back; the segment's memory goes once all of it is dropped.
 *
 * A live stream pushes a chunk into each session's store in turn, so by its next chunk a
 * session's store has left the processor's caches: it keeps its state in few places (one list of
 * blocks, one list of segments, numbers), each touched once a chunk.
 */
export class ReplayStore {
    /** Bytes kept. */
    length = 0;
    /** Position of the first kept byte. */
    start = 0;
    /** Blocks holding the kept bytes: from `blocks[0]` at `readAt` to the last block at `writeAt`. */
    private blocks: Buffer[] = [];
    private readAt = 0;
    private writeAt = 0;
    /** One entry per segment (LEN_BITS, CODED), from `segHead` on. */
    private segs: number[] = [];
    private segHead = 0;
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
                this.segs.push(n | (code.length << LEN_BITS) | CODED);
                this.kept += code.length;
            } else {
                this.write(off === 0 && n === audio.length ? audio : audio.subarray(off, off + n));
                this.segs.push(n | (n << LEN_BITS));
                this.kept += n;
            }
            this.length += n;
        }
    }

    /** Drops the first `n` bytes. */
    drop(n: number): void {
        let left = Math.min(n, this.length);
        this.length -= left;
        this.start += left;
        let free = 0;
        while (left > 0) {
            const seg = this.segs[this.segHead];
            const rest = (seg & LEN_MASK) - this.skip;
            if (left < rest) {
                this.skip += left;
                break;
            }
            left -= rest;
            free += (seg >> LEN_BITS) & LEN_MASK;
            this.segHead++;
            this.skip = 0;
        }
        if (free > 0) this.free(free);
        if (this.segHead === this.segs.length) {
            this.segs.length = 0;
            this.segHead = 0;
        } else if (this.segHead > 64 && this.segHead * 2 > this.segs.length) {
            this.segs = this.segs.slice(this.segHead);
            this.segHead = 0;
        }
    }

    /** Empties the store; the next byte will sit at `position`. */
    clear(position = this.end): void {
        this.free(this.kept);
        this.segs = [];
        this.segHead = 0;
        this.skip = 0;
        this.length = 0;
        this.start = position;
    }

    /** Gives back every block (the session is over). */
    releaseAll(): void {
        this.clear();
        for (const block of this.blocks) this.pool.give(block);
        this.blocks = [];
        this.readAt = 0;
        this.writeAt = 0;
    }

    /** Puts the kept audio, as it was, in front of `queue` (it must end where `queue` starts) and empties the store. */
    moveInFront(queue: ByteQueue): void {
        if (this.length === 0) return;
        // New memory, not a block: it is sent again, then kept again like any audio.
        const out = Buffer.allocUnsafeSlow(this.length + this.skip);
        const scratch = Buffer.allocUnsafeSlow(SEGMENT_BYTES);
        let at = 0;
        for (let i = this.segHead; i < this.segs.length; i++) {
            const seg = this.segs[i];
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

    /** Copies `data` after the kept bytes, into new blocks where the last one is full. */
    private write(data: Buffer): void {
        const blocks = this.blocks;
        let last = blocks.length - 1;
        let room = last < 0 ? 0 : blocks[last].length - this.writeAt;
        if (data.length <= room) {
            blocks[last].set(data, this.writeAt);
            this.writeAt += data.length;
            return;
        }
        for (let from = 0; from < data.length; ) {
            if (room === 0) {
                blocks.push(this.pool.take());
                last++;
                this.writeAt = 0;
                room = blocks[last].length;
            }
            const n = Math.min(room, data.length - from);
            blocks[last].set(from === 0 && n === data.length ? data : data.subarray(from, from + n), this.writeAt);
            this.writeAt += n;
            from += n;
            room -= n;
        }
    }

    /** Copies the first `size` kept bytes into `into` (at least `size` long); returns that part of it. */
    private read(size: number, into: Buffer): Buffer {
        let filled = 0;
        let block = 0;
        let at = this.readAt;
        while (filled < size) {
            const b = this.blocks[block];
            const end = block === this.blocks.length - 1 ? this.writeAt : b.length;
            const n = Math.min(end - at, size - filled);
            b.copy(into, filled, at, at + n);
            filled += n;
            block++;
            at = 0;
        }
        return into.subarray(0, size);
    }

    /** Lets go of the first `size` kept bytes: the blocks they emptied go back to the pool. */
    private free(size: number): void {
        this.kept -= size;
        if (this.kept === 0) {
            // Nothing kept: the last block stays, to be filled again from its start.
            const blocks = this.blocks;
            for (let i = 0; i < blocks.length - 1; i++) this.pool.give(blocks[i]);
            if (blocks.length > 1) this.blocks = [blocks[blocks.length - 1]];
            this.readAt = 0;
            this.writeAt = 0;
            return;
        }
        let at = this.readAt + size;
        let done = 0;
        while (at >= this.blocks[done].length && done < this.blocks.length - 1) {
            at -= this.blocks[done].length;
            this.pool.give(this.blocks[done]);
            done++;
        }
        if (done > 0) this.blocks = this.blocks.slice(done);
        this.readAt = at;
    }
}
