// The emulator's single HTTP server: routing, body limits, authentication, faults, replies, request
// log, and dispatch of WebSocket upgrades.

import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { handleAdmin } from './admin';
import type { Call, Core } from './core';
import { authenticate, checkProject, isAkskSigned } from './gateway-auth';
import { handleIam } from './iam';
import { maskBody, maskHeaders } from './log';
import { handleObs } from './obs';
import {
    answerRequestId,
    apigReply,
    apiNotFound,
    authFailure,
    entityTooLarge,
    gatewayReplyForStatus,
    obsErrorReply,
    type Reply,
    requestId,
    SisError,
    setUpgradeRequestId,
    sisReply,
} from './reply';
import { resolveTarget, type Target, upgradeRouteOf } from './routes';
import type { FaultKind, FaultSpec, LogEntry, Principal, RouteName, UpgradeHandler } from './types';
import { handleRasrUpgrade, handleRttsUpgrade, handleShortAudioWsUpgrade } from './ws';

/** AK/SK-signed bodies are limited to 12 MB by the gateway (docs/protocol/auth.md §4.5). */
const AKSK_BODY_LIMIT = 12 * 1024 * 1024;
/** Token-authenticated calls have no documented limit; this only protects the emulator's memory. */
const TOKEN_BODY_LIMIT = 64 * 1024 * 1024;
const OBS_BODY_LIMIT = 320 * 1024 * 1024;
const MAX_URI = 32 * 1024;

const HTTP_FAULTS: readonly FaultKind[] = ['status', 'delay', 'slow-headers', 'reset', 'malformed', 'truncated'];
const UPGRADE_FAULTS: readonly FaultKind[] = ['status', 'delay', 'slow-headers', 'reset'];
const EMPTY = Buffer.alloc(0);

const UPGRADE_HANDLERS: Partial<Record<RouteName, UpgradeHandler>> = {
    rasr: handleRasrUpgrade,
    rtts: handleRttsUpgrade,
    'short-audio.ws': handleShortAudioWsUpgrade,
};

function noop(): void {}

/** What the WebSocket library would refuse with its own answer (without an X-Request-Id). */
function isWebSocketHandshake(req: IncomingMessage): boolean {
    const key = req.headers['sec-websocket-key'];
    const version = req.headers['sec-websocket-version'];
    return (
        String(req.headers.upgrade ?? '').toLowerCase() === 'websocket' &&
        typeof key === 'string' &&
        /^[+/0-9A-Za-z]{22}==$/.test(key.trim()) &&
        (version === '8' || version === '13')
    );
}

function splitTarget(url: string): { rawPath: string; rawQuery: string } {
    let target = url;
    // Absolute-form request targets (sent to proxies) carry scheme and host.
    if (!target.startsWith('/')) {
        const schemeEnd = target.indexOf('://');
        const pathStart = schemeEnd < 0 ? -1 : target.indexOf('/', schemeEnd + 3);
        target = pathStart < 0 ? '/' : target.slice(pathStart);
    }
    const q = target.indexOf('?');
    return q < 0 ? { rawPath: target, rawQuery: '' } : { rawPath: target.slice(0, q), rawQuery: target.slice(q + 1) };
}

function decodeQuery(rawQuery: string): [string, string][] {
    if (rawQuery === '') return [];
    const pairs: [string, string][] = [];
    for (const part of rawQuery.split('&')) {
        if (part === '') continue;
        const eq = part.indexOf('=');
        pairs.push([safeDecode(eq < 0 ? part : part.slice(0, eq)), eq < 0 ? '' : safeDecode(part.slice(eq + 1))]);
    }
    return pairs;
}

function safeDecode(text: string): string {
    try {
        return decodeURIComponent(text);
    } catch {
        return text;
    }
}

function queryRecord(pairs: [string, string][]): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of pairs) {
        const prev = out[name];
        out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    return out;
}

type BodyResult = { ok: true; body: Buffer } | { ok: false; tooLarge: boolean };

function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) return Promise.resolve({ ok: false, tooLarge: true });
    return new Promise((resolve) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let settled = false;
        const finish = (result: BodyResult) => {
            if (settled) return;
            settled = true;
            resolve(result);
        };
        req.on('data', (chunk: Buffer) => {
            if (settled) return;
            size += chunk.length;
            if (size > limit) {
                finish({ ok: false, tooLarge: true });
                return;
            }
            chunks.push(chunk);
        });
        req.on('end', () => finish({ ok: true, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size) }));
        req.on('error', () => finish({ ok: false, tooLarge: false }));
        req.on('close', () => finish({ ok: false, tooLarge: false }));
    });
}

function bodyLimit(target: Target, req: IncomingMessage): number {
    if (target.kind === 'obs') return OBS_BODY_LIMIT;
    return isAkskSigned(req.headers) ? AKSK_BODY_LIMIT : TOKEN_BODY_LIMIT;
}

function logRouteOf(target: Target): LogEntry['route'] {
    if (target.kind === 'admin') return 'admin';
    if (target.kind === 'none') return 'unknown';
    return target.route ?? 'unknown';
}

function faultReply(target: Target, fault: FaultSpec, resource: string): Reply {
    const status = fault.status ?? 503;
    let reply: Reply;
    if (target.kind === 'obs') {
        const code =
            fault.code ?? (status === 503 ? 'ServiceUnavailable' : status === 429 ? 'SlowDown' : 'InternalError');
        reply = obsErrorReply(status, code, fault.message ?? 'Injected fault', resource);
    } else {
        reply = gatewayReplyForStatus(status, fault.code, fault.message);
    }
    if (fault.retryAfter !== undefined) reply.headers = { ...reply.headers, 'Retry-After': fault.retryAfter };
    return reply;
}

function tokenExpiredReply(core: Core): Reply {
    return authFailure(`token expires, expires_at: ${new Date(core.ctx.clock.now()).toISOString()}`);
}

function serialise(reply: Reply): { body: Buffer; json: boolean } {
    if (reply.body !== undefined) {
        return { body: typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body, json: false };
    }
    if (reply.json === undefined) return { body: EMPTY, json: false };
    return { body: Buffer.from(JSON.stringify(reply.json)), json: true };
}

/** Key and certificate (PEM) to serve HTTPS and WSS instead of plain HTTP and WS. */
export interface ServerTls {
    key: string;
    cert: string;
}

export class EmulatorServer {
    readonly http: Server | TlsServer;
    private readonly upgraded = new Set<Duplex>();

    constructor(
        private readonly core: Core,
        tls?: ServerTls,
    ) {
        const onRequest = (req: IncomingMessage, res: ServerResponse) => {
            void this.onRequest(req, res);
        };
        this.http = tls
            ? createTlsServer({ maxHeaderSize: 64 * 1024, key: tls.key, cert: tls.cert }, onRequest)
            : createServer({ maxHeaderSize: 64 * 1024 }, onRequest);
        this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
            void this.onUpgrade(req, socket, head);
        });
        this.http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
            if (!socket.writable) {
                socket.destroy();
                return;
            }
            const reply =
                err.code === 'HPE_HEADER_OVERFLOW'
                    ? apigReply(494, 'APIG.0201', 'Request headers too large.')
                    : apigReply(400, 'APIG.0201', 'API request error.');
            this.writeRaw(socket, reply);
        });
    }

    /** Destroys upgraded (WebSocket) sockets; the HTTP server closes the rest. */
    destroyUpgraded(): void {
        for (const socket of this.upgraded) socket.destroy();
        this.upgraded.clear();
    }

    private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
        req.on('error', noop);
        res.on('error', noop);
        const { rawPath, rawQuery } = splitTarget(req.url ?? '/');
        const method = req.method ?? 'GET';
        const call: Call = {
            req,
            method,
            rawPath,
            rawQuery,
            queryPairs: decodeQuery(rawQuery),
            host: req.headers.host ?? '',
            body: EMPTY,
            auth: 'none',
            requestId: requestId(),
        };
        const target = resolveTarget(method, rawPath, call.host);
        let reply: Reply;
        let fault: FaultSpec | undefined;
        try {
            if ((req.url ?? '').length > MAX_URI) {
                reply = apigReply(414, 'APIG.0201', 'Request URI too large.');
            } else {
                const body = await readBody(req, bodyLimit(target, req));
                if (!body.ok) {
                    if (!body.tooLarge) return; // the client went away
                    reply =
                        target.kind === 'obs'
                            ? {
                                  ...obsErrorReply(
                                      400,
                                      'EntityTooLarge',
                                      'Your proposed upload exceeds the maximum allowed object size.',
                                      rawPath,
                                  ),
                                  close: true,
                              }
                            : entityTooLarge();
                } else {
                    call.body = body.body;
                    const outcome = await this.dispatch(call, target);
                    if (outcome === undefined) {
                        this.log(call, target, 0, undefined, false);
                        return;
                    }
                    reply = outcome.reply;
                    fault = outcome.fault;
                }
            }
        } catch (err) {
            reply =
                err instanceof SisError
                    ? sisReply(err.code, err.message, err.extra)
                    : apigReply(500, 'APIG.0201', 'An unexpected error occurred.');
        }
        call.requestId = answerRequestId(reply, call.requestId);
        await this.write(res, reply, fault, call.requestId);
        this.log(
            call,
            target,
            fault?.kind === 'malformed' || fault?.kind === 'truncated' ? 200 : reply.status,
            reply.errorCode,
        );
    }

    /** Runs the request through faults, authentication and its route; undefined = socket was reset. */
    private async dispatch(call: Call, target: Target): Promise<{ reply: Reply; fault?: FaultSpec } | undefined> {
        const { core } = this;
        if (target.kind === 'admin') return { reply: handleAdmin(core, call) };
        if (target.kind === 'none') return { reply: apiNotFound() };
        if (target.kind === 'iam' && target.route === undefined) return { reply: apiNotFound() };
        const route = target.route;
        let fault = route ? core.ctx.faults.take(route, HTTP_FAULTS) : undefined;
        if (fault?.kind === 'status') return { reply: faultReply(target, fault, call.rawPath) };
        if (fault?.kind === 'reset') {
            call.req.socket.destroy();
            return undefined;
        }
        if (fault?.kind === 'delay') {
            await core.tasks.sleep(fault.delayMs ?? 1000);
            fault = undefined;
        }
        const reply = await this.route(call, target);
        return { reply, fault };
    }

    private async route(call: Call, target: Target): Promise<Reply> {
        const { core } = this;
        if (target.kind === 'obs') return handleObs(core, call, target.obs);
        if (target.kind === 'admin' || target.kind === 'none') return apiNotFound();
        if (target.kind === 'iam' && target.route === 'iam.tokens') return handleIam(core, call, target.route);
        const principal = this.authenticateCall(call, target.route);
        if ('status' in principal) return principal;
        if (target.kind === 'iam') return handleIam(core, call, target.route ?? 'iam.tokens');
        const projectError = checkProject(principal, target.projectId, call.req.headers);
        if (projectError) return projectError;
        if (!target.route || !target.handler) return apiNotFound();
        try {
            const reply = await target.handler(core, call);
            if (core.ctx.limits.serviceLatencyMs > 0) await core.tasks.sleep(core.ctx.limits.serviceLatencyMs);
            return reply;
        } catch (err) {
            if (err instanceof SisError) return sisReply(err.code, err.message, err.extra);
            return sisReply('SIS.0605', 'internal error');
        }
    }

    /** Gateway authentication plus the armed `token-expired` fault; a Reply means refused. */
    private authenticateCall(call: Call, route: RouteName | undefined): Principal | Reply {
        const outcome = authenticate(this.core, {
            method: call.method,
            rawPath: call.rawPath,
            rawQuery: call.rawQuery,
            headers: call.req.headers,
            body: call.body,
        });
        if (!outcome.ok) return outcome.reply;
        call.principal = outcome.principal;
        call.auth = outcome.principal.kind;
        if (outcome.principal.kind === 'token' && route && this.core.ctx.faults.take(route, ['token-expired'])) {
            return tokenExpiredReply(this.core);
        }
        return outcome.principal;
    }

    private async write(res: ServerResponse, reply: Reply, fault: FaultSpec | undefined, id: string): Promise<void> {
        if (fault?.kind === 'slow-headers') await this.core.tasks.sleep(fault.delayMs ?? 1000);
        if (res.destroyed) return;
        const headers: Record<string, string | number> = { 'X-Request-Id': id };
        if (fault?.kind === 'malformed') {
            const body = Buffer.from('<html><body>502 Bad Gateway</body></html>\n{"trace_id": ');
            res.writeHead(200, {
                'Content-Type': 'application/json;charset=UTF-8',
                'Content-Length': body.length,
                'X-Request-Id': id,
            });
            res.end(body);
            return;
        }
        const { body, json } = serialise(reply);
        if (json) headers['Content-Type'] = 'application/json;charset=UTF-8';
        Object.assign(headers, reply.headers);
        if (headers['Content-Length'] === undefined) headers['Content-Length'] = body.length;
        if (reply.close) headers.Connection = 'close';
        if (fault?.kind === 'truncated') {
            const full = body.length >= 4 ? body : Buffer.from('{"trace_id":"00000000-0000-0000-0000-000000000000"}');
            res.writeHead(200, { ...headers, 'Content-Length': full.length });
            res.write(full.subarray(0, Math.floor(full.length / 2)), () => res.socket?.destroy());
            return;
        }
        res.writeHead(reply.status, headers);
        res.end(body);
    }

    private log(call: Call, target: Target, status: number, errorCode: string | undefined, answered = true): void {
        const entry: LogEntry = {
            time: new Date(this.core.ctx.clock.now()).toISOString(),
            method: call.method,
            path: call.rawPath,
            query: queryRecord(call.queryPairs),
            route: logRouteOf(target),
            status,
            auth: call.auth,
            headers: maskHeaders(call.req.headers),
        };
        if (call.json !== undefined) entry.body = maskBody(call.json);
        if (errorCode !== undefined) entry.error_code = errorCode;
        if (answered) entry.request_id = call.requestId;
        this.core.ctx.log.add(entry);
    }

    private writeRaw(socket: Duplex, reply: Reply, id = answerRequestId(reply, requestId())): void {
        const { body } = serialise(reply);
        const head =
            `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? 'Error'}\r\n` +
            'Content-Type: application/json;charset=UTF-8\r\n' +
            `X-Request-Id: ${id}\r\n` +
            `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
        socket.end(Buffer.concat([Buffer.from(head), body]));
        // Half-closed peers would keep the socket; make sure it goes.
        setTimeout(() => socket.destroy(), 1000).unref();
    }

    private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
        socket.on('error', noop);
        this.upgraded.add(socket);
        socket.once('close', () => this.upgraded.delete(socket));
        const { rawPath, rawQuery } = splitTarget(req.url ?? '/');
        const call: Call = {
            req,
            method: req.method ?? 'GET',
            rawPath,
            rawQuery,
            queryPairs: decodeQuery(rawQuery),
            host: req.headers.host ?? '',
            body: EMPTY,
            auth: 'none',
            requestId: requestId(),
        };
        const found = upgradeRouteOf(rawPath);
        const target: Target = found
            ? { kind: 'sis', projectId: found.projectId, route: found.route }
            : { kind: 'none' };
        const refuse = (reply: Reply) => {
            call.requestId = answerRequestId(reply, call.requestId);
            this.writeRaw(socket, reply, call.requestId);
            this.log(call, target, reply.status, reply.errorCode);
        };
        try {
            const handler = found ? UPGRADE_HANDLERS[found.route] : undefined;
            if (!found || !handler || call.method !== 'GET') {
                refuse(apiNotFound());
                return;
            }
            if (!isWebSocketHandshake(req)) {
                refuse(apigReply(400, 'APIG.0201', 'API request error.'));
                return;
            }
            const fault = this.core.ctx.faults.take(found.route, UPGRADE_FAULTS);
            if (fault?.kind === 'status') return refuse(faultReply(target, fault, rawPath));
            if (fault?.kind === 'reset') {
                socket.destroy();
                return;
            }
            if (fault?.kind === 'delay' || fault?.kind === 'slow-headers')
                await this.core.tasks.sleep(fault.delayMs ?? 1000);
            // The SIS SDK signs the handshake as a GET with an empty body (docs/protocol/auth.md §4.8).
            const outcome = authenticate(this.core, {
                method: 'GET',
                rawPath,
                rawQuery,
                headers: req.headers,
                body: EMPTY,
            });
            if (!outcome.ok) return refuse(outcome.reply);
            call.auth = outcome.principal.kind;
            if (outcome.principal.kind === 'token' && this.core.ctx.faults.take(found.route, ['token-expired'])) {
                return refuse(tokenExpiredReply(this.core));
            }
            const projectError = checkProject(outcome.principal, found.projectId, req.headers);
            if (projectError) return refuse(projectError);
            if (socket.destroyed) return;
            // The 101 answer (or a handler's own refusal) carries this id.
            setUpgradeRequestId(req, call.requestId);
            handler(this.core.ctx, req, socket, head, outcome.principal);
        } catch {
            if (!socket.destroyed) refuse(apigReply(500, 'APIG.0201', 'An unexpected error occurred.'));
        }
    }
}
