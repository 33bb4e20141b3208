// MP3 recognition for the sniffer: ID3v2 tags, confirmed layer III frames, duration.
import { ascii, has, info, msOf, u32be } from './bytes';
import { type Mp3FrameHeader, parseMp3Frame } from './mp3';
import type { AudioInfo } from './types';

// ---------------------------------------------------------------------------------------------
// ID3v2 (in front of MP3, ADTS and sometimes FLAC)
// ---------------------------------------------------------------------------------------------

/** Offset after any ID3v2 tags at the start of the buffer. */
export function skipId3(buf: Buffer): number {
    let off = 0;
    while (ascii(buf, off, 3) === 'ID3' && has(buf, off, 10)) {
        const s = [buf[off + 6], buf[off + 7], buf[off + 8], buf[off + 9]];
        if (s.some((b) => b & 0x80)) break; // not synchsafe: not a tag
        const size = (s[0] << 21) | (s[1] << 14) | (s[2] << 7) | s[3];
        const footer = buf[off + 5] & 0x10 ? 10 : 0;
        off += 10 + size + footer;
    }
    return off;
}

// ---------------------------------------------------------------------------------------------
// MP3 (MPEG 1/2/2.5 layer III)
// ---------------------------------------------------------------------------------------------

type MpegFrame = Mp3FrameHeader;

/** Only layer III frames count: SIS takes no MP1/MP2 audio. */
function mpegFrameAt(buf: Buffer, off: number): MpegFrame | undefined {
    const f = parseMp3Frame(buf, off);
    return f?.layer === 3 ? f : undefined;
}

function sameStream(a: MpegFrame, b: MpegFrame): boolean {
    return a.version === b.version && a.sampleRate === b.sampleRate;
}

/** A frame header that is followed by another one (or by the end of the buffer) is trusted. */
function confirmedMpegFrame(buf: Buffer, off: number): MpegFrame | undefined {
    const f = mpegFrameAt(buf, off);
    if (!f) return undefined;
    const next = off + f.length;
    if (next + 4 > buf.length) return f;
    const g = mpegFrameAt(buf, next);
    return g && sameStream(f, g) ? f : undefined;
}

/** Frame count from a Xing/Info header in the first frame, if any. */
function xingFrames(buf: Buffer, off: number, f: MpegFrame): number | undefined {
    const sideInfo = f.version === 1 ? (f.mono ? 17 : 32) : f.mono ? 9 : 17;
    const x = off + 4 + sideInfo;
    const tag = ascii(buf, x, 4);
    if (tag !== 'Xing' && tag !== 'Info') return undefined;
    const flags = u32be(buf, x + 4);
    return flags !== undefined && flags & 1 ? u32be(buf, x + 8) : undefined;
}

/** Walks the frames; the count is exact when the walk reaches the end of the buffer. */
function countMpegFrames(buf: Buffer, start: number, first: MpegFrame): { frames: number; complete: boolean } {
    let off = start;
    let frames = 0;
    while (off < buf.length) {
        const f = mpegFrameAt(buf, off);
        if (!f || !sameStream(first, f)) {
            // An ID3v1 tag may close the file.
            return { frames, complete: buf.length - off === 128 && ascii(buf, off, 3) === 'TAG' };
        }
        frames++;
        off += f.length;
    }
    return { frames, complete: true };
}

const MPEG_SEARCH_WINDOW = 64 * 1024;

export function sniffMp3(buf: Buffer, start: number): AudioInfo | undefined {
    // Without an ID3 tag the stream must start at once; after a tag some padding is tolerated.
    const limit = start > 0 ? Math.min(buf.length, start + MPEG_SEARCH_WINDOW) : 1;
    for (let off = start; off < limit; off++) {
        const f = confirmedMpegFrame(buf, off);
        if (f) return mp3Info(buf, off, f);
    }
    return undefined;
}

function mp3Info(buf: Buffer, off: number, f: MpegFrame): AudioInfo {
    const xing = xingFrames(buf, off, f);
    let durationMs: number | undefined;
    if (xing !== undefined) {
        durationMs = msOf(xing * f.samples, f.sampleRate);
    } else {
        const walk = countMpegFrames(buf, off, f);
        durationMs = walk.complete
            ? msOf(walk.frames * f.samples, f.sampleRate)
            : Math.round(((buf.length - off) * 8) / f.bitrateKbps);
    }
    return info({ container: 'mp3', codec: 'mp3', sampleRate: f.sampleRate, channels: f.mono ? 1 : 2, durationMs });
}
