// The audio a session keeps for a replay after a dropped connection (sent since the last final
// result, up to a bound), in the node's own blocks: as it is, or (the compact choice) compressed
// without loss: 16-bit PCM as the differences between successive samples, Rice-coded (about half
// the size for speech), any other audio as it is. It is decoded only when a replay happens, which
// is rare.
import { endianness } from 'node:os';
import { AudioBlocks, BlockPool, ByteQueue } from './frames';

/** Size of the blocks the coded audio is kept in: about a quarter second of coded 16 kHz speech. */
export const REPLAY_BLOCK_BYTES = 2 * 1024;

/** Raw bytes coded together: the most a drop from the front can leave undecodable and unused. */
const SEGMENT_BYTES = 4096;
/** A unary quotient this long is followed by the value itself (a rare jump in the signal). */
const ESCAPE = 24;
const ESCAPE_BITS = 18;
/** The first byte of a segment stored as it is; otherwise it holds the Rice parameter. */
const AS_IS = 0xff;
/** Room for the worst coding of a segment (stored as it is whenever coding does not make it smaller). */
const CODE_SCRATCH = Buffer.allocUnsafeSlow(3 + Math.ceil(((SEGMENT_BYTES / 2) * (ESCAPE + ESCAPE_BITS)) / 8));

/** Samples are read in the machine's byte order: coded only where that is the audio's. */
const LITTLE_ENDIAN = endianness() === 'LE';
/** Where a segment is copied to be read as 16-bit samples (one view, aligned, made once). */
const ALIGNED = Buffer.allocUnsafeSlow(SEGMENT_BYTES);
const SAMPLES = new Int16Array(ALIGNED.buffer, ALIGNED.byteOffset, SEGMENT_BYTES / 2);

/**
 * Codes `len` bytes of 16-bit little-endian PCM from `src` at `off` into CODE_SCRATCH; returns
 * the coded length, or 0 when coding would not make them smaller. Every chunk of a live stream
 * goes through here, so: one pass over samples read as an Int16Array, the Rice parameter from a
 * sparse look at the differences, bits written MSB first two bytes at a time (fewer than 16 wait
 * in `acc`), and codes longer than 16 bits (a jump in the signal, a few per cent) in pieces.
 */
function encodePcm16(src: Buffer, off: number, len: number): number {
    const n = len >> 1;
    // A copy costs less than a new view of the caller's memory per chunk, and is always aligned.
    ALIGNED.set(off === 0 && len === src.length ? src : src.subarray(off, off + len));
    const pcm = SAMPLES;
    // The mean zigzagged difference, from every 8th pair of samples.
    let sum = 0;
    let seen = 0;
    for (let j = 1; j < n; j += 8) {
        const d = pcm[j] - pcm[j - 1];
        sum += (d << 1) ^ (d >> 31);
        seen++;
    }
    const mean = seen > 0 ? (sum / seen) * 0.69 : 0;
    const k = mean < 2 ? 0 : Math.min(15, 31 - Math.clz32(Math.floor(mean)));
    const first = pcm[0];
    const out = CODE_SCRATCH;
    out[0] = k;
    out[1] = first & 0xff;
    out[2] = (first >> 8) & 0xff;
    let pos = 3;
    let acc = 0;
    let bits = 0;
    const low = (1 << k) - 1;
    const k1 = k + 1;
    let prev = first;
    for (let j = 1; j < n; j++) {
        const s = pcm[j];
        const d = s - prev;
        prev = s;
        const u = (d << 1) ^ (d >> 31);
        const q = u >>> k;
        const w = q + k1;
        if (w <= 16) {
            // q ones, a zero and the k low bits, in one step.
            acc = (acc << w) | (((1 << q) - 1) << k1) | (u & low);
            bits += w;
        } else {
            // The ones in pieces of at most 16; then the zero and the k low bits, or after
            // ESCAPE ones the value itself in ESCAPE_BITS bits (at most 18: in two steps).
            for (let ones = q < ESCAPE ? q : ESCAPE; ones > 0; ) {
                const m = ones > 16 ? 16 : ones;
                acc = (acc << m) | ((1 << m) - 1);
                bits += m;
                ones -= m;
                if (bits >= 16) {
                    bits -= 16;
                    out[pos++] = acc >>> (bits + 8);
                    out[pos++] = acc >>> bits;
                    acc &= (1 << bits) - 1;
                }
            }
            const tail = q < ESCAPE ? k1 : ESCAPE_BITS;
            const v = q < ESCAPE ? u & low : u;
            if (tail > 9) {
                acc = (acc << (tail - 9)) | (v >>> 9);
                bits += tail - 9;
                if (bits >= 16) {
                    bits -= 16;
                    out[pos++] = acc >>> (bits + 8);
                    out[pos++] = acc >>> bits;
                    acc &= (1 << bits) - 1;
                }
                acc = (acc << 9) | (v & 511);
                bits += 9;
            } else {
                acc = (acc << tail) | v;
                bits += tail;
            }
        }
        if (bits >= 16) {
            bits -= 16;
            out[pos++] = acc >>> (bits + 8);
            out[pos++] = acc >>> bits;
            acc &= (1 << bits) - 1;
        }
    }
    while (bits >= 8) {
        bits -= 8;
        out[pos++] = acc >>> bits;
    }
    if (bits > 0) out[pos++] = acc << (8 - bits);
    // CODE_SCRATCH holds the worst case, so the length is checked once, at the end.
    return pos < len ? pos : 0;
}

/** Decodes a coded segment `code` of `rawLen` bytes into `out` at `at`. */
function decodePcm16(code: Buffer, rawLen: number, out: Buffer, at: number): void {
    const k = code[0];
    let prev = ((code[1] | (code[2] << 8)) << 16) >> 16;
    out.writeInt16LE(prev, at);
    let pos = 3;
    let acc = 0;
    let bits = 0;
    const read = (n: number): number => {
        while (bits < n) {
            acc = (acc << 8) | code[pos++];
            bits += 8;
        }
        bits -= n;
        const v = (acc >>> bits) & ((1 << n) - 1);
        acc &= (1 << bits) - 1;
        return v;
    };
    for (let i = at + 2; i < at + rawLen; i += 2) {
        let q = 0;
        while (q < ESCAPE && read(1) === 1) q++;
        const u = q === ESCAPE ? read(ESCAPE_BITS) : (q << k) | (k > 0 ? read(k) : 0);
        const d = u & 1 ? -(u + 1) / 2 : u / 2;
        prev += d;
        out.writeInt16LE(prev, i);
    }
}

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

    /** `pcm16`: the audio is 16-bit PCM (coded); otherwise it is kept as it is. */
    constructor(
        private readonly pcm16: boolean,
        pool?: BlockPool,
    ) {
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
            const coded = LITTLE_ENDIAN && n % 2 === 0 && n >= 4 ? encodePcm16(audio, off, n) : 0;
            if (coded > 0) {
                this.blocks.write(CODE_SCRATCH, this.codes, coded);
                this.codeLens.push(coded);
            } else {
                CODE_SCRATCH[0] = AS_IS;
                this.blocks.write(CODE_SCRATCH.subarray(0, 1), this.codes);
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
            if (code[0] === AS_IS) code.copy(out, at, 1, 1 + raw);
            else decodePcm16(code, raw, out, at);
            this.codes.drop(this.codeLens[i]);
            at += raw;
        }
    }
}
