// Three Node-RED runtimes in separate processes run the same flow and share one redis-server, as
// replicas behind a load balancer do. 30 jobs are submitted across them; one runtime is killed
// with SIGKILL mid-way and Redis is restarted: every job's sentences must arrive exactly once in
// total, and no job may be polled by two runtimes at once. In callback mode, the service's
// callback reaches a runtime that did not submit the job, which answers it.
//
// Telling the runtimes apart: each one's sis-config signs with its own AK (the emulator's
// addAccessKey), so the request log says which runtime sent each poll. A job whose polls, in time
// order, went A A B B A would have been polled by A and B at once (a lease that did not hold);
// the check is that each runtime's polls of a job form one unbroken run, and that a job moves to
// another runtime only after a disruption (the kill, the Redis restart).
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { type Emulator, routeLog, startCanaryEmulator } from '../helpers/emulator';
import { transcript } from '../helpers/fixtures';
import {
    audioSource,
    collectorPost,
    emulatorConfig,
    type FlowNode,
    jobNode,
    packer,
    tab,
    watcher,
} from '../helpers/job-flow';
import {
    freePort,
    makeUserDir,
    type RedProcess,
    removeUserDir,
    startEventCollector,
    startRed,
} from '../helpers/red-process';
import {
    REDIS_PASSWORD,
    REDIS_USER,
    type RedisServer,
    requireRedisServer,
    startRedisServer,
} from '../helpers/redis-server';
import { delay, until } from '../helpers/wait';

const FIXTURE = path.resolve(__dirname, '../fixtures/zh_16k.wav');
const NODE_RED_MODULE = process.env.NODE_RED_MODULE ?? 'node-red';
const LEASE_MS = 2000;
const POLL_MS = 100;
const JOBS_PER_RUNTIME = 10;
/** Long enough for a kill, a lease to lapse and a Redis restart while jobs are pending. */
const JOB_DELAY_MS = 7000;

interface Event {
    kind: 'out' | 'outcb' | 'error' | 'complete' | 'completecb';
    replica: string;
    payload?: unknown;
    topic?: string;
    sis_result?: { job_id?: string };
    sis_error?: { code: string };
    at: number;
}

/** The one flow every runtime runs; what differs between them comes from their environment. */
function flowFor(emu: Emulator, redis: RedisServer, collectorUrl: string): FlowNode[] {
    const replica = { replica: "env.get('SIS_REPLICA')" };
    return [
        tab('replicas'),
        emulatorConfig(
            emu,
            { redisUrl: redis.url, redisPrefix: 'replicas:' },
            { ak: '${SIS_AK}', sk: '${SIS_SK}', redisUsername: REDIS_USER, redisPassword: REDIS_PASSWORD },
        ),
        ...audioSource('inj', FIXTURE, 'job', [{ p: 'topic', vt: 'str', v: 'polled' }]),
        ...audioSource('injcb', FIXTURE, 'jobcb', [{ p: 'topic', vt: 'str', v: 'called back' }]),
        jobNode('job', 'pack-out'),
        jobNode('jobcb', 'pack-outcb', { results: 'callback', callbackBase: '${SIS_PUBLIC_URL}' }),
        packer('pack-out', 'out', replica),
        packer('pack-outcb', 'outcb', replica),
        watcher('catch', 'catch', ['job', 'jobcb'], 'pack-err'),
        packer('pack-err', 'error', replica),
        watcher('done', 'complete', ['job'], 'pack-done'),
        packer('pack-done', 'complete', replica),
        watcher('donecb', 'complete', ['jobcb'], 'pack-donecb'),
        packer('pack-donecb', 'completecb', replica),
        collectorPost(collectorUrl),
    ];
}

interface Poll {
    job: string;
    replica: string;
    at: number;
}

/** Consecutive polls of one job by one runtime, in time order. */
function runsOf(polls: Poll[]): { replica: string; first: number; last: number; count: number }[] {
    const runs: { replica: string; first: number; last: number; count: number }[] = [];
    for (const p of polls) {
        const last = runs[runs.length - 1];
        if (last?.replica === p.replica) {
            last.last = p.at;
            last.count++;
        } else runs.push({ replica: p.replica, first: p.at, last: p.at, count: 1 });
    }
    return runs;
}

describe(`sis-job-asr on three Node-RED processes sharing Redis (${NODE_RED_MODULE})`, function () {
    this.timeout(120_000);
    let emu: Emulator;
    let redis: RedisServer;
    let collector: Awaited<ReturnType<typeof startEventCollector<Event>>>;
    const reds = new Map<string, RedProcess>();
    const dirs: string[] = [];
    const keyOf = new Map<string, string>();

    before(async function () {
        const bin = requireRedisServer(this);
        redis = await startRedisServer(bin);
        emu = await startCanaryEmulator({ limits: { jobDelayMs: JOB_DELAY_MS }, allowLoopbackUrls: true });
        emu.transcripts.register(readFileSync(FIXTURE), transcript('zh_16k.wav'));
        collector = await startEventCollector<Event>();
        const names = ['r1', 'r2', 'r3'];
        const ports = new Map<string, number>();
        for (const name of names) ports.set(name, await freePort());
        // Each runtime's callbacks are addressed to another one, as a load balancer may do.
        const publicOf: Record<string, string> = { r1: 'r2', r2: 'r3', r3: 'r2' };
        const flow = flowFor(emu, redis, collector.url);
        await Promise.all(
            names.map(async (name) => {
                const key = emu.addAccessKey();
                keyOf.set(key.ak, name);
                const userDir = makeUserDir();
                dirs.push(userDir);
                const red = await startRed({
                    userDir,
                    port: ports.get(name),
                    settings: { sisJobAsrPollMs: POLL_MS, sisSharedLeaseMs: LEASE_MS },
                    env: {
                        SIS_AK: key.ak,
                        SIS_SK: key.sk,
                        SIS_REPLICA: name,
                        SIS_PUBLIC_URL: `http://127.0.0.1:${ports.get(publicOf[name])}`,
                    },
                    startTimeoutMs: 40_000,
                });
                reds.set(name, red);
                await red.deploy(flow);
            }),
        );
    });
    after(async () => {
        await Promise.all([...reds.values()].map((r) => r.stop('SIGKILL')));
        await collector?.close();
        await emu?.close();
        await redis?.close();
        for (const d of dirs) removeUserDir(d);
    });

    const events = (kind: Event['kind']) => collector.events.filter((e) => e.kind === kind);
    const outputsOf = (jobId: string, kind: Event['kind'] = 'out') =>
        events(kind).filter((e) => e.sis_result?.job_id === jobId);

    function polls(): Poll[] {
        return routeLog(emu, 'transcriber.query')
            .map((e) => {
                const ak = /Access=([^,\s]+)/.exec(e.headers.authorization ?? '')?.[1] ?? '';
                return {
                    job: e.path.split('/').pop() ?? '',
                    replica: keyOf.get(ak) ?? `unknown:${ak}`,
                    at: Date.parse(e.time),
                };
            })
            .sort((a, b) => a.at - b.at);
    }

    it('30 jobs, one runtime killed and Redis restarted mid-way: every result exactly once, one poller at a time', async () => {
        const r1 = reds.get('r1') as RedProcess;
        const order = ['r1', 'r2', 'r3'];
        for (let i = 0; i < JOBS_PER_RUNTIME; i++) {
            for (const name of order) await (reds.get(name) as RedProcess).inject('inj');
        }
        const submittedBy = (name: string) => events('complete').filter((e) => e.replica === name);
        await until(() => (submittedBy('r1').length === JOBS_PER_RUNTIME ? true : undefined), 20_000);
        // Every job r1 submitted is recorded in Redis once its Complete node has fired: kill it.
        await r1.stop('SIGKILL');
        const killedAt = Date.now();
        const r1Jobs = submittedBy('r1').map((e) => e.sis_result?.job_id as string);
        await until(() => (events('complete').length === 3 * JOBS_PER_RUNTIME ? true : undefined), 20_000);
        const allJobs = events('complete').map((e) => e.sis_result?.job_id as string);
        assert.equal(new Set(allJobs).size, 30);
        assert.equal(routeLog(emu, 'transcriber.create').length, 30, 'each job submitted once');

        // The others take r1's jobs within about one lease of its last renewal.
        const takenOver = () =>
            r1Jobs.every((id) => polls().some((p) => p.job === id && p.replica !== 'r1' && p.at >= killedAt));
        await until(() => (takenOver() ? true : undefined), LEASE_MS * 3 + 3000, 20);
        const tookMs = Date.now() - killedAt;
        assert.ok(tookMs < LEASE_MS + 2000, `taken over ${tookMs} ms after the kill`);

        // Redis restarts (its data saved and loaded again) while jobs are pending.
        const pendingAtRestart = allJobs.filter((id) => outputsOf(id).length === 0).length;
        assert.ok(pendingAtRestart >= 10, `${pendingAtRestart} jobs pending at the restart`);
        const redisDownAt = Date.now();
        await redis.stop();
        await delay(400);
        await redis.start();

        const expected = transcript('zh_16k.wav');
        await until(() => (allJobs.every((id) => outputsOf(id).length >= 2) ? true : undefined), 40_000, 50);
        await delay(LEASE_MS * 2);
        const missing = allJobs.filter((id) => outputsOf(id).length === 0);
        const doubled = allJobs.filter((id) => outputsOf(id).length > expected.length);
        assert.deepEqual({ missing, doubled }, { missing: [], doubled: [] });
        for (const id of allJobs) {
            // Each sentence posts its own request to the collector: they may arrive in any order.
            assert.deepEqual(
                outputsOf(id)
                    .map((e) => e.payload)
                    .sort(),
                [...expected].sort(),
                `job ${id}`,
            );
            assert.ok(outputsOf(id).every((e) => e.topic === 'polled'));
        }
        assert.equal(events('out').length, 30 * expected.length);
        assert.deepEqual(events('error'), []);
        assert.ok(
            events('out').every((e) => e.replica !== 'r1'),
            'the killed runtime answered nothing',
        );

        // One poller at a time, and ownership moves only after a disruption.
        const all = polls();
        assert.ok(all.every((p) => !p.replica.startsWith('unknown')));
        assert.ok(all.filter((p) => p.replica === 'r1').every((p) => p.at <= killedAt));
        for (const id of allJobs) {
            const runs = runsOf(all.filter((p) => p.job === id));
            const seen = runs.map((r) => r.replica);
            assert.equal(new Set(seen).size, seen.length, `job ${id} polled by ${seen.join(' → ')}`);
            for (const run of runs.slice(1)) {
                assert.ok(run.first >= Math.min(killedAt, redisDownAt), `job ${id} moved in steady state`);
            }
            const submitter = events('complete').find((e) => e.sis_result?.job_id === id)?.replica;
            // First polled by its submitter, unless r1 was killed before its first poll.
            if (seen[0] !== submitter)
                assert.ok(submitter === 'r1' && !seen.includes('r1'), `job ${id}: ${seen.join(' → ')}`);
        }
        // Every staged object is deleted once; nothing of the jobs is left in Redis but their marks.
        await until(
            () =>
                [...(emu.ctx.obs.get(emu.account.bucket)?.keys() ?? [])].some((k) => k.startsWith('node-red/'))
                    ? undefined
                    : true,
            15_000,
        );
        const left = (await redis.command('KEYS', 'replicas:*')).split('\r\n').filter((l) => l.startsWith('replicas:'));
        assert.deepEqual(
            left.filter((k) => !k.endsWith(':done')),
            [],
        );
        for (const red of reds.values()) {
            assert.doesNotMatch(red.output(), /CanarySecret|RedisCanarySecret/);
        }
    });

    it('callback mode: the callback reaches a runtime that did not submit the job, which answers it once', async () => {
        emu.ctx.limits.jobDelayMs = 1500;
        const r2 = reds.get('r2') as RedProcess;
        const r3 = reds.get('r3') as RedProcess;
        const before = routeLog(emu, 'transcriber.create').length;
        await r2.inject('injcb');
        const complete = await until(() => events('completecb').find((e) => e.replica === 'r2'), 10_000);
        const jobId = complete.sis_result?.job_id as string;
        // While the job is pending, a callback with a wrong token is refused, by every runtime.
        const body = JSON.stringify({ job_id: jobId, status: 'FINISHED', segments: [{ result: { text: 'forged' } }] });
        const post = (url: string) =>
            fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.status);
        for (const red of [r2, r3])
            assert.equal(await post(`${red.url}/sis-job-asr/callback/jobcb/${'x'.repeat(32)}`), 404);
        const msgs = await until(
            () => (outputsOf(jobId, 'outcb').length >= 2 ? outputsOf(jobId, 'outcb') : undefined),
            10_000,
        );
        assert.deepEqual(msgs.map((m) => m.payload).sort(), [...transcript('zh_16k.wav')].sort());
        assert.ok(
            msgs.every((m) => m.replica === 'r3' && m.topic === 'called back'),
            'answered by r3',
        );
        assert.equal(
            polls().filter((p) => p.job === jobId).length,
            0,
            'no query: the callback answered the job before the fallback query',
        );
        // The URL the service was given: r3's HTTP endpoint, the node and a token.
        const created = routeLog(emu, 'transcriber.create').slice(before);
        assert.equal(created.length, 1);
        const callback = String((created[0].body as { config: { callback_url: string } }).config.callback_url);
        assert.match(callback, new RegExp(`^${r3.url}/sis-job-asr/callback/jobcb/[\\w-]{32}$`));

        // The same callback again, to either runtime, answers nothing more: the job has ended (a
        // runtime that still follows it until its next renewal says 200, and sends nothing).
        for (const url of [callback, callback.replace(r3.url, r2.url)]) {
            assert.ok([200, 404].includes(await post(url)));
        }
        await delay(LEASE_MS);
        assert.equal(outputsOf(jobId, 'outcb').length, 2);
        assert.ok(!collector.events.some((e) => e.payload === 'forged'));
    });
});
