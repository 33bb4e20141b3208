import * as assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { backoffDelay, HttpClient, parseRetryAfter } from '../../nodes/lib/cloud/http';
import { proxyForUrl } from '../../nodes/lib/cloud/proxy';
import { SisError } from '../../nodes/lib/core/errors';
import { makeCertificate, startConnectProxy, startCountingServer, startTlsServer } from '../helpers/servers';

describe('HTTP client: proxy selection (as Node-RED http request, strict mode)', () => {
    const u = (s: string): URL => new URL(s);

    it('uses https_proxy for https and http_proxy for http, upper or lower case', () => {
        const env = { https_proxy: 'http://p1:3128', HTTP_PROXY: 'p2:8080' };
        assert.equal(proxyForUrl(u('https://sis-ext.cn-north-4.myhuaweicloud.com/v1'), env), 'http://p1:3128');
        assert.equal(proxyForUrl(u('http://example.com/'), env), 'http://p2:8080');
        assert.equal(proxyForUrl(u('wss://sis-ext.cn-north-4.myhuaweicloud.com/v1'), env), 'http://p1:3128');
    });

    it('honours no_proxy: exact host, suffix, wildcard, port and *', () => {
        const base = { https_proxy: 'http://p:1' };
        const host = u('https://sis-ext.cn-north-4.myhuaweicloud.com/');
        assert.equal(proxyForUrl(host, { ...base, no_proxy: 'sis-ext.cn-north-4.myhuaweicloud.com' }), undefined);
        assert.equal(proxyForUrl(host, { ...base, no_proxy: '.myhuaweicloud.com' }), undefined);
        assert.equal(proxyForUrl(host, { ...base, NO_PROXY: '*.myhuaweicloud.com' }), undefined);
        assert.equal(proxyForUrl(host, { ...base, no_proxy: 'myhuaweicloud.com:8443' }), 'http://p:1');
        assert.equal(proxyForUrl(host, { ...base, no_proxy: 'other.com, example.org' }), 'http://p:1');
        assert.equal(proxyForUrl(host, { ...base, no_proxy: '*' }), undefined);
    });

    it('never proxies loopback, so a local emulator is reached directly', () => {
        const env = { https_proxy: 'http://p:1', http_proxy: 'http://p:1' };
        assert.equal(proxyForUrl(u('http://127.0.0.1:8080/'), env), undefined);
        assert.equal(proxyForUrl(u('http://localhost:8080/'), env), undefined);
        assert.equal(proxyForUrl(u('http://[::1]:8080/'), env), undefined);
    });

    it('without proxy variables connects directly', () => {
        assert.equal(proxyForUrl(u('https://example.com/'), {}), undefined);
    });
});

describe('HTTP client: backoff and Retry-After', () => {
    it('parses Retry-After seconds and HTTP dates', () => {
        assert.equal(parseRetryAfter('2'), 2000);
        assert.equal(parseRetryAfter('0.5'), 500);
        const now = Date.UTC(2025, 0, 2, 3, 4, 5);
        assert.equal(parseRetryAfter('Thu, 02 Jan 2025 03:04:15 GMT', now), 10_000);
        assert.equal(parseRetryAfter('Thu, 02 Jan 2025 03:04:00 GMT', now), 0);
        assert.equal(parseRetryAfter('soon'), undefined);
        assert.equal(parseRetryAfter(undefined), undefined);
    });

    it('full jitter stays within [0, min(max, base * 2^attempt)]', () => {
        for (let attempt = 0; attempt < 8; attempt++) {
            const cap = Math.min(10_000, 300 * 2 ** attempt);
            assert.equal(
                backoffDelay(attempt, 300, 10_000, () => 0.999999),
                Math.round(0.999999 * cap),
            );
            assert.equal(
                backoffDelay(attempt, 300, 10_000, () => 0),
                0,
            );
        }
    });
});

describe('HTTP client: connections', () => {
    it('goes through the CONNECT proxy named by http_proxy, and not when no_proxy matches', async () => {
        const upstream = await startCountingServer(0);
        const proxy = await startConnectProxy(upstream.port);
        const client = new HttpClient({ env: { http_proxy: proxy.url }, maxRetries: 0 });
        const bypass = new HttpClient({
            env: { http_proxy: proxy.url, no_proxy: 'sis.example.test' },
            maxRetries: 0,
            connectTimeoutMs: 2000,
        });
        try {
            const res = await client.send({
                method: 'GET',
                url: new URL('http://sis.example.test/v1/x'),
                idempotent: true,
            });
            assert.equal(res.status, 200);
            assert.deepEqual(proxy.targets, ['sis.example.test:80']);
            assert.equal(upstream.total(), 1);
            await assert.rejects(
                bypass.send({ method: 'GET', url: new URL('http://sis.example.test/v1/x'), idempotent: true }),
                (err: unknown) => err instanceof SisError && err.code === 'NETWORK',
            );
            assert.equal(proxy.targets.length, 1);
        } finally {
            await client.close();
            await bypass.close();
            await proxy.close();
            await upstream.close();
        }
    });

    it('verifies TLS always; an extra CA makes a private certificate acceptable', async function () {
        this.timeout(20_000);
        const { key, cert } = makeCertificate();
        const server = await startTlsServer(key, cert);
        const strict = new HttpClient({ maxRetries: 3, retryBaseMs: 1 });
        const withCa = new HttpClient({ ca: cert });
        try {
            await assert.rejects(
                strict.send({ method: 'GET', url: new URL(server.url), idempotent: true }),
                (err: unknown) => err instanceof SisError && err.code === 'NETWORK' && !err.retryable,
            );
            const res = await withCa.send({ method: 'GET', url: new URL(server.url), idempotent: true });
            assert.equal(res.status, 200);
            assert.equal(res.body.toString(), '{"ok":true}');
        } finally {
            await strict.close();
            await withCa.close();
            await server.close();
        }
    });

    it('keeps at most maxConcurrent requests in flight and queues the rest', async () => {
        const server = await startCountingServer(40);
        const client = new HttpClient({ maxConcurrent: 3 });
        try {
            const all = await Promise.all(
                Array.from({ length: 12 }, () =>
                    client.send({ method: 'GET', url: new URL(server.url), idempotent: true }),
                ),
            );
            assert.ok(all.every((r) => r.status === 200));
            assert.equal(server.total(), 12);
            assert.equal(server.peak(), 3);
        } finally {
            await client.close();
            await server.close();
        }
    });

    it('close() aborts queued and running requests with CANCELLED', async () => {
        const server = await startCountingServer(5_000);
        const client = new HttpClient({ maxConcurrent: 1 });
        try {
            const outcome = (p: Promise<unknown>): Promise<unknown> =>
                p.then(
                    () => 'resolved',
                    (e: unknown) => e,
                );
            const running = outcome(client.send({ method: 'GET', url: new URL(server.url), idempotent: true }));
            const queued = outcome(client.send({ method: 'GET', url: new URL(server.url), idempotent: true }));
            await new Promise((r) => setTimeout(r, 50));
            await client.close();
            for (const p of [running, queued]) {
                const err = await p;
                assert.ok(err instanceof SisError && err.code === 'CANCELLED', String(err));
            }
            await assert.rejects(
                client.send({ method: 'GET', url: new URL(server.url), idempotent: true }),
                (err: unknown) => err instanceof SisError && err.code === 'CANCELLED',
            );
        } finally {
            await server.close();
        }
    });
});

describe('HTTP client: response size bound', () => {
    it('refuses a body over maxResponseBytes with PROTOCOL, declared or chunked, and reads one at the bound', async () => {
        const server = createServer((req, res) => {
            const size = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('size'));
            if (req.url?.includes('chunked')) {
                res.writeHead(200, { 'content-type': 'application/octet-stream' });
                for (let sent = 0; sent < size; sent += 1000) res.write(Buffer.alloc(Math.min(1000, size - sent), 7));
                res.end();
            } else {
                res.writeHead(200, { 'content-length': String(size) });
                res.end(Buffer.alloc(size, 7));
            }
        });
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const client = new HttpClient({ maxResponseBytes: 5000, maxRetries: 0 });
        try {
            for (const kind of ['declared', 'chunked']) {
                const ok = await client.send({
                    method: 'GET',
                    url: new URL(`${base}/${kind}?size=5000`),
                    idempotent: true,
                });
                assert.equal(ok.body.length, 5000, kind);
                await assert.rejects(
                    client.send({
                        method: 'GET',
                        url: new URL(`${base}/${kind}?size=5001`),
                        idempotent: true,
                        what: 'fetch',
                    }),
                    (err: unknown) =>
                        err instanceof SisError &&
                        err.code === 'PROTOCOL' &&
                        /larger than 5000 bytes/.test(err.message),
                    kind,
                );
            }
        } finally {
            await client.close();
            await new Promise((r) => server.close(r));
        }
    });
});
