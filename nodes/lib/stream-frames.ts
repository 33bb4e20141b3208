// Audio bookkeeping for a real-time recognition: the byte queues a session keeps and the rule that
// cuts them into frames the service accepts (websocket.md §1.5: 160–32768 bytes at 8 kHz,
// 320–65536 bytes at 16 kHz), whatever chunk sizes arrive.
import { bytesPerSecond, RASR_FORMATS, rateOfAudioFormat } from './audio-format';

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
    const max = rate === 8000 ? 32768 : 65536;
    const codec: SampleCodec = format.startsWith('alaw') ? 'alaw' : format.startsWith('ulaw') ? 'ulaw' : 'pcm';
    return {
        format,
        codec,
        rate,
        bytesPerSample: codec === 'pcm' ? 2 : 1,
        bytesPerSecond: perSecond,
        min: rate === 8000 ? 160 : 320,
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
 * follow the chunks as they come, up to `target` bytes (a backlog goes out in one-second frames).
 *
 * While the stream goes on, the newest `min` bytes are held back so that whatever ends the stream
 * — a short last chunk included — still forms a legal frame with them. At the end (`final`) the
 * rest is cut into legal frames; a rest below `min` is returned as it is, for the caller to pad.
 */
export function nextFrameSize(spec: FrameSpec, available: number, final: boolean): number {
    const unit = spec.bytesPerSample;
    const cap = spec.target;
    if (!final) {
        const sendable = alignDown(available - spec.min, unit);
        return sendable < spec.min ? 0 : Math.min(sendable, cap);
    }
    const rest = alignDown(available, unit);
    if (rest <= cap) return rest;
    // Never leave a piece below the minimum behind the last full frame.
    return rest - cap >= spec.min ? cap : alignDown(rest - spec.min, unit);
}

/** `frame` extended with silence to the minimum frame size. */
export function padToMinimum(spec: FrameSpec, frame: Buffer): Buffer {
    if (frame.length >= spec.min) return frame;
    const out = Buffer.alloc(spec.min, spec.silence);
    frame.copy(out);
    return out;
}

/**
 * A FIFO of bytes kept as the chunks that arrived (no copying until a frame is cut), with the
 * position of its first byte on the session's own timeline.
 */
export class ByteQueue {
    private chunks: Buffer[] = [];
    private head = 0;
    /** Bytes queued. */
    length = 0;
    /** Position of the first queued byte, counted from the start of the session's audio. */
    start = 0;

    get end(): number {
        return this.start + this.length;
    }

    push(buf: Buffer): void {
        if (buf.length === 0) return;
        this.length += buf.length;
        // Bytes that continue the last chunk in the same memory extend it, so frames stay views.
        const lastIndex = this.chunks.length - 1;
        const last = lastIndex >= this.head ? this.chunks[lastIndex] : undefined;
        if (last && last.buffer === buf.buffer && last.byteOffset + last.length === buf.byteOffset) {
            this.chunks[lastIndex] = Buffer.from(last.buffer, last.byteOffset, last.length + buf.length);
            return;
        }
        this.chunks.push(buf);
    }

    /** Puts `other`'s bytes in front of this queue's (they must end where this queue starts) and empties it. */
    prepend(other: ByteQueue): void {
        if (other.length === 0) return;
        this.chunks = [...other.live(), ...this.live()];
        this.head = 0;
        this.length += other.length;
        this.start = other.start;
        other.clear(other.end);
    }

    /**
     * The first `n` bytes as one buffer, left in the queue: a view when they lie in one chunk,
     * else a copy in `scratch` (valid until its next use) or, without one, in new memory. With
     * `shortest`, a first chunk of at least that many bytes (cut to a multiple of `unit`) is
     * returned alone rather than copied together with the next one (the caller accepts a shorter
     * frame).
     */
    peek(n: number, shortest = Number.POSITIVE_INFINITY, unit = 1, scratch?: Buffer): Buffer {
        const size = Math.min(n, this.length);
        const first = this.chunks[this.head];
        const part = first ? (first.length >= size ? size : first.length - (first.length % unit)) : 0;
        if (first && (part === size || part >= shortest))
            return part === first.length ? first : first.subarray(0, part);
        // Its own memory otherwise: a kept copy must not pin a slab of the shared pool.
        const out = scratch && scratch.length >= size ? scratch.subarray(0, size) : Buffer.allocUnsafeSlow(size);
        let filled = 0;
        for (let i = this.head; filled < size; i++) {
            const chunk = this.chunks[i];
            const k = Math.min(chunk.length, size - filled);
            chunk.copy(out, filled, 0, k);
            filled += k;
        }
        return out;
    }

    /** Removes and returns the first `n` bytes (see `peek`; a copy is always in new memory). */
    take(n: number, shortest = Number.POSITIVE_INFINITY, unit = 1): Buffer {
        const out = this.peek(n, shortest, unit);
        this.drop(out.length);
        return out;
    }

    /** Moves the first `n` bytes to the end of `to` as they are: views, no copy. */
    moveTo(n: number, to: ByteQueue): void {
        let left = Math.min(n, this.length);
        while (left > 0) {
            const chunk = this.chunks[this.head];
            const part = Math.min(chunk.length, left);
            to.push(part === chunk.length ? chunk : chunk.subarray(0, part));
            this.consume(part);
            left -= part;
        }
    }

    /** Drops the first `n` bytes. */
    drop(n: number): void {
        let left = Math.min(n, this.length);
        while (left > 0) {
            const part = Math.min(this.chunks[this.head].length, left);
            this.consume(part);
            left -= part;
        }
    }

    /** Empties the queue; the next byte will sit at `position`. */
    clear(position = this.end): void {
        this.chunks = [];
        this.head = 0;
        this.length = 0;
        this.start = position;
    }

    private consume(n: number): void {
        const chunk = this.chunks[this.head];
        if (n >= chunk.length) {
            this.chunks[this.head] = EMPTY;
            this.head++;
            if (this.head > 64 && this.head * 2 > this.chunks.length) {
                this.chunks = this.chunks.slice(this.head);
                this.head = 0;
            }
        } else {
            this.chunks[this.head] = chunk.subarray(n);
        }
        this.length -= n;
        this.start += n;
    }

    private live(): Buffer[] {
        return this.chunks.slice(this.head);
    }
}

const EMPTY = Buffer.alloc(0);

/** Size of the blocks a session copies its audio into: a quarter second of 16 kHz 16-bit audio. */
export const AUDIO_BLOCK_BYTES = 8 * 1024;

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
        let offset = 0;
        while (offset < data.length) {
            if (this.used === this.block.length) this.nextBlock();
            const n = Math.min(data.length - offset, this.block.length - this.used);
            data.copy(this.block, this.used, offset, offset + n);
            queue.push(this.block.subarray(this.used, this.used + n));
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
            this.held = [];
            this.heldEnds = [];
            this.heldHead = 0;
        } else if (this.heldHead > 64 && this.heldHead * 2 > this.held.length) {
            this.held = this.held.slice(this.heldHead);
            this.heldEnds = this.heldEnds.slice(this.heldHead);
            this.heldHead = 0;
        }
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
