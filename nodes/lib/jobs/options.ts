// The settings of a transcription job (docs/protocol/rest.md §2.1): the node's values with `msg.sis` on top,
// validated before anything is sent, and shaped as the service's TranscriberConfig.

import { invalidInput } from '../core/errors';
import { defined, type OptionSpecs, resolveOptions, VOCABULARY_ID_OPTION } from '../red/options';
import { TRANSCRIBER_FORMATS, TRANSCRIBER_PROPERTIES } from '../service/formats';

export const JOB_OPTIONS: OptionSpecs = {
    property: { kind: 'enum', values: TRANSCRIBER_PROPERTIES },
    audio_format: { kind: 'enum', values: TRANSCRIBER_FORMATS },
    add_punc: { kind: 'flag' },
    digit_norm: { kind: 'flag' },
    need_word_info: { kind: 'flag' },
    vocabulary_id: VOCABULARY_ID_OPTION,
    // "< 2048 bytes"; the URL itself is checked below.
    callback_url: { kind: 'string', maxLength: 2047 },
};

export const ANALYSIS_CHANNELS = ['MONO', 'LEFT_AGENT', 'RIGHT_AGENT'] as const;
export type AnalysisChannel = (typeof ANALYSIS_CHANNELS)[number];

/** AnalysisInfo as sent: JSON booleans and a string; absent fields take the service's defaults. */
export interface AnalysisInfo {
    diarization?: boolean;
    channel?: AnalysisChannel;
    emotion?: boolean;
    speed?: boolean;
}

export interface TranscriberConfig {
    property: string;
    audio_format: string;
    add_punc?: string;
    digit_norm?: string;
    need_word_info?: string;
    vocabulary_id?: string;
    callback_url?: string;
    need_analysis_info?: AnalysisInfo;
}

export const DEFAULT_PROPERTY = 'chinese_16k_conversation';

const ANALYSIS_FLAGS = ['diarization', 'emotion', 'speed'] as const;

function bool(value: unknown, where: string): boolean {
    if (value === true || value === 'yes') return true;
    if (value === false || value === 'no') return false;
    throw invalidInput(`${where} must be true or false`);
}

function channelOf(value: unknown, where: string): AnalysisChannel {
    if (typeof value === 'string' && (ANALYSIS_CHANNELS as readonly string[]).includes(value)) {
        return value as AnalysisChannel;
    }
    throw invalidInput(`${where} must be one of ${ANALYSIS_CHANNELS.join(', ')}`);
}

/** The analysis object given in `msg.sis.need_analysis_info`; unknown fields are refused (typos). */
function analysisFromObject(value: Record<string, unknown>): AnalysisInfo {
    const out: AnalysisInfo = {};
    for (const [name, v] of Object.entries(value)) {
        const where = `msg.sis.need_analysis_info.${name}`;
        if (v === undefined || v === null) continue;
        if (name === 'channel') out.channel = channelOf(v, where);
        else if ((ANALYSIS_FLAGS as readonly string[]).includes(name)) {
            out[name as (typeof ANALYSIS_FLAGS)[number]] = bool(v, where);
        } else {
            throw invalidInput(
                `msg.sis.need_analysis_info has no field ${name} (diarization, channel, emotion, speed)`,
            );
        }
    }
    return out;
}

/** The node's own analysis settings: all four fields, sent explicitly. */
function analysisFromNode(settings: Record<string, unknown>): AnalysisInfo {
    const flag = (name: string): boolean => (settings[name] === undefined ? true : bool(settings[name], name));
    return {
        diarization: flag('diarization'),
        channel: settings.channel ? channelOf(settings.channel, 'channel') : 'MONO',
        emotion: flag('emotion'),
        speed: flag('speed'),
    };
}

/**
 * Analysis for one message. `msg.sis.need_analysis_info` may be `false`/`null` (none), `true`
 * (the node's analysis settings) or an object that replaces the node's analysis settings.
 */
export function resolveAnalysis(settings: Record<string, unknown>, msgSis: unknown): AnalysisInfo | undefined {
    const sis = (msgSis ?? {}) as Record<string, unknown>;
    if (Object.hasOwn(sis, 'need_analysis_info') && sis.need_analysis_info !== undefined) {
        const v = sis.need_analysis_info;
        if (v === null || v === false || v === 'no') return undefined;
        if (v === true || v === 'yes') return analysisFromNode(settings);
        if (typeof v === 'object' && !Array.isArray(v)) return analysisFromObject(v as Record<string, unknown>);
        throw invalidInput('msg.sis.need_analysis_info must be true, false or an object');
    }
    return settings.need_analysis_info === 'yes' || settings.need_analysis_info === true
        ? analysisFromNode(settings)
        : undefined;
}

function checkCallbackUrl(value: string): void {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        throw invalidInput('callback_url must be an http(s) URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
        throw invalidInput('callback_url must be an http(s) URL');
    if (Buffer.byteLength(value) >= 2048) throw invalidInput('callback_url must be shorter than 2048 bytes');
}

/** The TranscriberConfig for one message (audio_format as chosen, before checking the audio). */
export function resolveJobConfig(settings: Record<string, unknown>, msgSis: unknown): TranscriberConfig {
    const opts = defined(resolveOptions(JOB_OPTIONS, settings, msgSis));
    const config: TranscriberConfig = {
        ...(opts as Record<string, string>),
        property: String(opts.property ?? DEFAULT_PROPERTY),
        audio_format: String(opts.audio_format ?? 'auto'),
    };
    if (config.callback_url !== undefined) checkCallbackUrl(config.callback_url);
    const analysis = resolveAnalysis(settings, msgSis);
    if (analysis) config.need_analysis_info = analysis;
    return config;
}

/**
 * The channel of the agent when the service can tell channels apart (stereo analysis with
 * diarization): the role of a sentence then says which channel it came from.
 */
export function agentChannelOf(analysis: AnalysisInfo | undefined): 0 | 1 | undefined {
    if (!analysis || analysis.diarization === false) return undefined;
    if (analysis.channel === 'LEFT_AGENT') return 0;
    if (analysis.channel === 'RIGHT_AGENT') return 1;
    return undefined;
}
