// The pure parts of sis-job-asr: options, schedule, result reading, kept messages, status text.
import * as assert from 'node:assert/strict';
import { SisError } from '../../nodes/lib/core/errors';
import { agentChannelOf, resolveAnalysis, resolveJobConfig } from '../../nodes/lib/jobs/options';
import { interpretJob, jobSentences, queryFailure } from '../../nodes/lib/jobs/result';
import { failureDelay, jitter, jobTimeoutMs, pollBaseMs, pollDelay } from '../../nodes/lib/jobs/schedule';
import { jobSourceOf } from '../../nodes/lib/jobs/source';
import { formatAge } from '../../nodes/lib/jobs/status';
import { keptMessage, parseStoredJobs } from '../../nodes/lib/jobs/store';
import { fixture } from '../helpers/fixtures';

const t = (key: string, subs: Record<string, string | number> = {}): string =>
    `${key.replace('sis-config.status.', '')}(${Object.entries(subs)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')})`;

describe('sis-job-asr building blocks', () => {
    describe('poll schedule', () => {
        it('polls at the base rate for 15 intervals, then 2.5x, then 7.5x (2 s, 5 s, 15 s by default)', () => {
            assert.deepEqual(
                [0, 29_999, 30_000, 299_999, 300_000, 3600_000].map((e) => pollDelay(e, 2000)),
                [2000, 2000, 5000, 5000, 15_000, 15_000],
            );
        });

        it('backs off after failures, doubling and capped', () => {
            assert.deepEqual(
                [1, 2, 3, 4, 10].map((f) => failureDelay(f, 100)),
                [200, 400, 800, 1500, 1500],
            );
        });

        it('jitters by ±10 %', () => {
            assert.equal(
                jitter(1000, () => 0),
                900,
            );
            assert.equal(
                jitter(1000, () => 1),
                1100,
            );
        });

        it('takes the node setting (s), else the runtime setting (ms), else 2 s, within bounds', () => {
            assert.equal(pollBaseMs('3', 50), 3000);
            assert.equal(pollBaseMs(0.1, 50), 500, 'the node setting is at least 0.5 s');
            assert.equal(pollBaseMs('', 50), 50);
            assert.equal(pollBaseMs(undefined, 1), 10);
            assert.equal(pollBaseMs(undefined, undefined), 2000);
            assert.equal(pollBaseMs('x', 'y'), 2000);
        });

        it('times out after the node setting in minutes (6 h by default, at most 72 h)', () => {
            assert.equal(jobTimeoutMs(''), 6 * 3600_000);
            assert.equal(jobTimeoutMs('0.5'), 30_000);
            assert.equal(jobTimeoutMs(100_000), 72 * 3600_000);
            assert.equal(jobTimeoutMs(-1), 6 * 3600_000);
        });
    });

    describe('job options', () => {
        it('sends every field with the service names, msg.sis on top', () => {
            const config = resolveJobConfig(
                {
                    property: 'chinese_8k_general',
                    audio_format: 'auto',
                    add_punc: 'yes',
                    digit_norm: 'no',
                    need_word_info: 'no',
                    vocabulary_id: '',
                    callback_url: 'https://example.com/cb',
                },
                { need_word_info: true, vocabulary_id: 'v-1', unrelated: 'ignored' },
            );
            assert.deepEqual(config, {
                property: 'chinese_8k_general',
                audio_format: 'auto',
                add_punc: 'yes',
                digit_norm: 'no',
                need_word_info: 'yes',
                vocabulary_id: 'v-1',
                callback_url: 'https://example.com/cb',
            });
        });

        it('analysis: off, the node settings, or an object from msg.sis replacing them', () => {
            const node = {
                need_analysis_info: 'yes',
                diarization: 'no',
                channel: 'RIGHT_AGENT',
                emotion: 'yes',
                speed: 'no',
            };
            assert.equal(resolveAnalysis({}, undefined), undefined);
            assert.deepEqual(resolveAnalysis(node, undefined), {
                diarization: false,
                channel: 'RIGHT_AGENT',
                emotion: true,
                speed: false,
            });
            assert.equal(resolveAnalysis(node, { need_analysis_info: false }), undefined);
            assert.equal(resolveAnalysis(node, { need_analysis_info: null }), undefined);
            assert.deepEqual(resolveAnalysis({}, { need_analysis_info: true }), {
                diarization: true,
                channel: 'MONO',
                emotion: true,
                speed: true,
            });
            assert.deepEqual(resolveAnalysis(node, { need_analysis_info: { speed: 'yes' } }), { speed: true });
            assert.throws(() => resolveAnalysis({}, { need_analysis_info: [] }), { code: 'INVALID_INPUT' });
            assert.throws(() => resolveAnalysis({}, { need_analysis_info: { emotion: 1 } }), {
                code: 'INVALID_INPUT',
            });
        });

        it('the agent channel is known only for stereo analysis with diarization', () => {
            assert.equal(agentChannelOf(undefined), undefined);
            assert.equal(agentChannelOf({ channel: 'MONO' }), undefined);
            assert.equal(agentChannelOf({ channel: 'LEFT_AGENT' }), 0);
            assert.equal(agentChannelOf({ channel: 'RIGHT_AGENT', diarization: true }), 1);
            assert.equal(agentChannelOf({ channel: 'RIGHT_AGENT', diarization: false }), undefined);
        });

        it('refuses a callback_url that is not http(s) or too long', () => {
            assert.throws(() => resolveJobConfig({ callback_url: 'mailto:x@example.com' }, undefined), {
                code: 'INVALID_INPUT',
            });
            assert.throws(() => resolveJobConfig({}, { callback_url: `https://example.com/${'x'.repeat(2100)}` }), {
                code: 'INVALID_INPUT',
            });
        });
    });

    describe('audio sources', () => {
        const zh = fixture('zh_16k.wav');

        it('a Buffer is staged with the extension the service detects, raw formats as .pcm', () => {
            assert.deepEqual(jobSourceOf(zh, 'chinese_16k_conversation', 'auto'), {
                kind: 'buffer',
                audio: zh,
                extension: 'wav',
            });
            const raw = fixture('zh_16k.pcm');
            assert.equal(
                (jobSourceOf(raw, 'chinese_16k_conversation', 'pcm16k16bit') as { extension: string }).extension,
                'pcm',
            );
        });

        it('URLs and OBS objects pass as they are', () => {
            assert.deepEqual(jobSourceOf(' https://example.com/a b.mp3 ', 'chinese_8k_general', 'auto'), {
                kind: 'url',
                url: 'https://example.com/a%20b.mp3',
            });
            assert.deepEqual(jobSourceOf('obs://bucket-a/x/y.M4A', 'chinese_8k_general', 'auto'), {
                kind: 'obs',
                ref: { bucket: 'bucket-a', key: 'x/y.M4A' },
            });
            assert.equal(
                jobSourceOf({ bucket: 'bucket-a', key: 'raw' }, 'chinese_8k_general', 'pcm8k16bit').kind,
                'obs',
            );
        });
    });

    describe('job results', () => {
        const segments = [
            {
                start_time: 1500,
                end_time: 2600,
                result: { text: 'second', analysis_info: { role: 'USER', emotion: 'ANGRY', speed: 3.5 } },
            },
            {
                start_time: 100,
                end_time: 900,
                result: { text: 'first', word_info: [], analysis_info: { role: 'AGENT' } },
            },
            { start_time: 1000, end_time: 1100, result: { text: '' } },
        ];

        it('sentences in time order with role, emotion, speed; the channel from the role in stereo analysis', () => {
            assert.deepEqual(jobSentences(segments), [
                { text: 'first', start_time: 100, end_time: 900, word_info: [], role: 'AGENT' },
                { text: 'second', start_time: 1500, end_time: 2600, role: 'USER', emotion: 'ANGRY', speed: 3.5 },
            ]);
            assert.deepEqual(
                jobSentences(segments, 1).map((s) => s.channel_id),
                [1, 0],
            );
        });

        it('reads WAITING, FINISHED and a 200 with status ERROR', () => {
            assert.deepEqual(interpretJob({ status: 'WAITING' }, 'j1'), { state: 'waiting' });
            assert.deepEqual(interpretJob({ status: 'SOMETHING_NEW' }, 'j1'), { state: 'waiting' });
            const done = interpretJob({ status: 'FINISHED', audio_duration: 3100, segments }, 'j1');
            assert.equal(done.state, 'finished');
            assert.equal(done.state === 'finished' && done.audioDuration, 3100);
            const empty = interpretJob({ status: 'FINISHED' }, 'j1');
            assert.deepEqual(empty, { state: 'finished', sentences: [], audioDuration: undefined });
            const failed = interpretJob(
                { status: 'ERROR', error_code: 'SIS.30003', error_msg: 'download failed' },
                'j1',
            );
            assert.equal(failed.state, 'failed');
            if (failed.state === 'failed') {
                assert.equal(failed.error.code, 'SIS.30003');
                assert.match(failed.error.message, /transcription job j1 failed: download failed/);
            }
            const bare = interpretJob({ status: 'ERROR' }, 'j2');
            assert.equal(bare.state === 'failed' && bare.error.code, 'JOB_FAILED');
        });

        it('ends the job on a 4xx other than 429; tries again on 429, 5xx and network failures', () => {
            const failed = new SisError('SIS.30006', 'transcription job j failed: bad (SIS.30006)', { status: 400 });
            assert.equal(queryFailure(failed, 'j').terminal, true);
            const expired = queryFailure(
                new SisError('SIS.0031', 'transcription job j failed: task id is not found (SIS.0031)', {
                    status: 400,
                    serviceCode: 'SIS.0031',
                }),
                'j',
            );
            assert.equal(expired.terminal, true);
            assert.match(expired.error.message, /not known to the service/);
            assert.equal(expired.error.code, 'SIS.0031');
            for (const status of [429, 500, 503]) {
                assert.equal(queryFailure(new SisError('X', 'x', { status }), 'j').terminal, false, String(status));
            }
            assert.equal(queryFailure(new SisError('NETWORK', 'reset'), 'j').terminal, false);
            assert.equal(queryFailure(new SisError('PROTOCOL', 'garbled', { status: 200 }), 'j').terminal, false);
            assert.equal(queryFailure(new SisError('AUTH_FAILED', 'refused', { status: 401 }), 'j').terminal, true);
        });
    });

    describe('kept messages', () => {
        it('keeps plain JSON properties but not the payload, req/res, internals, Buffers, Dates or functions', () => {
            const kept = keptMessage({
                _msgid: 'm1',
                _event: 'node:x',
                payload: Buffer.from('audio'),
                topic: 't',
                req: { a: 1 },
                res: { b: 2 },
                nested: { a: [1, 'x', null, { b: true }] },
                when: new Date(0),
                bytes: Buffer.alloc(1),
                fn: () => 1,
                nan: Number.NaN,
                deep: { inner: new Map() },
                sis: { property: 'chinese_8k_general' },
            });
            assert.deepEqual(kept, {
                _msgid: 'm1',
                topic: 't',
                nested: { a: [1, 'x', null, { b: true }] },
                sis: { property: 'chinese_8k_general' },
            });
        });

        it('reads back only well-formed stored jobs', () => {
            const jobs = parseStoredJobs({
                version: 1,
                jobs: [
                    {
                        job_id: 'a',
                        submitted_at: 1,
                        msg: { topic: 't' },
                        staged: { bucket: 'b', key: 'k' },
                        agent_channel: 1,
                    },
                    { job_id: 'b', submitted_at: 2, msg: [], staged: 'nope', agent_channel: 7 },
                    { job_id: '', submitted_at: 3, msg: {} },
                    { job_id: 'd', submitted_at: 'x', msg: {} },
                    null,
                ],
            });
            assert.deepEqual(jobs, [
                {
                    job_id: 'a',
                    submitted_at: 1,
                    msg: { topic: 't' },
                    staged: { bucket: 'b', key: 'k' },
                    agent_channel: 1,
                },
                { job_id: 'b', submitted_at: 2, msg: {} },
            ]);
            assert.deepEqual(parseStoredJobs(undefined), []);
            assert.deepEqual(parseStoredJobs('junk'), []);
        });
    });

    describe('status', () => {
        it('shows ages in seconds, minutes, then hours and minutes', () => {
            assert.equal(formatAge(42_400, t), 'age-seconds(n=42)');
            assert.equal(formatAge(7 * 60_000 + 5000, t), 'age-minutes(n=7)');
            assert.equal(formatAge(125 * 60_000, t), 'age-hours(h=2,m=05)');
            assert.equal(formatAge(-5, t), 'age-seconds(n=0)');
        });
    });
});
