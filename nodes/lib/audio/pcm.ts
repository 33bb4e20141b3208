// 16-bit PCM helpers for the streaming node: Buffer ↔ samples, down-mixing to mono.
import { AudioFormatError } from './types';

// ---------------------------------------------------------------------------------------------
// PCM helpers for the streaming node
// ---------------------------------------------------------------------------------------------

/** Little-endian 16-bit samples of `buf` (a trailing odd byte is ignored); always a copy. */
export function int16FromBuffer(buf: Buffer): Int16Array {
    const n = buf.length >> 1;
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) out[i] = buf.readInt16LE(i * 2);
    return out;
}

/** Little-endian bytes of 16-bit samples. */
export function bufferFromInt16(samples: Int16Array): Buffer {
    const out = Buffer.alloc(samples.length * 2);
    for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i], i * 2);
    return out;
}

/** Averages interleaved channels into one; a trailing partial frame is dropped. */
export function downmixToMono(samples: Int16Array, channels: number): Int16Array {
    if (!Number.isInteger(channels) || channels < 1) {
        throw new AudioFormatError(`cannot downmix audio with ${channels} channels`);
    }
    if (channels === 1) return samples.slice();
    const frames = Math.floor(samples.length / channels);
    const out = new Int16Array(frames);
    for (let f = 0; f < frames; f++) {
        let sum = 0;
        const base = f * channels;
        for (let c = 0; c < channels; c++) sum += samples[base + c];
        out[f] = Math.round(sum / channels);
    }
    return out;
}
