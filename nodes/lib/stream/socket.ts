// One WebSocket to the real-time recognition API (docs/protocol/websocket.md §1): the authenticated handshake
// (directly, or through the environment's proxy), JSON commands and replies in text frames,
// audio in binary frames, and a close that always ends with the socket released.
import { type RawData, WebSocket } from 'ws';
import type { SisClient } from '../cloud/sis-client';
import { openServiceSocket } from '../cloud/ws-connect';
import { errorFromException, SisError } from '../core/errors';

export const STREAM_MODES = ['short-stream', 'continue-stream', 'sentence-stream'] as const;
export type StreamMode = (typeof STREAM_MODES)[number];

/** A reply of the service (`resp_type` START, RESULT, EVENT, ERROR, FATAL_ERROR or END), as received. */
export interface RasrResponse {
    resp_type: string;
    trace_id?: string;
    [field: string]: unknown;
}

/** What a socket reports to its current owner; each call names the socket it comes from. */
export interface SocketHandlers {
    message(socket: RasrSocket, response: RasrResponse): void;
    /** A text frame that is not a JSON reply. */
    invalid(socket: RasrSocket, error: SisError): void;
    /** The socket is gone; `error` says why unless this side closed it. */
    closed(socket: RasrSocket, error: SisError | undefined): void;
}

export const IGNORE_SOCKET: SocketHandlers = {
    message: () => undefined,
    invalid: () => undefined,
    closed: () => undefined,
};

export interface OpenOptions {
    handshakeTimeoutMs: number;
    signal?: AbortSignal;
}

const WHAT = 'real-time recognition';
const BINARY = { binary: true } as const;
/** Replies are small JSON objects; word timings of a long sentence stay far below this. */
const MAX_REPLY_BYTES = 4 * 1024 * 1024;
/** How long a graceful close may take before the socket is destroyed. */
const CLOSE_GRACE_MS = 1000;

function toText(data: RawData): string {
    if (Buffer.isBuffer(data)) return data.toString('utf8');
    if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
    return Buffer.from(data).toString('utf8');
}

export class RasrSocket {
    private closedBy: 'us' | undefined;
    private gone = false;
    /** The first error of the socket's life, reported when it closes (`ws` emits 'error' before 'close'). */
    private firstError: Error | undefined;
    private readonly whenClosed: Promise<void>;
    private graceTimer: NodeJS.Timeout | undefined;

    /** Takes over a socket as it opens (before any frame is read). */
    private constructor(
        private readonly ws: WebSocket,
        private handlers: SocketHandlers,
    ) {
        ws.on('message', (data: RawData, isBinary: boolean) => {
            if (!isBinary) this.onText(data);
        });
        ws.on('error', (err: Error) => {
            this.firstError ??= err;
        });
        this.whenClosed = new Promise((resolve) => {
            ws.once('close', (code: number) => {
                this.gone = true;
                if (this.graceTimer) clearTimeout(this.graceTimer);
                this.graceTimer = undefined;
                const err =
                    this.closedBy === 'us'
                        ? undefined
                        : this.firstError
                          ? errorFromException(this.firstError, WHAT)
                          : new SisError('NETWORK', `${WHAT}: the connection was closed (code ${code})`, {
                                retryable: true,
                            });
                resolve();
                try {
                    this.handlers.closed(this, err);
                } catch {
                    // A handler failure must not escape the socket's event.
                }
            });
        });
    }

    /** Opens a connection for `mode`; rejects with a SisError (retryable where retrying may help). */
    static open(client: SisClient, mode: StreamMode, handlers: SocketHandlers, opts: OpenOptions): Promise<RasrSocket> {
        return openServiceSocket(
            client,
            `/rasr/${mode}`,
            {
                handshakeTimeoutMs: opts.handshakeTimeoutMs,
                what: WHAT,
                signal: opts.signal,
                maxPayload: MAX_REPLY_BYTES,
            },
            (ws) => new RasrSocket(ws, handlers),
        );
    }

    /** Hands the socket to a new owner (a connection reused by the next session of the same key). */
    attach(handlers: SocketHandlers): void {
        this.handlers = handlers;
    }

    get open(): boolean {
        return !this.gone && this.closedBy === undefined && this.ws.readyState === WebSocket.OPEN;
    }

    /** Bytes accepted by `sendAudio`/`sendCommand` but not yet handed to the operating system. */
    get bufferedAmount(): number {
        return this.ws.bufferedAmount;
    }

    sendCommand(command: Record<string, unknown>): void {
        if (this.open) this.ws.send(JSON.stringify(command));
    }

    /** Sends one binary frame; `written` runs once it has been handed to the operating system. */
    sendAudio(frame: Buffer, written?: (err?: Error) => void): void {
        if (this.open) this.ws.send(frame, BINARY, written);
    }

    /** Closes gracefully (destroying the socket if the peer does not answer in time); resolves once released. */
    close(): Promise<void> {
        if (!this.gone && this.closedBy === undefined) {
            this.closedBy = 'us';
            try {
                this.ws.close(1000);
            } catch {
                this.ws.terminate();
            }
            if (!this.gone) {
                this.graceTimer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
                this.graceTimer.unref?.();
            }
        }
        return this.whenClosed;
    }

    /** Drops the connection at once; resolves once released. */
    terminate(): Promise<void> {
        if (!this.gone) {
            this.closedBy ??= 'us';
            this.ws.terminate();
        }
        return this.whenClosed;
    }

    private onText(data: RawData): void {
        let parsed: unknown;
        try {
            parsed = JSON.parse(toText(data));
        } catch {
            parsed = undefined;
        }
        const ok =
            parsed !== null &&
            typeof parsed === 'object' &&
            !Array.isArray(parsed) &&
            typeof (parsed as { resp_type?: unknown }).resp_type === 'string';
        try {
            if (ok) this.handlers.message(this, parsed as RasrResponse);
            else
                this.handlers.invalid(
                    this,
                    new SisError('PROTOCOL', `${WHAT}: a reply is not a JSON object with resp_type`),
                );
        } catch {
            // A handler failure must not escape the socket's event.
        }
    }
}
