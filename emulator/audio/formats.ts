// The service's raw `audio_format` names and the sample codecs behind them.
import { ALAW_TABLE, ULAW_TABLE } from './g711';

/** How one sample is stored in a byte stream. */
export type SampleCodec = 'pcm16' | 'pcm8u' | 'pcm24' | 'pcm32' | 'float32' | 'alaw' | 'ulaw';

export interface RawFormat {
    codec: 'pcm16' | 'alaw' | 'ulaw';
    sampleRate: 8000 | 16000;
    bytesPerSample: 1 | 2;
}

/** Raw (headerless, mono) formats of short-audio, transcriber and RASR. */
export const RAW_FORMATS: Readonly<Record<string, RawFormat>> = {
    pcm16k16bit: { codec: 'pcm16', sampleRate: 16000, bytesPerSample: 2 },
    pcm8k16bit: { codec: 'pcm16', sampleRate: 8000, bytesPerSample: 2 },
    ulaw16k8bit: { codec: 'ulaw', sampleRate: 16000, bytesPerSample: 1 },
    ulaw8k8bit: { codec: 'ulaw', sampleRate: 8000, bytesPerSample: 1 },
    alaw16k8bit: { codec: 'alaw', sampleRate: 16000, bytesPerSample: 1 },
    alaw8k8bit: { codec: 'alaw', sampleRate: 8000, bytesPerSample: 1 },
};

export function rawFormat(name: string): RawFormat | undefined {
    return Object.hasOwn(RAW_FORMATS, name) ? RAW_FORMATS[name] : undefined;
}

/** `chinese_8k_common` → 8000; every model name carries its rate as `_8k_` or `_16k_`. */
export function sampleRateOfProperty(property: string): 8000 | 16000 {
    return /(^|_)8k(_|$)/.test(property) ? 8000 : 16000;
}

export function bytesPerSample(codec: SampleCodec): number {
    switch (codec) {
        case 'pcm8u':
        case 'alaw':
        case 'ulaw':
            return 1;
        case 'pcm16':
            return 2;
        case 'pcm24':
            return 3;
        case 'pcm32':
        case 'float32':
            return 4;
    }
}

/**
 * Decodes `count` samples starting at `offset`, taking every `stride`-th sample (interleaved
 * channels), to 16-bit. Reads the buffer in place: no intermediate copy.
 */
export function decodeSamples(
    buf: Buffer,
    codec: SampleCodec,
    offset: number,
    count: number,
    stride = 1,
    out: Int16Array = new Int16Array(count),
): Int16Array {
    const size = bytesPerSample(codec);
    const step = size * stride;
    let p = offset;
    switch (codec) {
        case 'pcm16':
            for (let i = 0; i < count; i++, p += step) out[i] = buf.readInt16LE(p);
            break;
        case 'pcm8u':
            for (let i = 0; i < count; i++, p += step) out[i] = (buf[p] - 128) << 8;
            break;
        case 'pcm24':
            for (let i = 0; i < count; i++, p += step) out[i] = buf.readIntLE(p, 3) >> 8;
            break;
        case 'pcm32':
            for (let i = 0; i < count; i++, p += step) out[i] = buf.readInt32LE(p) >> 16;
            break;
        case 'float32':
            for (let i = 0; i < count; i++, p += step) {
                const v = Math.round(buf.readFloatLE(p) * 32767);
                out[i] = v > 32767 ? 32767 : Math.max(v, -32768);
            }
            break;
        case 'alaw':
            for (let i = 0; i < count; i++, p += step) out[i] = ALAW_TABLE[buf[p]];
            break;
        case 'ulaw':
            for (let i = 0; i < count; i++, p += step) out[i] = ULAW_TABLE[buf[p]];
            break;
    }
    return out;
}

/** Splits interleaved samples into one array per channel. */
export function deinterleave(
    buf: Buffer,
    codec: SampleCodec,
    offset: number,
    length: number,
    channels: number,
): Int16Array[] {
    const frameBytes = bytesPerSample(codec) * channels;
    const frames = Math.floor(length / frameBytes);
    const result: Int16Array[] = [];
    for (let c = 0; c < channels; c++) {
        result.push(decodeSamples(buf, codec, offset + c * bytesPerSample(codec), frames, channels));
    }
    return result;
}

/** 16-bit samples as little-endian bytes (what `pcm16k16bit` carries). */
export function samplesToPcm16(samples: Int16Array): Buffer {
    const out = Buffer.allocUnsafe(samples.length * 2);
    for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i], i * 2);
    return out;
}
