// MPEG audio frames, as far as joining synthesized MP3 needs them: frame headers and lengths,
// ID3v2 tags in front, and the Xing/Info/VBRI frame whose counts describe only its own file.
// Every reader stays within bounds and never throws.

export interface Mp3FrameHeader {
    /** 1 (MPEG-1), 2 (MPEG-2) or 2.5 (MPEG-2.5) */
    version: 1 | 2 | 2.5;
    layer: 1 | 2 | 3;
    bitrateKbps: number;
    sampleRate: number;
    padding: boolean;
    mono: boolean;
    /** bytes of the whole frame, header included */
    length: number;
    samples: number;
}

const BITRATES: Readonly<Record<string, readonly number[]>> = {
    '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    '2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};

const RATES: Readonly<Record<string, readonly number[]>> = {
    '1': [44100, 48000, 32000],
    '2': [22050, 24000, 16000],
    '2.5': [11025, 12000, 8000],
};

/** The frame header at `off`, or undefined when there is none (free-format frames included). */
export function parseMp3Frame(buf: Buffer, off: number): Mp3FrameHeader | undefined {
    if (off < 0 || off + 4 > buf.length) return undefined;
    const b1 = buf[off + 1];
    const b2 = buf[off + 2];
    if (buf[off] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
    const versionBits = (b1 >> 3) & 3;
    const layerBits = (b1 >> 1) & 3;
    const bitrateIndex = b2 >> 4;
    const rateIndex = (b2 >> 2) & 3;
    if (versionBits === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) {
        return undefined;
    }
    const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
    const layer = (4 - layerBits) as 1 | 2 | 3;
    const bitrateKbps = BITRATES[`${version === 1 ? 1 : 2}-${layer}`][bitrateIndex];
    const sampleRate = RATES[String(version)][rateIndex];
    const padding = ((b2 >> 1) & 1) === 1;
    const bitrate = bitrateKbps * 1000;
    let length: number;
    let samples: number;
    if (layer === 1) {
        length = (Math.floor((12 * bitrate) / sampleRate) + (padding ? 1 : 0)) * 4;
        samples = 384;
    } else if (layer === 2 || version === 1) {
        length = Math.floor((144 * bitrate) / sampleRate) + (padding ? 1 : 0);
        samples = 1152;
    } else {
        length = Math.floor((72 * bitrate) / sampleRate) + (padding ? 1 : 0);
        samples = 576;
    }
    return { version, layer, bitrateKbps, sampleRate, padding, mono: buf[off + 3] >> 6 === 3, length, samples };
}

/** Total size of the ID3v2 tag at `off` (header, body, footer), 0 when none, -1 when cut short. */
export function id3v2Size(buf: Buffer, off: number): number {
    if (off + 3 > buf.length) return 0;
    if (buf.toString('latin1', off, off + 3) !== 'ID3') return 0;
    if (off + 10 > buf.length) return -1;
    const flags = buf[off + 5];
    const size = ((buf[off + 6] & 0x7f) << 21) | ((buf[off + 7] & 0x7f) << 14) | ((buf[off + 8] & 0x7f) << 7);
    return 10 + (size | (buf[off + 9] & 0x7f)) + (flags & 0x10 ? 10 : 0);
}

/** End of the ID3v2 tags at the start of `buf` (several may follow each other), -1 when cut short. */
export function id3v2End(buf: Buffer): number {
    let off = 0;
    for (;;) {
        const size = id3v2Size(buf, off);
        if (size < 0) return -1;
        if (size === 0) return off;
        off += size;
    }
}

/**
 * True when the frame at `off` is an encoder's information frame (Xing, Info or VBRI): it holds
 * no audio, and its frame and byte counts describe one file only.
 */
export function isInfoFrame(buf: Buffer, off: number, frame: Mp3FrameHeader): boolean {
    const side = frame.version === 1 ? (frame.mono ? 17 : 32) : frame.mono ? 9 : 17;
    const protectedByCrc = (buf[off + 1] & 1) === 0;
    const tagAt = (at: number, tags: readonly string[]): boolean =>
        at + 4 <= off + frame.length && at + 4 <= buf.length && tags.includes(buf.toString('latin1', at, at + 4));
    return (
        tagAt(off + 4 + side, ['Xing', 'Info']) ||
        (protectedByCrc && tagAt(off + 6 + side, ['Xing', 'Info'])) ||
        tagAt(off + 36, ['VBRI'])
    );
}

/** The first offset from `from` where two frames follow each other (or one ends the buffer). */
function findSync(buf: Buffer, from: number): number {
    for (let off = from; off + 4 <= buf.length; off++) {
        const frame = parseMp3Frame(buf, off);
        if (!frame) continue;
        const next = off + frame.length;
        if (next === buf.length || parseMp3Frame(buf, next)) return off;
    }
    return -1;
}

/** True when `buf` from `off` is only an ID3v1 tag (128 bytes starting with `TAG`). */
export function isId3v1(buf: Buffer, off: number): boolean {
    return buf.length - off === 128 && buf.toString('latin1', off, off + 3) === 'TAG';
}

export interface Mp3Layout {
    /** bytes of the ID3v2 tags at the start */
    id3End: number;
    /** audio frames: `[start, end)`, information frame excluded */
    start: number;
    end: number;
    frames: number;
    samples: number;
    sampleRate?: number;
    /** whether any frame (an information frame included) was found */
    synced: boolean;
}

/**
 * Where the audio frames of one MP3 file are: after its ID3v2 tags and information frame, up to
 * the last whole frame (a trailing ID3v1/APE tag or a cut frame is left out).
 */
export function mp3Layout(buf: Buffer): Mp3Layout {
    const tags = id3v2End(buf);
    const id3End = tags < 0 ? buf.length : tags;
    let start = findSync(buf, id3End);
    // A single frame followed by a trailing tag has no second frame to confirm it.
    if (start < 0 && parseMp3Frame(buf, id3End)) start = id3End;
    if (start < 0) return { id3End, start: id3End, end: id3End, frames: 0, samples: 0, synced: false };
    const first = parseMp3Frame(buf, start);
    if (first && start + first.length <= buf.length && isInfoFrame(buf, start, first)) start += first.length;
    let off = start;
    let frames = 0;
    let samples = 0;
    let sampleRate: number | undefined;
    for (;;) {
        const frame = parseMp3Frame(buf, off);
        if (!frame || off + frame.length > buf.length) break;
        sampleRate ??= frame.sampleRate;
        frames++;
        samples += frame.samples;
        off += frame.length;
    }
    return { id3End, start, end: off, frames, samples, sampleRate, synced: true };
}

/**
 * Drops what must not be repeated at the start of a stream of MP3 bytes arriving in pieces: the
 * ID3v2 tags (unless kept, for the first file of a stream) and the information frame. Bytes are
 * held only until that is decided, then pass straight through.
 */
export class Mp3HeadFilter {
    private held: Buffer[] = [];
    private heldBytes = 0;
    private decided = false;

    constructor(
        private readonly keepId3: boolean,
        /** give up looking after this many bytes (a tag this large is not worth holding audio for) */
        private readonly maxHold = 256 * 1024,
    ) {}

    push(chunk: Buffer): Buffer {
        if (this.decided) return chunk;
        this.held.push(chunk);
        this.heldBytes += chunk.length;
        return this.decide(false);
    }

    /** The bytes still held, at the end of the stream. */
    flush(): Buffer {
        return this.decided ? Buffer.alloc(0) : this.decide(true);
    }

    private decide(final: boolean): Buffer {
        const buf = Buffer.concat(this.held, this.heldBytes);
        const give = (keep: Buffer): Buffer => {
            this.decided = true;
            this.held = [];
            this.heldBytes = 0;
            return keep;
        };
        if (buf.length > this.maxHold) return give(buf);
        // Could still be the start of an ID3 tag.
        if (!final && buf.length < 3 && 'ID3'.startsWith(buf.toString('latin1'))) return Buffer.alloc(0);
        const tags = id3v2End(buf);
        if (tags < 0) return final ? give(this.keepId3 ? buf : Buffer.alloc(0)) : Buffer.alloc(0);
        const id3 = buf.subarray(0, tags);
        const rest = buf.subarray(tags);
        const head = this.keepId3 ? id3 : Buffer.alloc(0);
        const frame = parseMp3Frame(rest, 0);
        if (!frame) {
            if (!final && rest.length < 4) return Buffer.alloc(0);
            return give(Buffer.concat([head, rest]));
        }
        if (rest.length < frame.length) return final ? give(Buffer.concat([head, rest])) : Buffer.alloc(0);
        const audio = isInfoFrame(rest, 0, frame) ? rest.subarray(frame.length) : rest;
        return give(Buffer.concat([head, audio]));
    }
}
