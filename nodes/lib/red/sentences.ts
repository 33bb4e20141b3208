// Message shaping for the recognition nodes: one message per sentence (with msg.parts so a join
// node reassembles them) or one message per input (subtitles.ts makes the subtitle files).
import type { NodeMessage } from './types';

export interface Sentence {
    text: string;
    start_time?: number;
    end_time?: number;
    score?: number;
    channel_id?: number;
    word_info?: { start_time?: number; end_time?: number; word?: string }[];
    role?: string;
    emotion?: string;
    speed?: number;
}

export interface ResultMeta {
    trace_id?: string;
    audio_duration?: number;
    job_id?: string;
}

/** One message per sentence, one per input, or one subtitle file (SubRip or WebVTT) per input. */
export type OutputMode = 'sentences' | 'single' | 'srt' | 'vtt';

/** The output setting of a node; anything unknown is `sentences`. */
export function outputModeOf(value: unknown): OutputMode {
    return value === 'single' || value === 'srt' || value === 'vtt' ? value : 'sentences';
}

export type Clone = (msg: NodeMessage) => NodeMessage;

function isCjk(ch: string | undefined): boolean {
    return ch !== undefined && /[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]/.test(ch);
}

/** Joins sentence texts: no separator between Chinese/Japanese text, a space otherwise. */
export function joinTexts(texts: readonly string[]): string {
    let out = '';
    for (const t of texts) {
        if (!t) continue;
        if (out && !(isCjk(out[out.length - 1]) || isCjk(t[0]))) out += ' ';
        out += t;
    }
    return out;
}

export function compactMeta(meta: ResultMeta): ResultMeta {
    const out: ResultMeta = {};
    if (meta.trace_id !== undefined) out.trace_id = meta.trace_id;
    if (meta.audio_duration !== undefined) out.audio_duration = meta.audio_duration;
    if (meta.job_id !== undefined) out.job_id = meta.job_id;
    return out;
}

let sequence = 0;
function partsId(): string {
    sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER;
    return `${Date.now().toString(16)}.${sequence.toString(16)}`;
}

/**
 * One fresh message per sentence. Every property of the input is kept; an input that already had
 * `msg.parts` keeps it as `msg.parts.parts`, so a later join restores the outer sequence.
 */
export function sentenceMessages(
    input: NodeMessage,
    sentences: readonly Sentence[],
    meta: ResultMeta,
    clone: Clone,
): NodeMessage[] {
    const id = partsId();
    const outer = input.parts;
    const result = compactMeta(meta);
    // The payload (the audio) is replaced in every copy: leave it out of the deep clone.
    const { payload: _audio, ...rest } = input;
    return sentences.map((sentence, index) => {
        const msg = clone(rest as NodeMessage);
        msg.payload = sentence.text;
        msg.sentence = { ...sentence };
        const parts: Record<string, unknown> = { id, index, count: sentences.length, type: 'array', len: 1 };
        if (outer !== undefined) parts.parts = outer;
        msg.parts = parts;
        msg.sis_result = { ...result };
        return msg;
    });
}

/** One message for the whole input: the joined text and the sentence array. Reuses the input. */
export function singleMessage(input: NodeMessage, sentences: readonly Sentence[], meta: ResultMeta): NodeMessage {
    input.payload = joinTexts(sentences.map((s) => s.text));
    input.sentences = sentences.map((s) => ({ ...s }));
    input.sis_result = compactMeta(meta);
    return input;
}
