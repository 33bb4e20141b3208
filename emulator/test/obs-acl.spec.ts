// OBS bucket ACLs as SIS sees them (private by default; SIS grant; public-read), pre-signed URLs
// always readable, and the cloud's refusal of loopback and IP-literal data_url / callback_url.

import assert from 'node:assert/strict';
import { type Emulator, startEmulator } from '../index';
import { type Answer, presign, send } from './helpers';

const BUCKET = 'sis-audio-stage';
const KEY = 'acl/clip.wav';

describe('emulator OBS ACLs and service URLs', () => {
    let emu: Emulator;
    let token: string;
    let wav: Buffer;

    const post = (p: string, body: unknown, query = '') =>
        send(
            emu.url,
            'POST',
            `/v1/${emu.account.projectId}/${p}${query}`,
            { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
            typeof body === 'string' ? body : JSON.stringify(body),
        );
    const flash = (bucket = BUCKET, key = KEY) =>
        post(
            'asr/flash',
            '',
            `?${new URLSearchParams({
                audio_format: 'wav',
                property: 'chinese_16k_conversation',
                obs_bucket_name: bucket,
                obs_object_key: key,
            }).toString()}`,
        );
    const submit = (dataUrl: string, config: Record<string, unknown> = {}) =>
        post('asr/transcriber/jobs', { config: { property: 'chinese_16k_media', ...config }, data_url: dataUrl });
    const finish = async (answer: Answer): Promise<Answer> => {
        assert.equal(answer.status, 200, answer.text);
        const id = String(answer.json.job_id);
        for (let i = 0; i < 200; i++) {
            const got = await send(emu.url, 'GET', `/v1/${emu.account.projectId}/asr/transcriber/jobs/${id}`, {
                'X-Auth-Token': token,
            });
            if (got.json.status !== 'WAITING') return got;
            await new Promise((r) => setTimeout(r, 10));
        }
        throw new Error('job never finished');
    };
    const presigned = (bucket: string, key: string) =>
        `${emu.url}/${bucket}/${key}?${presign({
            ak: emu.account.ak,
            sk: emu.account.sk,
            method: 'GET',
            resource: `/${bucket}/${key}`,
            expires: Date.now() / 1000 + 600,
        })}`;
    const admin = (method: string, body?: unknown) =>
        send(emu.url, method, '/__emulator/obs/acl', {}, body === undefined ? undefined : JSON.stringify(body));

    before(async () => {
        emu = await startEmulator({ limits: { jobDelayMs: 20 } });
        token = emu.issueToken();
        const tts = await post('tts', {
            text: '打开客厅的灯。',
            config: { audio_format: 'wav', sample_rate: '16000' },
        });
        wav = Buffer.from(String((tts.json.result as { data: string }).data), 'base64');
        emu.putObject(BUCKET, KEY, wav, 'audio/wav');
    });
    after(() => emu.close());

    describe('a private bucket (the default)', () => {
        it('is private until changed', () => {
            assert.deepEqual(emu.bucketAcl(BUCKET), { sisRead: false, publicRead: false });
        });

        it('fails flash with SIS.0609 (AccessDenied), after NoSuchBucket and before NoSuchKey', async () => {
            const denied = await flash();
            assert.equal(denied.status, 400, denied.text);
            assert.equal(denied.json.error_code, 'SIS.0609');
            assert.match(String(denied.json.error_msg), /AccessDenied/);
            assert.match(String((await flash(BUCKET, 'missing.wav')).json.error_msg), /AccessDenied/);
            assert.match(String((await flash('no-such-bucket')).json.error_msg), /NoSuchBucket/);
        });

        it('fails a job on the plain object URL with SIS.0609, but reads a pre-signed URL', async () => {
            const plain = await finish(await submit(`${emu.url}/${BUCKET}/${KEY}`));
            assert.equal(plain.status, 400);
            assert.equal(plain.json.status, 'ERROR');
            assert.equal(plain.json.error_code, 'SIS.0609');
            const virtual = await finish(
                await submit(`https://${BUCKET}.obs.${emu.account.region}.myhuaweicloud.com/${KEY}`),
            );
            assert.equal(virtual.json.error_code, 'SIS.0609');
            const signed = await finish(await submit(presigned(BUCKET, KEY)));
            assert.equal(signed.json.status, 'FINISHED', signed.text);
        });

        it('refuses unsigned GETs', async () => {
            const answer = await send(emu.url, 'GET', `/${BUCKET}/${KEY}`);
            assert.equal(answer.status, 403);
            assert.match(answer.text, /<Code>AccessDenied<\/Code>/);
        });
    });

    describe('granting SIS read access (admin API)', () => {
        after(() => emu.setBucketAcl(BUCKET, { sisRead: false, publicRead: false }));

        it('lets flash and plain object URLs through; unsigned GETs stay refused', async () => {
            const granted = await admin('POST', { bucket: BUCKET, sis_read: true });
            assert.equal(granted.status, 200, granted.text);
            assert.deepEqual(granted.json, { bucket: BUCKET, sis_read: true, public_read: false });
            assert.deepEqual(emu.bucketAcl(BUCKET), { sisRead: true, publicRead: false });
            assert.equal((await flash()).status, 200);
            const missing = await flash(BUCKET, 'missing.wav');
            assert.match(String(missing.json.error_msg), /NoSuchKey/);
            const job = await finish(await submit(`${emu.url}/${BUCKET}/${KEY}`));
            assert.equal(job.json.status, 'FINISHED', job.text);
            assert.equal((await send(emu.url, 'GET', `/${BUCKET}/${KEY}`)).status, 403);
        });

        it('lists buckets with their ACLs and refuses bad changes', async () => {
            const list = await admin('GET');
            assert.deepEqual(list.json.buckets, [{ bucket: BUCKET, sis_read: true, public_read: false }]);
            assert.equal((await admin('POST', { bucket: 'A' })).status, 400);
            assert.equal((await admin('POST', { bucket: BUCKET, sis_read: 'yes' })).status, 400);
            assert.equal((await admin('POST', [])).status, 400);
        });
    });

    describe('a public-read bucket', () => {
        it('serves unsigned GETs and lets SIS read; creating the bucket when needed', async () => {
            assert.deepEqual(emu.setBucketAcl('open-bucket', { publicRead: true }), {
                sisRead: false,
                publicRead: true,
            });
            emu.putObject('open-bucket', 'a.wav', wav, 'audio/wav');
            const got = await send(emu.url, 'GET', '/open-bucket/a.wav');
            assert.equal(got.status, 200);
            assert.ok(got.body.equals(wav));
            assert.equal((await send(emu.url, 'HEAD', '/open-bucket/a.wav')).status, 200);
            assert.equal((await send(emu.url, 'PUT', '/open-bucket/b.wav', {}, 'x')).status, 403, 'reads only');
            assert.equal((await send(emu.url, 'DELETE', '/open-bucket/a.wav')).status, 403);
            assert.equal((await flash('open-bucket', 'a.wav')).status, 200);
        });

        it('is set at start by obsGrantSis and obsPublic', async () => {
            const other = await startEmulator({ obsGrantSis: ['granted-b'], obsPublic: ['public-b'] });
            try {
                assert.deepEqual(other.bucketAcl('granted-b'), { sisRead: true, publicRead: false });
                assert.deepEqual(other.bucketAcl('public-b'), { sisRead: false, publicRead: true });
                assert.deepEqual(other.bucketAcl(other.account.bucket), { sisRead: false, publicRead: false });
                assert.ok(other.ctx.obs.has('granted-b') && other.ctx.obs.has('public-b'));
            } finally {
                await other.close();
            }
        });
    });

    describe('data_url and callback_url hosts', () => {
        const own = () => presigned(BUCKET, KEY);

        it('refuses loopback and IP addresses by default, except this emulator’s own OBS', async () => {
            for (const url of [
                'http://127.0.0.1:9/a.wav',
                'http://127.1.2.3/a.wav',
                'http://localhost:9/a.wav',
                'http://[::1]:9/a.wav',
                'http://10.1.2.3/a.wav',
                'https://[2001:db8::1]/a.wav',
            ]) {
                const answer = await submit(url);
                assert.equal(answer.status, 400, url);
                assert.equal(answer.json.error_code, 'SIS.0608', url);
            }
            const port = new URL(emu.url).port;
            assert.equal((await submit(own())).status, 200);
            assert.equal((await submit(own().replace('127.0.0.1', 'localhost'))).status, 200, 'own OBS by name');
            assert.equal((await submit(`http://localhost:${port}/${BUCKET}/${KEY}`)).status, 200);
            for (const callback of ['http://127.0.0.1:9/hook', 'http://localhost/hook', 'http://192.168.1.1/hook']) {
                const answer = await submit(own(), { callback_url: callback });
                assert.equal(answer.status, 400, callback);
                assert.equal(answer.json.error_code, 'SIS.0032', callback);
            }
            assert.equal((await submit(own(), { callback_url: 'https://hooks.example.invalid/sis' })).status, 200);
        });

        it('accepts loopback (never other IP addresses) with allowLoopbackUrls', async () => {
            const loose = await startEmulator({ allowLoopbackUrls: true });
            try {
                const t = loose.issueToken();
                const submitTo = (dataUrl: string, callback?: string) =>
                    send(
                        loose.url,
                        'POST',
                        `/v1/${loose.account.projectId}/asr/transcriber/jobs`,
                        { 'X-Auth-Token': t, 'Content-Type': 'application/json' },
                        JSON.stringify({
                            config: { property: 'chinese_16k_media', callback_url: callback },
                            data_url: dataUrl,
                        }),
                    );
                for (const url of ['http://127.0.0.1:9/a.wav', 'http://localhost:9/a.wav', 'http://[::1]:9/a.wav']) {
                    assert.equal((await submitTo(url, 'http://127.0.0.1:9/hook')).status, 200, url);
                }
                assert.equal((await submitTo('http://10.1.2.3/a.wav')).json.error_code, 'SIS.0608');
                assert.equal(
                    (await submitTo('https://audio.example.com/a.wav', 'http://10.0.0.1/hook')).json.error_code,
                    'SIS.0032',
                );
            } finally {
                await loose.close();
            }
        });
    });
});
