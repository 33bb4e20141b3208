// Audio intake of a stream session: recognises a WAV header at the start of the session's first
// chunk, strips it, and brings 16-bit PCM WAV audio to the session's format (stereo mixed down to
// mono, other sample rates converted with an anti-aliasing filter). Headerless audio is taken as
// already being in the session's format.

import { bufferFromInt16, downmixToMono, int16FromBuffer } from '../audio/pcm';
import { Resampler } from '../audio/resample';
import { AudioFormatError } from '../audio/types';
import { isWavStart, parseWavHeader, type WavHeader } from '../audio/wav';
import type { FrameSpec } from './frames';

/** A WAV header with many metadata chunks before `data` is still only a few KiB; stop looking after this. */
export const MAX_WAV_HEADER_BYTES = 64 * 1024;

type Conversion = { kind: 'pass' } | { kind: 'pcm'; channels: number; resampler?: Resampler; carry?: Buffer };

function describeWav(h: WavHeader): string {
    return `${h.codec} ${h.bitsPerSample}-bit, ${h.sampleRate} Hz, ${h.channels} channel(s)`;
}

/** How WAV audio reaches the session's format, or why it cannot. */
function conversionFor(h: WavHeader, spec: FrameSpec): Conversion {
    const what = `the WAV audio (${describeWav(h)})`;
    if (h.channels < 1 || h.sampleRate < 1) throw new AudioFormatError(`${what} has an invalid header`);
    if (h.codec === 'alaw' || h.codec === 'ulaw') {
        if (h.codec === spec.codec && h.sampleRate === spec.rate && h.channels === 1) return { kind: 'pass' };
        throw new AudioFormatError(
            `${what} can only be streamed as mono ${h.codec} at ${h.sampleRate} Hz: set audio_format to ${h.codec}${h.sampleRate / 1000}k8bit or send 16-bit PCM`,
        );
    }
    if (h.codec !== 'pcm' || h.bitsPerSample !== 16) {
        throw new AudioFormatError(`${what} is not supported: stream 16-bit PCM, A-law or µ-law`);
    }
    if (spec.codec !== 'pcm') {
        throw new AudioFormatError(`${what} needs audio_format pcm8k16bit or pcm16k16bit, not ${spec.format}`);
    }
    if (h.channels === 1 && h.sampleRate === spec.rate) return { kind: 'pass' };
    if (h.sampleRate !== spec.rate && !Resampler.supports(h.sampleRate, spec.rate)) {
        throw new AudioFormatError(`${what} cannot be converted to ${spec.rate} Hz`);
    }
    return {
        kind: 'pcm',
        channels: h.channels,
        resampler: h.sampleRate === spec.rate ? undefined : new Resampler(h.sampleRate, spec.rate),
    };
}

/** Could `buf` still become the start of a WAV file once more bytes arrive? */
function mayBeWavPrefix(buf: Buffer): boolean {
    if (buf.length >= 12) return isWavStart(buf);
    const riff = buf.subarray(0, 4).toString('latin1');
    if (!'RIFF'.startsWith(riff) && !'RF64'.startsWith(riff)) return false;
    return buf.length <= 8 || 'WAVE'.startsWith(buf.subarray(8).toString('latin1'));
}

export class AudioIntake {
    private state: 'first' | 'header' | 'raw' | 'wav' = 'first';
    private head: Buffer[] = [];
    private headBytes = 0;
    private conversion: Conversion = { kind: 'pass' };
    /** Sample bytes the WAV header declares that are still to come (Infinity when open-ended). */
    private dataLeft = Number.POSITIVE_INFINITY;
    /** Set once a WAV header was read: what the session actually receives. */
    wav?: WavHeader;

    constructor(private readonly spec: FrameSpec) {}

    /** Whether every later chunk comes back as it is (the audio has no WAV header). */
    get passesAsIs(): boolean {
        return this.state === 'raw';
    }

    /**
     * Takes one chunk; returns audio bytes in the session's format (possibly empty). Throws an
     * AudioFormatError when a WAV header announces audio the session cannot take.
     */
    push(chunk: Buffer): Buffer {
        switch (this.state) {
            case 'raw':
                return chunk;
            case 'wav':
                return this.fromWav(chunk);
            default:
                return this.sniff(chunk);
        }
    }

    /** End of the stream: whatever the converter still holds. */
    flush(): Buffer {
        if (this.state === 'first' || this.state === 'header') {
            // A cut WAV header carries no audio; a few bytes that merely began like one are audio.
            const rest = Buffer.concat(this.head);
            this.reset();
            return isWavStart(rest) ? Buffer.alloc(0) : rest;
        }
        const c = this.conversion;
        if (c.kind !== 'pcm' || !c.resampler) return Buffer.alloc(0);
        return bufferFromInt16(c.resampler.flush());
    }

    private reset(): void {
        this.head = [];
        this.headBytes = 0;
    }

    private sniff(chunk: Buffer): Buffer {
        this.head.push(chunk);
        this.headBytes += chunk.length;
        const buf = this.head.length === 1 ? chunk : Buffer.concat(this.head);
        if (!mayBeWavPrefix(buf)) {
            this.state = 'raw';
            this.reset();
            return buf;
        }
        const header = buf.length >= 12 ? parseWavHeader(buf) : undefined;
        if (!header) {
            if (this.headBytes > MAX_WAV_HEADER_BYTES) {
                throw new AudioFormatError(
                    `the audio starts like a WAV file but has no readable header in its first ${MAX_WAV_HEADER_BYTES} bytes`,
                );
            }
            this.state = 'header';
            return Buffer.alloc(0);
        }
        this.conversion = conversionFor(header, this.spec);
        this.wav = header;
        this.state = 'wav';
        this.reset();
        if (header.declaredDataLength !== undefined) this.dataLeft = header.declaredDataLength;
        return this.fromWav(buf.subarray(header.dataOffset));
    }

    private fromWav(chunk: Buffer): Buffer {
        // Bytes after the declared data (trailing metadata chunks) are not audio.
        let data = chunk;
        if (data.length > this.dataLeft) data = data.subarray(0, this.dataLeft);
        this.dataLeft -= data.length;
        const c = this.conversion;
        if (c.kind === 'pass' || data.length === 0) return data;
        const frameBytes = 2 * c.channels;
        let bytes = c.carry ? Buffer.concat([c.carry, data]) : data;
        const whole = bytes.length - (bytes.length % frameBytes);
        c.carry = whole < bytes.length ? Buffer.from(bytes.subarray(whole)) : undefined;
        bytes = bytes.subarray(0, whole);
        let samples = int16FromBuffer(bytes);
        if (c.channels > 1) samples = downmixToMono(samples, c.channels);
        if (c.resampler) samples = c.resampler.push(samples);
        return bufferFromInt16(samples);
    }
}
