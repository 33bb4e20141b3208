import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { SisClient } from '../../nodes/lib/cloud/sis-client';
import { openSocketCount } from '../../nodes/lib/cloud/ws-connect';
import { runRttsSession, streamInOrder } from '../../nodes/lib/tts/realtime';
import { Semaphore } from '../../nodes/lib/tts/rest';
import { type Emulator, startCanaryEmulator } from '../helpers/emulator';
import { startConnectProxy } from '../helpers/servers';
import { delay } from '../helpers/wait';

describe('sis-tts streaming in order', () => {
    it('delivers the audio of every session in session order, within the bound (property)', async () => {
        await fc.assert(
            fc.asyncProperty(
                fc.array(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 }), {
                    minLength: 1,
                    maxLength: 8,
                }),
                fc.integer({ min: 1, max: 4 }),
                async (sessions, bound) => {
                    let running = 0;
                    let peak = 0;
                    let head = 0;
                    const done = new Set<number>();
                    const out: string[] = [];
                    const results = await streamInOrder(
                        sessions.length,
                        bound,
                        async (i, sink) => {
                            assert.ok(
                                i < head + bound || done.size >= i - bound + 1,
                                'never more than bound - 1 ahead',
                            );
                            running++;
                            peak = Math.max(peak, running);
                            for (const [k, wait] of sessions[i].entries()) {
                                await delay(wait);
                                sink(Buffer.from(`${i}.${k}|`));
                            }
                            running--;
                            done.add(i);
                            while (done.has(head)) head++;
                            return i * 10;
                        },
                        (chunk) => out.push(chunk.toString()),
                        new AbortController().signal,
                    );
                    const expected = sessions.flatMap((chunks, i) => chunks.map((_, k) => `${i}.${k}|`));
                    assert.deepEqual(out, expected);
                    assert.deepEqual(
                        results,
                        sessions.map((_, i) => i * 10),
                    );
                    assert.ok(peak <= bound);
                },
            ),
            { numRuns: 60 },
        );
    });

    it('stops every session at the first failure and rejects once, after they stopped', async () => {
        const stopped: number[] = [];
        const out: string[] = [];
        const failing = streamInOrder(
            4,
            4,
            (i, sink, signal) =>
                new Promise<void>((resolve, reject) => {
                    sink(Buffer.from(String(i)));
                    if (i === 2) {
                        setTimeout(() => reject(new Error('boom')), 10);
                        return;
                    }
                    signal.addEventListener('abort', () => {
                        stopped.push(i);
                        setTimeout(() => reject(new Error('aborted')), 5);
                    });
                    void resolve;
                }),
            (chunk) => out.push(chunk.toString()),
            new AbortController().signal,
        );
        await assert.rejects(failing, /boom/);
        assert.deepEqual(stopped.sort(), [0, 1, 3]);
        assert.deepEqual(out, ['0'], 'only the head streamed live');
    });

    it('the semaphore keeps its bound and lets aborted waiters go', async () => {
        const sem = new Semaphore(2);
        const signal = new AbortController().signal;
        const a = await sem.acquire(signal);
        const b = await sem.acquire(signal);
        const waiter = new AbortController();
        const late = sem.acquire(waiter.signal);
        let third = false;
        const next = sem.acquire(signal).then((release) => {
            third = true;
            return release;
        });
        waiter.abort();
        await assert.rejects(late, { name: 'AbortError' });
        assert.equal(third, false);
        a();
        a(); // a second release is a no-op
        (await next)();
        assert.equal(third, true);
        b();
        const again = await Promise.all([sem.acquire(signal), sem.acquire(signal)]);
        for (const r of again) r();
    });
});

describe('sis-tts real-time session', () => {
    let emu: Emulator;

    before(async () => {
        emu = await startCanaryEmulator();
    });
    after(async () => {
        await emu.close();
    });

    it('reaches the service through an HTTP CONNECT proxy', async () => {
        const proxy = await startConnectProxy(emu.port);
        const a = emu.account;
        // A host name that is not loopback, so the proxy is used; the proxy leads to the emulator.
        const client = new SisClient({
            region: a.region,
            projectId: a.projectId,
            authType: 'aksk',
            endpoint: `http://sis.emulator.test:${emu.port}`,
            credentials: { ak: a.ak, sk: a.sk },
            http: { env: { http_proxy: proxy.url } },
        });
        try {
            const chunks: Buffer[] = [];
            const result = await runRttsSession({
                client,
                text: '你好，世界。',
                config: {
                    audio_format: 'pcm',
                    sample_rate: '8000',
                    property: 'chinese_xiaoyan_common',
                    speed: 0,
                    pitch: 0,
                    volume: 50,
                },
                signal: new AbortController().signal,
                idleTimeoutMs: 5000,
                handshakeRetries: 0,
                what: 'real-time synthesis',
                onAudio: (c) => chunks.push(c),
            });
            assert.match(String(result.traceId), /\w/);
            assert.ok(Buffer.concat(chunks).length > 8000);
            assert.deepEqual(proxy.targets, [`sis.emulator.test:${emu.port}`]);
        } finally {
            await client.close();
            await proxy.close();
        }
        await delay(20);
        assert.equal(openSocketCount(), 0);
    });

    it('times out when the service does not answer, and releases the socket', async () => {
        emu.faults.add({ route: 'rtts', kind: 'delay', delayMs: 2000, count: 1 });
        const a = emu.account;
        const client = new SisClient({
            region: a.region,
            projectId: a.projectId,
            authType: 'aksk',
            endpoint: emu.url,
            credentials: { ak: a.ak, sk: a.sk },
        });
        try {
            await assert.rejects(
                runRttsSession({
                    client,
                    text: '你好。',
                    config: {
                        audio_format: 'pcm',
                        sample_rate: '8000',
                        property: 'chinese_xiaoyan_common',
                        speed: 0,
                        volume: 50,
                    },
                    signal: new AbortController().signal,
                    idleTimeoutMs: 200,
                    handshakeRetries: 0,
                    what: 'real-time synthesis',
                    onAudio: () => undefined,
                }),
                { code: 'TIMEOUT' },
            );
        } finally {
            await client.close();
        }
        await delay(20);
        assert.equal(openSocketCount(), 0);
    });
});
