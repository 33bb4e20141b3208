// Contracts shared by the emulator's parts (HTTP core, IAM, OBS, SIS REST, audio, WebSocket).
// Each part owns its own module; they meet only through these types.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** The emulator's clock in epoch milliseconds; tests may pin it (signature windows, job timing). */
export interface Clock {
    now(): number;
}

/** One emulated cloud account: what a flow needs to reach the emulator. */
export interface Account {
    region: string;
    projectId: string;
    domainId: string;
    domainName: string;
    userId: string;
    username: string;
    password: string;
    ak: string;
    sk: string;
    /** Bucket that exists from the start, for staging audio. */
    bucket: string;
}

/** Temporary credentials issued by IAM from a token (securitytokens API). */
export interface TemporaryCredential {
    ak: string;
    sk: string;
    securityToken: string;
    expiresAt: number;
    projectId: string;
}

/** Who a request was authenticated as. */
export interface Principal {
    kind: 'token' | 'aksk' | 'temporary-aksk';
    projectId: string;
    /** For AK/SK: the access key (never the secret). */
    ak?: string;
}

/** Fault kinds that can be injected on demand. */
export type FaultKind =
    | 'status' // answer with `status` (default 503) and a gateway/SIS error body; `retryAfter` sets Retry-After (seconds)
    | 'delay' // wait `delayMs` before handling normally
    | 'slow-headers' // wait `delayMs` before sending any response byte, then handle normally
    | 'reset' // destroy the socket without answering
    | 'malformed' // 200 with a body that is not JSON
    | 'truncated' // 200 with a JSON body cut in the middle (Content-Length promises more)
    | 'token-expired' // 401 APIG.0301 "token expires" for token-authenticated requests
    | 'ws-close' // WebSocket: close the socket abruptly (no END), after `afterFrames` binary frames
    | 'ws-error' // WebSocket: send ERROR `code` (default SIS.0305) then END reason ERROR
    | 'ws-fatal'; // WebSocket: send FATAL_ERROR `code` (default SIS.0302) and close

export interface FaultSpec {
    /** Route name the fault applies to (see RouteName), or '*' for every route. */
    route: RouteName | '*';
    kind: FaultKind;
    status?: number;
    retryAfter?: number;
    delayMs?: number;
    /** Error code to put in the body (SIS.xxxx or APIG.xxxx). */
    code?: string;
    message?: string;
    /** How many matching requests/sessions it applies to; default 1. */
    count?: number;
    /** WebSocket faults: binary frames received before the fault fires; default 0. */
    afterFrames?: number;
}

export type RouteName =
    | 'iam.tokens'
    | 'iam.projects'
    | 'iam.securitytokens'
    | 'short-audio'
    | 'flash'
    | 'transcriber.create'
    | 'transcriber.query'
    | 'tts'
    | 'vocabularies'
    | 'rasr'
    | 'rtts'
    | 'short-audio.ws'
    | 'obs.put'
    | 'obs.get'
    | 'obs.head'
    | 'obs.delete';

export interface FaultController {
    add(spec: FaultSpec): void;
    /** Takes (and counts down) the first active fault for the route, if any. */
    take(route: RouteName, kinds?: readonly FaultKind[]): FaultSpec | undefined;
    list(): FaultSpec[];
    clear(): void;
}

/** One line of the request log. Secrets (signatures, tokens, passwords, SKs) are masked. */
export interface LogEntry {
    time: string;
    method: string;
    path: string;
    /** Query as received, decoded. */
    query: Record<string, string | string[]>;
    route: RouteName | 'admin' | 'unknown';
    status: number;
    auth: Principal['kind'] | 'obs' | 'obs-presigned' | 'none';
    /** Request headers with secret values masked. */
    headers: Record<string, string>;
    /** For JSON requests: the parsed body with `data`/`password` fields masked or shortened. */
    body?: unknown;
    error_code?: string;
    /** `X-Request-Id` of the answer (absent when the socket was reset without one). */
    request_id?: string;
    /** WebSocket: number of binary frames and bytes received, commands seen. */
    ws?: { frames: number; bytes: number; commands: string[] };
}

export interface RequestLog {
    add(entry: LogEntry): void;
    entries(): LogEntry[];
    clear(): void;
}

/** A sentence as the recogniser produces it (times in ms from the start of the audio). */
export interface RecognizedSentence {
    text: string;
    start_time: number;
    end_time: number;
    score: number;
    word_info?: { start_time: number; end_time: number; word: string }[];
}

/** Decoded audio: 16-bit samples per channel. */
export interface DecodedAudio {
    sampleRate: number;
    channels: Int16Array[];
    durationMs: number;
    /** Container/codec as detected ('wav-pcm', 'wav-alaw', 'pcm', 'mp3', ...). */
    codec: string;
    /** True when only the duration is known (compressed formats not decoded to samples). */
    durationOnly?: boolean;
}

/** Transcripts registered for audio, by SHA-256 of the audio bytes (hex). */
export interface TranscriptRegistry {
    /** One text per voiced segment, in order; extra segments get a generated text. */
    register(audioOrSha256: Buffer | string, sentences: string[]): void;
    lookup(sha256: string): string[] | undefined;
}

/** Limits and timers, settable so tests run fast. */
export interface EmulatorLimits {
    /** Transcriber: time a job stays WAITING. Default 1500 ms. */
    jobDelayMs: number;
    /** Transcriber: how long results are kept after completion. Default 72 h. */
    resultTtlMs: number;
    /** RASR: idle time before FATAL_ERROR SIS.0304. Default 20000 ms. */
    wsIdleMs: number;
    /** RASR: max audio per recognition for short/sentence stream. Default 60000 ms. */
    rasrShortMaxMs: number;
    /** IAM: token lifetime. Default 24 h. */
    tokenTtlMs: number;
    /** AK/SK: allowed clock skew. Default 15 min. */
    clockSkewMs: number;
    /** Extra latency added to every SIS REST call (benchmarks), default 0. */
    serviceLatencyMs: number;
}

/** What the WebSocket and REST handlers get from the core. */
export interface EmulatorContext {
    clock: Clock;
    account: Account;
    limits: EmulatorLimits;
    faults: FaultController;
    log: RequestLog;
    transcripts: TranscriptRegistry;
    /** OBS object store (bucket -> key -> bytes). */
    obs: Map<string, Map<string, Buffer>>;
}

/** Signature of a WebSocket upgrade handler; called after the core authenticated the request. */
export type UpgradeHandler = (
    ctx: EmulatorContext,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    principal: Principal,
) => void;
