// RIFF/WAVE reading (PCM 8/16/24/32-bit, float, A-law, µ-law; any channel count) and writing.
import { AudioError } from './errors';
import { deinterleave, type SampleCodec } from './formats';

export interface WavInfo {
    sampleRate: number;
    channels: number;
    codec: SampleCodec;
    bitsPerSample: number;
    dataOffset: number;
    dataLength: number;
}

export function isWav(buf: Buffer): boolean {
    return buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WAVE';
}

function codecOf(formatTag: number, bits: number): SampleCodec | undefined {
    if (formatTag === 1) {
        if (bits === 8) return 'pcm8u';
        if (bits === 16) return 'pcm16';
        if (bits === 24) return 'pcm24';
        if (bits === 32) return 'pcm32';
    }
    if (formatTag === 3 && bits === 32) return 'float32';
    if (formatTag === 6 && bits === 8) return 'alaw';
    if (formatTag === 7 && bits === 8) return 'ulaw';
    return undefined;
}

/** Reads the header; throws SIS.0602 for anything that is not a WAV we can decode. */
export function parseWav(buf: Buffer): WavInfo {
    if (!isWav(buf)) throw new AudioError('SIS.0602', 'audio is not a RIFF/WAVE file');
    let pos = 12;
    let fmt: { tag: number; channels: number; rate: number; bits: number } | undefined;
    while (pos + 8 <= buf.length) {
        const id = buf.toString('latin1', pos, pos + 4);
        const size = buf.readUInt32LE(pos + 4);
        const body = pos + 8;
        if (id === 'fmt ' && body + 16 <= buf.length) {
            let tag = buf.readUInt16LE(body);
            // WAVE_FORMAT_EXTENSIBLE: the real tag is the first two bytes of the sub-format GUID.
            if (tag === 0xfffe && size >= 40 && body + 26 <= buf.length) tag = buf.readUInt16LE(body + 24);
            fmt = {
                tag,
                channels: buf.readUInt16LE(body + 2),
                rate: buf.readUInt32LE(body + 4),
                bits: buf.readUInt16LE(body + 14),
            };
        } else if (id === 'data') {
            if (!fmt) break;
            const codec = codecOf(fmt.tag, fmt.bits);
            if (!codec || fmt.channels < 1 || fmt.rate < 1) {
                throw new AudioError('SIS.0602', `unsupported WAV encoding (format ${fmt.tag}, ${fmt.bits} bit)`);
            }
            // Streamed WAVs leave the size at 0 or 0xFFFFFFFF: the data then runs to the end.
            const available = buf.length - body;
            const dataLength = size === 0 || size > available ? available : size;
            return {
                sampleRate: fmt.rate,
                channels: fmt.channels,
                codec,
                bitsPerSample: fmt.bits,
                dataOffset: body,
                dataLength,
            };
        }
        pos = body + size + (size & 1);
    }
    throw new AudioError('SIS.0602', 'WAV file has no fmt/data chunk');
}

export function decodeWav(buf: Buffer): { info: WavInfo; channels: Int16Array[] } {
    const info = parseWav(buf);
    return { info, channels: deinterleave(buf, info.codec, info.dataOffset, info.dataLength, info.channels) };
}

/** Length of the canonical 44-byte header that `encodeWav` writes. */
export const WAV_HEADER_BYTES = 44;

/** A canonical 44-byte header followed by `data` (already encoded samples). */
export function wavHeader(
    dataLength: number,
    sampleRate: number,
    channels: number,
    formatTag: 1 | 6 | 7,
    bits: number,
): Buffer {
    const h = Buffer.alloc(WAV_HEADER_BYTES);
    const blockAlign = (channels * bits) / 8;
    h.write('RIFF', 0, 'latin1');
    h.writeUInt32LE(36 + dataLength, 4);
    h.write('WAVE', 8, 'latin1');
    h.write('fmt ', 12, 'latin1');
    h.writeUInt32LE(16, 16);
    h.writeUInt16LE(formatTag, 20);
    h.writeUInt16LE(channels, 22);
    h.writeUInt32LE(sampleRate, 24);
    h.writeUInt32LE(sampleRate * blockAlign, 28);
    h.writeUInt16LE(blockAlign, 32);
    h.writeUInt16LE(bits, 34);
    h.write('data', 36, 'latin1');
    h.writeUInt32LE(dataLength, 40);
    return h;
}

/** 16-bit mono WAV from samples (the TTS output). */
export function encodeWav(pcm16le: Buffer, sampleRate: number): Buffer {
    return Buffer.concat([wavHeader(pcm16le.length, sampleRate, 1, 1, 16), pcm16le]);
}
