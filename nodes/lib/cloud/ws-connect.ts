// Opening an authenticated WebSocket to SIS, for every node that streams: the handshake headers of
// the config node's client, TLS with the built-in roots plus the extra CA, the proxy the
// environment names (an HTTP CONNECT tunnel; headers, path and body reach the gateway unchanged,
// so an AK/SK signature stays valid), and a refused handshake mapped to a SisError the way REST
// failures are. Until the socket is open, an abort, the deadline or a failure releases all of it.
import { randomFillSync } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { type ClientOptions, WebSocket } from 'ws';
import { errorFromException, errorFromResponse, SisError } from '../core/errors';
import type { SisClient } from './sis-client';

export interface WsTarget {
    url: string;
    headers: Record<string, string>;
    /** proxy URL (`http://[user:pass@]host:port`), or undefined for a direct connection */
    proxy?: string;
    /** extra CA certificates (PEM), added to the built-in roots */
    ca?: string;
}

export interface WsConnectOptions {
    /** The whole opening (proxy tunnel, TLS, upgrade, a refusal's body) must end within this. */
    handshakeTimeoutMs: number;
    /** names the operation in error messages */
    what: string;
    signal?: AbortSignal;
    /** largest message accepted (the `ws` default when absent) */
    maxPayload?: number;
}

/**
 * Runs as the socket opens, before any frame can be read, so its owner's listeners miss nothing;
 * what it returns is what the connection resolves with.
 */
export type Adopt<T> = (ws: WebSocket) => T;

const MAX_ERROR_BODY = 64 * 1024;
const MAX_PROXY_REPLY = 16 * 1024;

/** Every WebSocket this module opened that has not closed yet (for diagnostics and tests). */
const live = new Set<WebSocket>();

export function openSocketCount(): number {
    return live.size;
}

function noop(): void {}

const asIs: Adopt<WebSocket> = (ws) => ws;

type ConnectCallback = (err: Error | null, stream: Duplex) => void;

interface TunnelTarget {
    host: string;
    port: number;
    secure: boolean;
    /** CA certificates for the service's TLS (the built-in roots plus the extra CA) */
    ca?: string[];
    what: string;
}

function unbracket(host: string): string {
    return host.replace(/^\[|\]$/g, '');
}

function decoded(part: string): string {
    try {
        return decodeURIComponent(part);
    } catch {
        // A stray `%` is taken literally rather than failing the connection.
        return part;
    }
}

function proxyAuthorization(proxy: URL): string | undefined {
    if (!proxy.username && !proxy.password) return undefined;
    const pair = `${decoded(proxy.username)}:${decoded(proxy.password)}`;
    return `Basic ${Buffer.from(pair).toString('base64')}`;
}

/**
 * A CONNECT tunnel through `proxy` to `target`, then TLS for `wss:`. The proxy's answer is read
 * with a bound; an abort of `stop` before the tunnel stands destroys it. Errors name the proxy's
 * host only (its URL may carry credentials).
 */
function openTunnel(proxy: URL, target: TunnelTarget, stop: AbortSignal, callback: ConnectCallback): void {
    const proxyHost = unbracket(proxy.hostname);
    const proxyTls = proxy.protocol === 'https:';
    const proxyPort = Number(proxy.port) || (proxyTls ? 443 : 80);
    const authority = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    const via = `${target.what}: the proxy ${proxyHost}`;
    const tunnelError = (message: string, retryable: boolean): SisError =>
        new SisError('NETWORK', `${via} ${message}`, { retryable });
    const raw: net.Socket = proxyTls
        ? tls.connect({
              host: proxyHost,
              port: proxyPort,
              servername: net.isIP(proxyHost) ? undefined : proxyHost,
          })
        : net.connect({ host: proxyHost, port: proxyPort });
    let done = false;
    let reply = Buffer.alloc(0);
    const connected = proxyTls ? 'secureConnect' : 'connect';
    const finish = (err: Error | null, stream?: Duplex): void => {
        if (done) return;
        done = true;
        raw.removeListener('data', onData);
        raw.removeListener('error', onError);
        raw.removeListener('close', onClose);
        raw.removeListener(connected, onConnect);
        stop.removeEventListener('abort', onStop);
        if (err) {
            raw.destroy();
            callback(err, raw);
        } else if (stream) {
            callback(null, stream);
        }
    };
    const onData = (chunk: Buffer): void => {
        reply = Buffer.concat([reply, chunk]);
        const end = reply.indexOf('\r\n\r\n');
        if (end < 0) {
            if (reply.length > MAX_PROXY_REPLY) finish(tunnelError('sent an overlong answer to CONNECT', true));
            return;
        }
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(reply.toString('latin1', 0, Math.min(end, 64)));
        if (!status) {
            finish(tunnelError('answered CONNECT without an HTTP status', true));
            return;
        }
        const code = Number(status[1]);
        if (code !== 200) {
            // Only a gateway failure of the proxy may heal by itself; 407 and policy refusals do not.
            const retryable = code === 502 || code === 503 || code === 504;
            finish(tunnelError(`refused the tunnel to ${authority} (HTTP ${code})`, retryable));
            return;
        }
        const rest = reply.subarray(end + 4);
        // Hold the bytes until the HTTP client (or TLS) has taken over the socket.
        raw.pause();
        if (rest.length) raw.unshift(rest);
        if (!target.secure) {
            finish(null, raw);
            process.nextTick(() => raw.resume());
            return;
        }
        // `host` is what the certificate is checked against (without it, "localhost").
        const secured = tls.connect({
            socket: raw,
            host: target.host,
            servername: net.isIP(target.host) ? undefined : target.host,
            ca: target.ca,
        });
        finish(null, secured);
    };
    const onError = (err: Error): void => finish(errorFromException(err, via));
    const onClose = (): void => finish(tunnelError('closed the connection before the tunnel stood', true));
    const onStop = (): void => finish(new SisError('CANCELLED', `${target.what} cancelled`));
    const auth = proxyAuthorization(proxy);
    const onConnect = (): void => {
        const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
        if (auth) lines.push(`Proxy-Authorization: ${auth}`);
        raw.write(`${lines.join('\r\n')}\r\n\r\n`);
    };
    raw.on('data', onData);
    raw.on('error', onError);
    raw.on('close', onClose);
    raw.once(connected, onConnect);
    if (stop.aborted) onStop();
    else stop.addEventListener('abort', onStop, { once: true });
}

/** An agent whose every connection is a fresh tunnel (the `ws` handshake runs over it). */
function tunnelAgent(proxy: URL, target: TunnelTarget, stop: AbortSignal): http.Agent {
    const create = (callback: ConnectCallback | undefined): undefined => {
        openTunnel(proxy, target, stop, callback ?? noop);
        return undefined;
    };
    if (target.secure) {
        return new (class extends https.Agent {
            override createConnection(_options: http.ClientRequestArgs, callback?: ConnectCallback): undefined {
                return create(callback);
            }
        })({ keepAlive: false });
    }
    return new (class extends http.Agent {
        override createConnection(_options: http.ClientRequestArgs, callback?: ConnectCallback): undefined {
            return create(callback);
        }
    })({ keepAlive: false });
}

const MASK_POOL_BYTES = 8 * 1024;
const maskPool = Buffer.alloc(MASK_POOL_BYTES);
let maskAt = MASK_POOL_BYTES;

/**
 * A masking key from a pool of random bytes drawn in bulk (as ws does by itself), never all
 * zero: with a zero key ws writes the caller's buffer as it is instead of a masked copy, and the
 * stream node reuses the memory of audio once it is sent.
 */
export function generateMask(mask: Buffer): void {
    do {
        if (maskAt === MASK_POOL_BYTES) {
            randomFillSync(maskPool);
            maskAt = 0;
        }
        mask[0] = maskPool[maskAt];
        mask[1] = maskPool[maskAt + 1];
        mask[2] = maskPool[maskAt + 2];
        mask[3] = maskPool[maskAt + 3];
        maskAt += 4;
    } while ((mask[0] | mask[1] | mask[2] | mask[3]) === 0);
}

function open<T>(target: WsTarget, opts: WsConnectOptions, adopt: Adopt<T>): Promise<T> {
    const { what, signal } = opts;
    const cancelled = (): SisError => new SisError('CANCELLED', `${what} cancelled`);
    return new Promise<T>((resolve, reject) => {
        if (signal?.aborted) {
            reject(cancelled());
            return;
        }
        // Aborted on failure, so a tunnel still waiting for the proxy is torn down too.
        const stop = new AbortController();
        let ws: WebSocket;
        try {
            const url = new URL(target.url);
            const secure = url.protocol === 'wss:';
            const ca = target.ca ? [...tls.rootCertificates, target.ca] : undefined;
            const options: ClientOptions = {
                headers: target.headers,
                // Off: compressing would hold on to the frames' memory until done (and PCM barely shrinks).
                perMessageDeflate: false,
                followRedirects: false,
                generateMask,
            };
            if (opts.maxPayload !== undefined) options.maxPayload = opts.maxPayload;
            if (target.proxy) {
                const tunnel: TunnelTarget = {
                    host: unbracket(url.hostname),
                    port: Number(url.port) || (secure ? 443 : 80),
                    secure,
                    ca,
                    what,
                };
                options.agent = tunnelAgent(new URL(target.proxy), tunnel, stop.signal);
            } else if (secure && ca) {
                options.ca = ca;
            }
            ws = new WebSocket(url, options);
        } catch (err) {
            reject(errorFromException(err, what));
            return;
        }
        live.add(ws);
        ws.once('close', () => live.delete(ws));
        // A socket's late 'error' must never go unheard (an unheard 'error' event would throw).
        ws.on('error', noop);
        let settled = false;
        let refusal: { report(): void; release(): void } | undefined;
        const timer = setTimeout(() => {
            // A refusal whose body does not end is reported with what has come of it.
            if (refusal) refusal.report();
            else fail(new SisError('TIMEOUT', `${what}: the WebSocket handshake timed out`, { retryable: true }));
        }, opts.handshakeTimeoutMs);
        const cleanup = (): void => {
            clearTimeout(timer);
            ws.removeListener('open', onOpen);
            ws.removeListener('error', onError);
            ws.removeListener('close', onClose);
            ws.removeListener('unexpected-response', onRefused);
            signal?.removeEventListener('abort', onAbort);
            refusal?.release();
        };
        const fail = (err: SisError): void => {
            if (settled) return;
            settled = true;
            cleanup();
            stop.abort();
            ws.terminate();
            reject(err);
        };
        const onOpen = (): void => {
            if (settled) return;
            let owner: T;
            try {
                owner = adopt(ws);
            } catch (err) {
                fail(errorFromException(err, what));
                return;
            }
            settled = true;
            cleanup();
            resolve(owner);
        };
        const onError = (err: Error): void => fail(errorFromException(err, what));
        const onClose = (): void =>
            fail(new SisError('NETWORK', `${what}: the connection closed during the handshake`, { retryable: true }));
        const onRefused = (_req: http.ClientRequest, res: http.IncomingMessage): void => {
            const status = res.statusCode ?? 0;
            const chunks: Buffer[] = [];
            let size = 0;
            const report = (): void =>
                fail(errorFromResponse(status, Buffer.concat(chunks, size), `${what} handshake`, res.headers));
            // The body only says why; a bounded prefix of it is enough.
            const onData = (chunk: Buffer): void => {
                const room = MAX_ERROR_BODY - size;
                chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
                size += Math.min(chunk.length, room);
                if (size >= MAX_ERROR_BODY) report();
            };
            const release = (): void => {
                res.removeListener('data', onData);
                res.removeListener('end', report);
                res.removeListener('close', report);
                res.removeListener('error', report);
            };
            refusal = { report, release };
            res.on('data', onData);
            res.once('end', report);
            res.once('close', report);
            res.once('error', report);
        };
        const onAbort = (): void => fail(cancelled());
        ws.on('open', onOpen);
        ws.on('error', onError);
        ws.on('close', onClose);
        ws.on('unexpected-response', onRefused);
        signal?.addEventListener('abort', onAbort, { once: true });
    });
}

/**
 * Opens a WebSocket to `target` and resolves once it is open (with what `adopt` makes of it).
 * Rejects with a SisError: the gateway's or the service's refusal (as for REST), TIMEOUT,
 * NETWORK, or CANCELLED when `opts.signal` aborts.
 */
export function connectWebSocket(target: WsTarget, opts: WsConnectOptions): Promise<WebSocket>;
export function connectWebSocket<T>(target: WsTarget, opts: WsConnectOptions, adopt: Adopt<T>): Promise<T>;
export function connectWebSocket<T>(
    target: WsTarget,
    opts: WsConnectOptions,
    adopt?: Adopt<T>,
): Promise<T | WebSocket> {
    return adopt ? open(target, opts, adopt) : open(target, opts, asIs);
}

/**
 * Opens an authenticated WebSocket to the service on `path` (below `/v1/{project_id}`) with the
 * client's credentials, proxy and extra CA. A handshake refused for its IAM token is made once
 * more with a fresh token (the client's `withToken`). Errors are scrubbed of the client's secrets.
 */
export function openServiceSocket(client: SisClient, path: string, opts: WsConnectOptions): Promise<WebSocket>;
export function openServiceSocket<T>(
    client: SisClient,
    path: string,
    opts: WsConnectOptions,
    adopt: Adopt<T>,
): Promise<T>;
export async function openServiceSocket<T>(
    client: SisClient,
    path: string,
    opts: WsConnectOptions,
    adopt?: Adopt<T>,
): Promise<T | WebSocket> {
    try {
        return await client.withToken(async (token) => {
            const { url, headers } = await client.wsHandshake(path, token);
            const target: WsTarget = {
                url,
                headers,
                proxy: client.http.proxyFor(new URL(url)),
                ca: client.http.extraCa,
            };
            return adopt ? await open(target, opts, adopt) : await open(target, opts, asIs);
        });
    } catch (err) {
        throw client.scrubError(err);
    }
}
