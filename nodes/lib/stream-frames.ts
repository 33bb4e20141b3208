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
     * Removes and returns the first `n` bytes (a view when they lie in one chunk). With `shortest`,
     * a first chunk of at least that many bytes (cut to a multiple of `unit`) is returned alone
     * rather than copied together with the next one (the caller accepts a shorter frame).
     */
    take(n: number, shortest = Number.POSITIVE_INFINITY, unit = 1): Buffer {
        const size = Math.min(n, this.length);
        const first = this.chunks[this.head];
        let out: Buffer;
        const part = first ? (first.length >= size ? size : first.length - (first.length % unit)) : 0;
        if (first && (part === size || part >= shortest)) {
            out = part === first.length ? first : first.subarray(0, part);
            this.consume(part);
            return out;
        }
        // Its own memory: a kept frame must not pin a slab of the shared pool.
        out = Buffer.allocUnsafeSlow(size);
        let filled = 0;
        while (filled < size) {
            const chunk = this.chunks[this.head];
            const part = Math.min(chunk.length, size - filled);
            chunk.copy(out, filled, 0, part);
            filled += part;
            this.consume(part);
        }
        return out;
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
 * Copies incoming audio into blocks the session owns. Chunks then sit back to back in memory, so
 * frames cut from them are views (no copy per frame), and the audio kept for a replay holds no
 * one else's memory: neither the caller's buffers nor slabs shared with other sessions.
 */
export class AudioBlocks {
    private block: Buffer = EMPTY;
    private used = 0;

    constructor(private readonly size = AUDIO_BLOCK_BYTES) {}

    /** Copies `data` to the end of `queue`. */
    write(data: Buffer, queue: ByteQueue): void {
        let offset = 0;
        while (offset < data.length) {
            if (this.used === this.block.length) {
                this.block = Buffer.allocUnsafeSlow(this.size);
                this.used = 0;
            }
            const n = Math.min(data.length - offset, this.block.length - this.used);
            data.copy(this.block, this.used, offset, offset + n);
            queue.push(this.block.subarray(this.used, this.used + n));
            this.used += n;
            offset += n;
        }
    }
}
