// Opening a WebSocket to SIS: the handshake headers from the config node's client, its extra CA,
// the proxy the environment names (an HTTP CONNECT tunnel), and handshake failures mapped to
// SisErrors the way REST failures are.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { WebSocket } from 'ws';
import { errorFromException, errorFromResponse, SisError } from './errors';

export interface WsConnectOptions {
    url: string;
    headers: Record<string, string>;
    /** proxy URL (`http://[user:pass@]host:port`), or undefined for a direct connection */
    proxy?: string;
    /** extra CA certificates (PEM), added to the built-in roots */
    ca?: string;
    handshakeTimeoutMs: number;
    /** names the operation in error messages */
    what: string;
}

const MAX_ERROR_BODY = 64 * 1024;
const MAX_PROXY_REPLY = 16 * 1024;

/** Every WebSocket this module opened that has not closed yet (for diagnostics and tests). */
const live = new Set<WebSocket>();

export function openSocketCount(): number {
    return live.size;
}

function noop(): void {}

type ConnectCallback = (err: Error | null, stream: Duplex) => void;

function tunnelError(message: string): SisError {
    return new SisError('NETWORK', `proxy: ${message}`, { retryable: true });
}

/** A CONNECT tunnel through `proxy` to the request's host, then TLS for `wss:`. */
function openTunnel(
    proxy: URL,
    options: http.ClientRequestArgs,
    secure: boolean,
    ca: string[] | undefined,
    callback: ConnectCallback,
): void {
    const host = String(options.hostname ?? options.host ?? '').replace(/^\[|\]$/g, '');
    const port = Number(options.port) || (secure ? 443 : 80);
    const proxyPort = Number(proxy.port) || (proxy.protocol === 'https:' ? 443 : 80);
    const proxyHost = proxy.hostname.replace(/^\[|\]$/g, '');
    const raw: net.Socket =
        proxy.protocol === 'https:'
            ? tls.connect({ host: proxyHost, port: proxyPort, servername: net.isIP(proxyHost) ? undefined : proxyHost })
            : net.connect({ host: proxyHost, port: proxyPort });
    let done = false;
    const finish = (err: Error | null, stream?: Duplex): void => {
        if (done) return;
        done = true;
        raw.removeListener('data', onData);
        raw.removeListener('error', onError);
        raw.removeListener('close', onClose);
        if (err) {
            raw.destroy();
            callback(err, raw);
        } else if (stream) {
            callback(null, stream);
        }
    };
    const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const auth = proxy.username
        ? `Proxy-Authorization: Basic ${Buffer.from(
              `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`,
          ).toString('base64')}\r\n`
        : '';
    let reply = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
        reply = Buffer.concat([reply, chunk]);
        const end = reply.indexOf('\r\n\r\n');
        if (end < 0) {
            if (reply.length > MAX_PROXY_REPLY) finish(tunnelError('the answer to CONNECT is too long'));
            return;
        }
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(reply.toString('latin1', 0, Math.min(end, 64)));
        if (status?.[1] !== '200') {
            finish(tunnelError(`CONNECT refused (${status ? `HTTP ${status[1]}` : 'no status'})`));
            return;
        }
        const rest = reply.subarray(end + 4);
        // Hold the bytes until the HTTP client (or TLS) has taken over the socket.
        raw.pause();
        if (rest.length) raw.unshift(rest);
        if (!secure) {
            finish(null, raw);
            process.nextTick(() => raw.resume());
            return;
        }
        // `host` is what the certificate is checked against (without it, "localhost").
        const secured = tls.connect({
            socket: raw,
            host,
            servername: net.isIP(host) ? undefined : host,
            ca,
        });
        finish(null, secured);
    };
    const onError = (err: Error): void => finish(errorFromException(err, 'proxy'));
    const onClose = (): void => finish(tunnelError('the proxy closed the connection'));
    raw.on('data', onData);
    raw.on('error', onError);
    raw.on('close', onClose);
    raw.once(proxy.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
        raw.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`);
    });
}

function tunnelAgent(proxy: URL, secure: boolean, ca: string[] | undefined): http.Agent {
    if (secure) {
        return new (class extends https.Agent {
            override createConnection(options: http.ClientRequestArgs, callback?: ConnectCallback): undefined {
                openTunnel(proxy, options, true, ca, callback ?? noop);
                return undefined;
            }
        })({ keepAlive: false });
    }
    return new (class extends http.Agent {
        override createConnection(options: http.ClientRequestArgs, callback?: ConnectCallback): undefined {
            openTunnel(proxy, options, false, ca, callback ?? noop);
            return undefined;
        }
    })({ keepAlive: false });
}

/** Reads a refused handshake's body (bounded), for the error it carries. */
function readBody(res: http.IncomingMessage): Promise<Buffer> {
    return new Promise((resolve) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const end = (): void => resolve(Buffer.concat(chunks, size));
        res.on('data', (chunk: Buffer) => {
            if (size + chunk.length > MAX_ERROR_BODY) return;
            chunks.push(chunk);
            size += chunk.length;
        });
        res.once('end', end);
        res.once('close', end);
        res.once('error', end);
    });
}

/**
 * Opens a WebSocket and resolves once it is open. Rejects with a SisError: the gateway's or the
 * service's refusal (as for REST), TIMEOUT, NETWORK, or CANCELLED when `signal` aborts.
 */
export function connectWebSocket(opts: WsConnectOptions, signal: AbortSignal): Promise<WebSocket> {
    const secure = opts.url.startsWith('wss:');
    const ca = opts.ca ? [...tls.rootCertificates, opts.ca] : undefined;
    const ws = new WebSocket(opts.url, {
        headers: opts.headers,
        handshakeTimeout: opts.handshakeTimeoutMs,
        perMessageDeflate: false,
        followRedirects: false,
        agent: opts.proxy ? tunnelAgent(new URL(opts.proxy), secure, ca) : undefined,
        ca: opts.proxy ? undefined : ca,
    });
    live.add(ws);
    ws.once('close', () => live.delete(ws));
    // A socket's late 'error' must never go unheard (an unheard 'error' event would throw).
    ws.on('error', noop);
    return new Promise((resolve, reject) => {
        let settled = false;
        const cleanup = (): void => {
            ws.removeListener('open', onOpen);
            ws.removeListener('error', onError);
            ws.removeListener('close', onClose);
            ws.removeListener('unexpected-response', onRefused);
            signal.removeEventListener('abort', onAbort);
        };
        const fail = (err: SisError): void => {
            if (settled) return;
            settled = true;
            cleanup();
            ws.terminate();
            reject(err);
        };
        const onOpen = (): void => {
            if (settled) return;
            settled = true;
            cleanup();
            resolve(ws);
        };
        const onError = (err: Error): void => {
            const timedOut = /handshake has timed out/i.test(err.message);
            fail(
                timedOut
                    ? new SisError('TIMEOUT', `${opts.what}: the WebSocket handshake timed out`, { retryable: true })
                    : errorFromException(err, opts.what),
            );
        };
        const onClose = (): void =>
            fail(
                new SisError('NETWORK', `${opts.what}: the connection closed during the handshake`, {
                    retryable: true,
                }),
            );
        const onRefused = (_req: http.ClientRequest, res: http.IncomingMessage): void => {
            void readBody(res).then((body) => fail(errorFromResponse(res.statusCode ?? 0, body, opts.what)));
        };
        const onAbort = (): void => fail(new SisError('CANCELLED', `${opts.what} cancelled`));
        ws.on('open', onOpen);
        ws.on('error', onError);
        ws.on('close', onClose);
        ws.on('unexpected-response', onRefused);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
    });
}
