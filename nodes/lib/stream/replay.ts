// The audio a session keeps for a replay after a dropped connection (sent since the last final
// result, up to a bound), in the node's own blocks: as it is, or (the compact choice) compressed
// without loss: 16-bit PCM as the differences between successive samples, bit-packed (about half
// the size for speech; pcm-codec.ts), any other audio as it is. It is decoded only when a replay
// happens, which is rare.
import { AudioBlocks, BlockPool, ByteQueue } from './frames';
import { decodePcm16, encodePcm16, PCM_CODE_MAX_BYTES, PCM_CODED, pcmCoderAvailable } from './pcm-codec';

/** Size of the blocks the coded audio is kept in: about a quarter second of coded 16 kHz speech. */
export const REPLAY_BLOCK_BYTES = 2 * 1024;

/** Raw bytes coded together: the most a drop from the front can leave undecodable and unused. */
const SEGMENT_BYTES = PCM_CODE_MAX_BYTES;
/** The first byte of a segment stored as it is (a coded one starts with PCM_CODED). */
const AS_IS = 0xff;
const AS_IS_TAG = Buffer.from([AS_IS]);

/**
 * A FIFO of audio with its position on the session's timeline, as ByteQueue has, that keeps its
 * bytes coded in blocks of its own. Bytes dropped from the front inside a segment are skipped
 * when it is decoded; the segment's memory goes once all of it is dropped.
 */
export class ReplayStore {
    /** Bytes kept. */
    length = 0;
    /** Position of the first kept byte. */
    start = 0;
    private readonly codes = new ByteQueue();
    private readonly blocks: AudioBlocks;
    private rawLens: number[] = [];
    private codeLens: number[] = [];
    private head = 0;
    /** Bytes of the first segment dropped already. */
    private skip = 0;

    /** Whether the audio is coded: 16-bit PCM, on a runtime that can code it. */
    private readonly pcm16: boolean;

    /** `pcm16`: the audio is 16-bit PCM (coded); otherwise it is kept as it is. */
    constructor(pcm16: boolean, pool?: BlockPool) {
        this.pcm16 = pcm16 && pcmCoderAvailable;
        this.blocks = new AudioBlocks(pool ?? new BlockPool(REPLAY_BLOCK_BYTES, () => 2), () =>
            this.codes.length > 0 ? this.codes.start : this.codes.end,
        );
    }

    get end(): number {
        return this.start + this.length;
    }

    /** Bytes of memory the kept audio takes (for tests and diagnostics). */
    get codedBytes(): number {
        return this.codes.length;
    }

    /** Keeps the first `len` bytes of `audio` (copied) at the end. */
    push(audio: Buffer, len = audio.length): void {
        if (!this.pcm16) {
            // Kept as it is: one range of bytes, dropped and replayed by byte count.
            this.blocks.write(audio, this.codes, len);
            this.length += len;
            return;
        }
        for (let off = 0; off < len; off += SEGMENT_BYTES) {
            const n = Math.min(SEGMENT_BYTES, len - off);
            const code = n % 2 === 0 ? encodePcm16(audio, off, n) : undefined;
            if (code) {
                this.blocks.write(code, this.codes);
                this.codeLens.push(code.length);
            } else {
                this.blocks.write(AS_IS_TAG, this.codes);
                this.blocks.write(audio.subarray(off, off + n), this.codes);
                this.codeLens.push(n + 1);
            }
            this.rawLens.push(n);
            this.length += n;
        }
    }

    /** Drops the first `n` bytes. */
    drop(n: number): void {
        let left = Math.min(n, this.length);
        this.length -= left;
        this.start += left;
        if (!this.pcm16) {
            this.codes.drop(left);
            this.blocks.release();
            return;
        }
        while (left > 0) {
            const rest = this.rawLens[this.head] - this.skip;
            if (left < rest) {
                this.skip += left;
                break;
            }
            left -= rest;
            this.codes.drop(this.codeLens[this.head]);
            this.head++;
            this.skip = 0;
        }
        if (this.head === this.rawLens.length) {
            this.rawLens = [];
            this.codeLens = [];
            this.head = 0;
        } else if (this.head > 64 && this.head * 2 > this.rawLens.length) {
            this.rawLens = this.rawLens.slice(this.head);
            this.codeLens = this.codeLens.slice(this.head);
            this.head = 0;
        }
        this.blocks.release();
    }

    /** Empties the store; the next byte will sit at `position`. */
    clear(position = this.end): void {
        this.codes.clear();
        this.rawLens = [];
        this.codeLens = [];
        this.head = 0;
        this.skip = 0;
        this.length = 0;
        this.start = position;
        this.blocks.release();
    }

    /** Gives back every block (the session is over). */
    releaseAll(): void {
        this.clear();
        this.blocks.releaseAll();
    }

    /** Puts the kept audio, decoded, in front of `queue` (it must end where `queue` starts) and empties the store. */
    moveInFront(queue: ByteQueue): void {
        if (this.length === 0) return;
        // New memory, not a block: it is sent again, then kept again (coded) like any audio.
        const out = Buffer.allocUnsafeSlow(this.length + this.skip);
        if (this.pcm16) this.decodeInto(out);
        else {
            // A copy when the bytes lie in one block (peek gives a view of it then).
            const kept = this.codes.peek(this.length, out);
            if (kept.buffer !== out.buffer) kept.copy(out);
        }
        const front = new ByteQueue();
        front.clear(this.start);
        front.push(out.subarray(this.skip));
        queue.prepend(front);
        this.clear(this.end);
    }

    /** Decodes every kept segment, from the start of the first, into `out`. */
    private decodeInto(out: Buffer): void {
        const scratch = Buffer.allocUnsafeSlow(SEGMENT_BYTES + 1);
        let at = 0;
        for (let i = this.head; i < this.rawLens.length; i++) {
            const raw = this.rawLens[i];
            const code = this.codes.peek(this.codeLens[i], scratch);
            if (code[0] === PCM_CODED) decodePcm16(code, raw, out, at);
            else code.copy(out, at, 1, 1 + raw);
            this.codes.drop(this.codeLens[i]);
            at += raw;
        }
    }
}
