// Recording-file jobs: POST /v1/{project_id}/asr/transcriber/jobs and GET …/jobs/{job_id} (docs/protocol/rest.md §2).
// A job stays WAITING for limits.jobDelayMs, then reads FINISHED or ERROR, and is forgotten
// limits.resultTtlMs after completion ("task id is not found").

import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { recognize } from './audio';
import type { Call, Core } from './core';
import { decodeKey, type ObsTarget, pathStyleTarget, readObject, sisReadObject, virtualHostBucket } from './obs';
import { type Reply, SisError } from './reply';
import { asSisError, checkVocabulary, isObject, type JsonObject, jsonBody, rateOfName, yesNo } from './sis-common';
import { checkPropertyRegion } from './sis-short-audio';
import type { Job, Outcome } from './stores';
import type { RecognizedSentence } from './types';

const FORMATS = [
    'auto',
    'pcm16k16bit',
    'pcm8k16bit',
    'ulaw16k8bit',
    'ulaw8k8bit',
    'alaw16k8bit',
    'alaw8k8bit',
    'vox8k4bit',
    'v3_8k4bit',
];

const PROPERTY_REGIONS: Record<string, readonly string[] | undefined> = {
    chinese_8k_general: undefined,
    chinese_16k_media: ['cn-north-4', 'cn-east-3'],
    chinese_8k_common: undefined,
    chinese_16k_conversation: undefined,
    chinese_8k_bank: ['cn-north-4'],
    chinese_8k_insurance: ['cn-north-4'],
    sichuan_8k_common: ['cn-north-4', 'cn-east-3'],
};

const CHANNELS = ['MONO', 'LEFT_AGENT', 'RIGHT_AGENT'] as const;
const MAX_PENDING_JOBS = 100;
const MAX_BYTES = 300 * 1024 * 1024;
const MAX_DURATION_MS = 5 * 3600 * 1000;
const FETCH_TIMEOUT_MS = 30_000;
const PUNCTUATION = /[\s\p{P}]/gu;

interface Analysis {
    diarization: boolean;
    channel: (typeof CHANNELS)[number];
    emotion: boolean;
    speed: boolean;
}

interface JobConfig {
    audioFormat: string;
    property: string;
    addPunc: boolean;
    digitNorm: boolean;
    wordInfo: boolean;
    analysis?: Analysis;
    callbackUrl?: string;
}

function iso(ms: number): string {
    return new Date(ms).toISOString();
}

const LOOPBACK_NAMES = /^(?:localhost|.+\.localhost)$/i;

/** Whether a URL host (brackets removed) is a loopback name or address. */
function isLoopback(hostname: string): boolean {
    if (LOOPBACK_NAMES.test(hostname)) return true;
    if (isIP(hostname) === 4) return hostname.startsWith('127.');
    return hostname === '::1' || /^(?:0*:)*:?0*1$/.test(hostname);
}

/**
 * Parses a URL the service may use. The cloud takes domain names only (docs/protocol/rest.md §2.1):
 * IP addresses and loopback names are refused unless `allowLoopbackUrls` lets loopback through. A
 * `data_url` of this emulator's own OBS is accepted whatever its host: it stands for the OBS domain.
 */
function parseServiceUrl(core: Core, value: unknown, maxBytes: number, ownObs: boolean): URL | undefined {
    if (typeof value !== 'string' || value === '' || Buffer.byteLength(value) >= maxBytes) return undefined;
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return undefined;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (ownObs && obsTargetOf(core, url)) return url;
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    if (isLoopback(hostname)) return core.allowLoopbackUrls ? url : undefined;
    if (isIP(hostname) !== 0) return undefined;
    return url;
}

function analysisOf(value: unknown): Analysis | undefined {
    if (value === undefined || value === null) return undefined;
    if (!isObject(value)) throw new SisError('SIS.0533', "'need_analysis_info' is invalid");
    const bool = (name: string): boolean => {
        const v = value[name];
        if (v === undefined || v === null) return true;
        if (typeof v !== 'boolean') throw new SisError('SIS.0533', `'need_analysis_info.${name}' is invalid`);
        return v;
    };
    const channel = value.channel ?? 'MONO';
    if (!CHANNELS.includes(channel as Analysis['channel'])) {
        throw new SisError('SIS.0533', "'need_analysis_info.channel' is invalid");
    }
    return {
        diarization: bool('diarization'),
        channel: channel as Analysis['channel'],
        emotion: bool('emotion'),
        speed: bool('speed'),
    };
}

function configOf(core: Core, config: JsonObject): JobConfig {
    const audioFormat = config.audio_format ?? 'auto';
    if (typeof audioFormat !== 'string' || !FORMATS.includes(audioFormat)) {
        throw new SisError('SIS.0533', "'audio_format' is invalid");
    }
    const property = config.property;
    if (property === undefined || property === null || property === '') {
        throw new SisError('SIS.0032', 'property cannot be empty');
    }
    if (typeof property !== 'string' || !(property in PROPERTY_REGIONS)) {
        throw new SisError('SIS.0533', "'property' is invalid");
    }
    checkPropertyRegion(core, property, PROPERTY_REGIONS[property]);
    const formatRate = rateOfName(audioFormat);
    if (formatRate !== undefined && formatRate !== rateOfName(property)) {
        throw new SisError('SIS.0533', "'audio_format' does not match 'property'");
    }
    checkVocabulary(core, config.vocabulary_id);
    let callbackUrl: string | undefined;
    if (config.callback_url !== undefined && config.callback_url !== null && config.callback_url !== '') {
        const url = parseServiceUrl(core, config.callback_url, 2048, false);
        if (!url) throw new SisError('SIS.0032', 'callback_url is invalid or too long');
        callbackUrl = url.href;
    }
    return {
        audioFormat,
        property,
        addPunc: yesNo(config.add_punc, 'add_punc', false, 'SIS.0533'),
        digitNorm: yesNo(config.digit_norm, 'digit_norm', true, 'SIS.0533'),
        wordInfo: yesNo(config.need_word_info, 'need_word_info', false, 'SIS.0533'),
        analysis: analysisOf(config.need_analysis_info),
        callbackUrl,
    };
}

/** An OBS object of this emulator: virtual-hosted OBS name or a path-style URL on its own host. */
function obsTargetOf(core: Core, url: URL): ObsTarget | undefined {
    const bucket = virtualHostBucket(url.host);
    if (bucket) return { bucket, rawKeyPath: url.pathname };
    const own = new URL(core.baseUrl());
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const sameHost =
        url.protocol === own.protocol &&
        (url.host === own.host ||
            (isLoopback(hostname) && url.port === own.port && isLoopback(own.hostname.replace(/^\[|\]$/g, ''))));
    return sameHost ? pathStyleTarget(url.pathname) : undefined;
}

async function download(core: Core, url: URL): Promise<Buffer> {
    const target = obsTargetOf(core, url);
    if (target) {
        const key = decodeKey(target.rawKeyPath);
        const query = [...url.searchParams.entries()];
        if (query.some(([name]) => name === 'Signature')) {
            // A pre-signed URL carries the account's own authorisation: readable whatever the ACL.
            const auth = core.obsAuth.verify({ method: 'GET', ...target, query, headers: {} });
            if (!auth?.ok) {
                const why = auth && !auth.ok ? `${auth.code}: ${auth.message}` : 'AccessDenied';
                throw new SisError('SIS.0609', `download audio failed: ${why}`);
            }
            const bytes = readObject(core, target.bucket, key);
            if (!bytes) throw new SisError('SIS.30003', 'download audio from obs failed: NoSuchKey');
            return bytes;
        }
        // Plain OBS URLs are read through the account's authorisation of SIS (docs/protocol/obs.md §1).
        const read = sisReadObject(core, target.bucket, key);
        if (read.ok) return read.bytes;
        if (read.code === 'AccessDenied')
            throw new SisError('SIS.0609', 'download audio from obs failed: AccessDenied');
        throw new SisError('SIS.30003', `download audio from obs failed: ${read.code}`);
    }
    let response: Response;
    try {
        response = await fetch(url, {
            signal: AbortSignal.any([core.tasks.signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]),
        });
    } catch {
        throw new SisError('SIS.0609', 'download audio from url failed');
    }
    if (!response.ok) throw new SisError('SIS.0609', `download audio from url failed: HTTP ${response.status}`);
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length > MAX_BYTES) throw new SisError('SIS.0537', 'audio file is too large');
    return bytes;
}

function emotionOf(text: string): string {
    if (text === '') return 'UNKNOWN';
    return /[!！]$/.test(text) ? 'ANGRY' : 'NORMAL';
}

function speedOf(sentence: RecognizedSentence): number {
    const chars = sentence.text.replace(PUNCTUATION, '').length;
    const seconds = (sentence.end_time - sentence.start_time) / 1000;
    return seconds > 0 ? Math.round((chars / seconds) * 10) / 10 : 0;
}

interface Tagged {
    sentence: RecognizedSentence;
    role?: string;
}

/** Which sentences form the job result and who spoke them (deterministic roles). */
function tagSentences(core: Core, config: JobConfig, channels: RecognizedSentence[][], sampleRate: number): Tagged[] {
    const analysis = config.analysis;
    if (!analysis) {
        return channels.flat().map((sentence) => ({ sentence }));
    }
    if (analysis.channel === 'MONO') {
        // Stereo is down-mixed by the service; the emulator recognises the first channel.
        const manySpeakers =
            sampleRate === 16000 && config.property === 'chinese_16k_media' && core.ctx.account.region === 'cn-east-3';
        return (channels[0] ?? []).map((sentence, i) => ({
            sentence,
            role: analysis.diarization
                ? manySpeakers
                    ? `speaker${(i % 2) + 1}`
                    : i % 2 === 0
                      ? 'AGENT'
                      : 'USER'
                : undefined,
        }));
    }
    // LEFT_AGENT / RIGHT_AGENT: mono input is duplicated, giving two identical transcripts.
    const pair = channels.length >= 2 ? channels.slice(0, 2) : [channels[0] ?? [], channels[0] ?? []];
    const agent = analysis.channel === 'LEFT_AGENT' ? 0 : 1;
    return pair.flatMap((sentences, ch) =>
        sentences.map((sentence) => ({
            sentence,
            role: analysis.diarization ? (ch === agent ? 'AGENT' : 'USER') : undefined,
        })),
    );
}

function segmentsOf(core: Core, config: JobConfig, channels: RecognizedSentence[][], sampleRate: number) {
    const tagged = tagSentences(core, config, channels, sampleRate);
    tagged.sort((a, b) => a.sentence.start_time - b.sentence.start_time);
    return tagged.map(({ sentence, role }) => {
        const result: Record<string, unknown> = { text: sentence.text };
        if (config.wordInfo) result.word_info = sentence.word_info ?? [];
        const analysis = config.analysis;
        if (analysis) {
            const info: Record<string, unknown> = {};
            if (role !== undefined) info.role = role;
            if (analysis.emotion) info.emotion = emotionOf(sentence.text);
            if (analysis.speed) info.speed = speedOf(sentence);
            result.analysis_info = info;
        }
        return { start_time: sentence.start_time, end_time: sentence.end_time, result };
    });
}

async function process(core: Core, config: JobConfig, url: URL): Promise<Outcome> {
    try {
        const audio = await download(core, url);
        if (audio.length === 0) throw new SisError('SIS.30006', 'Invalid data found when processing input');
        let recognized: ReturnType<typeof recognize>;
        try {
            recognized = recognize(core.ctx, audio, {
                audio_format: config.audioFormat,
                property: config.property,
                need_word_info: config.wordInfo,
                add_punc: config.addPunc,
                digit_norm: config.digitNorm,
            });
        } catch (err) {
            const e = asSisError(err);
            if (e.code === 'SIS.0602' || e.code === 'SIS.0301') {
                throw config.audioFormat === 'auto'
                    ? new SisError('SIS.30006', 'Invalid data found when processing input')
                    : new SisError('SIS.0535', 'Audio format is invalid!');
            }
            throw e;
        }
        if (recognized.durationMs > MAX_DURATION_MS) throw new SisError('SIS.0537', 'audio is too long');
        return {
            ok: true,
            durationMs: Math.round(recognized.durationMs),
            segments: segmentsOf(core, config, recognized.channels, recognized.sampleRate),
        };
    } catch (err) {
        const e = asSisError(err);
        return { ok: false, code: e.code, message: e.message };
    }
}

function jobView(core: Core, job: Job): { status: number; json: Record<string, unknown> } {
    const now = core.ctx.clock.now();
    if (!job.outcome || now < job.readyAt) {
        return { status: 200, json: { status: 'WAITING', create_time: iso(job.createdAt) } };
    }
    const times = {
        create_time: iso(job.createdAt),
        start_time: iso(job.createdAt + Math.floor((job.readyAt - job.createdAt) / 2)),
        finish_time: iso(job.readyAt),
    };
    const outcome = job.outcome;
    if (!outcome.ok) {
        // The only failure shape Huawei shows: HTTP 400 with the error and the job fields mixed.
        return {
            status: 400,
            json: { error_code: outcome.code, error_msg: outcome.message, status: 'ERROR', ...times },
        };
    }
    return {
        status: 200,
        json: { status: 'FINISHED', ...times, audio_duration: outcome.durationMs, segments: outcome.segments },
    };
}

async function postCallback(core: Core, job: Job, callbackUrl: string): Promise<void> {
    const view = jobView(core, { ...job, readyAt: Math.min(job.readyAt, core.ctx.clock.now()) });
    try {
        const response = await fetch(callbackUrl, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ job_id: job.id, ...view.json }),
            signal: AbortSignal.any([core.tasks.signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]),
        });
        await response.arrayBuffer();
    } catch {
        // Undocumented retry policy: the emulator tries once.
    }
}

export function handleTranscriberCreate(core: Core, call: Call): Reply {
    const body = jsonBody(call, 'SIS.0534');
    if (body.config === undefined || body.config === null) throw new SisError('SIS.0032', 'config cannot be empty');
    if (!isObject(body.config)) throw new SisError('SIS.0534', "'config' is invalid");
    const config = configOf(core, body.config);
    if (body.data_url === undefined || body.data_url === null || body.data_url === '') {
        throw new SisError('SIS.0032', 'data url is empty');
    }
    const url = parseServiceUrl(core, body.data_url, 4096, true);
    if (!url) throw new SisError('SIS.0608', 'data url is invalid');
    const store = core.jobs.jobs;
    const now = core.ctx.clock.now();
    let pending = 0;
    for (const job of store.values()) if (!job.outcome || now < job.readyAt) pending++;
    if (pending >= MAX_PENDING_JOBS) throw new SisError('SIS.0536', 'submitted task count reached the limit');

    const job: Job = { id: randomUUID(), createdAt: now, readyAt: now + core.ctx.limits.jobDelayMs };
    store.set(job.id, job);
    const done = process(core, config, url).then((outcome) => {
        job.outcome = outcome;
    });
    const callbackUrl = config.callbackUrl;
    if (callbackUrl) {
        core.tasks.later(core.ctx.limits.jobDelayMs, () => {
            void done.then(() => (core.tasks.closed ? undefined : postCallback(core, job, callbackUrl)));
        });
    }
    return { status: 200, json: { job_id: job.id } };
}

export function handleTranscriberQuery(core: Core, _call: Call, jobId: string): Reply {
    const store = core.jobs.jobs;
    const job = store.get(jobId);
    const now = core.ctx.clock.now();
    if (job?.outcome && now >= job.readyAt + core.ctx.limits.resultTtlMs) store.delete(jobId);
    if (!job || !store.has(jobId)) {
        // Undocumented code/status; the emulator's choice per docs/protocol/rest.md §2.2.
        throw new SisError('SIS.0031', 'task id is not found');
    }
    return jobView(core, job);
}
