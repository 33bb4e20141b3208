// Recognition of the other containers SIS takes: AAC (ADTS), OGG, FLAC, AMR, MP4/M4A and ASF/WMA.
// Over 300 lines because each format needs only a small reader, and they share every helper.
import { ascii, guidAt, guidBytes, has, info, msOf, u16le, u32be, u32le, u64be, u64le } from './bytes';
import type { AudioCodec, AudioInfo } from './types';

// ---------------------------------------------------------------------------------------------
// AAC ADTS
// ---------------------------------------------------------------------------------------------

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

interface AdtsFrame {
    sampleRate: number;
    channels: number;
    length: number;
    samples: number;
}

function adtsFrameAt(buf: Buffer, off: number): AdtsFrame | undefined {
    if (!has(buf, off, 7) || buf[off] !== 0xff || (buf[off + 1] & 0xf6) !== 0xf0) return undefined;
    const rateIndex = (buf[off + 2] >> 2) & 0xf;
    const chCfg = ((buf[off + 2] & 1) << 2) | (buf[off + 3] >> 6);
    const length = ((buf[off + 3] & 3) << 11) | (buf[off + 4] << 3) | (buf[off + 5] >> 5);
    const headerLength = buf[off + 1] & 1 ? 7 : 9;
    if (rateIndex >= AAC_RATES.length || length < headerLength) return undefined;
    return {
        sampleRate: AAC_RATES[rateIndex],
        channels: chCfg === 7 ? 8 : chCfg,
        length,
        samples: ((buf[off + 6] & 3) + 1) * 1024,
    };
}

export function sniffAdts(buf: Buffer, start: number): AudioInfo | undefined {
    const f = adtsFrameAt(buf, start);
    if (!f) return undefined;
    const next = start + f.length;
    if (next + 7 <= buf.length) {
        const g = adtsFrameAt(buf, next);
        if (!g || g.sampleRate !== f.sampleRate) return undefined;
    }
    let off = start;
    let samples = 0;
    let complete = true;
    while (off < buf.length) {
        const g = adtsFrameAt(buf, off);
        if (!g) {
            complete = false;
            break;
        }
        samples += g.samples;
        off += g.length;
    }
    return info({
        container: 'aac',
        codec: 'aac',
        sampleRate: f.sampleRate,
        // Channel configuration 0 means "defined in the stream": unknown here.
        channels: f.channels > 0 ? f.channels : undefined,
        durationMs: complete ? msOf(samples, f.sampleRate) : undefined,
    });
}

// ---------------------------------------------------------------------------------------------
// OGG (Opus, Vorbis, Speex, FLAC)
// ---------------------------------------------------------------------------------------------

interface OggPage {
    granule: number | undefined;
    serial: number;
    bodyOffset: number;
    bodyLength: number;
}

function oggPageAt(buf: Buffer, off: number): OggPage | undefined {
    if (ascii(buf, off, 4) !== 'OggS' || !has(buf, off, 27) || buf[off + 4] !== 0) return undefined;
    const segments = buf[off + 26];
    if (!has(buf, off + 27, segments)) return undefined;
    let bodyLength = 0;
    for (let i = 0; i < segments; i++) bodyLength += buf[off + 27 + i];
    const hi = buf.readUInt32LE(off + 10);
    const lo = buf.readUInt32LE(off + 6);
    // -1 means "no packet ends on this page".
    const granule = hi === 0xffffffff && lo === 0xffffffff ? undefined : hi * 2 ** 32 + lo;
    return { granule, serial: buf.readUInt32LE(off + 14), bodyOffset: off + 27 + segments, bodyLength };
}

/** The granule position of the last page of the same stream (the first page holds headers only). */
function lastGranule(buf: Buffer, serial: number): number | undefined {
    for (let off = buf.lastIndexOf('OggS'); off > 0; off = buf.lastIndexOf('OggS', off - 1)) {
        const page = oggPageAt(buf, off);
        if (page && page.serial === serial && page.granule !== undefined) return page.granule;
    }
    return undefined;
}

export function sniffOgg(buf: Buffer): AudioInfo | undefined {
    const page = oggPageAt(buf, 0);
    if (!page) return undefined;
    const p = page.bodyOffset;
    const granule = lastGranule(buf, page.serial);
    if (ascii(buf, p, 8) === 'OpusHead') {
        const rate = u32le(buf, p + 12);
        const preSkip = u16le(buf, p + 10) ?? 0;
        return info({
            container: 'ogg',
            codec: 'opus',
            sampleRate: rate ? rate : undefined, // 0 = input rate not recorded
            channels: has(buf, p + 9, 1) ? buf[p + 9] : undefined,
            // Opus granule positions always count 48 kHz samples.
            durationMs: granule !== undefined ? msOf(Math.max(0, granule - preSkip), 48000) : undefined,
        });
    }
    if (ascii(buf, p, 7) === '\x01vorbis') {
        const rate = u32le(buf, p + 12);
        return oggInfo('vorbis', rate, has(buf, p + 11, 1) ? buf[p + 11] : undefined, granule);
    }
    if (ascii(buf, p, 8) === 'Speex   ') {
        return oggInfo('speex', u32le(buf, p + 36), u32le(buf, p + 48), granule);
    }
    if (ascii(buf, p, 5) === '\x7fFLAC' && ascii(buf, p + 9, 4) === 'fLaC') {
        const si = streamInfoAt(buf, p + 13);
        return oggInfo('flac', si?.sampleRate, si?.channels, granule, si?.bitsPerSample);
    }
    return { container: 'ogg', codec: 'unknown' };
}

function oggInfo(
    codec: AudioCodec,
    rate: number | undefined,
    channels: number | undefined,
    granule: number | undefined,
    bitsPerSample?: number,
): AudioInfo {
    return info({
        container: 'ogg',
        codec,
        sampleRate: rate ? rate : undefined,
        channels: channels ? channels : undefined,
        bitsPerSample,
        durationMs: granule !== undefined && rate ? msOf(granule, rate) : undefined,
    });
}

// ---------------------------------------------------------------------------------------------
// FLAC
// ---------------------------------------------------------------------------------------------

interface StreamInfo {
    sampleRate: number;
    channels: number;
    bitsPerSample: number;
    totalSamples: number;
}

/** STREAMINFO block header (4 bytes) + 34 bytes of body at `off`. */
function streamInfoAt(buf: Buffer, off: number): StreamInfo | undefined {
    if (!has(buf, off, 4 + 18) || (buf[off] & 0x7f) !== 0) return undefined;
    const d = off + 4;
    const sampleRate = (buf[d + 10] << 12) | (buf[d + 11] << 4) | (buf[d + 12] >> 4);
    const channels = ((buf[d + 12] >> 1) & 7) + 1;
    const bitsPerSample = (((buf[d + 12] & 1) << 4) | (buf[d + 13] >> 4)) + 1;
    const totalSamples = (buf[d + 13] & 0xf) * 2 ** 32 + buf.readUInt32BE(d + 14);
    return { sampleRate, channels, bitsPerSample, totalSamples };
}

export function sniffFlac(buf: Buffer, start: number): AudioInfo | undefined {
    if (ascii(buf, start, 4) !== 'fLaC') return undefined;
    const si = streamInfoAt(buf, start + 4);
    if (!si) return { container: 'flac', codec: 'flac' };
    return info({
        container: 'flac',
        codec: 'flac',
        sampleRate: si.sampleRate || undefined,
        channels: si.channels,
        bitsPerSample: si.bitsPerSample,
        // 0 total samples means "unknown".
        durationMs: si.totalSamples > 0 ? msOf(si.totalSamples, si.sampleRate) : undefined,
    });
}

// ---------------------------------------------------------------------------------------------
// AMR
// ---------------------------------------------------------------------------------------------

// Frame sizes in bytes including the one-byte header, indexed by frame type (RFC 4867 §5.3).
const AMR_NB_FRAME = [13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1];
const AMR_WB_FRAME = [18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1];

export function sniffAmr(buf: Buffer): AudioInfo | undefined {
    const wb = ascii(buf, 0, 9) === '#!AMR-WB\n';
    if (!wb && ascii(buf, 0, 6) !== '#!AMR\n') return undefined;
    const sizes = wb ? AMR_WB_FRAME : AMR_NB_FRAME;
    let off = wb ? 9 : 6;
    let frames = 0;
    while (off < buf.length) {
        off += sizes[(buf[off] >> 3) & 0xf];
        frames++;
    }
    return {
        container: 'amr',
        codec: wb ? 'amr-wb' : 'amr-nb',
        sampleRate: wb ? 16000 : 8000,
        channels: 1,
        durationMs: frames * 20, // 20 ms per frame
    };
}

// ---------------------------------------------------------------------------------------------
// MP4 / M4A (ISO base media)
// ---------------------------------------------------------------------------------------------

interface Box {
    type: string;
    body: number;
    end: number;
}

function boxes(buf: Buffer, start: number, end: number): Box[] {
    const out: Box[] = [];
    let off = start;
    while (off + 8 <= end && out.length < 1024) {
        let size = buf.readUInt32BE(off);
        const type = ascii(buf, off, 4 + 4).slice(4);
        let body = off + 8;
        if (size === 1) {
            size = u64be(buf, off + 8) ?? 0;
            body += 8;
        } else if (size === 0) {
            size = end - off; // box runs to the end
        }
        if (size < body - off) break;
        out.push({ type, body, end: Math.min(off + size, end) });
        off += size;
    }
    return out;
}

function child(buf: Buffer, parent: Box, type: string): Box | undefined {
    return boxes(buf, parent.body, parent.end).find((b) => b.type === type);
}

function path(buf: Buffer, from: Box, types: readonly string[]): Box | undefined {
    let box: Box | undefined = from;
    for (const t of types) {
        if (!box) return undefined;
        box = child(buf, box, t);
    }
    return box;
}

interface Mp4Audio {
    codec: AudioCodec;
    sampleRate?: number;
    channels?: number;
    bitsPerSample?: number;
    durationMs?: number;
}

const MP4_CODECS: Readonly<Record<string, AudioCodec>> = {
    mp4a: 'aac',
    alac: 'alac',
    Opus: 'opus',
    fLaC: 'flac',
    samr: 'amr-nb',
    sawb: 'amr-wb',
    '.mp3': 'mp3',
};

/** Reads an MPEG-4 descriptor length (up to four 7-bit groups). */
function descriptorAt(buf: Buffer, off: number, end: number): { tag: number; body: number; len: number } | undefined {
    if (off + 2 > end) return undefined;
    let len = 0;
    let p = off + 1;
    for (let i = 0; i < 4 && p < end; i++, p++) {
        len = (len << 7) | (buf[p] & 0x7f);
        if (!(buf[p] & 0x80)) return { tag: buf[off], body: p + 1, len };
    }
    return undefined;
}

/** AudioSpecificConfig from an `esds` box: the real rate/channels of an AAC track. */
function parseEsds(buf: Buffer, esds: Box): { codec: AudioCodec; sampleRate?: number; channels?: number } {
    const es = descriptorAt(buf, esds.body + 4, esds.end);
    if (es?.tag !== 0x03) return { codec: 'aac' };
    const flags = buf[es.body + 2] ?? 0;
    let p = es.body + 3;
    if (flags & 0x80) p += 2; // streamDependenceFlag
    if (flags & 0x40) p += 1 + (buf[p] ?? 0); // URL_Flag
    if (flags & 0x20) p += 2; // OCRstreamFlag
    const dc = descriptorAt(buf, p, esds.end);
    if (dc?.tag !== 0x04 || !has(buf, dc.body, 13)) return { codec: 'aac' };
    const objectType = buf[dc.body];
    // 0x69 / 0x6B are MPEG-2 / MPEG-1 audio (MP3 in MP4).
    if (objectType === 0x69 || objectType === 0x6b) return { codec: 'mp3' };
    const dsi = descriptorAt(buf, dc.body + 13, esds.end);
    if (dsi?.tag !== 0x05 || !has(buf, dsi.body, 2)) return { codec: 'aac' };
    const asc = buf.readUInt16BE(dsi.body);
    const rateIndex = (asc >> 7) & 0xf;
    const chCfg = (asc >> 3) & 0xf;
    // Index 15 means an explicit 24-bit rate follows; rare enough to leave to the sample entry.
    return {
        codec: 'aac',
        sampleRate: rateIndex < AAC_RATES.length ? AAC_RATES[rateIndex] : undefined,
        channels: chCfg > 0 && chCfg < 7 ? chCfg : chCfg === 7 ? 8 : undefined,
    };
}

function parseSampleEntry(buf: Buffer, stsd: Box): Mp4Audio | undefined {
    const entry = boxes(buf, stsd.body + 8, stsd.end)[0];
    if (!entry) return undefined;
    const codec = MP4_CODECS[entry.type];
    if (!codec) return { codec: 'unknown' };
    const e = entry.body;
    if (!has(buf, e, 28)) return { codec };
    const version = buf.readUInt16BE(e + 8);
    const out: Mp4Audio = {
        codec,
        channels: buf.readUInt16BE(e + 16) || undefined,
        bitsPerSample: buf.readUInt16BE(e + 18) || undefined,
        sampleRate: buf.readUInt16BE(e + 24) || undefined, // integer part of 16.16
    };
    const childStart = e + 28 + (version === 1 ? 16 : version === 2 ? 36 : 0);
    const esds = boxes(buf, childStart, entry.end).find((b) => b.type === 'esds');
    if (esds && codec === 'aac') {
        const asc = parseEsds(buf, esds);
        out.codec = asc.codec;
        out.sampleRate = asc.sampleRate ?? out.sampleRate;
        out.channels = asc.channels ?? out.channels;
    }
    if (out.codec === 'aac' || out.codec === 'mp3') out.bitsPerSample = undefined;
    return out;
}

function mdhdDurationMs(buf: Buffer, mdhd: Box | undefined): number | undefined {
    if (!mdhd || !has(buf, mdhd.body, 4)) return undefined;
    const v1 = buf[mdhd.body] === 1;
    const timescale = u32be(buf, mdhd.body + (v1 ? 20 : 12));
    const duration = v1 ? u64be(buf, mdhd.body + 24) : u32be(buf, mdhd.body + 16);
    if (!timescale || duration === undefined || duration === 0xffffffff) return undefined;
    return msOf(duration, timescale);
}

export function sniffMp4(buf: Buffer): AudioInfo | undefined {
    if (ascii(buf, 4, 4) !== 'ftyp') return undefined;
    const top: Box = { type: '', body: 0, end: buf.length };
    const moov = child(buf, top, 'moov');
    const traks = moov ? boxes(buf, moov.body, moov.end).filter((b) => b.type === 'trak') : [];
    for (const trak of traks) {
        const mdia = child(buf, trak, 'mdia');
        if (!mdia) continue;
        const hdlr = child(buf, mdia, 'hdlr');
        if (hdlr && ascii(buf, hdlr.body + 8, 4) !== 'soun') continue;
        const stsd = path(buf, mdia, ['minf', 'stbl', 'stsd']);
        const audio = stsd ? parseSampleEntry(buf, stsd) : undefined;
        if (!audio) continue;
        return info({ container: 'mp4', ...audio, durationMs: mdhdDurationMs(buf, child(buf, mdia, 'mdhd')) });
    }
    return { container: 'mp4', codec: 'unknown' };
}

// ---------------------------------------------------------------------------------------------
// ASF (WMA)
// ---------------------------------------------------------------------------------------------

const ASF_HEADER = guidBytes('75B22630-668E-11CF-A6D9-00AA0062CE6C');
const ASF_FILE_PROPERTIES = guidBytes('8CABDCA1-A947-11CF-8EE4-00C00C205365');
const ASF_STREAM_PROPERTIES = guidBytes('B7DC0791-A9B7-11CF-8EE6-00C00C205365');
const ASF_AUDIO_MEDIA = guidBytes('F8699E40-5B4D-11CF-A8FD-00805F5C442B');

export function sniffAsf(buf: Buffer): AudioInfo | undefined {
    if (!guidAt(buf, 0, ASF_HEADER)) return undefined;
    const out: AudioInfo = { container: 'asf', codec: 'wma' };
    const headerEnd = Math.min(buf.length, u64le(buf, 16) ?? 0);
    let off = 30;
    for (let n = 0; off + 24 <= headerEnd && n < 256; n++) {
        const size = u64le(buf, off + 16) ?? 0;
        if (size < 24) break;
        if (guidAt(buf, off, ASF_FILE_PROPERTIES)) {
            const play = u64le(buf, off + 64); // 100 ns units
            const preroll = u64le(buf, off + 80); // ms
            if (play !== undefined && preroll !== undefined) {
                out.durationMs = Math.max(0, Math.round(play / 10000 - preroll));
            }
        } else if (guidAt(buf, off, ASF_STREAM_PROPERTIES) && guidAt(buf, off + 24, ASF_AUDIO_MEDIA)) {
            // WAVEFORMATEX follows the fixed part of the stream properties object.
            const wf = off + 78;
            if (has(buf, wf, 16) && out.sampleRate === undefined) {
                out.channels = buf.readUInt16LE(wf + 2);
                out.sampleRate = buf.readUInt32LE(wf + 4);
                out.bitsPerSample = buf.readUInt16LE(wf + 14) || undefined;
            }
        }
        off += size;
    }
    return info(out);
}
