// SIS REST APIs: success paths and every documented validation error (docs/protocol/errors.md §4 statuses).

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Emulator, startEmulator } from '../index';
import { type Answer, presign, send, TestClock } from './helpers';

describe('emulator SIS REST', () => {
    let emu: Emulator;
    let token: string;
    let wav16k: string;
    let wav8k: string;

    const post = (p: string, body: unknown, query = '') =>
        send(
            emu.url,
            'POST',
            `/v1/${emu.account.projectId}/${p}${query}`,
            { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
            typeof body === 'string' ? body : JSON.stringify(body),
        );
    const get = (p: string) => send(emu.url, 'GET', `/v1/${emu.account.projectId}/${p}`, { 'X-Auth-Token': token });
    const sisError = (answer: Answer, status: number, code: string) => {
        assert.equal(answer.status, status, answer.text);
        assert.equal(answer.json.error_code, code, answer.text);
        assert.equal(typeof answer.json.error_msg, 'string');
    };
    const tts = async (text: string, config: Record<string, unknown>) => {
        const answer = await post('tts', { text, config });
        assert.equal(answer.status, 200, answer.text);
        return String((answer.json.result as { data: string }).data);
    };

    before(async () => {
        // SIS may read the staging bucket; the local web server below lives on loopback.
        emu = await startEmulator({
            limits: { jobDelayMs: 100 },
            obsGrantSis: ['sis-audio-stage'],
            allowLoopbackUrls: true,
        });
        token = emu.issueToken();
        wav16k = await tts('打开客厅的灯。', { audio_format: 'wav', sample_rate: '16000' });
        wav8k = await tts('转人工服务。', { audio_format: 'wav', sample_rate: '8000' });
    });
    after(() => emu.close());

    describe('short-audio', () => {
        it('recognises audio and returns trace_id, text, score and word_info', async () => {
            const answer = await post('asr/short-audio', {
                config: { audio_format: 'wav', property: 'chinese_16k_common', add_punc: 'yes', need_word_info: 'yes' },
                data: wav16k,
            });
            assert.equal(answer.status, 200, answer.text);
            assert.match(String(answer.json.trace_id), /^[0-9a-f-]{36}$/);
            const result = answer.json.result as { text: string; score: number; word_info: unknown[] };
            assert.match(result.text, /打开客厅的灯/);
            assert.ok(result.score > 0 && result.score <= 1);
            assert.ok(result.word_info.length > 0);
        });

        const base = { audio_format: 'wav', property: 'chinese_16k_common' };
        const cases: [string, () => unknown, string][] = [
            ['invalid JSON', () => '{"config":', 'SIS.0032'],
            ['missing config', () => ({ data: wav16k }), 'SIS.0032'],
            ['unknown audio_format', () => ({ config: { ...base, audio_format: 'flac' }, data: wav16k }), 'SIS.0032'],
            [
                'unknown property',
                () => ({ config: { ...base, property: 'klingon_16k_common' }, data: wav16k }),
                'SIS.0032',
            ],
            [
                'property of another region',
                () => ({ config: { ...base, property: 'english_16k_common' }, data: wav16k }),
                'SIS.0031',
            ],
            [
                'raw format rate vs model',
                () => ({ config: { audio_format: 'pcm8k16bit', property: 'chinese_16k_common' }, data: wav16k }),
                'SIS.0301',
            ],
            [
                'format not allowed by the model',
                () => ({ config: { audio_format: 'aac', property: 'chinese_16k_general' }, data: wav16k }),
                'SIS.0301',
            ],
            ['WAV rate vs model', () => ({ config: base, data: wav8k }), 'SIS.0301'],
            ['boolean instead of "yes"', () => ({ config: { ...base, add_punc: true }, data: wav16k }), 'SIS.0032'],
            ['unknown vocabulary', () => ({ config: { ...base, vocabulary_id: 'nope' }, data: wav16k }), 'SIS.0201'],
            ['data: URL prefix', () => ({ config: base, data: `data:audio/wav;base64,${wav16k}` }), 'SIS.0032'],
            ['invalid base64', () => ({ config: base, data: '!!!!' }), 'SIS.0032'],
            ['missing data', () => ({ config: base }), 'SIS.0032'],
            ['base64 over 4 MB', () => ({ config: base, data: 'A'.repeat(4 * 1024 * 1024 + 4) }), 'SIS.0604'],
            [
                'audio over 60 s',
                () => ({
                    config: { audio_format: 'pcm16k16bit', property: 'chinese_16k_common' },
                    data: Buffer.alloc(61 * 32000).toString('base64'),
                }),
                'SIS.0604',
            ],
        ];
        for (const [name, body, code] of cases) {
            it(`refuses ${name} with ${code}`, async () => sisError(await post('asr/short-audio', body()), 400, code));
        }

        it('refuses undecodable audio with a SIS audio error', async () => {
            const answer = await post('asr/short-audio', {
                config: base,
                data: Buffer.from('definitely not a wav file').toString('base64'),
            });
            assert.equal(answer.status, 400);
            assert.match(String(answer.json.error_code), /^SIS\.06/);
        });
    });

    describe('tts', () => {
        it('synthesises wav, mp3 and pcm whose length grows with the text', async () => {
            const short = Buffer.from(await tts('你好。', { audio_format: 'wav', sample_rate: '16000' }), 'base64');
            const long = Buffer.from(
                await tts('你好。今天天气很好，我们去公园散步吧。', { audio_format: 'wav', sample_rate: '16000' }),
                'base64',
            );
            assert.equal(short.subarray(0, 4).toString(), 'RIFF');
            assert.ok(long.length > short.length);
            const mp3 = Buffer.from(await tts('你好。', { audio_format: 'mp3' }), 'base64');
            assert.ok(mp3.length > 0);
            const pcm = Buffer.from(await tts('你好。', { audio_format: 'pcm', sample_rate: '8000' }), 'base64');
            assert.equal(pcm.length % 2, 0);
            const defaults = await post('tts', { text: 'a'.repeat(500) });
            assert.equal(defaults.status, 200);
        });

        const cases: [string, unknown, string][] = [
            ['empty text', { text: '' }, 'SIS.0032'],
            ['text over 500 characters', { text: '好'.repeat(501) }, 'SIS.0604'],
            ['unknown audio_format', { text: 'a', config: { audio_format: 'ogg' } }, 'SIS.0410'],
            ['unknown sample_rate', { text: 'a', config: { sample_rate: '22050' } }, 'SIS.0402'],
            ['numeric sample_rate', { text: 'a', config: { sample_rate: 16000 } }, 'SIS.0402'],
            [
                '16 kHz-only voice at 8 kHz',
                { text: 'a', config: { property: 'chinese_huaxiaolong_common', sample_rate: '8000' } },
                'SIS.0402',
            ],
            ['unknown voice', { text: 'a', config: { property: 'chinese_nobody_common' } }, 'SIS.0411'],
            ['speed out of range', { text: 'a', config: { speed: 501 } }, 'SIS.0415'],
            ['pitch out of range', { text: 'a', config: { pitch: -501 } }, 'SIS.0415'],
            ['volume out of range', { text: 'a', config: { volume: 101 } }, 'SIS.0415'],
            ['non-integer volume', { text: 'a', config: { volume: 1.5 } }, 'SIS.0415'],
        ];
        for (const [name, body, code] of cases) {
            it(`refuses ${name} with ${code}`, async () => sisError(await post('tts', body), 400, code));
        }
    });

    describe('flash', () => {
        const q = (params: Record<string, string>) =>
            `?${new URLSearchParams(params).toString().replace(/\+/g, '%20')}`;
        const params = {
            audio_format: 'wav',
            property: 'chinese_16k_conversation',
            obs_bucket_name: 'sis-audio-stage',
            obs_object_key: 'flash/clip 1.wav',
        };

        before(() => emu.putObject('sis-audio-stage', 'flash/clip 1.wav', Buffer.from(wav16k, 'base64')));

        it('recognises an OBS object (no body, query only, leading & tolerated)', async () => {
            const answer = await post('asr/flash', '', `?&${q({ ...params, need_word_info: 'yes' }).slice(1)}`);
            assert.equal(answer.status, 200, answer.text);
            assert.ok(Number(answer.json.audio_duration) > 0);
            const channels = answer.json.flash_result as {
                channel_id: number;
                sentences: { result: { text: string; score: number; word_info: unknown[] } }[];
            }[];
            assert.equal(channels[0].channel_id, 0);
            assert.match(channels[0].sentences.map((s) => s.result.text).join(''), /打开客厅的灯/);
            assert.ok(channels[0].sentences[0].result.word_info.length > 0);
        });

        it('validates the query and the object', async () => {
            const { obs_object_key: _k, ...noKey } = params;
            sisError(await post('asr/flash', '', q(noKey)), 400, 'SIS.0032');
            sisError(await post('asr/flash', '', q({ ...params, audio_format: 'pcm' })), 400, 'SIS.0032');
            sisError(await post('asr/flash', '', q({ ...params, property: 'chinese_16k_common' })), 400, 'SIS.0032');
            sisError(await post('asr/flash', '', q({ ...params, add_punc: 'true' })), 400, 'SIS.0032');
            sisError(await post('asr/flash', '', q({ ...params, obs_object_key: 'missing.wav' })), 400, 'SIS.0609');
            sisError(await post('asr/flash', '', q({ ...params, obs_bucket_name: 'no-such-bucket' })), 400, 'SIS.0609');
        });
    });

    describe('transcriber', () => {
        const poll = async (jobId: string): Promise<Answer> => {
            for (let i = 0; i < 100; i++) {
                const answer = await get(`asr/transcriber/jobs/${jobId}`);
                if (answer.json.status !== 'WAITING') return answer;
                await new Promise((r) => setTimeout(r, 25));
            }
            throw new Error('job never finished');
        };
        const submit = async (config: Record<string, unknown>, dataUrl: string) => {
            const answer = await post('asr/transcriber/jobs', {
                config: { property: 'chinese_8k_general', ...config },
                data_url: dataUrl,
            });
            assert.equal(answer.status, 200, answer.text);
            return String(answer.json.job_id);
        };

        before(() => emu.putObject('sis-audio-stage', 'jobs/call.wav', Buffer.from(wav8k, 'base64')));

        it('goes WAITING → FINISHED with segments (path-style OBS URL), analysis values per segment', async () => {
            const jobId = await submit(
                {
                    add_punc: 'yes',
                    need_analysis_info: { diarization: true, channel: 'MONO', emotion: true, speed: true },
                },
                `${emu.url}/sis-audio-stage/jobs/call.wav`,
            );
            const first = await get(`asr/transcriber/jobs/${jobId}`);
            assert.equal(first.json.status, 'WAITING');
            assert.ok(first.json.create_time);
            const done = await poll(jobId);
            assert.equal(done.status, 200, done.text);
            assert.equal(done.json.status, 'FINISHED');
            assert.ok(done.json.start_time && done.json.finish_time && Number(done.json.audio_duration) > 0);
            const segments = done.json.segments as {
                start_time: number;
                result: {
                    text: string;
                    score?: number;
                    analysis_info: { role: string; emotion: string; speed: number };
                };
            }[];
            assert.match(segments.map((s) => s.result.text).join(''), /转人工服务/);
            for (const s of segments) {
                assert.equal(s.result.score, undefined);
                assert.ok(['AGENT', 'USER'].includes(s.result.analysis_info.role));
                assert.ok(['NORMAL', 'ANGRY', 'UNKNOWN'].includes(s.result.analysis_info.emotion));
                assert.equal(typeof s.result.analysis_info.speed, 'number');
            }
            assert.equal(done.json.job_id, undefined);
        });

        it('reads virtual-hosted OBS URLs and pre-signed URLs; an expired one fails the job with SIS.0609', async () => {
            const host = `sis-audio-stage.obs.${emu.account.region}.myhuaweicloud.com`;
            assert.equal((await poll(await submit({}, `https://${host}/jobs/call.wav`))).json.status, 'FINISHED');
            const resource = '/sis-audio-stage/jobs/call.wav';
            const signed = (expires: number) =>
                presign({ ak: emu.account.ak, sk: emu.account.sk, method: 'GET', resource, expires });
            const ok = await poll(
                await submit({}, `${emu.url}${resource}?${signed(Math.floor(Date.now() / 1000) + 600)}`),
            );
            assert.equal(ok.json.status, 'FINISHED', ok.text);
            const expired = await poll(
                await submit({}, `${emu.url}${resource}?${signed(Math.floor(Date.now() / 1000) - 1)}`),
            );
            assert.equal(expired.status, 400);
            assert.equal(expired.json.status, 'ERROR');
            assert.equal(expired.json.error_code, 'SIS.0609');
            assert.ok(expired.json.finish_time);
        });

        describe('with a local web server', () => {
            let web: Server;
            let webUrl: string;
            const callbacks: Record<string, unknown>[] = [];
            before(async () => {
                web = createServer((req, res) => {
                    if (req.method === 'POST') {
                        const chunks: Buffer[] = [];
                        req.on('data', (c: Buffer) => chunks.push(c));
                        req.on('end', () => {
                            callbacks.push(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>);
                            res.end();
                        });
                        return;
                    }
                    if (req.url === '/garbage.wav') return res.end('not audio at all');
                    if (req.url === '/call.wav') return res.end(Buffer.from(wav8k, 'base64'));
                    res.statusCode = 404;
                    res.end();
                });
                await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
                webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
            });
            after(() => new Promise<void>((r) => web.close(() => r())));

            it('downloads http URLs and POSTs the result with job_id to callback_url', async () => {
                const jobId = await submit({ callback_url: `${webUrl}/hook` }, `${webUrl}/call.wav`);
                assert.equal((await poll(jobId)).json.status, 'FINISHED');
                for (let i = 0; i < 40 && callbacks.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
                assert.equal(callbacks[0]?.job_id, jobId);
                assert.equal(callbacks[0]?.status, 'FINISHED');
            });

            it('fails jobs whose audio cannot be downloaded or decoded', async () => {
                const missing = await poll(await submit({}, `${webUrl}/missing.wav`));
                assert.equal(missing.json.error_code, 'SIS.0609');
                const garbage = await poll(await submit({}, `${webUrl}/garbage.wav`));
                assert.equal(garbage.status, 400);
                assert.equal(garbage.json.error_code, 'SIS.30006');
            });
        });

        it('validates the submission', async () => {
            const url = `${emu.url}/sis-audio-stage/jobs/call.wav`;
            sisError(await post('asr/transcriber/jobs', '{', ''), 400, 'SIS.0534');
            sisError(await post('asr/transcriber/jobs', { data_url: url }), 400, 'SIS.0032');
            sisError(
                await post('asr/transcriber/jobs', { config: { property: 'chinese_8k_general' } }),
                400,
                'SIS.0032',
            );
            sisError(
                await post('asr/transcriber/jobs', {
                    config: { property: 'chinese_8k_general' },
                    data_url: 'http://10.1.2.3/a.wav',
                }),
                400,
                'SIS.0608',
            );
            sisError(
                await post('asr/transcriber/jobs', {
                    config: { property: 'chinese_8k_general' },
                    data_url: 'ftp://x.example.com/a.wav',
                }),
                400,
                'SIS.0608',
            );
            sisError(
                await post('asr/transcriber/jobs', { config: { property: 'chinese_16k_common' }, data_url: url }),
                400,
                'SIS.0533',
            );
            sisError(
                await post('asr/transcriber/jobs', {
                    config: { property: 'chinese_8k_general', audio_format: 'mp4' },
                    data_url: url,
                }),
                400,
                'SIS.0533',
            );
            sisError(
                await post('asr/transcriber/jobs', {
                    config: { property: 'chinese_8k_general', need_analysis_info: { channel: 'BOTH' } },
                    data_url: url,
                }),
                400,
                'SIS.0533',
            );
            sisError(
                await post('asr/transcriber/jobs', {
                    config: { property: 'chinese_8k_general', callback_url: 'http://10.0.0.1/x' },
                    data_url: url,
                }),
                400,
                'SIS.0032',
            );
            sisError(
                await post('asr/transcriber/jobs', {
                    config: { property: 'chinese_8k_general', vocabulary_id: 'x' },
                    data_url: url,
                }),
                400,
                'SIS.0201',
            );
            sisError(await get('asr/transcriber/jobs/00000000-0000-0000-0000-000000000000'), 400, 'SIS.0031');
        });

        it('forgets results after resultTtlMs (task id is not found)', async () => {
            const clock = new TestClock(Date.now());
            const own = await startEmulator({
                clock,
                limits: { jobDelayMs: 1000, resultTtlMs: 60_000 },
                obsGrantSis: ['sis-audio-stage'],
            });
            try {
                const t = own.issueToken();
                own.putObject(own.account.bucket, 'a.wav', Buffer.from(wav8k, 'base64'));
                const base = `/v1/${own.account.projectId}/asr/transcriber/jobs`;
                const created = await send(
                    own.url,
                    'POST',
                    base,
                    { 'X-Auth-Token': t },
                    JSON.stringify({
                        config: { property: 'chinese_8k_common' },
                        data_url: `${own.url}/${own.account.bucket}/a.wav`,
                    }),
                );
                const id = String(created.json.job_id);
                assert.equal(
                    (await send(own.url, 'GET', `${base}/${id}`, { 'X-Auth-Token': t })).json.status,
                    'WAITING',
                );
                clock.advance(1000);
                assert.equal(
                    (await send(own.url, 'GET', `${base}/${id}`, { 'X-Auth-Token': t })).json.status,
                    'FINISHED',
                );
                clock.advance(60_000);
                const gone = await send(own.url, 'GET', `${base}/${id}`, { 'X-Auth-Token': t });
                assert.equal(gone.status, 400);
                assert.equal(gone.json.error_msg, 'task id is not found');
            } finally {
                await own.close();
            }
        });
    });

    describe('vocabularies', () => {
        const voc = (name: string, over: Record<string, unknown> = {}) => ({
            name,
            description: 'rooms',
            language: 'chinese_mandarin',
            contents: ['客厅', 'Alexa'],
            ...over,
        });

        it('creates, reads, lists, updates and deletes; an id works in ASR calls', async () => {
            const created = await post('asr/vocabularies', voc('smart_home_1'));
            assert.equal(created.status, 200, created.text);
            const id = String(created.json.vocabulary_id);
            const read = await get(`asr/vocabularies/${id}`);
            assert.deepEqual(read.json, { vocabulary_id: id, ...voc('smart_home_1') });
            const list = await get('asr/vocabularies?offset=0&limit=10');
            assert.equal(list.json.count, 1);
            const updated = await send(
                emu.url,
                'PUT',
                `/v1/${emu.account.projectId}/asr/vocabularies/${id}`,
                { 'X-Auth-Token': token },
                JSON.stringify(voc('smart_home_2')),
            );
            assert.equal(updated.status, 200);
            assert.equal((await get(`asr/vocabularies/${id}`)).json.name, 'smart_home_2');
            const asr = await post('asr/short-audio', {
                config: { audio_format: 'wav', property: 'chinese_16k_common', vocabulary_id: id },
                data: wav16k,
            });
            assert.equal(asr.status, 200);
            const del = await send(emu.url, 'DELETE', `/v1/${emu.account.projectId}/asr/vocabularies/${id}`, {
                'X-Auth-Token': token,
            });
            assert.equal(del.status, 200);
            sisError(await get(`asr/vocabularies/${id}`), 400, 'SIS.0201');
        });

        it('validates and limits vocabularies to 10 per account', async () => {
            sisError(await post('asr/vocabularies', voc('bad', { language: 'english' })), 400, 'SIS.0205');
            sisError(await post('asr/vocabularies', voc('bad', { contents: ['有 空格'] })), 400, 'SIS.0203');
            sisError(await post('asr/vocabularies', voc('bad', { contents: ['数字1'] })), 400, 'SIS.0203');
            sisError(await post('asr/vocabularies', voc('bad name!')), 400, 'SIS.0032');
            sisError(await post('asr/vocabularies', { name: 'x', contents: ['a'] }), 400, 'SIS.0032');
            const ids: string[] = [];
            for (let i = 0; i < 10; i++)
                ids.push(String((await post('asr/vocabularies', voc(`v${i}`))).json.vocabulary_id));
            sisError(await post('asr/vocabularies', voc('v0')), 400, 'SIS.0204');
            sisError(await post('asr/vocabularies', voc('v10')), 400, 'SIS.0208');
            const page = await get('asr/vocabularies?offset=1&limit=4');
            assert.equal(page.json.count, 10);
            assert.equal((page.json.result as unknown[]).length, 4);
            for (const id of ids)
                await send(emu.url, 'DELETE', `/v1/${emu.account.projectId}/asr/vocabularies/${id}`, {
                    'X-Auth-Token': token,
                });
        });
    });

    it('answers unknown paths and methods with 404 APIG.0101 (after authentication)', async () => {
        const unknown = await post('asr/nothing', {});
        assert.equal(unknown.status, 404);
        assert.equal(unknown.json.error_code, 'APIG.0101');
        assert.equal((await get('tts')).json.error_code, 'APIG.0101');
        assert.equal((await send(emu.url, 'GET', '/')).status, 404);
    });
});
