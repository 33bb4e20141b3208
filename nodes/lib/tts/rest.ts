// Synthesis over REST (POST /v1/{project_id}/tts, docs/protocol/rest.md §4): one request per piece of text,
// a bounded number in flight, results kept in the order of the text.
import { setMaxListeners } from 'node:events';
import type { SisClient } from '../cloud/sis-client';
import { SisError } from '../core/errors';

export interface TtsRequestConfig {
    audio_format: 'wav' | 'mp3' | 'pcm';
    sample_rate: '8000' | '16000';
    property: string;
    speed: number;
    pitch?: number;
    volume: number;
}

function abortError(): Error {
    const err = new Error('aborted');
    err.name = 'AbortError';
    return err;
}

/** A counting semaphore with a FIFO queue whose waiters can be aborted. */
export class Semaphore {
    private active = 0;
    private readonly waiters: (() => void)[] = [];

    constructor(readonly max: number) {}

    /** Resolves with the release function once a slot is free. */
    acquire(signal: AbortSignal): Promise<() => void> {
        return new Promise((resolve, reject) => {
            if (signal.aborted) {
                reject(abortError());
                return;
            }
            const grant = (): void => {
                signal.removeEventListener('abort', onAbort);
                let released = false;
                resolve(() => {
                    if (released) return;
                    released = true;
                    const next = this.waiters.shift();
                    // The slot passes straight to the next waiter, so the count never overshoots.
                    if (next) next();
                    else this.active--;
                });
            };
            const onAbort = (): void => {
                const i = this.waiters.indexOf(grant);
                if (i >= 0) this.waiters.splice(i, 1);
                reject(abortError());
            };
            if (this.active < this.max) {
                this.active++;
                grant();
                return;
            }
            signal.addEventListener('abort', onAbort, { once: true });
            this.waiters.push(grant);
        });
    }

    /** Runs `task` in a slot. */
    async run<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T> {
        const release = await this.acquire(signal);
        try {
            return await task();
        } finally {
            release();
        }
    }
}

/** Where a synthesis answer holds its audio (base64), decoded straight from the answer's bytes. */
const AUDIO_AT = ['result', 'data'] as const;

interface TtsResponse {
    trace_id?: unknown;
    result?: { data?: unknown };
}

export interface SynthesizedParts {
    parts: Buffer[];
    traceIds: (string | undefined)[];
}

/** One request per text, at most `limiter.max` at once (across every input of the node). */
export async function synthesizeParts(
    client: Pick<SisClient, 'call'>,
    texts: readonly string[],
    config: TtsRequestConfig,
    limiter: Semaphore,
    signal: AbortSignal,
): Promise<SynthesizedParts> {
    // Several pieces share a controller, so that the first failure stops the others; one piece needs
    // none of its own. Every piece listens for the abort while it waits or runs, and stops listening
    // when done.
    const controller = texts.length > 1 ? new AbortController() : undefined;
    const pieceSignal = controller ? controller.signal : signal;
    const onAbort = (): void => controller?.abort();
    if (controller) {
        setMaxListeners(0, controller.signal);
        if (signal.aborted) controller.abort();
        else signal.addEventListener('abort', onAbort, { once: true });
    }
    const parts: Buffer[] = new Array(texts.length);
    const traceIds: (string | undefined)[] = new Array(texts.length);
    let firstError: unknown;
    const one = async (text: string, i: number): Promise<void> => {
        const what = texts.length > 1 ? `text to speech (part ${i + 1} of ${texts.length})` : 'text to speech';
        try {
            await limiter.run(pieceSignal, async () => {
                const res = await client.call<TtsResponse>({
                    method: 'POST',
                    path: '/tts',
                    json: { text, config },
                    idempotent: true,
                    signal: pieceSignal,
                    what,
                    base64At: AUDIO_AT,
                });
                const data = res.body.result?.data;
                if (res.bytes) parts[i] = res.bytes;
                else if (typeof data === 'string') parts[i] = Buffer.from(data, 'base64');
                else throw new SisError('PROTOCOL', `${what}: the answer has no audio data`, { traceId: res.traceId });
                traceIds[i] = res.traceId;
            });
        } catch (err) {
            // The first failure is the one reported; the others only stop.
            if (firstError === undefined) {
                firstError = err;
                controller?.abort();
            }
        }
    };
    try {
        await Promise.all(texts.map(one));
    } finally {
        signal.removeEventListener('abort', onAbort);
    }
    if (firstError !== undefined) throw firstError;
    return { parts, traceIds };
}
