// The service's audio formats and models per recognition API, the checks that pair them, and the
// choice of `audio_format` from sniffed bytes. The editor's lists and the input checks both read these
// tables (docs/protocol/rest.md §1–§3, docs/protocol/websocket.md §1.3–§1.5).
import { describeAudio } from '../audio/sniff';
import { AudioFormatError, type AudioInfo } from '../audio/types';

export type AsrApi = 'short-audio' | 'flash' | 'transcriber' | 'rasr';

// ---------------------------------------------------------------------------------------------
// Tables of allowed values
// ---------------------------------------------------------------------------------------------

/** Raw (headerless) formats: name → sample rate and bits per sample. docs/protocol/rest.md §1.2, §2.1. */
const RAW_FORMATS: Readonly<Record<string, { rate: 8000 | 16000; bits: number }>> = {
    pcm16k16bit: { rate: 16000, bits: 16 },
    pcm8k16bit: { rate: 8000, bits: 16 },
    ulaw16k8bit: { rate: 16000, bits: 8 },
    ulaw8k8bit: { rate: 8000, bits: 8 },
    alaw16k8bit: { rate: 16000, bits: 8 },
    alaw8k8bit: { rate: 8000, bits: 8 },
    vox8k4bit: { rate: 8000, bits: 4 },
    v3_8k4bit: { rate: 8000, bits: 4 },
};

/** docs/protocol/rest.md §1.2 (short-audio over HTTP). */
export const SHORT_AUDIO_FORMATS = [
    'pcm16k16bit',
    'pcm8k16bit',
    'ulaw16k8bit',
    'ulaw8k8bit',
    'alaw16k8bit',
    'alaw8k8bit',
    'mp3',
    'aac',
    'wav',
    'amr',
    'amrwb',
    'auto',
] as const;

/** docs/protocol/rest.md §3.1 (flash). */
export const FLASH_FORMATS = ['wav', 'mp3', 'm4a', 'aac', 'opus'] as const;

/** docs/protocol/rest.md §2.1 (transcriber jobs); `audio_format` is optional there. */
export const TRANSCRIBER_FORMATS = [
    'auto',
    'pcm16k16bit',
    'pcm8k16bit',
    'ulaw16k8bit',
    'ulaw8k8bit',
    'alaw16k8bit',
    'alaw8k8bit',
    'vox8k4bit',
    'v3_8k4bit',
] as const;

/** docs/protocol/websocket.md §1.3 (real-time ASR): raw mono samples only. */
export const RASR_FORMATS = [
    'pcm16k16bit',
    'pcm8k16bit',
    'ulaw16k8bit',
    'ulaw8k8bit',
    'alaw16k8bit',
    'alaw8k8bit',
] as const;

export const AUDIO_FORMATS: Readonly<Record<AsrApi, readonly string[]>> = {
    'short-audio': SHORT_AUDIO_FORMATS,
    flash: FLASH_FORMATS,
    transcriber: TRANSCRIBER_FORMATS,
    rasr: RASR_FORMATS,
};

/** docs/protocol/rest.md §1.3. */
export const SHORT_AUDIO_PROPERTIES = [
    'chinese_8k_common',
    'chinese_16k_common',
    'chinese_16k_general',
    'chinese_16k_travel',
    'sichuan_16k_common',
    'cantonese_16k_common',
    'shanghai_16k_common',
    'english_8k_common',
    'english_16k_common',
] as const;

/** docs/protocol/rest.md §3.1. */
export const FLASH_PROPERTIES = ['chinese_8k_common', 'chinese_16k_conversation'] as const;

/** docs/protocol/rest.md §2.1. */
export const TRANSCRIBER_PROPERTIES = [
    'chinese_8k_general',
    'chinese_16k_media',
    'chinese_8k_common',
    'chinese_16k_conversation',
    'chinese_8k_bank',
    'chinese_8k_insurance',
    'sichuan_8k_common',
] as const;

/** docs/protocol/websocket.md §1.4 (the partly unreadable `english_16k_…` entry is left out). */
export const RASR_PROPERTIES = [
    'chinese_8k_common',
    'chinese_16k_common',
    'chinese_8k_general',
    'chinese_16k_general',
    'sichuan_16k_common',
    'cantonese_16k_common',
    'shanghai_16k_common',
    'chinese_16k_court',
    'chinese_16k_it',
] as const;

export const ASR_PROPERTIES: Readonly<Record<AsrApi, readonly string[]>> = {
    'short-audio': SHORT_AUDIO_PROPERTIES,
    flash: FLASH_PROPERTIES,
    transcriber: TRANSCRIBER_PROPERTIES,
    rasr: RASR_PROPERTIES,
};

/**
 * Models that take only some of their API's formats (docs/protocol/rest.md §1.3, docs/protocol/websocket.md §1.4); every other
 * model takes all formats of its API.
 */
export const PROPERTY_FORMATS: Readonly<Record<AsrApi, Readonly<Record<string, readonly string[]>>>> = {
    'short-audio': {
        chinese_16k_general: ['pcm16k16bit', 'mp3', 'wav'],
        chinese_16k_travel: ['pcm16k16bit', 'mp3', 'wav', 'aac'],
        english_8k_common: ['wav'],
        english_16k_common: ['wav'],
    },
    flash: {},
    transcriber: {},
    rasr: {
        chinese_8k_general: ['pcm8k16bit', 'alaw8k8bit', 'ulaw8k8bit'],
    },
};

// ---------------------------------------------------------------------------------------------
// Rates of models and raw formats
// ---------------------------------------------------------------------------------------------

/** The rate a model expects, from the `_8k_` / `_16k_` in its name. */
export function sampleRateOfProperty(property: string): 8000 | 16000 | undefined {
    const m = /(?:^|_)(8|16)k(?:_|$)/.exec(property);
    if (!m) return undefined;
    return m[1] === '8' ? 8000 : 16000;
}

/** The rate implied by an `audio_format` value (raw formats and AMR), else undefined. */
export function rateOfAudioFormat(format: string): 8000 | 16000 | undefined {
    if (format === 'amr') return 8000;
    if (format === 'amrwb') return 16000;
    return Object.hasOwn(RAW_FORMATS, format) ? RAW_FORMATS[format].rate : undefined;
}

/** Bytes per second of a raw mono format (`pcm16k16bit` → 32000), else undefined. */
export function bytesPerSecond(rawFormat: string): number | undefined {
    if (!Object.hasOwn(RAW_FORMATS, rawFormat)) return undefined;
    const f = RAW_FORMATS[rawFormat];
    return (f.rate * f.bits) / 8;
}

export function isRawAudioFormat(format: string): boolean {
    return Object.hasOwn(RAW_FORMATS, format);
}

/** Refuses audio whose known rate differs from the rate in the model name. */
export function checkRate(property: string, info: Pick<AudioInfo, 'sampleRate'>): void {
    const expected = sampleRateOfProperty(property);
    const actual = info.sampleRate;
    if (expected === undefined || actual === undefined || actual === expected) return;
    throw new AudioFormatError(`audio is ${actual} Hz but property ${property} expects ${expected} Hz`);
}

/** Refuses a `property`/`audio_format` pair the API does not take (docs/protocol/rest.md §1.3, docs/protocol/websocket.md §1.4). */
export function checkPropertyFormat(api: AsrApi, property: string, audioFormat: string): void {
    const props = ASR_PROPERTIES[api];
    if (!props.includes(property)) {
        throw new AudioFormatError(`property ${property} is not available for ${API_LABEL[api]}`);
    }
    if (!AUDIO_FORMATS[api].includes(audioFormat)) {
        throw new AudioFormatError(`audio_format ${audioFormat} is not available for ${API_LABEL[api]}`);
    }
    const restricted = PROPERTY_FORMATS[api][property];
    if (restricted && audioFormat !== 'auto' && !restricted.includes(audioFormat)) {
        throw new AudioFormatError(
            `property ${property} accepts audio_format ${restricted.join(', ')} only, not ${audioFormat}`,
        );
    }
    const impliedRate = rateOfAudioFormat(audioFormat);
    if (impliedRate !== undefined) checkRate(property, { sampleRate: impliedRate });
}

// ---------------------------------------------------------------------------------------------
// chooseAudioFormat
// ---------------------------------------------------------------------------------------------

const API_LABEL: Readonly<Record<AsrApi, string>> = {
    'short-audio': 'short-audio ASR',
    flash: 'flash ASR',
    transcriber: 'recording-file (job) ASR',
    rasr: 'real-time (stream) ASR',
};

const ACCEPTS: Readonly<Record<AsrApi, string>> = {
    'short-audio': 'WAV (16-bit PCM, A-law or µ-law; 8 or 16 kHz), MP3, AAC, AMR, AMR-WB, M4A or WMA, all mono',
    flash: 'WAV, MP3, M4A, AAC or OGG/Opus',
    transcriber: 'WAV (PCM, A-law, µ-law or ADPCM), MP3, M4A, OGG/Opus, OGG/Speex, AMR or WMA',
    rasr: 'mono 16-bit PCM, A-law or µ-law at 8 or 16 kHz (raw, or WAV whose header is stripped)',
};

function refuse(api: AsrApi, a: AudioInfo, why?: string): never {
    if (a.container === 'unknown') {
        throw new AudioFormatError(
            `cannot recognise the audio format from its bytes; set audio_format explicitly (${API_LABEL[api]} accepts ${ACCEPTS[api]})`,
        );
    }
    const reason = why ? `: ${why}` : '';
    throw new AudioFormatError(
        `${API_LABEL[api]} cannot take ${describeAudio(a)}${reason}; it accepts ${ACCEPTS[api]}`,
    );
}

function isG711OrPcm16(a: AudioInfo): boolean {
    return (a.codec === 'pcm' && a.bitsPerSample === 16) || a.codec === 'alaw' || a.codec === 'ulaw';
}

function requireMono(api: AsrApi, a: AudioInfo): void {
    if (a.channels !== undefined && a.channels !== 1) refuse(api, a, 'only mono audio is accepted');
}

function requireTelephonyRate(api: AsrApi, a: AudioInfo): 8000 | 16000 {
    if (a.sampleRate === 8000 || a.sampleRate === 16000) return a.sampleRate;
    return refuse(api, a, 'only 8000 Hz or 16000 Hz is accepted');
}

function chooseShortAudio(a: AudioInfo): string {
    const api = 'short-audio';
    switch (a.container) {
        case 'wav':
            if (!isG711OrPcm16(a)) refuse(api, a, 'WAV must hold 16-bit PCM, A-law or µ-law');
            requireMono(api, a);
            requireTelephonyRate(api, a);
            return 'wav';
        case 'mp3':
            requireMono(api, a);
            return 'mp3';
        case 'aac':
            requireMono(api, a);
            return 'aac';
        case 'amr':
            return a.codec === 'amr-wb' ? 'amrwb' : 'amr';
        case 'mp4':
        case 'asf':
            // No explicit value exists for M4A/WMA: the engine's own detection handles them.
            requireMono(api, a);
            return 'auto';
        default:
            return refuse(api, a);
    }
}

function chooseFlash(a: AudioInfo): string {
    const api = 'flash';
    switch (a.container) {
        case 'wav':
            if (a.codec !== 'pcm' && a.codec !== 'alaw' && a.codec !== 'ulaw') {
                refuse(api, a, 'WAV must hold PCM, A-law or µ-law');
            }
            return 'wav';
        case 'mp3':
            return 'mp3';
        case 'aac':
            return 'aac';
        case 'mp4':
            if (a.codec !== 'aac' && a.codec !== 'unknown') refuse(api, a, 'M4A must hold AAC');
            return 'm4a';
        case 'ogg':
            if (a.codec !== 'opus') refuse(api, a, 'OGG must hold Opus');
            return 'opus';
        default:
            return refuse(api, a);
    }
}

function chooseTranscriber(a: AudioInfo): string {
    const api = 'transcriber';
    const wavOk = ['pcm', 'alaw', 'ulaw', 'ms-adpcm', 'ima-adpcm'];
    const ok =
        (a.container === 'wav' && wavOk.includes(a.codec)) ||
        a.container === 'mp3' ||
        a.container === 'mp4' ||
        a.container === 'amr' ||
        a.container === 'asf' ||
        (a.container === 'ogg' && (a.codec === 'opus' || a.codec === 'speex'));
    return ok ? 'auto' : refuse(api, a);
}

function chooseRasr(a: AudioInfo): string {
    const api = 'rasr';
    if (a.container !== 'wav' || !isG711OrPcm16(a)) return refuse(api, a);
    requireMono(api, a);
    const k = requireTelephonyRate(api, a) === 16000 ? '16k' : '8k';
    return a.codec === 'pcm' ? `pcm${k}16bit` : `${a.codec}${k}8bit`;
}

/**
 * The `audio_format` value an API expects for the sniffed bytes (the node's `audio_format: "auto"`).
 * Throws `AudioFormatError` when the API cannot take the format or the bytes are not recognised.
 */
export function chooseAudioFormat(api: AsrApi, a: AudioInfo): string {
    switch (api) {
        case 'short-audio':
            return chooseShortAudio(a);
        case 'flash':
            return chooseFlash(a);
        case 'transcriber':
            return chooseTranscriber(a);
        case 'rasr':
            return chooseRasr(a);
        default:
            throw new AudioFormatError(`unknown API ${String(api)}`);
    }
}
