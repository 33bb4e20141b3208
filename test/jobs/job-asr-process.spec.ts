// sis-job-asr in a real Node-RED process with the localfilesystem context store: a job survives a
// stop and a start of the runtime, and a redeploy, and its result arrives exactly once.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
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
import { NODE_RED_MODULE } from '../helpers/node-red-runtime';
import { makeUserDir, type RedProcess, removeUserDir, startEventCollector, startRed } from '../helpers/red-process';
import { delay, until } from '../helpers/wait';

const FIXTURE = path.resolve(__dirname, '../fixtures/zh_16k.wav');

interface Event {
    kind: 'out' | 'error' | 'complete';
    payload?: unknown;
    topic?: string;
    keep?: unknown;
    sis_result?: { job_id?: string; audio_duration?: number };
    sis_error?: { code: string };
}

function flowFor(emu: Emulator, collectorUrl: string, name = ''): FlowNode[] {
    const keep = { keep: 'msg.keep' };
    return [
        tab('job ASR restart'),
        emulatorConfig(emu),
        ...audioSource('inj', FIXTURE, 'job', [
            { p: 'topic', vt: 'str', v: 'meeting' },
            { p: 'keep', vt: 'json', v: '{"room":"A"}' },
        ]),
        jobNode('job', 'pack-out', { name, store: '' }),
        packer('pack-out', 'out', keep),
        watcher('catch', 'catch', ['job'], 'pack-err'),
        packer('pack-err', 'error', keep),
        watcher('done', 'complete', ['job'], 'pack-done'),
        packer('pack-done', 'complete', keep),
        collectorPost(collectorUrl),
    ];
}

describe(`sis-job-asr in a real Node-RED process (${NODE_RED_MODULE})`, function () {
    this.timeout(40_000);
    let emu: Emulator;
    let collector: Awaited<ReturnType<typeof startEventCollector<Event>>>;
    let userDir: string;
    let red: RedProcess | undefined;
    const settings = {
        contextStorage: { default: { module: 'localfilesystem', config: { flushInterval: 1 } } },
        sisJobAsrPollMs: 50,
    };

    before(async () => {
        emu = await startCanaryEmulator({ limits: { jobDelayMs: 2500 } });
        emu.transcripts.register(readFileSync(FIXTURE), transcript('zh_16k.wav'));
        collector = await startEventCollector<Event>();
        userDir = makeUserDir();
    });
    after(async () => {
        await red?.stop('SIGKILL');
        await collector.close();
        await emu.close();
        removeUserDir(userDir);
    });

    function staged(): string[] {
        return [...(emu.ctx.obs.get(emu.account.bucket)?.keys() ?? [])].filter((k) => k.startsWith('node-red/'));
    }

    function outputs(jobId: string): Event[] {
        return collector.events.filter((e) => e.kind === 'out' && e.sis_result?.job_id === jobId);
    }

    it('stopped mid-job and started again, resumes the job and delivers its result once', async () => {
        red = await startRed({ userDir, settings });
        await red.deploy(flowFor(emu, collector.url));
        await red.inject('inj');
        const complete = await until(() => collector.events.find((e) => e.kind === 'complete'), 10_000);
        const jobId = complete.sis_result?.job_id ?? '';
        assert.match(jobId, /^[0-9a-f-]{36}$/);
        assert.equal(staged().length, 1);

        assert.equal(await red.stop('SIGTERM'), 0);
        assert.equal(outputs(jobId).length, 0, 'stopped before the job ended');
        const contextFile = path.join(userDir, 'context', 'tab', 'job.json');
        assert.ok(existsSync(contextFile), 'the context store was written');
        assert.match(readFileSync(contextFile, 'utf8'), new RegExp(jobId));
        assert.doesNotMatch(readFileSync(contextFile, 'utf8'), /Signature|CanarySecret/, 'no secret stored');
        assert.equal(staged().length, 1, 'the staged audio stays for the resumed job');

        red = await startRed({ userDir, settings });
        const msgs = await until(() => (outputs(jobId).length >= 2 ? outputs(jobId) : undefined), 15_000);
        assert.deepEqual(
            msgs.map((m) => m.payload),
            transcript('zh_16k.wav'),
        );
        for (const m of msgs) {
            assert.equal(m.topic, 'meeting');
            assert.deepEqual(m.keep, { room: 'A' });
            assert.equal(typeof m.sis_result?.audio_duration, 'number');
        }
        await until(() => (staged().length === 0 ? true : undefined), 5000);
        await delay(500);
        assert.equal(outputs(jobId).length, 2, 'delivered exactly once');
        assert.equal(collector.events.filter((e) => e.kind === 'error').length, 0);
        assert.equal(routeLog(emu, 'transcriber.create').length, 1, 'submitted once');
        assert.doesNotMatch(red.output(), /CanarySecret/);
        // Credentials live in flows_cred.json only; the flows file a user exports holds none.
        assert.doesNotMatch(readFileSync(path.join(userDir, 'flows.json'), 'utf8'), /CanarySecret/);
    });

    it('a redeploy through the admin API mid-job hands the job to the new instance, result once', async () => {
        assert.ok(red, 'Node-RED runs');
        const before = collector.events.length;
        await red.inject('inj');
        const complete = await until(() => collector.events.slice(before).find((e) => e.kind === 'complete'), 10_000);
        const jobId = complete.sis_result?.job_id ?? '';
        await red.deploy(flowFor(emu, collector.url, 'renamed'), 'full');
        assert.equal(outputs(jobId).length, 0, 'redeployed before the job ended');
        await until(() => (outputs(jobId).length >= 2 ? true : undefined), 15_000);
        await until(() => (staged().length === 0 ? true : undefined), 5000);
        await delay(500);
        assert.equal(outputs(jobId).length, 2, 'delivered exactly once');
        assert.equal(collector.events.filter((e) => e.kind === 'error').length, 0);
        assert.equal(await red.stop('SIGTERM'), 0);
        red = undefined;
    });
});
