// sis-job-asr in the Node-RED runtime against the emulator: submission, polling, results, restarts.
// Over 500 lines because the cases share the node's flows and emulator set-up.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SisClient } from '../../nodes/lib/cloud/sis-client';
import type { SisConfigNode } from '../../nodes/lib/red/types';
import { configFor, type Emulator, exampleFlow, routeLog, startCanaryEmulator } from '../helpers/emulator';
import { fixture, transcript } from '../helpers/fixtures';
import { type Harness, harness } from '../helpers/flow';
import { asFlow, CORE, coreNode, deploy, helper, loadNode, nodeRedVersion } from '../helpers/nr';
import { delay, until } from '../helpers/wait';

interface SisErrorInfo {
    code: string;
    message: string;
    status?: number;
    service_code?: string;
    retryable: boolean;
}

interface JobSentence {
    text: string;
    start_time: number;
    end_time: number;
    score?: number;
    channel_id?: number;
    role?: string;
    emotion?: string;
    speed?: number;
    word_info?: unknown[];
}

interface CreateBody {
    config: Record<string, unknown>;
    data_url: string;
}

/** Serves audio files for URL inputs and takes the service's callbacks. */
async function startAudioServer(files: Record<string, Buffer>): Promise<{
    url: string;
    callbacks: unknown[];
    close(): Promise<void>;
}> {
    const callbacks: unknown[] = [];
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
            if (req.method === 'POST') {
                callbacks.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
                res.writeHead(200).end();
                return;
            }
            const file = files[req.url ?? ''];
            if (!file) res.writeHead(404).end();
            else res.writeHead(200, { 'content-type': 'audio/wav' }).end(file);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    return {
        url: `http://127.0.0.1:${port}`,
        callbacks,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

describe(`sis-job-asr on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(20_000);
    let emu: Emulator;
    const zh = fixture('zh_16k.wav');
    const JOB_DELAY_MS = 250;
    const POLL_MS = 25;

    before(async () => {
        helper.settings({ sisJobAsrPollMs: POLL_MS } as unknown as Parameters<typeof helper.settings>[0]);
        // The audio server and the callback receiver of this suite live on 127.0.0.1.
        emu = await startCanaryEmulator({ limits: { jobDelayMs: JOB_DELAY_MS }, allowLoopbackUrls: true });
        for (const name of ['zh_16k.wav', 'zh_8k.wav', 'stereo_16k.wav'])
            emu.transcripts.register(fixture(name), transcript(name));
    });
    after(async () => {
        helper.settings({ sisJobAsrPollMs: undefined } as unknown as Parameters<typeof helper.settings>[0]);
        await emu.close();
    });
    beforeEach((done) => {
        emu.faults.clear();
        emu.log.clear();
        emu.ctx.limits.jobDelayMs = JOB_DELAY_MS;
        emu.ctx.limits.resultTtlMs = 72 * 3600_000;
        for (const key of staged()) emu.ctx.obs.get(emu.account.bucket)?.delete(key);
        helper.startServer(done);
    });
    afterEach(async () => {
        await helper.unload();
        await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    });

    const base = {
        property: 'chinese_16k_conversation',
        audio_format: 'auto',
        add_punc: 'yes',
        stagingPrefix: 'node-red/sis/',
    };

    function staged(): string[] {
        return [...(emu.ctx.obs.get(emu.account.bucket)?.keys() ?? [])].filter((k) => k.startsWith('node-red/'));
    }

    function created(): CreateBody[] {
        return routeLog(emu, 'transcriber.create').map((e) => e.body as CreateBody);
    }

    function stored(): { jobs: { job_id: string; msg: Record<string, unknown> }[] } | undefined {
        const ctx = helper.getNode('n1').context() as unknown as { get(key: string): unknown };
        return ctx.get('sisPendingJobs') as ReturnType<typeof stored>;
    }

    async function expectLateError(h: Harness, code: string): Promise<Record<string, unknown>> {
        const [caught] = await h.errors(1);
        const info = caught.sis_error as SisErrorInfo;
        assert.equal(info.code, code);
        assert.equal((caught.error as { code: string }).code, code);
        const jobId = (caught.sis_result as { job_id: string }).job_id;
        assert.match(info.message, new RegExp(jobId), 'the error names the job');
        await h.quiet();
        assert.equal(h.caught.length, 1, 'reported once');
        assert.equal(h.out[0].length, 0);
        return caught;
    }

    it('the whole life of a job: staged Buffer, one submission, polling, sentences, staged audio deleted', async () => {
        const h = await harness(emu, 'sis-job-asr', base);
        h.send({ payload: zh, topic: 'meeting-1', keep: { room: 'A' } });
        const [complete] = await h.completions(1);
        const jobId = (complete.sis_result as { job_id: string }).job_id;
        assert.match(jobId, /^[0-9a-f-]{36}$/);
        assert.equal(h.out[0].length, 0, 'done() comes at submission, before the result');
        assert.equal(stored()?.jobs[0].job_id, jobId, 'the pending job is in the node context');
        assert.deepEqual(stored()?.jobs[0].msg, { topic: 'meeting-1', keep: { room: 'A' }, _msgid: complete._msgid });
        assert.equal(staged().length, 1);

        const msgs = await h.outputs(2);
        assert.deepEqual(
            msgs.map((m) => m.payload),
            transcript('zh_16k.wav'),
        );
        const [a, b] = msgs.map((m) => m.sentence as JobSentence);
        assert.ok(a.start_time < a.end_time && a.end_time <= b.start_time && b.start_time < b.end_time);
        assert.equal(a.score, undefined, 'jobs have no score');
        assert.equal(a.channel_id, undefined);
        assert.equal(a.role, undefined);
        assert.deepEqual(
            msgs.map((m) => (m.parts as { index: number; count: number }).index),
            [0, 1],
        );
        for (const m of msgs) {
            assert.equal(m.topic, 'meeting-1');
            assert.deepEqual(m.keep, { room: 'A' });
            assert.equal((m.parts as { count: number }).count, 2);
            assert.equal((m.sis_result as { job_id: string }).job_id, jobId);
            assert.equal(typeof (m.sis_result as { audio_duration: number }).audio_duration, 'number');
        }
        await until(() => (staged().length === 0 ? true : undefined));
        assert.equal(stored(), undefined, 'nothing pending any more');

        const [body] = created();
        assert.equal(created().length, 1);
        assert.deepEqual(body.config, { property: 'chinese_16k_conversation', audio_format: 'auto', add_punc: 'yes' });
        const url = new URL(body.data_url);
        assert.match(url.pathname, /^\/sis-audio-stage\/node-red\/sis\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.wav$/);
        const expires = Number(url.searchParams.get('Expires'));
        assert.ok(Math.abs(expires - (Date.now() / 1000 + 24 * 3600)) < 120, 'pre-signed for 24 h');
        assert.ok(url.searchParams.get('Signature'));
        const routes = emu.log
            .entries()
            .map((e) => e.route)
            .filter((r) => r.startsWith('obs.') || r === 'transcriber.create');
        assert.deepEqual(routes, ['obs.put', 'transcriber.create', 'obs.delete']);
        assert.ok(routeLog(emu, 'transcriber.query').length >= 2, 'polled until FINISHED');

        const texts = h.statuses.map((s) => (s.status as { text: string }).text);
        assert.ok(
            texts.some((t) => /^staging \d+ KB$/.test(t)),
            texts.join(' | '),
        );
        assert.ok(texts.includes('1 job, oldest 0 s'), texts.join(' | '));
        assert.equal(texts[texts.length - 1], '2 sentences');
        const queries = routeLog(emu, 'transcriber.query').length;
        await delay(150);
        assert.equal(routeLog(emu, 'transcriber.query').length, queries, 'no query after the end');
    });

    it('takes OBS objects and http(s) URLs without staging, and leaves them in place', async () => {
        emu.putObject(emu.account.bucket, 'meetings/2025/一号 会议.wav', zh, 'audio/wav');
        const server = await startAudioServer({ '/audio/meeting.wav': zh });
        try {
            const h = await harness(emu, 'sis-job-asr', base);
            h.send({ payload: { bucket: emu.account.bucket, key: 'meetings/2025/一号 会议.wav' } });
            h.send({ payload: `obs://${emu.account.bucket}/meetings/2025/一号 会议.wav` });
            h.send({ payload: `${server.url}/audio/meeting.wav` });
            const msgs = await h.outputs(6);
            assert.deepEqual(
                msgs.map((m) => m.payload),
                [...transcript('zh_16k.wav'), ...transcript('zh_16k.wav'), ...transcript('zh_16k.wav')],
            );
            assert.equal(routeLog(emu, 'obs.put').length, 0);
            assert.equal(routeLog(emu, 'obs.delete').length, 0);
            assert.ok(emu.ctx.obs.get(emu.account.bucket)?.has('meetings/2025/一号 会议.wav'));
            const urls = created().map((b) => b.data_url);
            assert.equal(urls.length, 3);
            const plain = urls.filter((u) => u.startsWith(server.url));
            assert.deepEqual(plain, [`${server.url}/audio/meeting.wav`], 'a URL is passed as it is');
            for (const u of urls.filter((x) => !x.startsWith(server.url))) {
                const parsed = new URL(u);
                assert.equal(decodeURIComponent(parsed.pathname), `/${emu.account.bucket}/meetings/2025/一号 会议.wav`);
                assert.ok(parsed.searchParams.get('Signature'), 'a pre-signed URL');
            }
        } finally {
            await server.close();
        }
    });

    it('sends every job option, msg.sis overriding the node, and puts the analysis on each sentence', async () => {
        const server = await startAudioServer({});
        try {
            const h = await harness(emu, 'sis-job-asr', {
                ...base,
                property: 'chinese_8k_common',
                add_punc: 'no',
                digit_norm: 'no',
                need_word_info: 'yes',
                callback_url: `${server.url}/callback`,
                need_analysis_info: 'yes',
                diarization: 'yes',
                channel: 'MONO',
                emotion: 'yes',
                speed: 'yes',
            });
            const client = (helper.getNode('cfg') as unknown as SisConfigNode).client as SisClient;
            const vocabulary = await client.call<{ vocabulary_id: string }>({
                method: 'POST',
                path: '/asr/vocabularies',
                json: { name: 'job-test', language: 'chinese_mandarin', contents: ['热'] },
                idempotent: false,
                what: 'vocabulary creation',
            });
            const vocabulary_id = vocabulary.body.vocabulary_id;
            h.send({ payload: fixture('zh_8k.wav'), sis: { vocabulary_id } });
            const mono = await h.outputs(2);
            assert.deepEqual(created()[0].config, {
                property: 'chinese_8k_common',
                audio_format: 'auto',
                add_punc: 'no',
                digit_norm: 'no',
                need_word_info: 'yes',
                vocabulary_id,
                callback_url: `${server.url}/callback`,
                need_analysis_info: { diarization: true, channel: 'MONO', emotion: true, speed: true },
            });
            const [s0, s1] = mono.map((m) => m.sentence as JobSentence);
            assert.deepEqual([s0.role, s1.role], ['AGENT', 'USER']);
            assert.deepEqual([s0.emotion, s1.emotion], ['NORMAL', 'NORMAL']);
            assert.ok(typeof s0.speed === 'number' && s0.speed > 0);
            assert.ok(Array.isArray(s0.word_info));
            assert.equal(s0.channel_id, undefined);

            // A stereo recording with the agent on the left: the role tells the channel.
            h.send({
                payload: fixture('stereo_16k.wav'),
                sis: {
                    property: 'chinese_16k_conversation',
                    add_punc: 'yes',
                    need_word_info: false,
                    callback_url: '',
                    need_analysis_info: { channel: 'LEFT_AGENT', emotion: false },
                },
            });
            const stereo = (await h.outputs(6)).slice(2);
            const config = created()[1].config;
            assert.deepEqual(config.need_analysis_info, { channel: 'LEFT_AGENT', emotion: false });
            assert.equal(config.add_punc, 'yes');
            assert.equal(config.need_word_info, 'no');
            assert.equal(config.callback_url, undefined, 'an empty override removes the setting');
            const sentences = stereo.map((m) => m.sentence as JobSentence);
            for (const s of sentences) {
                assert.equal(s.channel_id, s.role === 'AGENT' ? 0 : 1);
                assert.equal(s.emotion, undefined);
                assert.equal(typeof s.speed, 'number');
            }
            assert.deepEqual(new Set(sentences.map((s) => s.channel_id)), new Set([0, 1]));

            h.send({ payload: fixture('zh_8k.wav'), sis: { need_analysis_info: false } });
            const plain = (await h.outputs(8)).slice(6);
            assert.equal(created()[2].config.need_analysis_info, undefined);
            assert.equal((plain[0].sentence as JobSentence).role, undefined);
            await until(() => (server.callbacks.length >= 2 ? true : undefined));
            assert.ok(server.callbacks.every((c) => typeof (c as { job_id?: unknown }).job_id === 'string'));
        } finally {
            await server.close();
        }
    });

    it('single mode: one message per job, also when there is no speech', async () => {
        const h = await harness(emu, 'sis-job-asr', { ...base, output: 'single' });
        h.send({ payload: zh, topic: 'speech' });
        h.send({ payload: fixture('silence_16k.wav'), topic: 'silence' });
        const msgs = await h.outputs(2);
        const speech = msgs.find((m) => m.topic === 'speech')!;
        const silence = msgs.find((m) => m.topic === 'silence')!;
        assert.equal(speech.payload, transcript('zh_16k.wav').join(''));
        assert.equal((speech.sentences as unknown[]).length, 2);
        assert.equal(silence.payload, '');
        assert.deepEqual(silence.sentences, []);
        assert.equal(typeof (silence.sis_result as { job_id: string }).job_id, 'string');
    });

    it('writes each sentence to the chosen msg property when the job ends', async () => {
        const h = await harness(emu, 'sis-job-asr', { ...base, outputField: 'transcript.text' });
        h.send({ payload: zh, topic: 'meeting' });
        const msgs = await h.outputs(2);
        assert.deepEqual(
            msgs.map((m) => (m.transcript as { text: string }).text),
            transcript('zh_16k.wav'),
        );
        for (const m of msgs) {
            assert.equal(m.payload, undefined, 'the kept input had no payload to restore');
            assert.equal(m.topic, 'meeting');
            assert.ok(m.parts, 'the sentences still join');
        }
    });

    it('sentence mode: no speech sends nothing and says so in the status', async () => {
        const h = await harness(emu, 'sis-job-asr', base);
        h.send({ payload: fixture('silence_16k.wav') });
        await until(() =>
            h.statuses.some((s) => (s.status as { text: string }).text === 'no speech') ? true : undefined,
        );
        await h.quiet();
        assert.equal(h.out[0].length, 0);
        await until(() => (staged().length === 0 ? true : undefined));
    });

    it('a job that ends in ERROR is reported once, after done(), naming the job; its staged audio is deleted', async () => {
        // A WMA (ASF) header the client accepts, with nothing the service can decode behind it.
        const broken = Buffer.concat([Buffer.from('3026b2758e66cf11a6d900aa0062ce6c', 'hex'), Buffer.alloc(64)]);
        const h = await harness(emu, 'sis-job-asr', base);
        h.send({ payload: broken, topic: 'broken' });
        await h.completions(1);
        const caught = await expectLateError(h, 'SIS.30006');
        const info = caught.sis_error as SisErrorInfo;
        assert.equal(info.status, 400);
        assert.equal(info.service_code, 'SIS.30006');
        assert.equal(caught.topic, 'broken');
        assert.equal(h.completed.length, 1, 'done() was called once, at submission');
        await until(() => (staged().length === 0 ? true : undefined));
        assert.equal(stored(), undefined);
        const texts = h.statuses.map((s) => (s.status as { text: string }).text);
        assert.equal(texts[texts.length - 1], 'service error (SIS.30006)');
    });

    it('a job the service no longer knows (expired result) is a clear error', async () => {
        emu.ctx.limits.jobDelayMs = 50;
        emu.ctx.limits.resultTtlMs = 30;
        // The first query is held until the result has expired.
        emu.faults.add({ route: 'transcriber.query', kind: 'delay', delayMs: 400, count: 1 });
        const h = await harness(emu, 'sis-job-asr', base);
        emu.putObject(emu.account.bucket, 'x.wav', zh, 'audio/wav');
        h.send({ payload: `obs://${emu.account.bucket}/x.wav` });
        const caught = await expectLateError(h, 'SIS.0031');
        const info = caught.sis_error as SisErrorInfo;
        assert.equal(info.status, 400);
        assert.match(info.message, /not known to the service/);
        assert.equal(routeLog(emu, 'transcriber.query').length, 1, 'not asked again');
    });

    it('honours 429s while polling: Retry-After, then a node-wide slow-down; the result comes once', async () => {
        emu.faults.add({ route: 'transcriber.query', kind: 'status', status: 429, retryAfter: 1, count: 1 });
        const h = await harness(emu, 'sis-job-asr', base);
        h.send({ payload: zh });
        await h.outputs(2);
        const times = routeLog(emu, 'transcriber.query').map((e) => Date.parse(e.time));
        assert.equal(routeLog(emu, 'transcriber.query')[0].status, 429);
        assert.ok(times[1] - times[0] >= 950, `waited ${times[1] - times[0]} ms for Retry-After: 1`);
        await h.quiet();
        assert.equal(h.out[0].length, 2);
        await helper.unload();

        // With no retries in the HTTP client, the node itself backs off after each 429.
        emu.log.clear();
        emu.faults.add({ route: 'transcriber.query', kind: 'status', status: 429, count: 3 });
        const h2 = await harness(emu, 'sis-job-asr', base, { configExtra: { maxRetries: 0 } });
        h2.send({ payload: zh });
        await h2.outputs(2);
        const queries = routeLog(emu, 'transcriber.query');
        assert.deepEqual(
            queries.slice(0, 4).map((e) => e.status),
            [429, 429, 429, 200],
        );
        const t = queries.map((e) => Date.parse(e.time));
        const gaps = [t[1] - t[0], t[2] - t[1], t[3] - t[2]];
        // 2, 4 and 8 times the base interval, ±10 %.
        assert.ok(gaps[0] >= 1.8 * POLL_MS && gaps[1] >= 3.6 * POLL_MS && gaps[2] >= 7.2 * POLL_MS, `gaps ${gaps}`);
        await h2.quiet();
        assert.equal(h2.caught.length, 0);
        assert.equal(h2.out[0].length, 2);
    });

    it('gives up after the node timeout with TIMEOUT, and deletes the staged audio', async () => {
        emu.ctx.limits.jobDelayMs = 5000;
        const h = await harness(emu, 'sis-job-asr', { ...base, timeout: 0.01 });
        h.send({ payload: zh });
        const caught = await expectLateError(h, 'TIMEOUT');
        assert.match((caught.sis_error as SisErrorInfo).message, /did not finish within 0\.01 min/);
        await until(() => (staged().length === 0 ? true : undefined));
        const queries = routeLog(emu, 'transcriber.query').length;
        await delay(150);
        assert.equal(routeLog(emu, 'transcriber.query').length, queries);
    });

    it('msg.control "cancel" with msg.job_id stops following a job; an unknown id is ignored', async () => {
        emu.ctx.limits.jobDelayMs = 500;
        const h = await harness(emu, 'sis-job-asr', base);
        h.send({ payload: zh });
        const [complete] = await h.completions(1);
        const jobId = (complete.sis_result as { job_id: string }).job_id;
        await until(() => (routeLog(emu, 'transcriber.query').length > 0 ? true : undefined));
        h.send({ control: 'cancel', job_id: jobId });
        h.send({ control: 'cancel', job_id: 'no-such-job' });
        await h.completions(3);
        assert.equal(h.caught.length, 0);
        await until(() => (staged().length === 0 ? true : undefined));
        assert.equal(stored(), undefined);
        const queries = routeLog(emu, 'transcriber.query').length;
        await delay(600);
        assert.equal(routeLog(emu, 'transcriber.query').length, queries, 'no query after the cancel');
        assert.equal(h.out[0].length, 0);
        assert.equal(h.caught.length, 0);
    });

    it('never repeats a submission that may have reached the service', async () => {
        emu.faults.add({ route: 'transcriber.create', kind: 'status', status: 503, count: 5 });
        const h = await harness(emu, 'sis-job-asr', base);
        h.send({ payload: zh });
        const [caught] = await h.errors(1);
        assert.equal((caught.sis_error as SisErrorInfo).code, 'SERVICE_UNAVAILABLE');
        assert.equal(routeLog(emu, 'transcriber.create').length, 1);
        await until(() => (staged().length === 0 ? true : undefined));

        emu.faults.clear();
        emu.faults.add({ route: 'transcriber.create', kind: 'reset', count: 5 });
        h.send({ payload: zh });
        const [, reset] = await h.errors(2);
        assert.equal((reset.sis_error as SisErrorInfo).code, 'NETWORK');
        assert.equal(routeLog(emu, 'transcriber.create').length, 2, 'a reset after sending is not retried');
        await until(() => (staged().length === 0 ? true : undefined));
        assert.equal(h.completed.length, 0);
        assert.equal(routeLog(emu, 'transcriber.query').length, 0);
    });

    it('an upload OBS refused leaves nothing to delete and no warning', async () => {
        emu.faults.add({ route: 'obs.put', kind: 'status', status: 403, code: 'AccessDenied', count: 10 });
        emu.faults.add({ route: 'obs.delete', kind: 'status', status: 403, code: 'AccessDenied', count: 10 });
        const h = await harness(emu, 'sis-job-asr', base);
        h.send({ payload: zh });
        const [caught] = await h.errors(1);
        assert.equal((caught.sis_error as SisErrorInfo).code, 'AUTH_FAILED');
        await h.quiet(300);
        assert.equal(routeLog(emu, 'obs.delete').length, 0);
        assert.equal(routeLog(emu, 'transcriber.create').length, 0);
        const warnings = (helper.log().args as { level: number; type?: string }[][]).filter(
            ([e]) => e.level === 30 && e.type === 'sis-job-asr',
        );
        assert.deepEqual(warnings, [], 'no warning');
        const texts = h.statuses.map((s) => (s.status as { text: string }).text);
        assert.equal(texts.at(-1), 'credentials refused (AUTH_FAILED)');
    });

    const invalid: [string, Record<string, unknown>][] = [
        ['a number', { payload: 42 }],
        ['an empty Buffer', { payload: Buffer.alloc(0) }],
        ['bytes that are not audio', { payload: Buffer.from('not audio, just text') }],
        ['an ftp URL', { payload: 'ftp://example.com/a.wav' }],
        ['an OBS address without a key', { payload: 'obs://bucket-only' }],
        ['an OBS key whose format auto cannot tell', { payload: { bucket: 'sis-audio-stage', key: 'noext' } }],
        ['a 16 kHz recording with an 8 kHz model', { payload: zh, sis: { property: 'chinese_8k_common' } }],
        ['a raw format that does not match the model', { payload: zh, sis: { audio_format: 'pcm8k16bit' } }],
        ['an unknown model', { payload: zh, sis: { property: 'english_16k_common' } }],
        ['analysis that is neither flag nor object', { payload: zh, sis: { need_analysis_info: 'maybe' } }],
        ['an analysis field with a typo', { payload: zh, sis: { need_analysis_info: { diarisation: true } } }],
        ['an unknown analysis channel', { payload: zh, sis: { need_analysis_info: { channel: 'STEREO' } } }],
        ['a callback that is not http(s)', { payload: zh, sis: { callback_url: 'ftp://example.com/cb' } }],
        ['an unknown control', { control: 'stop', job_id: 'x' }],
        ['a cancel without job_id', { control: 'cancel' }],
    ];
    for (const [what, msg] of invalid) {
        it(`refuses ${what} with INVALID_INPUT before any request`, async () => {
            const h = await harness(emu, 'sis-job-asr', base);
            h.send(msg);
            const [caught] = await h.errors(1);
            assert.equal((caught.sis_error as SisErrorInfo).code, 'INVALID_INPUT');
            await h.quiet(50);
            assert.equal(h.caught.length, 1);
            assert.equal(emu.log.entries().filter((e) => /^(transcriber|obs)/.test(e.route)).length, 0);
        });
    }

    it('refuses a Buffer when no staging bucket is configured', async () => {
        const h = await harness(emu, 'sis-job-asr', base, { configExtra: { obsBucket: '' } });
        h.send({ payload: zh });
        const [caught] = await h.errors(1);
        assert.equal((caught.sis_error as SisErrorInfo).code, 'INVALID_INPUT');
        assert.equal(routeLog(emu, 'transcriber.create').length, 0);
    });

    /** The harness flow with the job node changed by `patch`, deployed as a full deploy. */
    async function redeploy(patch: (nodes: Record<string, unknown>[]) => Record<string, unknown>[]) {
        const { node: cfg, credentials } = configFor(emu, 'aksk');
        const flow = [
            { id: 'tab', type: 'tab', label: 'test' },
            cfg,
            { id: 'n1', type: 'sis-job-asr', z: 'tab', config: 'cfg', wires: [['out0']], ...base, name: 'v2' },
            { id: 'out0', type: 'helper', z: 'tab' },
            { id: 'catch', type: 'catch', z: 'tab', scope: ['n1'], uncaught: false, wires: [['caught']] },
            { id: 'caught', type: 'helper', z: 'tab' },
        ].map((n) => (n.z ? { x: 100, y: 100, ...n } : n));
        await deploy(asFlow(patch(flow)), 'full', { cfg: credentials });
        const out: Record<string, unknown>[] = [];
        const caught: Record<string, unknown>[] = [];
        helper.getNode('out0')?.on('input', (m: Record<string, unknown>) => out.push(m));
        helper.getNode('caught')?.on('input', (m: Record<string, unknown>) => caught.push(m));
        return { out, caught };
    }

    it('a full redeploy mid-job: the new instance takes the job over and delivers once', async () => {
        emu.ctx.limits.jobDelayMs = 600;
        const h = await harness(emu, 'sis-job-asr', base);
        h.send({
            payload: zh,
            topic: 'resumed',
            keep: { n: 1, list: ['a', null] },
            when: new Date(0),
            bytes: Buffer.from('x'),
            _internal: 'dropped',
        });
        const [complete] = await h.completions(1);
        const jobId = (complete.sis_result as { job_id: string }).job_id;
        await until(() => (routeLog(emu, 'transcriber.query').length > 0 ? true : undefined));
        const after = await redeploy((flow) => flow);
        const msgs = await until(() => (after.out.length >= 2 ? after.out : undefined), 5000);
        await delay(200);
        assert.equal(after.out.length, 2, 'delivered once');
        assert.equal(h.out[0].length, 0, 'the old instance delivered nothing');
        assert.equal(after.caught.length, 0);
        for (const m of msgs) {
            assert.equal((m.sis_result as { job_id: string }).job_id, jobId);
            assert.equal(m.topic, 'resumed');
            assert.deepEqual(m.keep, { n: 1, list: ['a', null] });
            assert.equal(m._msgid, complete._msgid);
            assert.equal(m.when, undefined, 'not plain JSON: not kept');
            assert.equal(m.bytes, undefined);
            assert.equal(m._internal, undefined);
        }
        await until(() => (staged().length === 0 ? true : undefined));
        assert.equal(stored(), undefined);
    });

    it('deleting the node abandons its jobs: staged audio deleted, every timer released', async () => {
        emu.ctx.limits.jobDelayMs = 600;
        const h = await harness(emu, 'sis-job-asr', base);
        h.send({ payload: zh });
        await h.completions(1);
        assert.equal(staged().length, 1);
        await redeploy((flow) => flow.filter((n) => n.id !== 'n1'));
        assert.deepEqual(staged(), [], 'deleted before the deploy finished');
        const queries = routeLog(emu, 'transcriber.query').length;
        await delay(700);
        assert.equal(routeLog(emu, 'transcriber.query').length, queries, 'no query after the close');
        assert.equal(h.out[0].length, 0);
    });

    it('flows stopped mid-job release every timer; started again, the node resumes the job', async () => {
        emu.ctx.limits.jobDelayMs = 600;
        const h = await harness(emu, 'sis-job-asr', base);
        h.send({ payload: zh, topic: 'stopped' });
        await h.completions(1);
        assert.equal(stored()?.jobs.length, 1);
        await helper.unload();
        const queries = routeLog(emu, 'transcriber.query').length;
        await delay(700);
        assert.equal(routeLog(emu, 'transcriber.query').length, queries, 'nothing polls while stopped');
        assert.equal(staged().length, 1, 'a stopped (not deleted) node leaves the job and its audio');

        const again = await harness(emu, 'sis-job-asr', base);
        const msgs = await again.outputs(2);
        assert.ok(msgs.every((m) => m.topic === 'stopped'));
        await until(() => (staged().length === 0 ? true : undefined));
        await again.quiet();
        assert.equal(again.out[0].length, 2);
    });
    it('the example flow: speakers on each sentence, the second speaker, the transcript, the job id', async () => {
        const { nodes, credentials } = exampleFlow('job-asr-transcribe-meeting.json', emu);
        await helper.load(
            [
                loadNode('sis-config'),
                loadNode('sis-job-asr'),
                coreNode('common/20-inject.js'),
                coreNode('storage/10-file.js'),
                coreNode('function/10-switch.js'),
                CORE.join(),
                CORE.complete(),
                CORE.catch(),
            ],
            asFlow(nodes),
            credentials,
        );
        const byName = (name: string) => helper.getNode(String(nodes.find((n) => n.name === name)?.id));
        const got: Record<string, Record<string, unknown>[]> = {
            'sentence with speaker': [],
            'what USER said': [],
            transcript: [],
            'job id (or stopped)': [],
            'error (names the job)': [],
        };
        for (const name of Object.keys(got)) {
            byName(name).on('input', (msg: Record<string, unknown>) => got[name].push(msg));
        }
        byName('meeting recording').receive({});
        // The transcript (through a join) and the per-sentence branches arrive by different wires.
        await until(() =>
            got.transcript.length > 0 && got['what USER said'].length > 0 && got['job id (or stopped)'].length > 0
                ? true
                : undefined,
        );
        assert.deepEqual(got.transcript[0].payload, transcript('zh_16k.wav'));
        assert.deepEqual(
            got['sentence with speaker'].map((m) => (m.sentence as JobSentence).role),
            ['AGENT', 'USER'],
        );
        assert.deepEqual(
            got['what USER said'].map((m) => m.payload),
            [transcript('zh_16k.wav')[1]],
        );
        assert.equal(got['job id (or stopped)'].length, 1);
        assert.equal(
            (got['job id (or stopped)'][0].sis_result as { job_id: string }).job_id,
            (got.transcript[0].sis_result as { job_id: string }).job_id,
        );
        assert.deepEqual(
            got['error (names the job)'].map((m) => m.sis_error),
            [],
        );
        await until(() => (staged().length === 0 ? true : undefined));
    });
});
