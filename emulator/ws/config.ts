// START validation for RASR (docs/protocol/websocket.md §1.3–1.4) and WebSocket short-audio (§2).
import { type RawFormat, rawFormat, sampleRateOfProperty } from '../audio';
import type { StreamConfig, StreamMode } from './recognizer';

export interface ConfigError {
    code: string;
    message: string;
}

const RASR_PROPERTIES = new Set([
    'chinese_8k_common',
    'chinese_16k_common',
    'chinese_8k_general',
    'chinese_16k_general',
    'sichuan_16k_common',
    'cantonese_16k_common',
    'shanghai_16k_common',
    'chinese_16k_court',
    'chinese_16k_it',
    // The current table names an English 16 kHz model we could not read in full.
    'english_16k_common',
]);
const SHORT_AUDIO_PROPERTIES = new Set([
    'chinese_8k_common',
    'chinese_16k_common',
    'sichuan_16k_common',
    'cantonese_16k_common',
    'shanghai_16k_common',
]);
const FLAGS = ['add_punc', 'digit_norm', 'interim_results', 'need_word_info'] as const;
const VAD_KEYS = ['vad_head', 'vad_tail', 'max_seconds'] as const;
/** Sent by Huawei's own WebSocket SDK; undocumented, accepted and ignored. */
const TOLERATED = ['vad_threshold', 'user_words'] as const;

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const invalid = (code: string, message: string): ConfigError => ({ code, message });

function integerIn(
    cfg: Record<string, unknown>,
    key: string,
    min: number,
    max: number,
    fallback: number,
): number | ConfigError {
    const v = cfg[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v)) return invalid('SIS.0031', `'${key}' must be an integer`);
    if (v < min || v > max) return invalid('SIS.0031', `${key} is out of range`);
    return v;
}

/** Validated stream settings, or the ERROR to answer. */
export function parseStartConfig(mode: StreamMode, config: unknown): StreamConfig | ConfigError {
    if (config === undefined || config === null) return invalid('SIS.0032', 'config cannot be empty');
    if (!isObject(config)) return invalid('SIS.0031', "'config' must be an object");
    const shortAudio = mode === 'short-audio';
    const allowed = new Set<string>(['audio_format', 'property', 'vocabulary_id', ...FLAGS, ...TOLERATED]);
    if (!shortAudio) for (const k of VAD_KEYS) allowed.add(k);
    for (const key of Object.keys(config)) {
        if (!allowed.has(key)) return invalid('SIS.0031', `'${key}' is not a supported parameter`);
    }
    const { audio_format: audioFormat, property } = config;
    if (audioFormat === undefined) return invalid('SIS.0032', 'audio_format cannot be empty');
    if (property === undefined) return invalid('SIS.0032', 'property cannot be empty');
    const format: RawFormat | undefined = typeof audioFormat === 'string' ? rawFormat(audioFormat) : undefined;
    if (!format) return invalid('SIS.0032', "'audio_format' is invalid");
    const properties = shortAudio ? SHORT_AUDIO_PROPERTIES : RASR_PROPERTIES;
    if (typeof property !== 'string' || !properties.has(property)) {
        return invalid('SIS.0031', "'property' is invalid");
    }
    if (sampleRateOfProperty(property) !== format.sampleRate) {
        return invalid('SIS.0301', "'audio_format' is not match model");
    }
    const flags: Record<string, boolean> = {};
    for (const key of FLAGS) {
        const v = config[key];
        if (v !== undefined && v !== 'yes' && v !== 'no') return invalid('SIS.0031', `'${key}' must be "yes" or "no"`);
        flags[key] = v === undefined ? key === 'digit_norm' : v === 'yes';
    }
    if (config.vocabulary_id !== undefined && typeof config.vocabulary_id !== 'string') {
        return invalid('SIS.0031', "'vocabulary_id' must be a string");
    }
    if (config.vad_threshold !== undefined && typeof config.vad_threshold !== 'number') {
        return invalid('SIS.0031', "'vad_threshold' must be a number");
    }
    if (config.user_words !== undefined && !Array.isArray(config.user_words)) {
        return invalid('SIS.0031', "'user_words' must be an array");
    }
    const head = integerIn(config, 'vad_head', 0, 60000, 10000);
    if (typeof head !== 'number') return head;
    const tail = integerIn(config, 'vad_tail', 0, 3000, 500);
    if (typeof tail !== 'number') return tail;
    const max = integerIn(config, 'max_seconds', 1, 60, 30);
    if (typeof max !== 'number') return max;
    const dialect = property === 'cantonese_16k_common' || property === 'shanghai_16k_common';
    return {
        mode,
        format,
        property,
        interim: flags.interim_results,
        addPunc: flags.add_punc,
        digitNorm: flags.digit_norm,
        needWordInfo: flags.need_word_info,
        vadHeadMs: head === 0 ? 60000 : head, // current doc: 0 means 60000
        vadTailMs: tail,
        maxSeconds: dialect ? Math.max(10, max) : max,
    };
}

export function isConfigError(v: StreamConfig | ConfigError): v is ConfigError {
    return 'code' in v;
}

/** Frame size limits per sample rate (bytes). */
export function frameLimits(format: RawFormat): { min: number; max: number } {
    return format.sampleRate === 8000 ? { min: 160, max: 32768 } : { min: 320, max: 65536 };
}
