// Fault injection, admin API, request log, WebSocket upgrade refusals and robustness.

import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { type Emulator, startEmulator } from '../index';
import { send } from './helpers';

function rawUpgrade(
    emu: Emulator,
    path: string,
    headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = httpRequest(`${emu.url}${path}`, {
            headers: {
                Connection: 'Upgrade',
                Upgrade: 'websocket',
                'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
                'Sec-WebSocket-Version': '13',
                ...headers,
            },
        });
        req.on('upgrade', (res, socket) => {
            socket.destroy();
            resolve({ status: res.statusCode ?? 0, body: '' });
        });
        req.on('response', (res) => {
            let body = '';
            res.on('data', (c: Buffer) => {
                body += c.toString();
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
    });
}

describe('emulator faults, admin API and robustness', () => {
    let emu: Emulator;
    let token: string;
    const ttsPath = () => `/v1/${emu.account.projectId}/tts`;
    const tts = () => send(emu.url, 'POST', ttsPath(), { 'X-Auth-Token': token }, JSON.stringify({ text: '你好' }));
    const arm = (spec: unknown) =>
        send(emu.url, 'POST', '/__emulator/faults', { 'Content-Type': 'application/json' }, JSON.stringify(spec));

    before(async () => {
        emu = await startEmulator();
        token = emu.issueToken();
    });
    afterEach(() => emu.faults.clear());
    after(() => emu.close());

    it('status: gateway body, Retry-After, count', async () => {
        assert.equal((await arm({ route: 'tts', kind: 'status', status: 429, retryAfter: 3, count: 2 })).status, 200);
        for (let i = 0; i < 2; i++) {
            const answer = await tts();
            assert.equal(answer.status, 429);
            assert.equal(answer.headers['retry-after'], '3');
            assert.equal(answer.json.error_code, 'APIG.0308');
            assert.match(String(answer.json.request_id), /^[0-9a-f]{32}$/);
        }
        assert.equal((await tts()).status, 200);
        await arm({ route: '*', kind: 'status' });
        const unavailable = await tts();
        assert.equal(unavailable.status, 503);
        assert.equal(unavailable.json.error_code, 'APIG.0201');
        emu.faults.add({ route: 'tts', kind: 'status', status: 500, code: 'SIS.0401', message: 'tts engine down' });
        const sis = await tts();
        assert.deepEqual(sis.json, { error_code: 'SIS.0401', error_msg: 'tts engine down' });
    });

    it('delay and slow-headers hold the answer back', async () => {
        for (const kind of ['delay', 'slow-headers']) {
            emu.faults.add({ route: 'tts', kind: kind as 'delay', delayMs: 150 });
            const started = Date.now();
            assert.equal((await tts()).status, 200);
            assert.ok(Date.now() - started >= 140, kind);
        }
    });

    it('reset, malformed and truncated spoil the answer', async () => {
        emu.faults.add({ route: 'tts', kind: 'reset' });
        await assert.rejects(tts());
        emu.faults.add({ route: 'tts', kind: 'malformed' });
        const malformed = await tts();
        assert.equal(malformed.status, 200);
        assert.throws(() => JSON.parse(malformed.text));
        emu.faults.add({ route: 'tts', kind: 'truncated' });
        await assert.rejects(tts());
        assert.equal((await tts()).status, 200);
    });

    it('token-expired applies to token-authenticated calls only', async () => {
        emu.faults.add({ route: 'tts', kind: 'token-expired' });
        const answer = await tts();
        assert.equal(answer.status, 401);
        assert.match(String(answer.json.error_msg), /^Incorrect IAM authentication information: token expires/);
        assert.equal((await tts()).status, 200);
    });

    it('OBS faults answer in XML', async () => {
        emu.faults.add({ route: 'obs.get', kind: 'status', status: 503 });
        const answer = await send(emu.url, 'GET', '/sis-audio-stage/a.wav');
        assert.equal(answer.status, 503);
        assert.match(answer.text, /<Code>ServiceUnavailable<\/Code>/);
    });

    it('admin: faults list/clear, validation, log, transcripts, config', async () => {
        assert.equal((await arm({ route: 'nope', kind: 'status' })).status, 400);
        assert.equal((await arm({ route: 'tts', kind: 'explode' })).status, 400);
        await arm([
            { route: 'tts', kind: 'delay', delayMs: 1 },
            { route: 'rasr', kind: 'ws-close', afterFrames: 2 },
        ]);
        const listed = await send(emu.url, 'GET', '/__emulator/faults');
        assert.equal((listed.json.faults as unknown[]).length, 2);
        await send(emu.url, 'DELETE', '/__emulator/faults');
        assert.deepEqual(emu.faults.list(), []);

        await send(emu.url, 'DELETE', '/__emulator/log');
        await tts();
        await send(
            emu.url,
            'POST',
            '/v3/auth/tokens',
            {},
            JSON.stringify({
                auth: {
                    identity: {
                        methods: ['password'],
                        password: { user: { name: 'u', password: 'secret!', domain: { name: 'd' } } },
                    },
                },
            }),
        );
        const log = await send(emu.url, 'GET', '/__emulator/log');
        const entries = log.json.entries as {
            route: string;
            status: number;
            auth: string;
            headers: Record<string, string>;
            body: unknown;
        }[];
        const ttsEntry = entries.find((e) => e.route === 'tts');
        assert.equal(ttsEntry?.status, 200);
        assert.equal(ttsEntry?.auth, 'token');
        assert.ok(!ttsEntry?.headers['x-auth-token'].includes(token.slice(10, 40)));
        assert.ok(!JSON.stringify(entries).includes('secret!'));

        const sha = 'ab'.repeat(32);
        assert.equal(
            (
                await send(
                    emu.url,
                    'POST',
                    '/__emulator/transcripts',
                    {},
                    JSON.stringify({ sha256: sha, sentences: ['你好。'] }),
                )
            ).status,
            200,
        );
        assert.deepEqual(emu.transcripts.lookup(sha), ['你好。']);
        assert.equal(
            (await send(emu.url, 'POST', '/__emulator/transcripts', {}, JSON.stringify({ sentences: 'x' }))).status,
            400,
        );

        const config = await send(emu.url, 'GET', '/__emulator/config');
        for (const field of [
            'region',
            'projectId',
            'endpoint',
            'iamEndpoint',
            'obsEndpoint',
            'obsBucket',
            'ak',
            'sk',
            'username',
            'password',
            'domainName',
        ]) {
            assert.ok(config.json[field], field);
        }
        assert.equal(config.json.endpoint, emu.url);
    });

    it('refuses WebSocket upgrades without credentials (401), with a wrong project (401) or path (404)', async () => {
        const pid = emu.account.projectId;
        const noAuth = await rawUpgrade(emu, `/v1/${pid}/rasr/continue-stream`);
        assert.equal(noAuth.status, 401);
        assert.equal(JSON.parse(noAuth.body).error_code, 'APIG.0301');
        const wrongProject = await rawUpgrade(emu, '/v1/ffffffffffffffffffffffffffffffff/rtts', {
            'X-Auth-Token': token,
        });
        assert.equal(wrongProject.status, 401);
        const unknownMode = await rawUpgrade(emu, `/v1/${pid}/rasr/other-stream`, { 'X-Auth-Token': token });
        assert.equal(unknownMode.status, 404);
        assert.equal(JSON.parse(unknownMode.body).error_code, 'APIG.0101');
        emu.faults.add({ route: 'rasr', kind: 'status', status: 429 });
        assert.equal((await rawUpgrade(emu, `/v1/${pid}/rasr/short-stream`, { 'X-Auth-Token': token })).status, 429);
    });

    it('survives garbage, aborted requests and oversized token bodies; close() does not hang', async () => {
        const own = await startEmulator();
        const port = own.port;
        await new Promise<void>((resolve) => {
            const socket = connect(port, '127.0.0.1', () => socket.end('GARBAGE \x00\x01 HTTP/9\r\n\r\n'));
            socket.on('error', () => resolve());
            socket.on('close', () => resolve());
            socket.resume();
        });
        await new Promise<void>((resolve) => {
            const socket = connect(port, '127.0.0.1', () => {
                socket.write(
                    `POST /v1/${own.account.projectId}/tts HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"text":`,
                );
                setTimeout(() => {
                    socket.destroy();
                    resolve();
                }, 20);
            });
        });
        const big = await new Promise<string>((resolve) => {
            let text = '';
            const socket = connect(port, '127.0.0.1', () => {
                socket.write(
                    `POST /v1/${own.account.projectId}/tts HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${own.issueToken()}\r\nContent-Length: ${70 * 1024 * 1024}\r\n\r\n`,
                );
            });
            socket.on('data', (c: Buffer) => {
                text += c.toString();
            });
            socket.on('close', () => resolve(text));
            socket.on('error', () => resolve(text));
        });
        assert.match(big, /^HTTP\/1\.1 413/);
        assert.match(big, /APIG\.0201/);
        // A keep-alive connection left open must not keep close() waiting.
        const idle = connect(port, '127.0.0.1');
        await new Promise((r) => idle.once('connect', r));
        idle.write('GET /__emulator/config HTTP/1.1\r\nHost: x\r\n\r\n');
        await new Promise((r) => setTimeout(r, 20));
        const started = Date.now();
        await own.close();
        assert.ok(Date.now() - started < 1000);
        idle.destroy();
    });
});
