// sis-tts: text in, audio out. Options are checked against the voice before anything is sent;
// long text is split, synthesized in parallel and joined into one file (REST), or streamed part
// by part as the service produces it (real-time mode, over the RTTS WebSocket).

import { Mp3HeadFilter } from '../audio/mp3';
import { invalidInput } from '../core/errors';
import { type OptionSpecs, resolveOptions } from '../red/options';
import type { NodeAPI, NodeMessage } from '../red/types';
import type { InputContext, UserNode } from '../red/user-node';
import { RTTS_LONG_TEXT_LENGTH, RTTS_LONG_TEXT_VOICES, TTS_MAX_TEXT_LENGTH } from '../service/limits';
import {
    findTtsVoice,
    TTS_AUDIO_FORMATS,
    TTS_DEFAULT_AUDIO_FORMAT,
    TTS_DEFAULT_SAMPLE_RATE,
    TTS_DEFAULT_VOICE,
    TTS_PITCH_RANGE,
    TTS_PROPERTIES,
    TTS_SPEED_RANGE,
    TTS_VOLUME_RANGE,
    type TtsSampleRate,
    type TtsVoice,
} from '../service/voices';
import { PhraseCache, phraseKey } from './cache';
import { joinAudio, pcmFormat, type TtsFormat, wavHeader } from './join';
import { runRttsSession, streamInOrder } from './realtime';
import { Semaphore, synthesizeParts, type TtsRequestConfig } from './rest';
import { looksLikeSsml, planTexts } from './split';

export const TTS_OPTIONS: OptionSpecs = {
    property: { kind: 'enum', values: TTS_PROPERTIES },
    audio_format: { kind: 'enum', values: TTS_AUDIO_FORMATS },
    speed: { kind: 'int', min: TTS_SPEED_RANGE.min, max: TTS_SPEED_RANGE.max },
    pitch: { kind: 'int', min: TTS_PITCH_RANGE.min, max: TTS_PITCH_RANGE.max },
    volume: { kind: 'int', min: TTS_VOLUME_RANGE.min, max: TTS_VOLUME_RANGE.max },
};

export function rttsTextLimit(property: string): number {
    return RTTS_LONG_TEXT_VOICES.has(property) ? RTTS_LONG_TEXT_LENGTH : TTS_MAX_TEXT_LENGTH;
}

export const TTS_DEFAULT_CONCURRENCY = 4;
/** Real-time mode: connections prepared beyond the one whose audio is being sent. */
const REALTIME_AHEAD = 1;
export const TTS_MAX_CONCURRENCY = 32;
export const TTS_DEFAULT_MAX_TEXT = 10_000;
export const TTS_DEFAULT_REALTIME_TIMEOUT_S = 30;

export type TtsMode = 'rest' | 'realtime';

export interface TtsSettings {
    property?: unknown;
    audio_format?: unknown;
    sample_rate?: unknown;
    speed?: unknown;
    pitch?: unknown;
    volume?: unknown;
    mode?: unknown;
    concurrency?: unknown;
    /** `"yes"`: keep synthesized phrases (whole-file mode) and answer repeats from them. */
    cache?: unknown;
    /** The cache's bound in MB (default 16). */
    cacheSize?: unknown;
    /** A folder for the cache; empty: memory. */
    cacheDir?: unknown;
}

export const TTS_DEFAULT_CACHE_MB = 16;

/** The node's phrase cache, or none when it is off. */
export function phraseCacheOf(settings: TtsSettings): PhraseCache | undefined {
    if (settings.cache !== 'yes' && settings.cache !== true) return undefined;
    const mb = positive(settings.cacheSize, TTS_DEFAULT_CACHE_MB);
    const dir =
        typeof settings.cacheDir === 'string' && settings.cacheDir.trim() ? settings.cacheDir.trim() : undefined;
    return new PhraseCache({ maxBytes: Math.floor(Math.min(mb, 4096) * 1_000_000), dir });
}

export interface TtsLimits {
    /** characters one input may hold in all */
    maxTextLength: number;
    /** real-time mode: seconds without a frame before TIMEOUT */
    realtimeTimeoutMs: number;
}

export interface TtsRequest {
    voice: TtsVoice;
    config: TtsRequestConfig;
    text: string;
    ssml: boolean;
}

function sampleRateOf(raw: unknown, where: string): TtsSampleRate | undefined {
    if (raw === undefined || raw === null || raw === '') return undefined;
    const s = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
    if (s === '8000' || s === '16000') return s;
    throw invalidInput(`${where}.sample_rate must be 8000 or 16000`);
}

function countChars(text: string): number {
    let n = 0;
    for (const _ of text) n++;
    return n;
}

/**
 * The request for one input: the node's settings with `msg.sis` on top, checked against the
 * voice (sample rates, pitch, SSML) and the limits. Throws INVALID_INPUT.
 */
export function resolveTtsRequest(settings: TtsSettings, msg: NodeMessage, limits: TtsLimits): TtsRequest {
    const payload = msg.payload;
    if (typeof payload !== 'string') throw invalidInput('msg.payload must be the text to speak (a string)');
    if (payload.trim() === '') throw invalidInput('msg.payload is empty: there is no text to speak');
    const chars = countChars(payload);
    if (chars > limits.maxTextLength) {
        throw invalidInput(`msg.payload has ${chars} characters; at most ${limits.maxTextLength} are allowed`);
    }
    const opts = resolveOptions(TTS_OPTIONS, settings as Record<string, unknown>, msg.sis);
    const property = String(opts.property ?? TTS_DEFAULT_VOICE);
    const voice = findTtsVoice(property);
    if (!voice) throw invalidInput(`voice ${property} is unknown`);
    const sis = (msg.sis ?? {}) as Record<string, unknown>;
    const requested =
        sampleRateOf(Object.hasOwn(sis, 'sample_rate') ? sis.sample_rate : undefined, 'msg.sis') ??
        sampleRateOf(settings.sample_rate, 'setting');
    const sampleRate =
        requested ??
        (voice.sampleRates.includes(TTS_DEFAULT_SAMPLE_RATE) ? TTS_DEFAULT_SAMPLE_RATE : voice.sampleRates[0]);
    if (!voice.sampleRates.includes(sampleRate)) {
        throw invalidInput(
            `voice ${property} takes sample_rate ${voice.sampleRates.join(' or ')} only, not ${sampleRate}`,
        );
    }
    const pitch = typeof opts.pitch === 'number' ? opts.pitch : TTS_PITCH_RANGE.default;
    if (!voice.pitch && pitch !== 0) throw invalidInput(`voice ${property} does not support pitch; leave it at 0`);
    const ssml = looksLikeSsml(payload);
    if (ssml && !voice.ssml)
        throw invalidInput(`voice ${property} does not take SSML; choose an SSML voice or plain text`);
    const config: TtsRequestConfig = {
        audio_format: (opts.audio_format ?? TTS_DEFAULT_AUDIO_FORMAT) as TtsFormat,
        sample_rate: sampleRate,
        property,
        speed: typeof opts.speed === 'number' ? opts.speed : TTS_SPEED_RANGE.default,
        volume: typeof opts.volume === 'number' ? opts.volume : TTS_VOLUME_RANGE.default,
    };
    // Voices without pitch control get no pitch field at all.
    if (voice.pitch) config.pitch = pitch;
    return { voice, config, text: payload, ssml };
}

export function concurrencyOf(raw: unknown): number {
    const n = typeof raw === 'number' ? raw : Number.parseInt(String(raw ?? ''), 10);
    if (!Number.isFinite(n)) return TTS_DEFAULT_CONCURRENCY;
    return Math.min(TTS_MAX_CONCURRENCY, Math.max(1, Math.floor(n)));
}

interface ResultMeta {
    trace_id?: string;
    trace_ids?: string[];
}

function resultMeta(traceIds: readonly (string | undefined)[]): ResultMeta {
    const ids = traceIds.filter((t): t is string => typeof t === 'string');
    const meta: ResultMeta = {};
    if (ids.length > 0) meta.trace_id = ids[0];
    if (traceIds.length > 1 && ids.length > 0) meta.trace_ids = ids;
    return meta;
}

/**
 * Sends real-time audio as parts a join node in automatic mode reassembles: the count is only
 * known at the end, so each part is held until the next arrives and the last one carries it.
 */
class PartSender {
    private held: Buffer | undefined;
    private index = 0;
    private header: Buffer | undefined;

    constructor(
        private readonly input: NodeMessage,
        private readonly send: InputContext['send'],
        private readonly clone: (msg: NodeMessage) => NodeMessage,
        private readonly id: string,
        private readonly audio: { format: TtsFormat; sample_rate: number },
        private readonly meta: () => ResultMeta,
        header?: Buffer,
    ) {
        this.header = header;
    }

    get sent(): number {
        return this.index;
    }

    push(chunk: Buffer): void {
        if (chunk.length === 0) return;
        let part = chunk;
        if (this.header) {
            part = Buffer.concat([this.header, chunk]);
            this.header = undefined;
        }
        if (this.held) this.emit(this.held, false);
        this.held = part;
    }

    finish(): void {
        const last = this.held ?? this.header ?? Buffer.alloc(0);
        this.held = undefined;
        this.header = undefined;
        this.emit(last, true);
    }

    private emit(payload: Buffer, last: boolean): void {
        const msg = this.clone(this.input);
        msg.payload = payload;
        msg.audio = { ...this.audio, bytes: payload.length };
        const parts: Record<string, unknown> = { id: this.id, index: this.index, type: 'buffer' };
        this.index++;
        if (last) parts.count = this.index;
        if (this.input.parts !== undefined) parts.parts = this.input.parts;
        msg.parts = parts;
        msg.sis_result = this.meta();
        this.send(msg);
    }
}

function readSetting(RED: NodeAPI, name: string): unknown {
    return (RED.settings as unknown as Record<string, unknown>)[name];
}

function positive(value: unknown, fallback: number): number {
    const n = typeof value === 'number' ? value : Number.parseFloat(String(value ?? ''));
    return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** The limits from settings.js (`sisTtsMaxTextLength`, `sisTtsRealtimeTimeout` in seconds). */
export function runtimeLimits(RED: NodeAPI): TtsLimits {
    return {
        maxTextLength: Math.floor(positive(readSetting(RED, 'sisTtsMaxTextLength'), TTS_DEFAULT_MAX_TEXT)),
        realtimeTimeoutMs: positive(readSetting(RED, 'sisTtsRealtimeTimeout'), TTS_DEFAULT_REALTIME_TIMEOUT_S) * 1000,
    };
}

export function attachTts(RED: NodeAPI, user: UserNode, settings: TtsSettings): void {
    const mode: TtsMode = settings.mode === 'realtime' ? 'realtime' : 'rest';
    const bound = concurrencyOf(settings.concurrency);
    // One bound for the node: its inputs share it, so a burst of messages cannot flood the service.
    const limiter = new Semaphore(bound);
    const limits = runtimeLimits(RED);
    const cache = mode === 'rest' ? phraseCacheOf(settings) : undefined;

    user.onInput(async (ctx: InputContext) => {
        const request = resolveTtsRequest(settings, ctx.msg, limits);
        if (mode === 'realtime') await speakRealtime(RED, user, ctx, request, limiter, limits);
        else await speakFile(user, ctx, request, limiter, cache);
    });
}

async function speakFile(
    user: UserNode,
    ctx: InputContext,
    req: TtsRequest,
    limiter: Semaphore,
    cache?: PhraseCache,
): Promise<void> {
    const { msg, send, signal, client } = ctx;
    const key = cache ? phraseKey(req.text, req.config) : '';
    const hit = cache ? await cache.get(key).catch(() => undefined) : undefined;
    if (hit) {
        msg.payload = hit.audio;
        msg.audio = {
            format: req.config.audio_format,
            sample_rate: hit.sampleRate ?? Number(req.config.sample_rate),
            bytes: hit.audio.length,
        };
        msg.sis_result = { cached: true };
        send(msg);
        user.status.show('green', 'dot', 'cached', { seconds: ((hit.durationMs ?? 0) / 1000).toFixed(1) });
        return;
    }
    const texts = planTexts(req.text, TTS_MAX_TEXT_LENGTH, req.ssml);
    user.status.begin('synthesizing');
    const { parts, traceIds } = await synthesizeParts(client, texts, req.config, limiter, signal);
    const rate = Number(req.config.sample_rate);
    const joined = joinAudio(req.config.audio_format, parts, rate);
    msg.payload = joined.audio;
    msg.audio = {
        format: req.config.audio_format,
        sample_rate: joined.sampleRate ?? rate,
        bytes: joined.audio.length,
    };
    msg.sis_result = resultMeta(traceIds);
    if (cache) {
        // A failure to keep the phrase costs only the next request.
        await cache
            .set(key, { audio: joined.audio, sampleRate: joined.sampleRate, durationMs: joined.durationMs })
            .catch(() => undefined);
    }
    send(msg);
    user.status.succeed('audio', { seconds: ((joined.durationMs ?? 0) / 1000).toFixed(1) });
}

async function speakRealtime(
    RED: NodeAPI,
    user: UserNode,
    ctx: InputContext,
    req: TtsRequest,
    limiter: Semaphore,
    limits: TtsLimits,
): Promise<void> {
    const { msg, send, signal, client } = ctx;
    const format = req.config.audio_format;
    const rate = Number(req.config.sample_rate);
    const texts = planTexts(req.text, rttsTextLimit(req.config.property), req.ssml);
    // RTTS streams raw PCM or MP3 (docs/protocol/websocket.md §3.1); WAV is PCM behind a header with open sizes.
    const config = { ...req.config, audio_format: format === 'mp3' ? ('mp3' as const) : ('pcm' as const) };
    const traceIds: (string | undefined)[] = new Array(texts.length);
    const sender = new PartSender(
        msg,
        send,
        (m) => RED.util.cloneMessage(m),
        RED.util.generateId(),
        { format, sample_rate: rate },
        () => resultMeta(traceIds),
        format === 'wav' ? wavHeader(pcmFormat(rate)) : undefined,
    );
    user.status.begin('synthesizing');
    let streaming = false;
    const emit = (chunk: Buffer): void => {
        sender.push(chunk);
        if (!streaming && sender.sent > 0) {
            streaming = true;
            user.status.show('green', 'dot', 'speaking');
        }
    };
    await streamInOrder(
        texts.length,
        // The text playing and the next one, prepared so playback has no gap; more would only hold
        // audio in memory (a long-text connection can carry half an hour of it).
        Math.min(limiter.max, REALTIME_AHEAD + 1),
        (i, sink, sessionSignal) =>
            limiter.run(sessionSignal, async () => {
                // Only the first file of the stream may keep its ID3 tag; no file keeps its info frame.
                const filter = format === 'mp3' ? new Mp3HeadFilter(i === 0) : undefined;
                const result = await runRttsSession({
                    client,
                    text: texts[i],
                    config,
                    signal: sessionSignal,
                    idleTimeoutMs: limits.realtimeTimeoutMs,
                    handshakeRetries: 2,
                    what:
                        texts.length > 1
                            ? `real-time synthesis (part ${i + 1} of ${texts.length})`
                            : 'real-time synthesis',
                    onStart: (traceId) => {
                        traceIds[i] = traceId;
                    },
                    onAudio: (chunk) => {
                        const out = filter ? filter.push(chunk) : chunk;
                        if (out.length > 0) sink(out);
                    },
                });
                const tail = filter?.flush();
                if (tail && tail.length > 0) sink(tail);
                traceIds[i] = result.traceId ?? traceIds[i];
            }),
        emit,
        signal,
    );
    sender.finish();
    user.status.succeed('parts', { count: sender.sent });
}
