// What the stream bench's client processes share (bench/stream.ts for the session layer,
// bench/raw-stream-client.ts for the raw ws clients): the audio, the pacing loop (bench/mqtt.ts
// paces its devices with it too), the report and the bench's own signed WebSocket handshake.
// Imports no module of the package.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { signSdk } from './raw-signing';

export const ROOT = path.resolve(__dirname, '..');
/** 40 ms of 16 kHz 16-bit mono. */
export const CHUNK = 1280;
export const PROJECT = '0123456789abcdef0123456789abcdef';
export const AK = 'HWEXAMPLEAK000000001';
export const SK = 'hwExampleSecretKey0000000000000000000000';
export const START_CONFIG = { audio_format: 'pcm16k16bit', property: 'chinese_16k_common', add_punc: 'yes' };

export interface RawArgs {
    url: string;
    sessions: number;
    seconds: number;
    /** Seconds from the start before chunks are timed. */
    warmup: number;
    /** `raw`: plain ws clients; `layer`: the node's session layer (StreamSession), without Node-RED. */
    kind: 'raw' | 'layer';
    /**
     * A probed run: each chunk timed from feed to its last byte handed to the socket, and memory
     * read at MEMORY_AT. CPU is measured in runs without probes: a reading's forced collection
     * costs more than the work measured, and its after-effects (sweeping) cannot be left out.
     */
    probed?: boolean;
}

export interface RawReport {
    results: number;
    errors: number;
    chunks: number;
    /** Median of BASE_SAMPLES readings before the sessions open (see `heapNow`; probed runs). */
    heapBefore: number;
    /** Median of the readings at MEMORY_AT (see `heapNow`; probed runs). */
    heapDuring: number;
    /** Every reading at MEMORY_AT, in order. */
    heapSamples: number[];
    /** Chunk-in to last byte handed over, ms, sorted (probed runs). */
    lat?: number[];
}

/** Speech with pauses (both fixtures, looped), so that continue-stream closes sentences regularly. */
export function benchAudio(): Buffer {
    return Buffer.concat([
        readFileSync(path.join(ROOT, 'test/fixtures/en_16k.pcm')),
        readFileSync(path.join(ROOT, 'test/fixtures/zh_16k.pcm')),
    ]);
}

/**
 * Moments of a run, as fractions of its length, at which memory is read: spread over the steady
 * part (every session connected and streaming, none ended yet), so that the median does not
 * depend on where one sample falls relative to the sentence ends. Only probed runs read memory.
 */
export const MEMORY_AT = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9] as const;
/** Readings taken for a baseline (their median). */
export const BASE_SAMPLES = 3;

/** Heap used + external memory after a full collection. */
export function heapNow(): number {
    global.gc?.();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
}

export function median(values: readonly number[]): number {
    const v = [...values].sort((a, b) => a - b);
    if (v.length === 0) return 0;
    const mid = v.length >> 1;
    return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** The median of BASE_SAMPLES readings a little apart (the baseline of a run). */
export async function heapBaseline(): Promise<number> {
    const readings: number[] = [];
    for (let i = 0; i < BASE_SAMPLES; i++) {
        if (i > 0) await sleep(100);
        readings.push(heapNow());
    }
    return median(readings);
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * URL and headers of a continue-stream WebSocket handshake signed with the bench's own signing
 * (host and x-sdk-date signed; the Host header itself is left to the WebSocket library).
 */
export function rawHandshake(emulatorUrl: string): { url: string; headers: Record<string, string> } {
    const http = new URL(emulatorUrl);
    const p = `/v1/${PROJECT}/rasr/continue-stream`;
    const { host: _host, ...headers } = signSdk('GET', http.host, p, '', {}, undefined, { ak: AK, sk: SK });
    return { url: `ws://${http.host}${p}`, headers };
}

/**
 * The benches' pacing: hands each of `streams` its next CHUNK of `audio` every 40 ms (a quarter of
 * them every 10 ms, spread like independent devices; each from its own offset, looping over the
 * audio) for `seconds`, as `feed(i, chunk, elapsedMs)`; `afterTurn(elapsedMs)` after each turn of
 * the timer. The bench modules loaded into Node-RED use it too (transpiled by writeBenchModule).
 */
export function paceChunks(
    audio: Buffer,
    streams: number,
    seconds: number,
    feed: (i: number, chunk: Buffer, elapsedMs: number) => void,
    afterTurn?: (elapsedMs: number) => void,
): Promise<void> {
    const offsets = Array.from({ length: streams }, (_, i) => ((i * 7919 * 2) % (audio.length - CHUNK)) & ~1);
    const t0 = Date.now();
    let tick = 0;
    return new Promise<void>((resolve) => {
        const timer = setInterval(() => {
            const elapsed = Date.now() - t0;
            for (const due = Math.floor(elapsed / 10); tick < due; tick++) {
                for (let i = tick % 4; i < streams; i += 4) {
                    if (offsets[i] + CHUNK > audio.length) offsets[i] = 0;
                    feed(i, audio.subarray(offsets[i], offsets[i] + CHUNK), elapsed);
                    offsets[i] += CHUNK;
                }
            }
            afterTurn?.(elapsed);
            if (Date.now() - t0 >= seconds * 1000) {
                clearInterval(timer);
                resolve();
            }
        }, 5);
    });
}

/**
 * paceChunks for the stream bench's sessions (`args.sessions`, `args.seconds`): counts the chunks,
 * marks those after the warm-up as timed, and in a probed run reads memory at MEMORY_AT.
 */
export function pace(
    args: RawArgs,
    audio: Buffer,
    report: RawReport,
    feed: (i: number, chunk: Buffer, timed: boolean) => void,
): Promise<void> {
    return paceChunks(
        audio,
        args.sessions,
        args.seconds,
        (i, chunk, elapsed) => {
            feed(i, chunk, elapsed >= args.warmup * 1000);
            report.chunks++;
        },
        (elapsed) => {
            if (!args.probed) return;
            const next = MEMORY_AT[report.heapSamples.length];
            if (next !== undefined && elapsed >= next * args.seconds * 1000) report.heapSamples.push(heapNow());
        },
    ).then(() => {
        report.heapDuring = median(report.heapSamples);
    });
}
