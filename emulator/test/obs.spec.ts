// OBS: vectors/obs.json replayed (header signatures, pre-signed URLs) and the object operations.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Emulator, startEmulator } from '../index';
import { presign, send, signObs, TestClock } from './helpers';

interface ObsVector {
    id: string;
    signature_type: string;
    request?: { method: string; path: string; headers: Record<string, string>; body_hex: string };
    signed_url?: string;
    actual_signed_request_headers?: Record<string, string>;
    expires?: number;
}

const FILE = JSON.parse(readFileSync(path.resolve(__dirname, '../../test/fixtures/vectors/obs.json'), 'utf8')) as {
    generator: { pinned_epoch: number };
    vectors: ObsVector[];
};
const PINNED = FILE.generator.pinned_epoch * 1000;
const byId = (id: string): ObsVector => {
    const v = FILE.vectors.find((x) => x.id === id);
    if (!v) throw new Error(`no vector ${id}`);
    return v;
};

function replayRequest(
    emu: Emulator,
    v: ObsVector,
    override: Partial<{ path: string; headers: Record<string, string> }> = {},
) {
    const r = v.request;
    if (!r) throw new Error('no request');
    const headers = { ...r.headers, ...override.headers };
    delete (headers as Record<string, string>)['Content-Length'];
    const body = r.body_hex === '' ? undefined : Buffer.from(r.body_hex, 'hex');
    return send(emu.url, r.method, override.path ?? r.path, headers, body);
}

function replayUrl(emu: Emulator, v: ObsVector, method: string, body?: Buffer, extra: Record<string, string> = {}) {
    const url = v.signed_url ?? '';
    const target = url.slice(url.indexOf('/', 'https://'.length));
    const host = url.slice('https://'.length, url.indexOf('/', 'https://'.length));
    return send(emu.url, method, target, { ...v.actual_signed_request_headers, Host: host, ...extra }, body);
}

describe('emulator OBS (vectors/obs.json)', () => {
    let emu: Emulator;
    const clock = new TestClock(PINNED);

    beforeEach(async () => {
        clock.ms = PINNED;
        emu = await startEmulator({ clock });
    });
    afterEach(() => emu.close());

    it('answers the unsigned HEAD /?apiversion probe with x-obs-api: 3.0', async () => {
        const answer = await replayRequest(emu, byId('negotiation-head-apiversion'));
        assert.equal(answer.status, 200);
        assert.equal(answer.headers['x-obs-api'], '3.0');
    });

    it('accepts the signed PUT, GET and DELETE vectors (virtual-hosted)', async () => {
        const put = await replayRequest(emu, byId('put-object-virtual-hosted'));
        assert.equal(put.status, 200, put.text);
        assert.ok(put.headers.etag);
        const get = await replayRequest(emu, byId('get-object-virtual-hosted'));
        assert.equal(get.status, 200, get.text);
        assert.equal(get.body.toString('hex'), byId('put-object-virtual-hosted').request?.body_hex);
        const del = await replayRequest(emu, byId('delete-object-virtual-hosted'));
        assert.equal(del.status, 204);
        const gone = await replayRequest(emu, byId('get-object-virtual-hosted'));
        assert.equal(gone.status, 404);
        assert.match(gone.text, /<Code>NoSuchKey<\/Code>/);
        assert.match(String(gone.headers['content-type']), /application\/xml/);
    });

    it('accepts temporary credentials, special keys, Content-MD5/meta/acl and the AWS V2 path-style vector', async () => {
        for (const id of [
            'put-object-temporary-credentials-special-key',
            'put-object-md5-meta-acl',
            'put-object-path-style-ip-endpoint',
        ]) {
            const answer = await replayRequest(emu, byId(id));
            assert.equal(answer.status, 200, `${id}: ${answer.text}`);
        }
        const objects = emu.ctx.obs.get('sis-audio-stage');
        assert.ok(objects?.has('a b/语音 (1).wav'));
        assert.ok(objects?.has('node-red/job-0002.wav'));
    });

    it('rejects tampered, skewed and unknown-key signatures with 403 XML errors', async () => {
        const v = byId('put-object-virtual-hosted');
        const tampered = await replayRequest(emu, v, { path: '/node-red/job-9999.wav' });
        assert.equal(tampered.status, 403);
        assert.match(tampered.text, /<Code>SignatureDoesNotMatch<\/Code>/);
        clock.ms = PINNED + 16 * 60 * 1000;
        const late = await replayRequest(emu, v);
        assert.equal(late.status, 403);
        assert.match(late.text, /<Code>RequestTimeTooSkewed<\/Code>/);
        clock.ms = PINNED;
        const unknown = await replayRequest(emu, v, {
            headers: { Authorization: 'OBS HWUNKNOWN0000000009:ROa+puhXIrfgQl4VT09P2S6K45c=' },
        });
        assert.match(unknown.text, /<Code>InvalidAccessKeyId<\/Code>/);
        const anonymous = await send(emu.url, 'GET', '/sis-audio-stage/x.wav');
        assert.equal(anonymous.status, 403);
        assert.match(anonymous.text, /AccessDenied/);
    });

    it('checks Content-MD5 (BadDigest) and reports NoSuchBucket', async () => {
        const v = byId('put-object-md5-meta-acl');
        const body = Buffer.from('different bytes');
        const headers = { ...v.request?.headers };
        delete headers['Content-Length'];
        const answer = await send(emu.url, 'PUT', v.request?.path ?? '', headers, body);
        assert.equal(answer.status, 400);
        assert.match(answer.text, /BadDigest/);
        const date = new Date(PINNED).toUTCString();
        const auth = signObs({
            ak: emu.account.ak,
            sk: emu.account.sk,
            method: 'GET',
            resource: '/no-such-bucket/a.wav',
            date,
        });
        const missing = await send(emu.url, 'GET', '/no-such-bucket/a.wav', { Date: date, Authorization: auth });
        assert.equal(missing.status, 404);
        assert.match(missing.text, /NoSuchBucket/);
    });

    it('accepts pre-signed GET URLs before Expires and rejects them from Expires on', async () => {
        await replayRequest(emu, byId('put-object-virtual-hosted'));
        for (const id of ['presigned-get-url', 'presigned-get-url-temporary-credentials']) {
            const v = byId(id);
            clock.ms = PINNED;
            const ok = await replayUrl(emu, v, 'GET');
            assert.equal(ok.status, 200, `${id}: ${ok.text}`);
            clock.ms = (v.expires ?? 0) * 1000;
            const expired = await replayUrl(emu, v, 'GET');
            assert.equal(expired.status, 403);
            assert.match(expired.text, /Request has expired/);
        }
    });

    it('accepts the pre-signed PUT only with the signed Content-Type', async () => {
        const v = byId('presigned-put-url-with-content-type');
        const wrong = await replayUrl(emu, v, 'PUT', Buffer.from('RIFF'), { 'Content-Type': 'audio/mpeg' });
        assert.equal(wrong.status, 403);
        assert.match(wrong.text, /SignatureDoesNotMatch/);
        const ok = await replayUrl(emu, v, 'PUT', Buffer.from('RIFF'));
        assert.equal(ok.status, 200, ok.text);
    });

    it('serves path-style PUT/GET/HEAD/DELETE with a self-made signature and pre-signed URL', async () => {
        const date = new Date(PINNED).toUTCString();
        const bytes = Buffer.from([0xff, 0x00, 0x80, 0x41]);
        const md5 = createHash('md5').update(bytes).digest('base64');
        const resource = '/sis-audio-stage/dir/clip%201.wav';
        const sig = (method: string, extra: { contentMd5?: string; contentType?: string } = {}) =>
            signObs({ ak: emu.account.ak, sk: emu.account.sk, method, resource, date, ...extra });
        const put = await send(
            emu.url,
            'PUT',
            resource,
            {
                Date: date,
                'Content-MD5': md5,
                'Content-Type': 'audio/wav',
                Authorization: sig('PUT', { contentMd5: md5, contentType: 'audio/wav' }),
            },
            bytes,
        );
        assert.equal(put.status, 200, put.text);
        const head = await send(emu.url, 'HEAD', resource, { Date: date, Authorization: sig('HEAD') });
        assert.equal(head.status, 200);
        assert.equal(head.headers['content-length'], '4');
        const q = presign({
            ak: emu.account.ak,
            sk: emu.account.sk,
            method: 'GET',
            resource,
            expires: PINNED / 1000 + 60,
        });
        const get = await send(emu.url, 'GET', `${resource}?${q}`);
        assert.deepEqual(get.body, bytes);
        assert.equal(get.headers['content-type'], 'audio/wav');
        const del = await send(emu.url, 'DELETE', resource, { Date: date, Authorization: sig('DELETE') });
        assert.equal(del.status, 204);
    });
});
