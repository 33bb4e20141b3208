// What a message to the stream node means: its session key, control word and audio chunk, and
// the START options of a session (node settings with `msg.sis` on top, validated before sending).
import { AudioFormatError } from '../audio/types';
import { invalidInput } from '../core/errors';
import { defined, type OptionSpecs, resolveOptions, VOCABULARY_ID_OPTION } from '../red/options';
import { checkPropertyFormat, RASR_FORMATS, RASR_PROPERTIES } from '../service/formats';
import { type FrameSpec, frameSpec, isRasrFormat } from './frames';
import { STREAM_MODES, type StreamMode } from './socket';

export const STREAM_OPTIONS: OptionSpecs = {
    property: { kind: 'enum', values: RASR_PROPERTIES },
    audio_format: { kind: 'enum', values: RASR_FORMATS },
    add_punc: { kind: 'flag' },
    digit_norm: { kind: 'flag' },
    interim_results: { kind: 'flag' },
    need_word_info: { kind: 'flag' },
    vad_head: { kind: 'int', min: 0, max: 60000 },
    vad_tail: { kind: 'int', min: 0, max: 3000 },
    max_seconds: { kind: 'int', min: 1, max: 60 },
    vocabulary_id: VOCABULARY_ID_OPTION,
};

/** Options that only steer the service's sentence detection, which short-stream does not have. */
const VAD_OPTIONS = ['vad_head', 'vad_tail', 'max_seconds'];

export const DEFAULT_PROPERTY = 'chinese_16k_general';
export const DEFAULT_FORMAT = 'pcm16k16bit';
export const DEFAULT_SESSION = 'default';
export const MAX_SESSION_KEY = 256;

export type Control = 'start' | 'end' | 'cancel';

export function isStreamMode(v: unknown): v is StreamMode {
    return typeof v === 'string' && (STREAM_MODES as readonly string[]).includes(v);
}

/** `msg.session` as a key: a string (or number), `"default"` when absent. */
export function sessionKeyOf(value: unknown): string {
    if (value === undefined || value === null || value === '') return DEFAULT_SESSION;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (typeof value !== 'string') throw invalidInput('msg.session must be a string');
    if (value.length > MAX_SESSION_KEY) throw invalidInput(`msg.session is longer than ${MAX_SESSION_KEY} characters`);
    return value;
}

export function controlOf(value: unknown): Control | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    const v = typeof value === 'string' ? value.trim().toLowerCase() : value;
    if (v === 'start' || v === 'end' || v === 'cancel') return v;
    throw invalidInput('msg.control must be "start", "end" or "cancel"');
}

/**
 * The audio chunk of a message. A chunk message must carry a non-empty Buffer; a control
 * message may carry one (taken before the control applies) and any other payload is ignored
 * (an inject node's timestamp, for instance).
 */
export function chunkOf(payload: unknown, control: Control | undefined): Buffer | undefined {
    let buf: Buffer | undefined;
    if (Buffer.isBuffer(payload)) buf = payload;
    else if (payload instanceof Uint8Array) buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    if (control) return buf && buf.length > 0 ? buf : undefined;
    if (!buf) throw invalidInput('msg.payload must be a Buffer of audio bytes');
    if (buf.length === 0) throw invalidInput('msg.payload is an empty Buffer');
    return buf;
}

export interface StartOptions {
    spec: FrameSpec;
    /** The START `config`, with the service's field names and JSON types. */
    config: Record<string, string | number>;
}

/** The START config for a new session; throws INVALID_INPUT for a value the service would refuse. */
export function startOptions(mode: StreamMode, settings: Record<string, unknown>, msgSis: unknown): StartOptions {
    const opts = resolveOptions(STREAM_OPTIONS, settings, msgSis);
    const property = String(opts.property ?? DEFAULT_PROPERTY);
    const format = String(opts.audio_format ?? DEFAULT_FORMAT);
    try {
        checkPropertyFormat('rasr', property, format);
    } catch (err) {
        if (err instanceof AudioFormatError) throw invalidInput(err.message);
        throw err;
    }
    if (!isRasrFormat(format)) throw invalidInput(`audio_format ${format} is not available for real-time recognition`);
    const { property: _p, audio_format: _f, ...rest } = defined(opts);
    const config: Record<string, string | number> = { audio_format: format, property };
    for (const [k, v] of Object.entries(rest)) {
        if (mode === 'short-stream' && VAD_OPTIONS.includes(k)) continue;
        config[k] = v;
    }
    return { spec: frameSpec(format), config };
}

/** A number setting within bounds (editor values arrive as strings). */
export function boundedNumber(value: unknown, fallback: number, min: number, max: number): number {
    const n = typeof value === 'number' ? value : Number.parseFloat(String(value ?? ''));
    return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}
