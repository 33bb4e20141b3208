// Joining the audio of several synthesis requests into one valid file: one RIFF header with the
// right sizes for WAV, frames without repeated tags or information frames for MP3, plain bytes
// for PCM. Also the header that starts a WAV stream whose length is not known yet.

import { isId3v1, mp3Layout } from '../audio/mp3';
import { parseWavHeader, type WavFormat, type WavHeader } from '../audio/wav';
import { SisError } from '../core/errors';

export type TtsFormat = 'wav' | 'mp3' | 'pcm';

export interface JoinedAudio {
    audio: Buffer;
    /** the rate the file declares (WAV, MP3), when it declares one */
    sampleRate?: number;
    durationMs?: number;
}

/** Raw PCM from the service is 16-bit mono little-endian (docs/protocol/rest.md §4.2). */
const PCM_BLOCK = 2;
const OPEN_SIZE = 0xffffffff;

/** A canonical 44-byte header; without `dataBytes` the sizes are left open, as streaming writers do. */
export function wavHeader(fmt: WavFormat, dataBytes?: number): Buffer {
    const h = Buffer.alloc(44);
    const open = dataBytes === undefined;
    const data = open ? OPEN_SIZE : dataBytes;
    h.write('RIFF', 0, 'latin1');
    h.writeUInt32LE(open ? OPEN_SIZE : 36 + data + (data & 1), 4);
    h.write('WAVE', 8, 'latin1');
    h.write('fmt ', 12, 'latin1');
    h.writeUInt32LE(16, 16);
    h.writeUInt16LE(fmt.formatTag, 20);
    h.writeUInt16LE(fmt.channels, 22);
    h.writeUInt32LE(fmt.sampleRate, 24);
    h.writeUInt32LE(fmt.byteRate, 28);
    h.writeUInt16LE(fmt.blockAlign, 32);
    h.writeUInt16LE(fmt.bitsPerSample, 34);
    h.write('data', 36, 'latin1');
    h.writeUInt32LE(data, 40);
    return h;
}

/** The format of the 16-bit mono PCM the service streams. */
export function pcmFormat(sampleRate: number): WavFormat {
    return {
        formatTag: 1,
        channels: 1,
        sampleRate,
        byteRate: sampleRate * PCM_BLOCK,
        blockAlign: PCM_BLOCK,
        bitsPerSample: 16,
    };
}

function notAudio(format: string, index: number, count: number): SisError {
    const which = count > 1 ? ` (part ${index + 1} of ${count})` : '';
    return new SisError('PROTOCOL', `text to speech: the service returned audio that is not ${format}${which}`);
}

/** Whole blocks only, so that the samples of the next part stay aligned. */
function wholeBlocks(data: Buffer, block: number): Buffer {
    return block > 1 ? data.subarray(0, data.length - (data.length % block)) : data;
}

function sameFormat(a: WavHeader, b: WavHeader): boolean {
    return (
        a.formatTag === b.formatTag &&
        a.channels === b.channels &&
        a.sampleRate === b.sampleRate &&
        a.bitsPerSample === b.bitsPerSample &&
        a.blockAlign === b.blockAlign
    );
}

export function joinWav(parts: readonly Buffer[]): JoinedAudio {
    let first: WavHeader | undefined;
    const datas: Buffer[] = [];
    parts.forEach((part, i) => {
        const h = parseWavHeader(part);
        if (!h) throw notAudio('WAV', i, parts.length);
        if (!first) first = h;
        else if (!sameFormat(first, h)) {
            throw new SisError('PROTOCOL', 'text to speech: the parts of the audio differ in format');
        }
        const available = part.length - h.dataOffset;
        const declared = h.declaredDataLength ?? available;
        datas.push(
            wholeBlocks(part.subarray(h.dataOffset, h.dataOffset + Math.min(declared, available)), h.blockAlign),
        );
    });
    if (!first) throw notAudio('WAV', 0, 0);
    const fmt: WavFormat = {
        formatTag: first.formatTag,
        channels: first.channels,
        sampleRate: first.sampleRate,
        byteRate: first.byteRate,
        blockAlign: first.blockAlign,
        bitsPerSample: first.bitsPerSample,
    };
    const dataBytes = datas.reduce((n, d) => n + d.length, 0);
    const header = wavHeader(fmt, dataBytes);
    const durationMs = fmt.byteRate > 0 ? Math.round((dataBytes * 1000) / fmt.byteRate) : undefined;
    // One part that is already the file this would write is sent as it came, not copied.
    const only = parts.length === 1 ? parts[0] : undefined;
    if (only && only.length === 44 + dataBytes && !(dataBytes & 1) && header.equals(only.subarray(0, 44))) {
        return { audio: only, sampleRate: fmt.sampleRate, durationMs };
    }
    // RIFF chunks are word-aligned: an odd data chunk is followed by a pad byte.
    const pad = dataBytes & 1 ? [Buffer.alloc(1)] : [];
    const audio = Buffer.concat([header, ...datas, ...pad]);
    return { audio, sampleRate: fmt.sampleRate, durationMs };
}

export function joinMp3(parts: readonly Buffer[]): JoinedAudio {
    const pieces: Buffer[] = [];
    let samples = 0;
    let sampleRate: number | undefined;
    parts.forEach((part, i) => {
        const layout = mp3Layout(part);
        if (layout.frames === 0) {
            // Tags or an information frame alone are an empty file; anything else is not MP3.
            const empty = layout.synced || part.length === layout.id3End || isId3v1(part, layout.id3End);
            if (!empty) throw notAudio('MP3', i, parts.length);
            return;
        }
        // The first file's tags describe the whole; later files' tags would break the frame sequence.
        if (pieces.length === 0 && layout.id3End > 0) pieces.push(part.subarray(0, layout.id3End));
        pieces.push(part.subarray(layout.start, layout.end));
        samples += layout.samples;
        sampleRate ??= layout.sampleRate;
    });
    const durationMs = sampleRate ? Math.round((samples * 1000) / sampleRate) : undefined;
    // A single file is already whole: its own tags and information frame describe it rightly.
    const audio = parts.length === 1 ? parts[0] : Buffer.concat(pieces);
    return { audio, sampleRate, durationMs };
}

export function joinPcm(parts: readonly Buffer[], sampleRate: number): JoinedAudio {
    const audio = Buffer.concat(parts.map((p) => wholeBlocks(p, PCM_BLOCK)));
    return { audio, durationMs: Math.round((audio.length * 1000) / (sampleRate * PCM_BLOCK)) };
}

/** The parts of one text, in order, as one file of `format`. */
export function joinAudio(format: TtsFormat, parts: readonly Buffer[], sampleRate: number): JoinedAudio {
    if (format === 'wav') return joinWav(parts);
    if (format === 'mp3') return joinMp3(parts);
    return joinPcm(parts, sampleRate);
}
