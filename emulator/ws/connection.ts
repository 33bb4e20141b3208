// Plumbing every WebSocket session shares: compact JSON replies, the idle timer, the request-log
// entry (counters updated in place), and release of everything on close.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { upgradeRequestId } from '../reply';
import type { EmulatorContext, FaultKind, FaultSpec, LogEntry, Principal, RouteName } from '../types';

export const WS_FAULTS: readonly FaultKind[] = ['ws-close', 'ws-error', 'ws-fatal'];

const SECRET_HEADER = /token|authorization|secret|password|cookie|signature|sec-websocket-key/i;

export function maskHeaders(req: IncomingMessage): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined) continue;
        out[name] = SECRET_HEADER.test(name) ? '****' : Array.isArray(value) ? value.join(', ') : value;
    }
    return out;
}

function queryOf(url: URL): Record<string, string | string[]> {
    const q: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
        const prev = q[k];
        q[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return q;
}

export function newTraceId(): string {
    return randomUUID();
}

export class Connection {
    readonly log: LogEntry & { ws: { frames: number; bytes: number; commands: string[] } };
    private idle: NodeJS.Timeout | undefined;
    private onIdle: (() => void) | undefined;
    closed = false;

    constructor(
        readonly ctx: EmulatorContext,
        readonly ws: WebSocket,
        req: IncomingMessage,
        principal: Principal,
        readonly route: RouteName,
    ) {
        const url = new URL(req.url ?? '/', 'http://emulator.local');
        this.log = {
            time: new Date(ctx.clock.now()).toISOString(),
            method: req.method ?? 'GET',
            path: url.pathname,
            query: queryOf(url),
            route,
            status: 101,
            auth: principal.kind,
            headers: maskHeaders(req),
            request_id: upgradeRequestId(req),
            ws: { frames: 0, bytes: 0, commands: [] },
        };
        try {
            ctx.log.add(this.log);
        } catch {
            // A log failure must not break the session.
        }
        ws.on('error', () => this.release());
        ws.on('close', () => this.release());
    }

    /** Starts (or re-arms) the idle timer; `fire` runs once when it expires. */
    armIdle(ms: number, fire: () => void): void {
        if (this.closed) return;
        this.onIdle = fire;
        if (this.idle) {
            this.idle.refresh();
            return;
        }
        this.idle = setTimeout(() => {
            this.idle = undefined;
            if (!this.closed) this.onIdle?.();
        }, ms);
        this.idle.unref?.();
    }

    touchIdle(): void {
        this.idle?.refresh();
    }

    send(message: Record<string, unknown>): void {
        if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
        if (typeof message.error_code === 'string') this.log.error_code = message.error_code;
        this.ws.send(JSON.stringify(message));
    }

    sendBinary(chunk: Buffer): void {
        if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
        this.ws.send(chunk, { binary: true });
    }

    error(code: string, message: string, traceId?: string): void {
        this.send(
            traceId === undefined
                ? { resp_type: 'ERROR', error_code: code, error_msg: message }
                : { resp_type: 'ERROR', trace_id: traceId, error_code: code, error_msg: message },
        );
    }

    /** FATAL_ERROR, then close the socket (1011). */
    fatal(code: string, message: string, traceId: string): void {
        this.send({ resp_type: 'FATAL_ERROR', trace_id: traceId, error_code: code, error_msg: message });
        this.close(1011, code);
    }

    close(code = 1000, reason = ''): void {
        if (this.closed) return;
        try {
            this.ws.close(code, reason);
        } catch {
            this.ws.terminate();
        }
        this.release();
    }

    /** Drops the socket without a close frame (fault `ws-close`). */
    terminate(): void {
        this.ws.terminate();
        this.release();
    }

    takeFault(): FaultSpec | undefined {
        try {
            return this.ctx.faults.take(this.route, WS_FAULTS);
        } catch {
            return undefined;
        }
    }

    private release(): void {
        if (this.closed) return;
        this.closed = true;
        if (this.idle) clearTimeout(this.idle);
        this.idle = undefined;
        this.onIdle = undefined;
    }
}
