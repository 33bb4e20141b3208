// From bytes and the service's `audio_format` name to decoded audio.
import type { DecodedAudio } from '../types';
import { parseContainer } from './compressed';
import { AudioError } from './errors';
import { decodeSamples, rawFormat } from './formats';
import { looksLikeMp3, parseMp3 } from './mp3';
import { decodeWav, isWav } from './wav';

/** Layer III loudness per granule, for VAD on MP3 without decoding it. */
export interface WindowActivity {
    windowSamples: number;
    voiced: boolean[];
}

export interface Decoded extends DecodedAudio {
    /** Present for MP3: which granules carry speech. */
    activity?: WindowActivity;
}

/** A granule is voiced when its gain is within 36 dB (24 steps of 1.5 dB) of the loudest one. */
const MP3_GAIN_RANGE = 24;

function decodeMp3(buf: Buffer): Decoded {
    const info = parseMp3(buf);
    if (!info || info.frames === 0) throw new AudioError('SIS.0602', 'audio is not a decodable MP3 stream');
    const loudest = info.granuleGains.reduce((a, b) => Math.max(a, b), 0);
    return {
        sampleRate: info.sampleRate,
        channels: [],
        durationMs: info.durationMs,
        codec: 'mp3',
        durationOnly: true,
        activity:
            info.layer === 3
                ? {
                      windowSamples: info.samplesPerGranule,
                      voiced: info.granuleGains.map((g) => g > 0 && g >= loudest - MP3_GAIN_RANGE),
                  }
                : undefined,
    };
}

function decodeWavFile(buf: Buffer): Decoded {
    const { info, channels } = decodeWav(buf);
    const frames = channels[0]?.length ?? 0;
    return {
        sampleRate: info.sampleRate,
        channels,
        durationMs: Math.round((frames * 1000) / info.sampleRate),
        codec: `wav-${info.codec === 'pcm16' || info.codec === 'pcm8u' ? 'pcm' : info.codec}`,
    };
}

function decodeContainer(buf: Buffer, expected?: string): Decoded {
    const info = parseContainer(buf);
    if (!info || (expected && info.codec !== expected)) {
        throw new AudioError('SIS.0602', `audio is not a decodable ${expected ?? 'audio'} file`);
    }
    return {
        sampleRate: info.sampleRate,
        channels: [],
        durationMs: info.durationMs,
        codec: info.codec,
        durationOnly: true,
    };
}

/** Detects the container for `auto` (and the transcriber's format-less jobs). */
export function detectFormat(buf: Buffer): 'wav' | 'mp3' | undefined {
    if (isWav(buf)) return 'wav';
    if (looksLikeMp3(buf)) return 'mp3';
    return undefined;
}

/**
 * Decodes `audio` given as the service's `audio_format` (`pcm16k16bit`, `wav`, `mp3`, `auto`, ...).
 * Throws AudioError SIS.0602 when the bytes are not what the format says.
 */
export function decodeAudio(audio: Buffer, audioFormat: string): Decoded {
    const raw = rawFormat(audioFormat);
    if (raw) {
        const count = Math.floor(audio.length / raw.bytesPerSample);
        return {
            sampleRate: raw.sampleRate,
            channels: [decodeSamples(audio, raw.codec, 0, count)],
            durationMs: Math.round((count * 1000) / raw.sampleRate),
            codec: raw.codec === 'pcm16' ? 'pcm' : raw.codec,
        };
    }
    switch (audioFormat) {
        case 'wav':
            return decodeWavFile(audio);
        case 'mp3':
            return decodeMp3(audio);
        case 'aac':
        case 'amr':
        case 'amrwb':
        case 'm4a':
            return decodeContainer(audio, audioFormat);
        case 'opus':
        case 'ogg':
            return decodeContainer(audio, 'ogg');
        case 'auto': {
            const detected = detectFormat(audio);
            if (detected === 'wav') return decodeWavFile(audio);
            if (detected === 'mp3') return decodeMp3(audio);
            return decodeContainer(audio);
        }
        default:
            throw new AudioError('SIS.0602', `audio_format '${audioFormat}' cannot be decoded`);
    }
}
