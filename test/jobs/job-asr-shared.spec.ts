// sis-job-asr with shared state in a real redis-server, in one Node-RED runtime: what is recorded
// in Redis and when it goes, jobs taken over from the context, a Redis that is down when a job is
// submitted, redeploys, cancels and deleted nodes. Several runtimes: job-asr-replicas.spec.ts.
import * as assert from 'node:assert/strict';
import { configFor, type Emulator, routeLog, startCanaryEmulator } from '../helpers/emulator';
import { fixture, transcript } from '../helpers/fixtures';
import { type Harness, harness } from '../helpers/flow';
import { asFlow, deploy, helper, nodeRedVersion } from '../helpers/nr';
import {
    REDIS_PASSWORD,
    REDIS_USER,
    type RedisServer,
    requireRedisServer,
    startRedisServer,
} from '../helpers/redis-server';
import { delay, until } from '../helpers/wait';

const LEASE_MS = 600;
type Settings = Parameters<typeof helper.settings>[0];

describe(`sis-job-asr with shared state in Redis, one runtime (Node-RED ${nodeRedVersion()})`, function () {
    this.timeout(20_000);
    let emu: Emulator;
    let redis: RedisServer;
    const zh = fixture('zh_16k.wav');

    before(async function () {
        const bin = requireRedisServer(this);
        redis = await startRedisServer(bin);
        helper.settings({ sisJobAsrPollMs: 25, sisSharedLeaseMs: LEASE_MS } as unknown as Settings);
        emu = await startCanaryEmulator({ limits: { jobDelayMs: 400 } });
        emu.transcripts.register(zh, transcript('zh_16k.wav'));
    });
    after(async () => {
        helper.settings({ sisJobAsrPollMs: undefined, sisSharedLeaseMs: undefined } as unknown as Settings);
        await emu?.close();
        await redis?.close();
    });
    beforeEach((done) => {
        emu.log.clear();
        emu.ctx.limits.jobDelayMs = 400;
        void redis.command('FLUSHALL').then(() => helper.startServer(done));
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
    const shared = () => ({
        configExtra: { redisUrl: redis.url, redisPrefix: 't:' },
        credentials: { redisUsername: REDIS_USER, redisPassword: REDIS_PASSWORD },
    });

    /** A harness whose configuration's Redis connection is up, so jobs are recorded as they start. */
    async function sharedHarness(props: Record<string, unknown> = base): Promise<Harness> {
        const h = await harness(emu, 'sis-job-asr', props, shared());
        const cfg = helper.getNode('cfg') as unknown as { sharedState?: { ready: boolean } };
        await until(() => (cfg.sharedState?.ready ? true : undefined), 10_000);
        return h;
    }

    function staged(): string[] {
        return [...(emu.ctx.obs.get(emu.account.bucket)?.keys() ?? [])].filter((k) => k.startsWith('node-red/'));
    }

    async function keys(): Promise<string[]> {
        const text = await redis.command('KEYS', 't:*');
        return text
            .split('\r\n')
            .filter((l) => l.startsWith('t:'))
            .sort();
    }

    function contextJobs(): unknown {
        const ctx = helper.getNode('n1').context() as unknown as { get(key: string): unknown };
        return ctx.get('sisPendingJobs');
    }

    it('records the job in Redis (never the audio or a secret), answers once, and leaves only its mark', async () => {
        // Long enough for the record to be read while the job runs, even on a loaded machine.
        emu.ctx.limits.jobDelayMs = 1500;
        const h = await sharedHarness();
        h.send({ payload: zh, topic: 'shared', keep: { room: 'B' }, bytes: Buffer.from('x') });
        const [complete] = await h.completions(1);
        const jobId = (complete.sis_result as { job_id: string }).job_id;
        assert.deepEqual(await keys(), [`t:job:${jobId}`, `t:job:${jobId}:lease`, 't:node:n1:jobs']);
        const record = JSON.parse((await redis.command('GET', `t:job:${jobId}`)).split('\r\n')[1] ?? '{}') as Record<
            string,
            unknown
        >;
        assert.equal(record.job_id, jobId);
        assert.equal(record.node_id, 'n1');
        assert.deepEqual(record.msg, { _msgid: complete._msgid, topic: 'shared', keep: { room: 'B' } });
        assert.ok((record.staged as { key: string }).key.startsWith('node-red/sis/'));
        const dump = JSON.stringify(record);
        assert.doesNotMatch(dump, /Signature|CanarySecret|RedisCanarySecret/);
        assert.equal(contextJobs(), undefined, 'the context is not used');

        const msgs = await h.outputs(2);
        assert.deepEqual(
            msgs.map((m) => m.payload),
            transcript('zh_16k.wav'),
        );
        await until(() => (staged().length === 0 ? true : undefined));
        await h.quiet(LEASE_MS);
        assert.equal(h.out[0].length, 2);
        assert.deepEqual(await keys(), [`t:job:${jobId}:done`]);
    });

    it('takes over the jobs an instance without Redis left in the context, and empties it', async () => {
        emu.ctx.limits.jobDelayMs = 900;
        const first = await harness(emu, 'sis-job-asr', base);
        first.send({ payload: zh, topic: 'from context' });
        await first.completions(1);
        assert.ok(contextJobs());
        await helper.unload();
        const h = await harness(emu, 'sis-job-asr', base, shared());
        const msgs = await h.outputs(2);
        assert.ok(msgs.every((m) => m.topic === 'from context'));
        await h.quiet(LEASE_MS);
        assert.equal(h.out[0].length, 2);
        assert.equal(contextJobs(), undefined);
    });

    it('a job submitted while Redis is down is followed, recorded once Redis is back, and answered once', async () => {
        emu.ctx.limits.jobDelayMs = 200;
        const h = await harness(emu, 'sis-job-asr', base, shared());
        await delay(200);
        await redis.stop();
        h.send({ payload: zh, topic: 'offline' });
        const [complete] = await h.completions(1);
        const jobId = (complete.sis_result as { job_id: string }).job_id;
        await delay(LEASE_MS);
        assert.equal(h.out[0].length, 0, 'no answer without the mark');
        const polls = routeLog(emu, 'transcriber.query').length;
        assert.equal(polls, 0, 'no poll without a lease');
        await redis.start();
        const msgs = await h.outputs(2, 0, 10_000);
        assert.ok(msgs.every((m) => (m.sis_result as { job_id: string }).job_id === jobId));
        await h.quiet(LEASE_MS);
        assert.equal(h.out[0].length, 2);
        assert.deepEqual(await keys(), [`t:job:${jobId}:done`]);
    });

    it('a redeploy lets go of the leases: the new instance takes the job at once and answers once', async () => {
        emu.ctx.limits.jobDelayMs = 1500;
        // Redis up first: a job sent before the connection is recorded later, maybe after the redeploy.
        const h = await sharedHarness();
        h.send({ payload: zh, topic: 'redeployed' });
        await h.completions(1);
        const { node: cfg, credentials } = configFor(emu, 'aksk', { redisUrl: redis.url, redisPrefix: 't:' });
        const flow = [
            { id: 'tab', type: 'tab', label: 'test' },
            cfg,
            { id: 'n1', type: 'sis-job-asr', z: 'tab', config: 'cfg', wires: [['out0']], ...base, name: 'v2' },
            { id: 'out0', type: 'helper', z: 'tab' },
        ];
        await deploy(asFlow(flow), 'full', {
            cfg: { ...credentials, redisUsername: REDIS_USER, redisPassword: REDIS_PASSWORD },
        });
        const out: Record<string, unknown>[] = [];
        helper.getNode('out0').on('input', (m: Record<string, unknown>) => out.push(m));
        const t0 = Date.now();
        await until(() => (routeLog(emu, 'transcriber.query').some((e) => Date.parse(e.time) > t0) ? true : undefined));
        assert.ok(Date.now() - t0 < LEASE_MS, 'taken before the old lease would have lapsed');
        await until(() => (out.length >= 2 ? true : undefined), 5000);
        await delay(LEASE_MS);
        assert.equal(out.length, 2);
        assert.ok(out.every((m) => m.topic === 'redeployed'));
        assert.equal(h.out[0].length, 0);
    });

    it('cancel ends the job for every instance; a deleted node abandons its jobs', async () => {
        emu.ctx.limits.jobDelayMs = 1500;
        const h = await sharedHarness();
        h.send({ payload: zh });
        h.send({ payload: zh });
        const [a, b] = (await h.completions(2)).map((m) => (m.sis_result as { job_id: string }).job_id);
        h.send({ control: 'cancel', job_id: a });
        await until(() => (staged().length === 1 ? true : undefined));
        assert.match(await redis.command('GET', `t:job:${a}:done`), /cancelled/);
        const { node: cfg, credentials } = configFor(emu, 'aksk', { redisUrl: redis.url, redisPrefix: 't:' });
        await deploy(asFlow([{ id: 'tab', type: 'tab', label: 'test' }, cfg]), 'full', {
            cfg: { ...credentials, redisUsername: REDIS_USER, redisPassword: REDIS_PASSWORD },
        });
        await until(() => (staged().length === 0 ? true : undefined));
        assert.match(await redis.command('GET', `t:job:${b}:done`), /abandoned/);
        assert.deepEqual(await keys(), [`t:job:${a}:done`, `t:job:${b}:done`].sort());
        assert.equal(h.out[0].length, 0);
    });

    it('shared state that cannot work refuses jobs with NOT_CONFIGURED instead of following them alone', async () => {
        const h = await harness(emu, 'sis-job-asr', base, {
            configExtra: { redisUrl: 'http://127.0.0.1:6379' },
        });
        h.send({ payload: zh });
        const [caught] = await h.errors(1);
        assert.equal((caught.sis_error as { code: string }).code, 'NOT_CONFIGURED');
        assert.match((caught.sis_error as { message: string }).message, /redis:\/\//);
        assert.equal(routeLog(emu, 'transcriber.create').length, 0);
    });
});
