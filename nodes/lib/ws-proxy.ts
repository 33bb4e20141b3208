// A WebSocket through an HTTP proxy: an HTTP CONNECT tunnel to the service, with TLS on top for
// wss. The `ws` package takes this as its `createConnection` option; headers, path and body reach
// the gateway unchanged, so an AK/SK signature stays valid (auth.md §6).
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { SisError } from './errors';

export interface TunnelTarget {
    host: string;
    port: number;
    secure: boolean;
    /** CA certificates for the service's TLS (the built-in roots plus any extra CA). */
    ca?: string[];
}

export type ConnectionCallback = (err: Error | null, socket?: Duplex) => void;
export type CreateConnection = (options: unknown, callback: ConnectionCallback) => undefined;

function proxyAuthorization(proxy: URL): string | undefined {
    if (!proxy.username && !proxy.password) return undefined;
    const user = decodeURIComponent(proxy.username);
    const pass = decodeURIComponent(proxy.password);
    return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

/**
 * A `createConnection` for `ws` that opens a CONNECT tunnel through `proxyUrl` to `target`.
 * Errors name the proxy's host only (its URL may carry credentials).
 */
export function tunnelThroughProxy(proxyUrl: string, target: TunnelTarget): CreateConnection {
    const proxy = new URL(proxyUrl);
    const authority = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    return (_options, callback) => {
        let settled = false;
        const finish = (err: Error | null, socket?: Duplex): void => {
            if (settled) {
                socket?.destroy();
                return;
            }
            settled = true;
            callback(err, socket);
        };
        const headers: Record<string, string> = { host: authority };
        const auth = proxyAuthorization(proxy);
        if (auth) headers['proxy-authorization'] = auth;
        const request = proxy.protocol === 'https:' ? https.request : http.request;
        const req = request({
            host: proxy.hostname.replace(/^\[|\]$/g, ''),
            port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
            method: 'CONNECT',
            path: authority,
            headers,
            agent: false,
        });
        req.once('connect', (res: http.IncomingMessage, socket: Duplex, head: Buffer) => {
            if (res.statusCode !== 200) {
                socket.destroy();
                finish(
                    new SisError(
                        'NETWORK',
                        `the proxy ${proxy.hostname} refused the tunnel to ${authority} (HTTP ${res.statusCode})`,
                        { retryable: res.statusCode === 502 || res.statusCode === 503 || res.statusCode === 504 },
                    ),
                );
                return;
            }
            if (head.length > 0) socket.unshift(head);
            if (!target.secure) {
                finish(null, socket);
                return;
            }
            const secure = tls.connect({
                socket,
                servername: isIP(target.host) ? undefined : target.host,
                ca: target.ca,
                minVersion: 'TLSv1.2',
            });
            finish(null, secure);
        });
        req.once('error', (err: Error) => {
            finish(
                new SisError('NETWORK', `cannot reach the proxy ${proxy.hostname}: ${err.message}`, {
                    retryable: true,
                    cause: err,
                }),
            );
        });
        req.end();
        return undefined;
    };
}
