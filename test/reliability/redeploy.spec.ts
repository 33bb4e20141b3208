// 200 full deploys in a row while every node has work in flight (recognitions waiting on a slow
// service, jobs being polled, syntheses, streams): afterwards no more sockets, timers or listeners
// than before, and a heap no more than 5 MB larger.
import * as assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type EmulatorProcess, startEmulatorProcess } from '../helpers/emulator';
import { fixture, transcript } from '../helpers/fixtures';
import { asFlow, deploy, helper, loadNode, nodeRedVersion } from '../helpers/nr';
import { delay } from '../helpers/wait';

// SIS_REDEPLOY_CYCLES and SIS_REDEPLOY_TYPES narrow the run when hunting a leak.
const CYCLES = Number(process.env.SIS_REDEPLOY_CYCLES ?? 200);

/**
 * The helper's spies (its log, and Node.prototype.error and friends) keep every call with its
 * arguments and `this`: that is the harness's memory, not the runtime's.
 */
function forgetLog(): void {
    (helper as unknown as { _sandbox: { resetHistory(): void } })._sandbox.resetHistory();
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function settledHeap(): Promise<number> {
    for (let i = 0; i < 3; i++) {
        gc();
        await delay(20);
    }
    return process.memoryUsage().heapUsed;
}

/** Open handles by kind (sockets, timers, ...), as the runtime reports them. */
function handles(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const kind of process.getActiveResourcesInfo()) out[kind] = (out[kind] ?? 0) + 1;
    return out;
}

function listenerCount(): number {
    return (
        process.listenerCount('uncaughtException') +
        process.listenerCount('unhandledRejection') +
        process.listenerCount('exit')
    );
}

const PKG_TYPES = ['sis-short-asr', 'sis-flash-asr', 'sis-tts', 'sis-job-asr', 'sis-stream-asr'];
const only = process.env.SIS_REDEPLOY_TYPES?.split(',');
const available = PKG_TYPES.filter((t) => !only || only.includes(t)).filter((t) => {
    try {
        require.resolve(`../../dist/nodes/${t}.js`);
        return true;
    } catch {
        return false;
    }
});

describe(`${CYCLES} redeploys with work in flight on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(180_000);
    // The emulator runs in its own process so that only Node-RED and the nodes count here.
    let emu: EmulatorProcess;
    before(async () => {
        emu = await startEmulatorProcess(['--job-delay', '150']);
        helper.settings({ sisJobAsrPollMs: 20 } as unknown as Parameters<typeof helper.settings>[0]);
        await new Promise<void>((resolve) => helper.startServer(() => resolve()));
    });
    after(async () => {
        helper.settings({ sisJobAsrPollMs: undefined } as unknown as Parameters<typeof helper.settings>[0]);
        await helper.unload();
        await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
        await emu?.stop();
    });

    it('leaves no sockets, timers or listeners behind, and the heap grows less than 5 MB', async () => {
        const zh = fixture('zh_16k.wav');
        await fetch(`${emu.url}/__emulator/transcripts`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ audio_base64: zh.toString('base64'), sentences: transcript('zh_16k.wav') }),
        });
        const c = emu.config;
        const cfg = {
            id: 'cfg',
            type: 'sis-config',
            region: c.region,
            authType: 'aksk',
            endpoint: c.endpoint,
            iamEndpoint: c.iamEndpoint,
            obsEndpoint: c.obsEndpoint,
            obsBucket: c.obsBucket,
            maxRetries: 0,
        };
        const credentials = { ak: c.ak, sk: c.sk };
        const z = 'tab';
        const nodes: Record<string, unknown>[] = [
            { id: z, type: 'tab' },
            cfg,
            {
                id: 'short',
                type: 'sis-short-asr',
                z,
                config: 'cfg',
                property: 'chinese_16k_common',
                x: 1,
                y: 1,
                wires: [[]],
            },
            {
                id: 'flash',
                type: 'sis-flash-asr',
                z,
                config: 'cfg',
                property: 'chinese_16k_conversation',
                x: 1,
                y: 1,
                wires: [[]],
            },
            {
                id: 'tts',
                type: 'sis-tts',
                z,
                config: 'cfg',
                property: 'chinese_xiaoyan_common',
                audio_format: 'wav',
                sample_rate: '16000',
                x: 1,
                y: 1,
                wires: [[]],
            },
            {
                id: 'job',
                type: 'sis-job-asr',
                z,
                config: 'cfg',
                property: 'chinese_16k_conversation',
                x: 1,
                y: 1,
                wires: [[]],
            },
            {
                id: 'stream',
                type: 'sis-stream-asr',
                z,
                config: 'cfg',
                mode: 'continue-stream',
                audio_format: 'pcm16k16bit',
                property: 'chinese_16k_common',
                x: 1,
                y: 1,
                wires: [[], []],
            },
        ].filter(
            (n) => !String(n.type).startsWith('sis-') || n.type === 'sis-config' || available.includes(String(n.type)),
        );
        const flow = asFlow(nodes);
        await helper.load(available.map(loadNode).concat(loadNode('sis-config')), flow, { cfg: credentials });
        const pcm = fixture('zh_16k.pcm');

        const feed = (cycle: number): void => {
            // Every node gets work that is still running when the next deploy stops it.
            helper.getNode('short')?.receive({ payload: zh });
            helper.getNode('flash')?.receive({ payload: zh });
            helper.getNode('tts')?.receive({ payload: '今天天气很好。我们去公园散步吧。' });
            helper.getNode('job')?.receive({ payload: zh });
            const stream = helper.getNode('stream');
            if (stream) {
                for (let i = 0; i < 3; i++)
                    stream.receive({ payload: pcm.subarray(i * 3200, (i + 1) * 3200), session: `s${cycle}` });
            }
        };

        // Warm up (first connections, lazily loaded code), then measure.
        for (let i = 0; i < 5; i++) {
            feed(-i);
            await deploy(flow, 'full', { cfg: credentials });
        }
        await delay(1500);
        forgetLog();
        const baseHandles = handles();
        const baseListeners = listenerCount();
        const baseHeap = await settledHeap();

        for (let cycle = 0; cycle < CYCLES; cycle++) {
            feed(cycle);
            await delay(cycle % 10 === 0 ? 30 : 2);
            await deploy(flow, 'full', { cfg: credentials });
            // The helper's log spy keeps every call (with its message): not the runtime's memory.
            forgetLog();
        }
        // Let the last jobs finish and idle keep-alive sockets close.
        await delay(2500);
        forgetLog();
        const afterHandles = handles();
        const heapGrowth = (await settledHeap()) - baseHeap;

        for (const kind of new Set([...Object.keys(baseHandles), ...Object.keys(afterHandles)])) {
            assert.ok(
                (afterHandles[kind] ?? 0) <= (baseHandles[kind] ?? 0) + 2,
                `${kind}: ${baseHandles[kind] ?? 0} before, ${afterHandles[kind] ?? 0} after`,
            );
        }
        assert.ok(listenerCount() <= baseListeners, 'process listeners');
        assert.ok(heapGrowth < 5 * 1024 * 1024, `heap grew by ${(heapGrowth / 1048576).toFixed(1)} MB`);
        console.log(
            `      ${CYCLES} redeploys: heap ${(heapGrowth / 1048576).toFixed(2)} MB, handles before ${JSON.stringify(baseHandles)}, after ${JSON.stringify(afterHandles)}`,
        );
    });
});
