// Every answer carries X-Request-Id (32 lower-case hex, new per request), as Huawei's API gateway
// sends it; a gateway error body's request_id is the same value, and the request log keeps it.

import assert from 'node:assert/strict';
import * as http from 'node:http';
import { WebSocket } from 'ws';
import { type Emulator, startEmulator } from '../index';
import { type Answer, send, signObs } from './helpers';

const ID = /^[0-9a-f]{32}$/;

/** Raw upgrade request: the status line and headers of the answer (101 or a refusal). */
function rawUpgrade(
    emu: Emulator,
    target: string,
    headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
        const req = http.request(`${emu.url}${target}`, {
            headers: { Connection: 'Upgrade', Upgrade: 'websocket', ...headers },
            agent: false,
        });
        req.on('upgrade', (res, socket) => {
            socket.destroy();
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
        });
        req.on('response', (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
            );
        });
        req.on('error', reject);
        req.end();
    });
}

const HANDSHAKE = { 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' };

describe('emulator X-Request-Id', () => {
    let emu: Emulator;
    let token: string;
    const seen: string[] = [];
    const idOf = (headers: http.IncomingHttpHeaders): string => {
        const id = String(headers['x-request-id']);
        assert.match(id, ID);
        seen.push(id);
        return id;
    };

    before(async () => {
        emu = await startEmulator();
        token = emu.issueToken();
    });
    after(async () => {
        await emu.close();
        assert.equal(new Set(seen).size, seen.length, 'every request id is new');
        assert.ok(seen.length >= 15);
    });

    it('is on SIS successes and errors, equal to a gateway error body request_id', async () => {
        const project = emu.account.projectId;
        const ok = await send(emu.url, 'GET', `/v1/${project}/asr/vocabularies`, { 'X-Auth-Token': token });
        assert.equal(ok.status, 200);
        idOf(ok.headers);
        const sis = await send(
            emu.url,
            'POST',
            `/v1/${project}/tts`,
            { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
            '{}',
        );
        assert.equal(sis.status, 400);
        idOf(sis.headers);
        const apig: Answer = await send(emu.url, 'GET', `/v1/${project}/asr/vocabularies`);
        assert.equal(apig.status, 401);
        assert.equal(idOf(apig.headers), apig.json.request_id);
        const missing = await send(emu.url, 'GET', '/v9', { 'X-Auth-Token': token });
        assert.equal(missing.status, 404);
        assert.equal(idOf(missing.headers), missing.json.request_id);
        const log = emu.log.entries();
        assert.equal(log.at(-1)?.request_id, missing.headers['x-request-id']);
        assert.equal(log.at(-4)?.request_id, ok.headers['x-request-id']);
    });

    it('is on IAM, OBS and admin answers', async () => {
        const iam = await send(
            emu.url,
            'POST',
            '/v3/auth/tokens',
            { 'Content-Type': 'application/json' },
            JSON.stringify({
                auth: {
                    identity: {
                        methods: ['password'],
                        password: {
                            user: {
                                name: emu.account.username,
                                password: emu.account.password,
                                domain: { name: emu.account.domainName },
                            },
                        },
                    },
                    scope: { project: { name: emu.account.region } },
                },
            }),
        );
        assert.equal(iam.status, 201, iam.text);
        idOf(iam.headers);
        const date = new Date().toUTCString();
        const resource = `/${emu.account.bucket}/a.bin`;
        const put = await send(
            emu.url,
            'PUT',
            resource,
            {
                Date: date,
                Authorization: signObs({ ak: emu.account.ak, sk: emu.account.sk, method: 'PUT', resource, date }),
            },
            Buffer.from([1, 2, 3]),
        );
        assert.equal(put.status, 200, put.text);
        idOf(put.headers);
        const denied = await send(emu.url, 'GET', resource);
        assert.equal(denied.status, 403);
        idOf(denied.headers);
        assert.ok(denied.headers['x-obs-request-id'], 'OBS keeps its own x-obs-request-id');
        idOf((await send(emu.url, 'GET', '/__emulator/config')).headers);
        idOf((await send(emu.url, 'GET', '/__emulator/nothing')).headers);
    });

    it('is on injected faults', async () => {
        const project = emu.account.projectId;
        emu.faults.add({ route: 'vocabularies', kind: 'status', status: 429 });
        const limited = await send(emu.url, 'GET', `/v1/${project}/asr/vocabularies`, { 'X-Auth-Token': token });
        assert.equal(limited.status, 429);
        assert.equal(idOf(limited.headers), limited.json.request_id);
        emu.faults.add({ route: 'vocabularies', kind: 'malformed' });
        const malformed = await send(emu.url, 'GET', `/v1/${project}/asr/vocabularies`, { 'X-Auth-Token': token });
        assert.equal(malformed.status, 200);
        idOf(malformed.headers);
    });

    it('is on WebSocket handshakes (101) and their refusals', async () => {
        const project = emu.account.projectId;
        const refused = await rawUpgrade(emu, `/v1/${project}/rasr/short-stream`, HANDSHAKE);
        assert.equal(refused.status, 401);
        assert.equal(idOf(refused.headers), (JSON.parse(refused.body) as { request_id: string }).request_id);
        const unknown = await rawUpgrade(emu, `/v1/${project}/rasr/other`, { ...HANDSHAKE, 'X-Auth-Token': token });
        assert.equal(unknown.status, 404);
        idOf(unknown.headers);
        const badKey = await rawUpgrade(emu, `/v1/${project}/rasr/short-stream`, {
            'Sec-WebSocket-Version': '13',
            'X-Auth-Token': token,
        });
        assert.equal(badKey.status, 400);
        idOf(badKey.headers);
        const ws = new WebSocket(`${emu.url.replace(/^http/, 'ws')}/v1/${project}/rasr/short-stream`, {
            headers: { 'X-Auth-Token': token },
        });
        let upgrade: http.IncomingHttpHeaders = {};
        ws.once('upgrade', (res) => {
            upgrade = res.headers;
        });
        await new Promise<void>((resolve, reject) => {
            ws.once('open', () => resolve());
            ws.once('error', reject);
        });
        const id = idOf(upgrade);
        ws.close();
        const entry = emu.log.entries().find((e) => e.route === 'rasr' && e.status === 101);
        assert.equal(entry?.request_id, id);
    });
});
