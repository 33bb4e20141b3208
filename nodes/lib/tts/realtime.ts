// Real-time synthesis over the service's WebSocket (RTTS, docs/protocol/websocket.md §3): one synthesis per
// connection, audio in binary frames as it is produced, then END. Several texts run over several
// connections, a bounded number at once, and their audio is delivered strictly in order: the
// first unfinished text streams live, the ones after it are held until their turn.
import { setMaxListeners } from 'node:events';
import type { WebSocket } from 'ws';
import { backoffDelay, sleep } from '../cloud/http';
import type { SisClient } from '../cloud/sis-client';
import { openServiceSocket } from '../cloud/ws-connect';
import { errorFromException, isRetryableSisCode, SisError } from '../core/errors';

export interface RttsConfig {
    audio_format: 'pcm' | 'mp3';
    sample_rate: '8000' | '16000';
    property: string;
    speed: number;
    pitch?: number;
    volume: number;
}

export interface RttsSessionOptions {
    client: SisClient;
    text: string;
    config: RttsConfig;
    signal: AbortSignal;
    /** no frame for this long ends the session with TIMEOUT (the handshake too) */
    idleTimeoutMs: number;
    /** retries of a refused or failed handshake (nothing was synthesized yet) */
    handshakeRetries: number;
    what: string;
    onStart?: (traceId: string | undefined) => void;
    onAudio: (chunk: Buffer) => void;
}

export interface RttsResult {
    traceId?: string;
}

type Frame = Buffer | ArrayBuffer | Buffer[];

function toBuffer(data: Frame): Buffer {
    if (Buffer.isBuffer(data)) return data;
    if (Array.isArray(data)) return Buffer.concat(data);
    return Buffer.from(data);
}

interface ServerMessage {
    resp_type?: unknown;
    trace_id?: unknown;
    reason?: unknown;
    error_code?: unknown;
    error_msg?: unknown;
}

function str(v: unknown): string | undefined {
    return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** An ERROR or FATAL_ERROR frame as a SisError (the service's code kept, as for REST). */
function errorFromFrame(frame: ServerMessage, what: string): SisError {
    const code = str(frame.error_code);
    const message = str(frame.error_msg) ?? 'error';
    const traceId = str(frame.trace_id);
    if (code?.startsWith('SIS.')) {
        return new SisError(code, `${what} failed: ${message} (${code})`, {
            traceId,
            serviceCode: code,
            retryable: isRetryableSisCode(code),
        });
    }
    return new SisError('PROTOCOL', `${what} failed: ${message}${code ? ` (${code})` : ''}`, {
        traceId,
        serviceCode: code,
    });
}

async function open(opts: RttsSessionOptions): Promise<WebSocket> {
    for (let attempt = 0; ; attempt++) {
        try {
            return await openServiceSocket(opts.client, '/rtts', {
                handshakeTimeoutMs: opts.idleTimeoutMs,
                what: opts.what,
                signal: opts.signal,
            });
        } catch (err) {
            const e = opts.client.scrubError(err);
            const retry = e instanceof SisError && e.retryable && attempt < opts.handshakeRetries;
            if (!retry || opts.signal.aborted) throw e;
            try {
                await sleep(backoffDelay(attempt, 300, 5000), opts.signal);
            } catch (pause) {
                throw errorFromException(pause, opts.what);
            }
        }
    }
}

/** One synthesis on one connection; resolves at END, rejects with a SisError. */
export async function runRttsSession(opts: RttsSessionOptions): Promise<RttsResult> {
    const ws = await open(opts);
    const { what } = opts;
    return new Promise<RttsResult>((resolve, reject) => {
        let traceId: string | undefined;
        let settled = false;
        const timer = setTimeout(() => {
            fail(
                new SisError('TIMEOUT', `${what}: no answer for ${Math.round(opts.idleTimeoutMs / 1000)} s`, {
                    retryable: true,
                    traceId,
                }),
            );
        }, opts.idleTimeoutMs);
        const cleanup = (): void => {
            clearTimeout(timer);
            ws.removeListener('message', onMessage);
            ws.removeListener('close', onClose);
            ws.removeListener('error', onError);
            opts.signal.removeEventListener('abort', onAbort);
        };
        const fail = (err: SisError): void => {
            if (settled) return;
            settled = true;
            cleanup();
            ws.terminate();
            reject(err);
        };
        const succeed = (): void => {
            if (settled) return;
            settled = true;
            cleanup();
            // The client closes after the server's END (docs/protocol/websocket.md §3.1).
            ws.close(1000);
            resolve({ traceId });
        };
        const onMessage = (data: Frame, isBinary: boolean): void => {
            if (settled) return;
            timer.refresh();
            try {
                if (isBinary) {
                    const chunk = toBuffer(data);
                    if (chunk.length > 0) opts.onAudio(chunk);
                    return;
                }
                let frame: ServerMessage;
                try {
                    const parsed: unknown = JSON.parse(toBuffer(data).toString('utf8'));
                    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error();
                    frame = parsed as ServerMessage;
                } catch {
                    fail(new SisError('PROTOCOL', `${what}: a text frame is not a JSON object`, { traceId }));
                    return;
                }
                traceId = str(frame.trace_id) ?? traceId;
                switch (frame.resp_type) {
                    case 'START':
                        opts.onStart?.(traceId);
                        return;
                    case 'END':
                        if (frame.reason === undefined || frame.reason === 'NORMAL') succeed();
                        else
                            fail(
                                new SisError('PROTOCOL', `${what}: the synthesis ended with ${String(frame.reason)}`, {
                                    traceId,
                                }),
                            );
                        return;
                    case 'ERROR':
                    case 'FATAL_ERROR':
                        fail(errorFromFrame({ ...frame, trace_id: traceId }, what));
                        return;
                    default:
                        // RESULT (subtitles) and anything newer: not needed here.
                        return;
                }
            } catch (err) {
                fail(errorFromException(err, what));
            }
        };
        const onClose = (): void =>
            fail(
                new SisError('NETWORK', `${what}: the connection closed before the synthesis ended`, {
                    retryable: true,
                    traceId,
                }),
            );
        const onError = (err: Error): void => fail(errorFromException(err, what));
        const onAbort = (): void => fail(new SisError('CANCELLED', `${what} cancelled`, { traceId }));
        ws.on('message', onMessage);
        ws.on('close', onClose);
        ws.on('error', onError);
        if (opts.signal.aborted) {
            onAbort();
            return;
        }
        opts.signal.addEventListener('abort', onAbort, { once: true });
        const start = { command: 'START', text: opts.text, config: opts.config };
        ws.send(JSON.stringify(start), (err) => {
            if (err) fail(errorFromException(err, what));
        });
    });
}

export type SessionRunner<R> = (index: number, sink: (chunk: Buffer) => void, signal: AbortSignal) => Promise<R>;

/**
 * Runs `count` sessions, at most `bound` at once and never more than `bound - 1` ahead of the
 * first unfinished one, and passes their audio to `emit` in session order. On the first failure
 * the others are aborted; it rejects once they have all stopped.
 */
export function streamInOrder<R>(
    count: number,
    bound: number,
    run: SessionRunner<R>,
    emit: (chunk: Buffer) => void,
    signal: AbortSignal,
): Promise<R[]> {
    return new Promise((resolve, reject) => {
        const controller = new AbortController();
        // Each running session listens for the abort at several steps; all remove their listeners.
        setMaxListeners(0, controller.signal);
        const onAbort = (): void => controller.abort();
        const held: Buffer[][] = Array.from({ length: count }, () => []);
        const finished: boolean[] = new Array(count).fill(false);
        const results: R[] = new Array(count);
        let head = 0;
        let next = 0;
        let running = 0;
        let failure: { error: unknown } | undefined;
        const end = (): void => {
            signal.removeEventListener('abort', onAbort);
            if (failure) reject(failure.error);
            else resolve(results);
        };
        const fail = (err: unknown): void => {
            if (!failure) {
                failure = { error: err };
                controller.abort();
            }
            if (running === 0) end();
        };
        const sinkFor =
            (i: number) =>
            (chunk: Buffer): void => {
                if (failure) return;
                if (i === head) emit(chunk);
                else held[i].push(chunk);
            };
        const advance = (): void => {
            while (head < count && finished[head]) {
                head++;
                if (head < count) {
                    for (const chunk of held[head]) emit(chunk);
                    held[head] = [];
                }
            }
            if (head === count) end();
            else launch();
        };
        const launch = (): void => {
            while (!failure && next < count && next < head + bound) {
                const i = next++;
                running++;
                run(i, sinkFor(i), controller.signal).then(
                    (result) => {
                        running--;
                        if (failure) return fail(failure.error);
                        results[i] = result;
                        finished[i] = true;
                        try {
                            advance();
                        } catch (err) {
                            fail(err);
                        }
                    },
                    (err: unknown) => {
                        running--;
                        fail(err);
                    },
                );
            }
        };
        if (count === 0) {
            resolve([]);
            return;
        }
        if (signal.aborted) controller.abort();
        else signal.addEventListener('abort', onAbort, { once: true });
        launch();
    });
}
