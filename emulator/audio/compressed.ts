// Containers we only measure (duration, rate, channels), never decode: AMR, ADTS AAC, Ogg
// (Opus/Vorbis/Speex) and MP4/M4A. Recognition then treats the whole file as one utterance.

export interface ContainerInfo {
    codec: 'amr' | 'amrwb' | 'aac' | 'ogg' | 'm4a';
    sampleRate: number;
    channels: number;
    durationMs: number;
}

const AMR_NB_BYTES = [13, 14, 16, 18, 20, 21, 27, 32, 6, 7, 6, 6, 1, 1, 1, 1];
const AMR_WB_BYTES = [18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1];
const ADTS_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

function parseAmr(buf: Buffer): ContainerInfo | undefined {
    const wide = buf.toString('latin1', 0, 9) === '#!AMR-WB\n';
    if (!wide && buf.toString('latin1', 0, 6) !== '#!AMR\n') return undefined;
    const sizes = wide ? AMR_WB_BYTES : AMR_NB_BYTES;
    let pos = wide ? 9 : 6;
    let frames = 0;
    while (pos < buf.length) {
        pos += sizes[(buf[pos] >> 3) & 0x0f];
        frames++;
    }
    return { codec: wide ? 'amrwb' : 'amr', sampleRate: wide ? 16000 : 8000, channels: 1, durationMs: frames * 20 };
}

function parseAdts(buf: Buffer): ContainerInfo | undefined {
    let pos = 0;
    let samples = 0;
    let rate = 0;
    let channels = 0;
    while (pos + 7 <= buf.length && buf[pos] === 0xff && (buf[pos + 1] & 0xf6) === 0xf0) {
        const rateIndex = (buf[pos + 2] >> 2) & 0x0f;
        rate = ADTS_RATES[rateIndex] ?? 0;
        channels = ((buf[pos + 2] & 1) << 2) | (buf[pos + 3] >> 6);
        const length = ((buf[pos + 3] & 3) << 11) | (buf[pos + 4] << 3) | (buf[pos + 5] >> 5);
        if (!rate || length < 7) break;
        samples += 1024 * ((buf[pos + 6] & 3) + 1);
        pos += length;
    }
    if (!rate || samples === 0) return undefined;
    return { codec: 'aac', sampleRate: rate, channels: channels || 1, durationMs: Math.round((samples * 1000) / rate) };
}

function parseOgg(buf: Buffer): ContainerInfo | undefined {
    if (buf.toString('latin1', 0, 4) !== 'OggS' || buf.length < 28) return undefined;
    const segments = buf[26];
    const body = 27 + segments;
    let rate = 0;
    let channels = 1;
    let granuleRate = 0;
    let preSkip = 0;
    if (buf.toString('latin1', body, body + 8) === 'OpusHead') {
        channels = buf[body + 9];
        preSkip = buf.readUInt16LE(body + 10);
        rate = buf.readUInt32LE(body + 12) || 48000;
        granuleRate = 48000; // Opus granule positions always count 48 kHz samples
    } else if (buf.toString('latin1', body + 1, body + 7) === 'vorbis') {
        channels = buf[body + 11];
        rate = granuleRate = buf.readUInt32LE(body + 12);
    } else if (buf.toString('latin1', body, body + 8) === 'Speex   ') {
        rate = granuleRate = buf.readUInt32LE(body + 36);
        channels = buf.readUInt32LE(body + 48);
    } else return undefined;
    const last = buf.lastIndexOf('OggS');
    const granule = Number(buf.readBigUInt64LE(last + 6));
    return {
        codec: 'ogg',
        sampleRate: rate,
        channels,
        durationMs: Math.max(0, Math.round(((granule - preSkip) * 1000) / granuleRate)),
    };
}

function parseMp4(buf: Buffer): ContainerInfo | undefined {
    if (buf.toString('latin1', 4, 8) !== 'ftyp') return undefined;
    const mvhd = buf.indexOf('mvhd');
    if (mvhd < 0 || mvhd + 32 > buf.length) return undefined;
    const v1 = buf[mvhd + 4] === 1;
    const timescale = buf.readUInt32BE(mvhd + (v1 ? 24 : 16));
    const duration = v1 ? Number(buf.readBigUInt64BE(mvhd + 28)) : buf.readUInt32BE(mvhd + 20);
    if (!timescale) return undefined;
    let rate = 0;
    let channels = 1;
    const entry = buf.indexOf('mp4a');
    if (entry > 0 && entry + 30 <= buf.length) {
        channels = buf.readUInt16BE(entry + 20);
        rate = buf.readUInt32BE(entry + 28) >>> 16;
    }
    return { codec: 'm4a', sampleRate: rate || 16000, channels, durationMs: Math.round((duration * 1000) / timescale) };
}

export function parseContainer(buf: Buffer): ContainerInfo | undefined {
    return parseAmr(buf) ?? parseOgg(buf) ?? parseMp4(buf) ?? parseAdts(buf);
}
