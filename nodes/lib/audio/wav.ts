// WAV (RIFF, RF64, WAVE_FORMAT_EXTENSIBLE): header parsing for the sniffer and for joining TTS output.
import { ascii, guidBytes, has, info, u16le, u64le } from './bytes';
import type { AudioInfo } from './types';

// ---------------------------------------------------------------------------------------------
// WAV
// ---------------------------------------------------------------------------------------------

export type WavCodec = 'pcm' | 'float' | 'alaw' | 'ulaw' | 'ms-adpcm' | 'ima-adpcm' | 'mp3' | 'unknown';

export interface WavHeader {
    codec: WavCodec;
    /** WAVE format tag; for WAVE_FORMAT_EXTENSIBLE, the tag of the subformat. */
    formatTag: number;
    sampleRate: number;
    channels: number;
    bitsPerSample: number;
    blockAlign: number;
    byteRate: number;
    /** offset of the first sample byte */
    dataOffset: number;
    /** size the header declares; undefined when a streaming writer left it open (0 or 0xFFFFFFFF) */
    declaredDataLength?: number;
}

const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
const KSDATAFORMAT_SUFFIX = guidBytes('00000000-0000-0010-8000-00aa00389b71').subarray(4);

const WAV_CODECS: Readonly<Record<number, WavCodec>> = {
    1: 'pcm',
    2: 'ms-adpcm',
    3: 'float',
    6: 'alaw',
    7: 'ulaw',
    17: 'ima-adpcm',
    85: 'mp3',
};

/** The fields of a `fmt ` chunk (what a canonical header writes, see tts/join's wavHeader). */
export interface WavFormat {
    formatTag: number;
    channels: number;
    sampleRate: number;
    byteRate: number;
    blockAlign: number;
    bitsPerSample: number;
}

function parseFmtChunk(buf: Buffer, off: number, size: number): WavFormat | undefined {
    if (size < 14 || !has(buf, off, 14)) return undefined;
    let formatTag = buf.readUInt16LE(off);
    const bitsPerSample = size >= 16 ? (u16le(buf, off + 14) ?? 0) : 0;
    // WAVE_FORMAT_EXTENSIBLE keeps the real format code in the first two bytes of its subformat GUID.
    if (formatTag === WAVE_FORMAT_EXTENSIBLE && size >= 40 && has(buf, off + 24, 16)) {
        const sub = off + 24;
        formatTag = buf.compare(KSDATAFORMAT_SUFFIX, 0, 12, sub + 4, sub + 16) === 0 ? buf.readUInt16LE(sub) : 0;
    }
    return {
        formatTag,
        channels: buf.readUInt16LE(off + 2),
        sampleRate: buf.readUInt32LE(off + 4),
        byteRate: buf.readUInt32LE(off + 8),
        blockAlign: buf.readUInt16LE(off + 12),
        bitsPerSample,
    };
}

/** True when the buffer starts like a WAV file (RIFF/RF64 … WAVE). */
export function isWavStart(buf: Buffer): boolean {
    const riff = ascii(buf, 0, 4);
    return (riff === 'RIFF' || riff === 'RF64') && ascii(buf, 8, 4) === 'WAVE';
}

interface WavScan {
    fmt?: WavFormat;
    dataOffset?: number;
    declared?: number;
}

/** RF64 keeps the real 64-bit data size in its `ds64` chunk. */
function rf64DataSize(buf: Buffer): number | undefined {
    if (ascii(buf, 0, 4) !== 'RF64' || ascii(buf, 12, 4) !== 'ds64') return undefined;
    return u64le(buf, 28);
}

function scanWavChunks(buf: Buffer): WavScan {
    const scan: WavScan = {};
    let off = 12;
    while (has(buf, off, 8)) {
        const id = ascii(buf, off, 4);
        const size = buf.readUInt32LE(off + 4);
        const body = off + 8;
        if (id === 'fmt ') {
            scan.fmt = parseFmtChunk(buf, body, size);
        } else if (id === 'data') {
            scan.dataOffset = body;
            const open = size === 0 || size === 0xffffffff;
            scan.declared = open ? rf64DataSize(buf) : size;
            // The data chunk usually runs to the end; only look further when fmt is still missing.
            if (scan.fmt || open) return scan;
        }
        // Chunks are word-aligned: an odd size is followed by one pad byte.
        off = body + size + (size & 1);
    }
    return scan;
}

/**
 * Reads a WAV header from the start of `buf` (typically the first chunk of a stream: the data may
 * continue in later chunks). Undefined when the bytes are not a WAV header or the header is cut
 * before the start of the `data` chunk.
 */
export function parseWavHeader(buf: Buffer): WavHeader | undefined {
    if (!isWavStart(buf)) return undefined;
    const { fmt, dataOffset, declared } = scanWavChunks(buf);
    if (!fmt || dataOffset === undefined) return undefined;
    const header: WavHeader = {
        codec: WAV_CODECS[fmt.formatTag] ?? 'unknown',
        formatTag: fmt.formatTag,
        sampleRate: fmt.sampleRate,
        channels: fmt.channels,
        bitsPerSample: fmt.bitsPerSample,
        blockAlign: fmt.blockAlign,
        byteRate: fmt.byteRate,
        dataOffset,
    };
    if (declared !== undefined) header.declaredDataLength = declared;
    return header;
}

export function sniffWav(buf: Buffer): AudioInfo | undefined {
    if (!isWavStart(buf)) return undefined;
    const h = parseWavHeader(buf);
    if (!h) {
        // A WAV whose header is cut short: say what we can.
        const { fmt } = scanWavChunks(buf);
        if (!fmt) return { container: 'wav', codec: 'unknown' };
        return info({
            container: 'wav',
            codec: WAV_CODECS[fmt.formatTag] ?? 'unknown',
            sampleRate: fmt.sampleRate,
            channels: fmt.channels,
            bitsPerSample: fmt.bitsPerSample,
        });
    }
    const available = Math.max(0, buf.length - h.dataOffset);
    const dataLength = h.declaredDataLength === undefined ? available : Math.min(h.declaredDataLength, available);
    const byteRate = wavByteRate(h);
    return info({
        container: 'wav',
        codec: h.codec,
        sampleRate: h.sampleRate,
        channels: h.channels,
        bitsPerSample: h.bitsPerSample,
        durationMs: byteRate > 0 ? Math.round((dataLength * 1000) / byteRate) : undefined,
        dataOffset: h.dataOffset,
        dataLength,
    });
}

/** For linear and G.711 formats the byte rate follows from the layout; trust the header otherwise. */
function wavByteRate(h: WavHeader): number {
    const linear = h.codec === 'pcm' || h.codec === 'float' || h.codec === 'alaw' || h.codec === 'ulaw';
    if (linear && h.channels > 0 && h.bitsPerSample > 0) {
        return h.sampleRate * h.channels * Math.ceil(h.bitsPerSample / 8);
    }
    return h.byteRate;
}
