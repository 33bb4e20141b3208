// Opening a WebSocket to the service, as both streaming nodes do: directly or through an HTTP
// CONNECT proxy (credentials, refusals, a bounded answer), TLS with the extra CA, refused
// handshakes mapped to SisErrors, and nothing left open after an abort, the deadline or a failure.
//
// Over 500 lines because each way of opening a socket (direct, proxied, TLS) is checked for every
// refusal and clean-up path against the same local servers.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { type RawData, WebSocketServer } from 'ws';
import { SisClient } from '../../nodes/lib/cloud/sis-client';
import {
    connectWebSocket,
    generateMask,
    openServiceSocket,
    openSocketCount,
    type WsTarget,
} from '../../nodes/lib/cloud/ws-connect';
import type { SisError } from '../../nodes/lib/core/errors';
import { type Emulator, startCanaryEmulator } from '../helpers/emulator';
import { makeCertificate, startConnectProxy } from '../helpers/servers';
import { delay, until } from '../helpers/wait';

const WHAT = 'test stream';

interface RawServer {
    port: number;
    /** Every request head received (up to the blank line), in order. */
    heads: string[];
    /** Resolves once every connection the server accepted has closed. */
    allClosed(): Promise<void>;
    connections(): number;
    close(): Promise<void>;
}

/** A TCP server that hands each connection's request head to `answer` (which may never answer). */
async function startRawServer(answer: (socket: net.Socket, head: string) => void): Promise<RawServer> {
    const heads: string[] = [];
    const open = new Set<net.Socket>();
    let accepted = 0;
    const server = net.createServer((socket) => {
        accepted++;
        open.add(socket);
        socket.on('close', () => open.delete(socket));
        socket.on('error', () => undefined);
        let data = '';
        const onData = (chunk: Buffer): void => {
            data += chunk.toString('latin1');
            const end = data.indexOf('\r\n\r\n');
            if (end < 0) return;
            socket.removeListener('data', onData);
            heads.push(data.slice(0, end));
            answer(socket, data.slice(0, end));
        };
        socket.on('data', onData);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
        port: (server.address() as net.AddressInfo).port,
        heads,
        connections: () => accepted,
        allClosed: async () => {
            await until(() => (open.size === 0 ? true : undefined), 2000);
        },
        close: () => {
            for (const s of open) s.destroy();
            return new Promise((resolve) => server.close(() => resolve()));
        },
    };
}

function header(head: string, name: string): string | undefined {
    const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    return line?.slice(name.length + 1).trim();
}

function rejection(promise: Promise<unknown>): Promise<SisError> {
    return promise.then(
        () => assert.fail('expected a rejection'),
        (err: unknown) => err as SisError,
    );
}

async function noSocketLeft(): Promise<void> {
    await until(() => (openSocketCount() === 0 ? true : undefined), 2000);
}

describe('WebSocket connection to the service', () => {
    let emu: Emulator;

    before(async () => {
        emu = await startCanaryEmulator();
    });
    after(async () => {
        await emu.close();
    });
    afterEach(async () => {
        await noSocketLeft();
    });

    describe('through an HTTP CONNECT proxy', () => {
        it('carries the signed handshake of real-time recognition to the service', async () => {
            const proxy = await startConnectProxy(emu.port);
            const a = emu.account;
            // A host name that is not loopback, so the proxy is used; the proxy leads to the emulator.
            const client = new SisClient({
                region: a.region,
                projectId: a.projectId,
                authType: 'aksk',
                endpoint: `http://sis.example.test:${emu.port}`,
                credentials: { ak: a.ak, sk: a.sk },
                http: { env: { http_proxy: proxy.url } },
            });
            try {
                const ws = await openServiceSocket(client, '/rasr/continue-stream', {
                    handshakeTimeoutMs: 5000,
                    what: WHAT,
                });
                const reply = await new Promise<string>((resolve, reject) => {
                    ws.once('error', reject);
                    ws.once('message', (data: RawData) => resolve(String(data)));
                    ws.send(
                        JSON.stringify({
                            command: 'START',
                            config: { audio_format: 'pcm16k16bit', property: 'chinese_16k_common' },
                        }),
                    );
                });
                assert.equal((JSON.parse(reply) as { resp_type: string }).resp_type, 'START');
                assert.deepEqual(proxy.targets, [`sis.example.test:${emu.port}`]);
                assert.equal(new URL(ws.url).protocol, 'ws:');
                ws.terminate();
            } finally {
                await client.close();
                await proxy.close();
            }
        });

        it('reports an unreachable proxy as a NETWORK error naming the proxy host only', async () => {
            const err = await rejection(
                connectWebSocket(
                    { url: 'wss://sis.example.test/v1/p/rtts', headers: {}, proxy: 'http://user:pw@127.0.0.1:9' },
                    { handshakeTimeoutMs: 3000, what: WHAT },
                ),
            );
            assert.equal(err.code, 'NETWORK');
            assert.equal(err.retryable, true);
            assert.match(err.message, /proxy 127\.0\.0\.1/);
            assert.ok(!err.message.includes('pw'));
        });

        it('sends the credentials of the proxy URL as basic auth; a refused tunnel is retryable only for 502-504', async () => {
            for (const [status, retryable] of [
                [407, false],
                [403, false],
                [503, true],
            ] as const) {
                const proxy = await startRawServer((socket) => {
                    socket.end(`HTTP/1.1 ${status} No\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n`);
                });
                try {
                    const err = await rejection(
                        connectWebSocket(
                            {
                                url: 'ws://[2001:db8::1]:8080/v1/p/rtts',
                                headers: {},
                                proxy: `http://us%20er:p%40ss%3Aw@127.0.0.1:${proxy.port}`,
                            },
                            { handshakeTimeoutMs: 3000, what: WHAT },
                        ),
                    );
                    assert.equal(err.code, 'NETWORK');
                    assert.equal(err.retryable, retryable, `HTTP ${status}`);
                    assert.match(
                        err.message,
                        new RegExp(`refused the tunnel to \\[2001:db8::1\\]:8080 \\(HTTP ${status}\\)`),
                    );
                    assert.ok(!err.message.includes('p@ss'));
                    assert.equal(proxy.heads.length, 1);
                    const head = proxy.heads[0];
                    assert.match(head, /^CONNECT \[2001:db8::1\]:8080 HTTP\/1\.1\r\n/);
                    assert.equal(header(head, 'host'), '[2001:db8::1]:8080');
                    assert.equal(
                        header(head, 'proxy-authorization'),
                        `Basic ${Buffer.from('us er:p@ss:w').toString('base64')}`,
                    );
                    await proxy.allClosed();
                } finally {
                    await proxy.close();
                }
            }
        });

        it('sends no Proxy-Authorization without credentials', async () => {
            const proxy = await startRawServer((socket) => socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
            try {
                const err = await rejection(
                    connectWebSocket(
                        {
                            url: 'ws://sis.example.test/v1/p/rtts',
                            headers: {},
                            proxy: `http://127.0.0.1:${proxy.port}`,
                        },
                        { handshakeTimeoutMs: 3000, what: WHAT },
                    ),
                );
                assert.equal(err.retryable, true);
                assert.equal(header(proxy.heads[0], 'proxy-authorization'), undefined);
                assert.equal(header(proxy.heads[0], 'host'), 'sis.example.test:80');
            } finally {
                await proxy.close();
            }
        });

        it('reads a bounded answer to CONNECT', async () => {
            const proxy = await startRawServer((socket) => {
                socket.write(`HTTP/1.1 200 OK\r\nX-Filler: ${'a'.repeat(64 * 1024)}`);
            });
            try {
                const err = await rejection(
                    connectWebSocket(
                        {
                            url: 'ws://sis.example.test/v1/p/rtts',
                            headers: {},
                            proxy: `http://127.0.0.1:${proxy.port}`,
                        },
                        { handshakeTimeoutMs: 3000, what: WHAT },
                    ),
                );
                assert.equal(err.code, 'NETWORK');
                assert.match(err.message, /overlong answer to CONNECT/);
                await proxy.allClosed();
            } finally {
                await proxy.close();
            }
        });

        it('an abort or the deadline tears down a tunnel still waiting for the proxy', async () => {
            const proxy = await startRawServer(() => undefined);
            const target: WsTarget = {
                url: 'wss://sis.example.test/v1/p/rtts',
                headers: {},
                proxy: `http://127.0.0.1:${proxy.port}`,
            };
            try {
                const controller = new AbortController();
                const pending = rejection(
                    connectWebSocket(target, { handshakeTimeoutMs: 10_000, what: WHAT, signal: controller.signal }),
                );
                await until(() => (proxy.heads.length === 1 ? true : undefined), 2000);
                controller.abort();
                const cancelled = await pending;
                assert.equal(cancelled.code, 'CANCELLED');
                await proxy.allClosed();

                const started = Date.now();
                const timedOut = await rejection(connectWebSocket(target, { handshakeTimeoutMs: 150, what: WHAT }));
                assert.equal(timedOut.code, 'TIMEOUT');
                assert.equal(timedOut.retryable, true);
                assert.ok(Date.now() - started < 1500);
                assert.equal(proxy.heads.length, 2);
                await proxy.allClosed();
            } finally {
                await proxy.close();
            }
        });
    });

    it('wss: trusts the extra CA, directly and through the proxy tunnel; refuses an unknown certificate', async () => {
        const { key, cert } = makeCertificate();
        const server = https.createServer({ key, cert });
        const wss = new WebSocketServer({ server });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const port = (server.address() as net.AddressInfo).port;
        const proxy = await startConnectProxy(port);
        const url = `wss://127.0.0.1:${port}/v1/p/rtts`;
        const opts = { handshakeTimeoutMs: 3000, what: 'real-time synthesis' };
        try {
            const direct = await connectWebSocket({ url, headers: {}, ca: cert }, opts);
            direct.close();
            const tunnelled = await connectWebSocket({ url, headers: {}, ca: cert, proxy: proxy.url }, opts);
            tunnelled.close();
            assert.deepEqual(proxy.targets, [`127.0.0.1:${port}`]);
            await assert.rejects(connectWebSocket({ url, headers: {} }, opts), (err: Error & { code?: string }) => {
                return err.code === 'NETWORK' && /TLS|certificate/i.test(err.message);
            });
            await assert.rejects(
                connectWebSocket({ url, headers: {}, proxy: proxy.url }, opts),
                (err: Error & { code?: string }) => {
                    return err.code === 'NETWORK' && /TLS|certificate/i.test(err.message);
                },
            );
        } finally {
            for (const c of wss.clients) c.terminate();
            wss.close();
            await proxy.close();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        }
        await delay(20);
        assert.equal(openSocketCount(), 0);
    });

    describe('a refused handshake', () => {
        let server: http.Server;
        let port: number;
        let answer: (socket: net.Socket) => void;
        const upgraded = new Set<net.Socket>();

        before(async () => {
            server = http.createServer((_req, res) => res.writeHead(404).end());
            server.on('upgrade', (_req: http.IncomingMessage, socket: net.Socket) => {
                socket.on('error', () => undefined);
                // Half-open once the client is gone; the test server follows.
                socket.on('end', () => socket.end());
                upgraded.add(socket);
                socket.on('close', () => upgraded.delete(socket));
                answer(socket);
            });
            await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
            port = (server.address() as net.AddressInfo).port;
        });
        afterEach(async () => {
            // The client side lets go of every refused connection.
            await until(() => (upgraded.size === 0 ? true : undefined), 2000);
        });
        after(async () => {
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        });

        function refuse(status: number, body: string, extra = ''): (socket: net.Socket) => void {
            return (socket) => {
                socket.end(
                    `HTTP/1.1 ${status} Refused\r\nContent-Type: application/json\r\n${extra}` +
                        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
                );
            };
        }

        function connect(timeoutMs = 3000): Promise<SisError> {
            return rejection(
                connectWebSocket(
                    { url: `ws://127.0.0.1:${port}/v1/p/rtts`, headers: {} },
                    { handshakeTimeoutMs: timeoutMs, what: WHAT },
                ),
            );
        }

        it('maps the status and the body as for REST', async () => {
            answer = refuse(401, '{"error_code":"APIG.0301","error_msg":"Incorrect IAM authentication information"}');
            const auth = await connect();
            assert.equal(auth.code, 'AUTH_FAILED');
            assert.equal(auth.status, 401);
            assert.equal(auth.serviceCode, 'APIG.0301');
            assert.equal(auth.retryable, false);
            assert.match(auth.message, /^test stream handshake refused: Incorrect IAM authentication information/);

            answer = refuse(429, '{"error_code":"APIG.0308","error_msg":"throttled"}');
            const limited = await connect();
            assert.equal(limited.code, 'RATE_LIMITED');
            assert.equal(limited.retryable, true);

            answer = refuse(400, '{"error_code":"SIS.0032","error_msg":"bad","trace_id":"t-1"}');
            const service = await connect();
            assert.equal(service.code, 'SIS.0032');
            assert.equal(service.traceId, 't-1');
        });

        it('reads a bounded body, and reports a body that never ends at the deadline', async () => {
            answer = refuse(503, `{"error_msg":"busy","pad":"${'x'.repeat(1024 * 1024)}"}`);
            const large = await connect();
            assert.equal(large.code, 'SERVICE_UNAVAILABLE');
            assert.equal(large.status, 503);
            assert.equal(large.retryable, true);

            answer = (socket) => {
                socket.write('HTTP/1.1 500 Oops\r\nContent-Length: 100000\r\n\r\n{"error_msg":');
            };
            const started = Date.now();
            const endless = await connect(200);
            assert.equal(endless.code, 'SERVICE_UNAVAILABLE');
            assert.equal(endless.status, 500);
            assert.ok(Date.now() - started < 1500);
        });
    });

    describe('directly', () => {
        it('times out at the deadline and cancels on abort, closing the connection', async () => {
            const silent = await startRawServer(() => undefined);
            const target: WsTarget = { url: `ws://127.0.0.1:${silent.port}/v1/p/rtts`, headers: {} };
            try {
                const timedOut = await rejection(connectWebSocket(target, { handshakeTimeoutMs: 150, what: WHAT }));
                assert.equal(timedOut.code, 'TIMEOUT');
                assert.match(timedOut.message, /^test stream: the WebSocket handshake timed out/);
                await silent.allClosed();

                const controller = new AbortController();
                const pending = rejection(
                    connectWebSocket(target, { handshakeTimeoutMs: 10_000, what: WHAT, signal: controller.signal }),
                );
                await until(() => (silent.heads.length === 2 ? true : undefined), 2000);
                controller.abort();
                assert.equal((await pending).code, 'CANCELLED');
                await silent.allClosed();

                // Already aborted: no connection at all.
                const none = await rejection(
                    connectWebSocket(target, { handshakeTimeoutMs: 1000, what: WHAT, signal: controller.signal }),
                );
                assert.equal(none.code, 'CANCELLED');
                await delay(50);
                assert.equal(silent.connections(), 2);
            } finally {
                await silent.close();
            }
        });

        it('masking keys are random and never zero', () => {
            const seen = new Set<number>();
            const mask = Buffer.alloc(4);
            for (let i = 0; i < 20_000; i++) {
                generateMask(mask);
                const key = mask.readUInt32BE(0);
                assert.notEqual(key, 0);
                seen.add(key);
            }
            // 20,000 draws from 2^32 keys: a repeat is already unlikely, many would mean no randomness.
            assert.ok(seen.size > 19_990, `${seen.size} distinct keys`);
        });

        it('a frame is copied while it is sent: its memory may be reused once send() returns', async () => {
            // The stream node relies on this to reuse audio blocks and one scratch buffer.
            const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
            await new Promise<void>((resolve) => wss.once('listening', resolve));
            const received: Buffer[] = [];
            const count = 200;
            const all = new Promise<void>((resolve) =>
                wss.on('connection', (peer) =>
                    peer.on('message', (d: RawData) => {
                        received.push(Buffer.from(d as Buffer));
                        if (received.length === count) resolve();
                    }),
                ),
            );
            const url = `ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}/`;
            const ws = await connectWebSocket({ url, headers: {} }, { handshakeTimeoutMs: 3000, what: WHAT });
            try {
                const memory = Buffer.alloc(64 * 1024);
                for (let i = 0; i < count; i++) {
                    // Large frames fill the socket's buffer, so some wait in Node.js before the kernel takes them.
                    memory.fill(i % 251);
                    ws.send(memory, { binary: true });
                    memory.fill(0xff);
                }
                await all;
                for (let i = 0; i < count; i++) {
                    assert.ok(
                        received[i].every((b) => b === i % 251),
                        `frame ${i} arrived as it was when sent`,
                    );
                }
            } finally {
                ws.terminate();
                for (const c of wss.clients) c.terminate();
                await new Promise<void>((resolve) => wss.close(() => resolve()));
            }
        });

        it('hands the socket to its owner before any frame is read; a failing owner closes it', async () => {
            const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
            await new Promise<void>((resolve) => wss.once('listening', resolve));
            // The first frame follows the upgrade at once, possibly in the same packet.
            wss.on('connection', (peer) => peer.send('first'));
            const url = `ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}/`;
            try {
                const first = await connectWebSocket(
                    { url, headers: {} },
                    { handshakeTimeoutMs: 3000, what: WHAT },
                    (ws) => {
                        const frame = new Promise<string>((resolve) =>
                            ws.once('message', (d: RawData) => resolve(String(d))),
                        );
                        return { ws, frame };
                    },
                );
                assert.equal(await first.frame, 'first');
                first.ws.close();

                const failed = await rejection(
                    connectWebSocket({ url, headers: {} }, { handshakeTimeoutMs: 3000, what: WHAT }, () => {
                        throw new Error('no owner');
                    }),
                );
                assert.equal(failed.code, 'NETWORK');
                assert.match(failed.message, /no owner/);
            } finally {
                for (const c of wss.clients) c.terminate();
                await new Promise<void>((resolve) => wss.close(() => resolve()));
            }
        });
    });
});
