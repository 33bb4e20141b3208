// AK/SK signature verification: every vector of vectors/aksk.json replayed from its wire form.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { parseSdkDate } from '../auth-aksk';
import { type Emulator, startEmulator } from '../index';
import { type Answer, send, signAksk, TestClock } from './helpers';

interface Wire {
    method: string;
    url: string;
    headers: Record<string, string>;
    body: string;
}

interface VectorFile {
    vectors: { id: string; expected: { wire: Wire } }[];
    negative: {
        id: string;
        wire: Wire;
        expect: { http_status?: number; error_code?: string; error_msg_prefix?: string; accept?: boolean };
        server_time?: string;
    }[];
}

const VECTORS = JSON.parse(
    readFileSync(path.resolve(__dirname, '../../test/fixtures/vectors/aksk.json'), 'utf8'),
) as VectorFile;
const VECTOR_DATE = parseSdkDate('20250102T030405Z') ?? 0;

function replay(emu: Emulator, wire: Wire): Promise<Answer> {
    const url = new URL(wire.url);
    // Keep the request target exactly as on the wire (URL would normalise it).
    const target = wire.url.slice(wire.url.indexOf('/', url.protocol.length + 2));
    return send(emu.url, wire.method, target, wire.headers, wire.body === '' ? undefined : wire.body);
}

function upgrade(emu: Emulator, wire: Wire): Promise<number> {
    const target = wire.url.slice(wire.url.indexOf('/', 'wss://'.length));
    return new Promise((resolve, reject) => {
        const req = httpRequest(`${emu.url}${target}`, {
            headers: {
                ...wire.headers,
                Connection: 'Upgrade',
                Upgrade: 'websocket',
                'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
                'Sec-WebSocket-Version': '13',
            },
        });
        req.on('upgrade', (res, socket) => {
            socket.destroy();
            resolve(res.statusCode ?? 0);
        });
        req.on('response', (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
    });
}

describe('emulator AK/SK verification (vectors/aksk.json)', () => {
    let emu: Emulator;
    const clock = new TestClock(VECTOR_DATE);

    before(async () => {
        emu = await startEmulator({ clock });
    });
    after(() => emu.close());

    for (const vector of VECTORS.vectors) {
        it(`accepts ${vector.id}`, async () => {
            const wire = vector.expected.wire;
            if (wire.url.startsWith('wss://')) {
                assert.equal(await upgrade(emu, wire), 101);
                return;
            }
            const answer = await replay(emu, wire);
            assert.notEqual(answer.status, 401, answer.text);
            assert.notEqual(answer.json.error_code, 'APIG.0301');
            if (vector.id === 'non-json-unsigned-payload') {
                assert.equal(answer.status, 404);
                assert.equal(answer.json.error_code, 'APIG.0101');
            }
            if (vector.id.includes('tts')) assert.equal(answer.status, 200, answer.text);
            if (vector.id === 'sis-transcriber-job-get-nobody')
                assert.equal(answer.json.error_msg, 'task id is not found');
        });
    }

    for (const negative of VECTORS.negative) {
        it(`negative ${negative.id}`, async () => {
            const at = negative.server_time ? parseSdkDate(negative.server_time) : VECTOR_DATE;
            const own = await startEmulator({ clock: new TestClock(at ?? 0) });
            try {
                const answer = await replay(own, negative.wire);
                if (negative.expect.accept) {
                    assert.notEqual(answer.status, 401, answer.text);
                    return;
                }
                assert.equal(answer.status, negative.expect.http_status);
                assert.equal(answer.json.error_code, negative.expect.error_code);
                assert.ok(
                    String(answer.json.error_msg).startsWith(negative.expect.error_msg_prefix ?? ''),
                    String(answer.json.error_msg),
                );
                assert.match(String(answer.json.request_id), /^[0-9a-f]{32}$/);
            } finally {
                await own.close();
            }
        });
    }

    it('locks the AK for 5 minutes after 5 consecutive failures', async () => {
        const own = await startEmulator({ clock: new TestClock(VECTOR_DATE) });
        const { account } = own;
        const host = new URL(own.url).host;
        const path = `/v1/${account.projectId}/asr/vocabularies`;
        const signed = (sk: string, date: number) => signAksk({ ak: account.ak, sk, method: 'GET', host, path, date });
        try {
            for (let i = 0; i < 5; i++) {
                const bad = signed('wrong-secret', VECTOR_DATE);
                const answer = await send(own.url, 'GET', bad.pathAndQuery, bad.headers);
                assert.match(String(answer.json.error_msg), /verify aksk signature fail/);
            }
            const good = signed(account.sk, VECTOR_DATE);
            const locked = await send(own.url, 'GET', good.pathAndQuery, good.headers);
            assert.equal(locked.status, 401);
            assert.match(String(locked.json.error_msg), /AK access failed to reach the limit,forbidden/);
            const clock = own.ctx.clock as TestClock;
            clock.advance(5 * 60 * 1000 + 1000);
            const later = signed(account.sk, clock.now());
            assert.equal((await send(own.url, 'GET', later.pathAndQuery, later.headers)).status, 200);
        } finally {
            await own.close();
        }
    });

    it('requires the security token of a temporary AK and checks the project', async () => {
        const host = new URL(emu.url).host;
        const tts = `/v1/${emu.account.projectId}/tts`;
        const body = JSON.stringify({ text: '你好' });
        const temp = emu.config().temporary;
        const noToken = signAksk({
            ak: temp.ak,
            sk: temp.sk,
            method: 'POST',
            host,
            path: tts,
            body,
            date: clock.now(),
        });
        const refused = await send(emu.url, 'POST', tts, noToken.headers, body);
        assert.equal(refused.status, 401);
        assert.equal(refused.json.error_code, 'APIG.0301');
        const withToken = signAksk({
            ak: temp.ak,
            sk: temp.sk,
            method: 'POST',
            host,
            path: tts,
            body,
            date: clock.now(),
            securityToken: temp.securityToken,
        });
        assert.equal((await send(emu.url, 'POST', tts, withToken.headers, body)).status, 200);
        const other = '/v1/ffffffffffffffffffffffffffffffff/tts';
        const wrongProject = signAksk({
            ak: emu.account.ak,
            sk: emu.account.sk,
            method: 'POST',
            host,
            path: other,
            body,
            date: clock.now(),
        });
        const answer = await send(emu.url, 'POST', other, wrongProject.headers, body);
        assert.equal(answer.status, 401);
        assert.equal(answer.json.error_code, 'SIS.0101');
    });

    it('refuses AK/SK bodies over 12 MB with 413 APIG.0201', async () => {
        const host = new URL(emu.url).host;
        const p = `/v1/${emu.account.projectId}/asr/short-audio`;
        const signed = signAksk({
            ak: emu.account.ak,
            sk: emu.account.sk,
            method: 'POST',
            host,
            path: p,
            date: clock.now(),
        });
        const answer = await send(emu.url, 'POST', p, signed.headers, Buffer.alloc(12 * 1024 * 1024 + 10, 0x61));
        assert.equal(answer.status, 413);
        assert.equal(answer.json.error_code, 'APIG.0201');
    });
});
