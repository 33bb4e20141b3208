// What a job query says (docs/protocol/rest.md §2.2): still waiting, finished with its segments, or failed — and
// which query failures end the job (any 4xx but 429) rather than being worth another try.
import { hintFor, SisError, toSisError } from '../core/errors';
import type { Sentence } from '../red/sentences';

export interface JobQueryBody {
    status?: unknown;
    audio_duration?: unknown;
    segments?: unknown;
    error_code?: unknown;
    error_msg?: unknown;
}

interface Segment {
    start_time?: unknown;
    end_time?: unknown;
    result?: {
        text?: unknown;
        word_info?: unknown;
        analysis_info?: { role?: unknown; emotion?: unknown; speed?: unknown };
    };
}

export type JobState =
    | { state: 'waiting' }
    | { state: 'finished'; sentences: Sentence[]; audioDuration?: number }
    | { state: 'failed'; error: SisError };

function num(v: unknown): number | undefined {
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
    return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Names the job in every message about it. */
export function jobWhat(jobId: string): string {
    return `transcription job ${jobId}`;
}

/**
 * Sentences in time order. Segments carry no channel; with stereo analysis and diarization the
 * speaker's role tells it (`agentChannel` is the agent's channel).
 */
export function jobSentences(segments: unknown, agentChannel?: 0 | 1): Sentence[] {
    const out: Sentence[] = [];
    for (const seg of Array.isArray(segments) ? (segments as Segment[]) : []) {
        const text = seg?.result?.text;
        if (typeof text !== 'string' || text === '') continue;
        const sentence: Sentence = { text };
        const start = num(seg.start_time);
        const end = num(seg.end_time);
        if (start !== undefined) sentence.start_time = start;
        if (end !== undefined) sentence.end_time = end;
        if (Array.isArray(seg.result?.word_info)) sentence.word_info = seg.result.word_info as Sentence['word_info'];
        const analysis = seg.result?.analysis_info;
        if (analysis && typeof analysis === 'object') {
            const role = str(analysis.role);
            const emotion = str(analysis.emotion);
            const speed = num(analysis.speed);
            if (role !== undefined) sentence.role = role;
            if (emotion !== undefined) sentence.emotion = emotion;
            if (speed !== undefined) sentence.speed = speed;
            if (agentChannel !== undefined && (role === 'AGENT' || role === 'USER')) {
                sentence.channel_id = role === 'AGENT' ? agentChannel : 1 - agentChannel;
            }
        }
        out.push(sentence);
    }
    // A stable sort keeps the service's order for sentences starting together (two channels).
    return out.sort((a, b) => (a.start_time ?? 0) - (b.start_time ?? 0));
}

/** Reads a 2xx answer of the job query. */
export function interpretJob(body: JobQueryBody, jobId: string, agentChannel?: 0 | 1): JobState {
    const status = typeof body.status === 'string' ? body.status.toUpperCase() : undefined;
    if (status === 'ERROR') {
        // Failed jobs usually come as HTTP 400 (see queryFailure); a 200 with ERROR is read the same way.
        const code = str(body.error_code);
        const detail = str(body.error_msg) ?? 'the service reported an error';
        return {
            state: 'failed',
            error: new SisError(
                code ?? 'JOB_FAILED',
                `${jobWhat(jobId)} failed: ${detail}${hintFor(code)}${code ? ` (${code})` : ''}`,
                {
                    serviceCode: code,
                },
            ),
        };
    }
    if (status === 'FINISHED' || (status === undefined && Array.isArray(body.segments))) {
        return {
            state: 'finished',
            sentences: jobSentences(body.segments, agentChannel),
            audioDuration: num(body.audio_duration),
        };
    }
    // WAITING, or a state this client does not know yet: ask again later.
    return { state: 'waiting' };
}

export type QueryFailure = { terminal: true; error: SisError } | { terminal: false; error: SisError };

const NOT_FOUND = /task id is not found/i;

/**
 * A failed query. A 4xx other than 429 ends the job: a failed job (400 with `status: ERROR`), an
 * id the service no longer knows (results expire 72 h after the job ends), or a refusal that will
 * not change. Anything else (throttling, 5xx, network, a garbled answer) is tried again later.
 */
export function queryFailure(err: unknown, jobId: string): QueryFailure {
    const e = toSisError(err, jobWhat(jobId));
    const status = e.status;
    if (status === undefined || status < 400 || status >= 500 || status === 429) return { terminal: false, error: e };
    if (status === 404 || NOT_FOUND.test(e.message)) {
        return {
            terminal: true,
            error: e.rephrased(
                `${jobWhat(jobId)} is not known to the service: its result has expired (kept 72 h) or the id is wrong (${e.serviceCode ?? `HTTP ${status}`})`,
            ),
        };
    }
    return { terminal: true, error: e };
}
