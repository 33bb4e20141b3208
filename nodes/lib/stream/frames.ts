// Audio bookkeeping for a real-time recognition: the byte queues a session keeps and the rule that
// cuts them into frames the service accepts (docs/protocol/websocket.md §1.5: 160–32768 bytes at 8 kHz,
// 320–65536 bytes at 16 kHz), whatever chunk sizes arrive.
import { bytesPerSecond, RASR_FORMATS, rateOfAudioFormat } from '../service/formats';
import { RASR_FRAME_BYTES } from '../service/limits';

export type RasrFormat = (typeof RASR_FORMATS)[number];
export type SampleCodec = 'pcm' | 'alaw' | 'ulaw';

export interface FrameSpec {
    format: RasrFormat;
    codec: SampleCodec;
    rate: 8000 | 16000;
    bytesPerSample: 1 | 2;
    bytesPerSecond: number;
    /** Smallest and largest binary frame the service accepts. */
    min: number;
    max: number;
    /** Largest frame the node cuts: one second of audio, the top of the service's recommended 50–1000 ms. */
    target: number;
    /** The byte value of digital silence in this encoding. */
    silence: number;
}

export function isRasrFormat(format: string): format is RasrFormat {
    return (RASR_FORMATS as readonly string[]).includes(format);
}

export function frameSpec(format: RasrFormat): FrameSpec {
    const rate = rateOfAudioFormat(format) ?? 16000;
    const perSecond = bytesPerSecond(format) ?? rate * 2;
    const { min, max } = RASR_FRAME_BYTES[rate];
    const codec: SampleCodec = format.startsWith('alaw') ? 'alaw' : format.startsWith('ulaw') ? 'ulaw' : 'pcm';
    return {
        format,
        codec,
        rate,
        bytesPerSample: codec === 'pcm' ? 2 : 1,
        bytesPerSecond: perSecond,
        min,
        max,
        target: Math.min(max, perSecond),
        // G.711 encodes zero as 0xD5 (A-law) and 0xFF (µ-law).
        silence: codec === 'alaw' ? 0xd5 : codec === 'ulaw' ? 0xff : 0,
    };
}

/** Milliseconds of audio in `bytes` bytes. */
export function msOfBytes(spec: FrameSpec, bytes: number): number {
    return Math.round((bytes * 1000) / spec.bytesPerSecond);
}

/** Byte offset of `ms` milliseconds of audio, on a sample boundary. */
export function bytesOfMs(spec: FrameSpec, ms: number): number {
    const bytes = Math.floor((ms * spec.bytesPerSecond) / 1000);
    return bytes - (bytes % spec.bytesPerSample);
}

function alignDown(n: number, unit: number): number {
    return n - (n % unit);
}

/**
 * Size of the next frame to cut from `available` queued bytes, or 0 to wait for more. Frames
 * follow the chunks as they come, up to `target` bytes (a backlog goes out in one-second frames),
 * and nothing is held back: every whole sample is sent as soon as it can form a legal frame. A
 * piece above `target` is cut so that no rest below `min` is left behind the last full frame.
 *
 * While the stream goes on, less than `min` bytes wait (only chunks under 10 ms can leave so
 * little); at the end (`final`) such a rest is returned as it is, for the caller to pad.
 */
export function nextFrameSize(spec: FrameSpec, available: number, final: boolean): number {
    const unit = spec.bytesPerSample;
    const cap = spec.target;
    const rest = alignDown(available, unit);
    if (rest <= cap) return rest >= spec.min || final ? rest : 0;
    return rest - cap >= spec.min ? cap : alignDown(rest - spec.min, unit);
}

/** `frame` extended with silence to the minimum frame size. */
export function padToMinimum(spec: FrameSpec, frame: Buffer): Buffer {
    if (frame.length >= spec.min) return frame;
    const out = Buffer.alloc(spec.min, spec.silence);
    frame.copy(out);
    return out;
}

const EMPTY = Buffer.alloc(0);

/**
 * A FIFO of bytes kept where they already are (ranges of buffers, no copying until a frame must
 * join two of them), with the position of its first byte on the session's own timeline. Ranges
 * rather than Buffer views: at a chunk per 40 ms per session, creating views is what would cost.
 */
export class ByteQueue {
    private bufs: Buffer[] = [];
    private offs: number[] = [];
    private lens: number[] = [];
    private head = 0;
    /** Bytes queued. */
    length = 0;
    /** Position of the first queued byte, counted from the start of the session's audio. */
    start = 0;

    get end(): number {
        return this.start + this.length;
    }

    push(buf: Buffer): void {
        this.pushRange(buf, 0, buf.length);
    }

    /** Queues `len` bytes of `buf` from `off`; bytes that continue the last range in the same buffer extend it. */
    pushRange(buf: Buffer, off: number, len: number): void {
        if (len === 0) return;
        this.length += len;
        const last = this.bufs.length - 1;
        if (last >= this.head && this.bufs[last] === buf && this.offs[last] + this.lens[last] === off) {
            this.lens[last] += len;
            return;
        }
        this.bufs.push(buf);
        this.offs.push(off);
        this.lens.push(len);
    }

    /** Puts `other`'s bytes in front of this queue's (they must end where this queue starts) and empties it. */
    prepend(other: ByteQueue): void {
        if (other.length === 0) return;
        const h = this.head;
        const o = other.head;
        this.bufs = [...other.bufs.slice(o), ...this.bufs.slice(h)];
        this.offs = [...other.offs.slice(o), ...this.offs.slice(h)];
        this.lens = [...other.lens.slice(o), ...this.lens.slice(h)];
        this.head = 0;
        this.length += other.length;
        this.start = other.start;
        other.clear(other.end);
    }

    /**
     * The first `n` bytes as one buffer, left in the queue: a view when they lie in one range,
     * else a copy in `scratch` (valid until its next use) or, without one, in new memory.
     */
    peek(n: number, scratch?: Buffer): Buffer {
        const size = Math.min(n, this.length);
        const h = this.head;
        if (size === 0) return EMPTY;
        if (this.lens[h] >= size) return this.bufs[h].subarray(this.offs[h], this.offs[h] + size);
        // Its own memory otherwise: a kept copy must not pin a slab of the shared pool.
        const out = scratch && scratch.length >= size ? scratch.subarray(0, size) : Buffer.allocUnsafeSlow(size);
        let filled = 0;
        for (let i = h; filled < size; i++) {
            const k = Math.min(this.lens[i], size - filled);
            this.bufs[i].copy(out, filled, this.offs[i], this.offs[i] + k);
            filled += k;
        }
        return out;
    }

    /** Removes and returns the first `n` bytes (see `peek`; a copy is always in new memory). */
    take(n: number): Buffer {
        const out = this.peek(n);
        this.drop(out.length);
        return out;
    }

    /** Moves the first `n` bytes to the end of `to` as they are (no copy). */
    moveTo(n: number, to: ByteQueue): void {
        let left = Math.min(n, this.length);
        while (left > 0) {
            const h = this.head;
            const part = Math.min(this.lens[h], left);
            to.pushRange(this.bufs[h], this.offs[h], part);
            this.consume(part);
            left -= part;
        }
    }

    /** Drops the first `n` bytes. */
    drop(n: number): void {
        let left = Math.min(n, this.length);
        while (left > 0) {
            const part = Math.min(this.lens[this.head], left);
            this.consume(part);
            left -= part;
        }
    }

    /** Moves the position of an empty queue on by `n`: bytes that went by without being queued. */
    passOver(n: number): void {
        if (this.length > 0) throw new Error('only an empty queue can be passed over');
        this.start += n;
    }

    /** Empties the queue; the next byte will sit at `position`. */
    clear(position = this.end): void {
        this.bufs = [];
        this.offs = [];
        this.lens = [];
        this.head = 0;
        this.length = 0;
        this.start = position;
    }

    private consume(n: number): void {
        const h = this.head;
        if (n >= this.lens[h]) {
            this.bufs[h] = EMPTY;
            this.head++;
            if (this.head === this.bufs.length) {
                // Empty: start the arrays over rather than let them grow.
                this.bufs.length = 0;
                this.offs.length = 0;
                this.lens.length = 0;
                this.head = 0;
            } else if (this.head > 64 && this.head * 2 > this.bufs.length) {
                this.bufs = this.bufs.slice(this.head);
                this.offs = this.offs.slice(this.head);
                this.lens = this.lens.slice(this.head);
                this.head = 0;
            }
        } else {
            this.offs[h] += n;
            this.lens[h] -= n;
        }
        this.length -= n;
        this.start += n;
    }
}

/**
 * Size of the blocks a session copies its incoming audio into, until it is sent (an eighth of a
 * second of 16 kHz 16-bit audio): what is sent is kept for a replay elsewhere (replay.ts), so a
 * steady stream holds one block, partly filled.
 */
export const AUDIO_BLOCK_BYTES = 4 * 1024;

/**
 * Spare audio blocks, shared by the sessions of one node. A steady stream reuses the memory of
 * audio it no longer needs instead of allocating new blocks: memory outside the JS heap that is
 * allocated and dropped at the audio's rate makes V8 run full collections every few seconds,
 * and each of those walks the whole heap — costly in a process as large as Node-RED.
 */
export class BlockPool {
    private readonly spare: Buffer[] = [];

    /** `limit` gives the most spare blocks worth keeping (asked each time, as it may follow the load). */
    constructor(
        readonly blockBytes = AUDIO_BLOCK_BYTES,
        private readonly limit: () => number = () => 16,
    ) {}

    /** Spare blocks held. */
    get spares(): number {
        return this.spare.length;
    }

    /** A block whose bytes are to be overwritten (its old content is never read). */
    take(): Buffer {
        return this.spare.pop() ?? Buffer.allocUnsafeSlow(this.blockBytes);
    }

    give(block: Buffer): void {
        if (block.length === this.blockBytes && this.spare.length < this.limit()) this.spare.push(block);
    }

    /** Lets go of the spares beyond the limit (after the load went down). */
    trim(): void {
        const keep = Math.max(0, this.limit());
        if (this.spare.length > keep) this.spare.length = keep;
    }
}

/**
 * Copies incoming audio into blocks the session owns. Chunks then sit back to back in memory, so
 * frames cut from them are views (no copy per frame), and the audio kept for a replay holds no
 * one else's memory: neither the caller's buffers nor slabs shared with other sessions.
 *
 * Blocks go back to the pool once all their audio lies before `live()`, the oldest position the
 * session still keeps (queued or kept for a replay). Audio written to the socket is no longer
 * needed there: the WebSocket copies each frame while masking it (ws-connect.ts makes sure the
 * masking key is never zero, the one case in which ws would send the caller's memory as it is).
 */
export class AudioBlocks {
    private block: Buffer = EMPTY;
    private used = 0;
    /** Timeline position just past the last byte written into the current block. */
    private blockEnd = 0;
    /** Full blocks still holding audio the session keeps, oldest first, with their end positions. */
    private held: Buffer[] = [];
    private heldEnds: number[] = [];
    private heldHead = 0;

    constructor(
        private readonly pool: BlockPool = new BlockPool(),
        private readonly live: () => number = () => Number.NEGATIVE_INFINITY,
    ) {}

    /** Blocks in use (the one being filled included). */
    get blocksHeld(): number {
        return this.held.length - this.heldHead + (this.block.length > 0 ? 1 : 0);
    }

    /** Copies `data` to the end of `queue`. */
    write(data: Buffer, queue: ByteQueue): void {
        const len = data.length;
        let offset = 0;
        while (offset < len) {
            if (this.used === this.block.length) this.nextBlock();
            const n = Math.min(len - offset, this.block.length - this.used);
            // set() rather than copy(): copy() makes a view of its source on every call.
            this.block.set(offset === 0 && n === data.length ? data : data.subarray(offset, offset + n), this.used);
            queue.pushRange(this.block, this.used, n);
            this.used += n;
            offset += n;
            this.blockEnd = queue.end;
        }
    }

    /** Gives back the full blocks whose audio all lies before `live()`. */
    release(): void {
        const live = this.live();
        while (this.heldHead < this.held.length && this.heldEnds[this.heldHead] <= live) {
            this.pool.give(this.held[this.heldHead]);
            this.held[this.heldHead] = EMPTY;
            this.heldHead++;
        }
        if (this.heldHead === this.held.length) {
            // Emptied in place: a session's results call this often, mostly with nothing held.
            if (this.heldHead > 0) {
                this.held.length = 0;
                this.heldEnds.length = 0;
                this.heldHead = 0;
            }
        } else if (this.heldHead > 64 && this.heldHead * 2 > this.held.length) {
            this.held = this.held.slice(this.heldHead);
            this.heldEnds = this.heldEnds.slice(this.heldHead);
            this.heldHead = 0;
        }
    }

    /**
     * Gives back every block, the one being filled included, when none of their audio lies at or
     * after `live()` (all of it sent): a session that sends each chunk as it comes then holds no
     * block between two chunks, and the node's sessions take turns with a few.
     */
    releaseIfDone(): void {
        if (this.block.length === 0 || this.live() < this.blockEnd) return;
        for (let i = this.heldHead; i < this.held.length; i++) this.pool.give(this.held[i]);
        this.pool.give(this.block);
        this.held.length = 0;
        this.heldEnds.length = 0;
        this.heldHead = 0;
        this.block = EMPTY;
        this.used = 0;
    }

    /** Gives back every block: the session keeps no audio any more. */
    releaseAll(): void {
        for (let i = this.heldHead; i < this.held.length; i++) this.pool.give(this.held[i]);
        if (this.block.length > 0) this.pool.give(this.block);
        this.held = [];
        this.heldEnds = [];
        this.heldHead = 0;
        this.block = EMPTY;
        this.used = 0;
    }

    private nextBlock(): void {
        if (this.block.length > 0) {
            this.held.push(this.block);
            this.heldEnds.push(this.blockEnd);
        }
        // Released first, so that a session streaming alone reuses its own blocks.
        this.release();
        this.block = this.pool.take();
        this.used = 0;
    }
}
