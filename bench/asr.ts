// Benchmark of sis-short-asr and sis-flash-asr through a started Node-RED against the emulator,
// beside a raw undici client doing the same requests in the same run; and the peak memory of
// staging a 100 MB Buffer. Run: `npm run build && npx tsx bench/asr.ts [--total N] [--inflight N]`.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ObsClient, stagingKey } from '../nodes/lib/cloud/obs';
import { SisClient } from '../nodes/lib/cloud/sis-client';
import { cpuSeconds, fixed, percentile, printTable, ROOT, startEmulatorProcess, startNodeRed } from './lib';

const run = promisify(execFile);

function arg(name: string, fallback: number): number {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const TOTAL = arg('total', 1000);
const INFLIGHT = arg('inflight', 16);
const AUDIO = path.join(ROOT, 'test/fixtures/zh_16k.wav');

// The driver keeps INFLIGHT inputs in flight: it starts that many, and sends one more each time a
// Complete (or Catch) node reports an input finished.
const DRIVER = `
let s = context.get('s');
function route(m) {
    return s.target === 'short' ? [m, null, null, null] : s.target === 'flash' ? [null, m, null, null] : [null, null, m, null];
}
if (msg.req) {
    const c = msg.payload;
    s = { target: c.target, total: c.total, sent: 0, done: 0, errors: 0, lat: [], t0: Date.now(),
          audio: Buffer.from(c.audio, 'base64'), req: msg.req, res: msg.res };
    context.set('s', s);
    const first = [];
    for (let i = 0; i < Math.min(c.inflight, c.total); i++) { s.sent++; first.push({ payload: s.audio, _t: Date.now() }); }
    return route(first);
}
s.done++;
if (msg.error) s.errors++;
s.lat.push(Date.now() - msg._t);
if (s.sent < s.total) {
    s.sent++;
    return route({ payload: s.audio, _t: Date.now() });
}
if (s.done === s.total) {
    return [null, null, null, { req: s.req, res: s.res, payload: { ms: Date.now() - s.t0, errors: s.errors, lat: s.lat.sort((a, b) => a - b) } }];
}
return null;
`;

function flow(emulatorUrl: string): unknown[] {
    const z = 'bench';
    return [
        { id: z, type: 'tab', label: 'bench' },
        {
            id: 'cfg',
            type: 'sis-config',
            region: 'cn-north-4',
            authType: 'aksk',
            endpoint: emulatorUrl,
            iamEndpoint: emulatorUrl,
            obsEndpoint: emulatorUrl,
            obsBucket: 'sis-audio-stage',
            maxConcurrent: 64,
            projectId: '0123456789abcdef0123456789abcdef',
        },
        { id: 'in', type: 'http in', z, url: '/bench', method: 'post', x: 0, y: 0, wires: [['driver']] },
        {
            id: 'driver',
            type: 'function',
            z,
            func: DRIVER,
            outputs: 4,
            x: 0,
            y: 0,
            wires: [['short'], ['flash'], ['noop'], ['out']],
        },
        // The harness alone: the same driver, Complete node and routing around a node that does nothing.
        { id: 'noop', type: 'change', z, rules: [], x: 0, y: 0, wires: [[]] },
        {
            id: 'short',
            type: 'sis-short-asr',
            z,
            config: 'cfg',
            property: 'chinese_16k_common',
            audio_format: 'auto',
            add_punc: 'yes',
            x: 0,
            y: 0,
            wires: [[]],
        },
        {
            id: 'flash',
            type: 'sis-flash-asr',
            z,
            config: 'cfg',
            property: 'chinese_16k_conversation',
            audio_format: 'auto',
            add_punc: 'yes',
            stagingPrefix: 'bench/',
            x: 0,
            y: 0,
            wires: [[]],
        },
        { id: 'complete', type: 'complete', z, scope: ['short', 'flash', 'noop'], x: 0, y: 0, wires: [['driver']] },
        { id: 'catch', type: 'catch', z, scope: ['short', 'flash'], x: 0, y: 0, wires: [['driver']] },
        { id: 'out', type: 'http response', z, x: 0, y: 0, wires: [] },
    ];
}

interface Outcome {
    wall: number;
    cpu: number;
    errors: number;
    latencies: number[];
}

async function viaNodeRed(redUrl: string, pid: number, target: 'short' | 'flash' | 'noop'): Promise<Outcome> {
    const audio = readFileSync(AUDIO).toString('base64');
    const cpu0 = cpuSeconds(pid);
    const res = await fetch(`${redUrl}/bench`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ target, total: TOTAL, inflight: INFLIGHT, audio }),
    });
    const body = (await res.json()) as { ms: number; errors: number; lat: number[] };
    return { wall: body.ms / 1000, cpu: cpuSeconds(pid) - cpu0, errors: body.errors, latencies: body.lat };
}

async function viaRawClient(emulatorUrl: string, target: 'short' | 'flash'): Promise<Outcome> {
    const args = {
        target,
        url: emulatorUrl,
        total: TOTAL,
        inflight: INFLIGHT,
        audio: AUDIO,
        ak: 'HWEXAMPLEAK000000001',
        sk: 'hwExampleSecretKey0000000000000000000000',
        projectId: '0123456789abcdef0123456789abcdef',
        bucket: 'sis-audio-stage',
    };
    const { stdout } = await run(
        process.execPath,
        ['-r', 'tsx/cjs', path.join(__dirname, 'raw-asr-client.ts'), JSON.stringify(args)],
        {
            cwd: ROOT,
            maxBuffer: 64 * 1024 * 1024,
        },
    );
    return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Outcome;
}

/** Peak RSS growth while staging a 100 MB Buffer, relative to the Buffer's size. */
async function stagingMemory(emulatorUrl: string): Promise<number> {
    const client = new SisClient({
        region: 'cn-north-4',
        authType: 'aksk',
        obsEndpoint: emulatorUrl,
        endpoint: emulatorUrl,
        iamEndpoint: emulatorUrl,
        projectId: '0123456789abcdef0123456789abcdef',
        obsBucket: 'sis-audio-stage',
        credentials: { ak: 'HWEXAMPLEAK000000001', sk: 'hwExampleSecretKey0000000000000000000000' },
    });
    const obs = new ObsClient(client);
    const size = 100 * 1024 * 1024;
    const buffer = Buffer.alloc(size, 7);
    global.gc?.();
    const base = process.memoryUsage.rss();
    let peak = base;
    const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage.rss());
    }, 2);
    const ref = { bucket: 'sis-audio-stage', key: stagingKey('bench/', 'wav') };
    await obs.put(ref, buffer, 'audio/wav');
    peak = Math.max(peak, process.memoryUsage.rss());
    clearInterval(timer);
    await obs.delete(ref);
    await client.close();
    return (peak - base) / size;
}

async function main(): Promise<void> {
    const emulator = await startEmulatorProcess();
    const red = await startNodeRed(flow(emulator.url), {
        cfg: { ak: 'HWEXAMPLEAK000000001', sk: 'hwExampleSecretKey0000000000000000000000' },
    });
    const rows: Record<string, string | number>[] = [];
    try {
        await viaNodeRed(red.url, red.pid, 'noop');
        const harness = await viaNodeRed(red.url, red.pid, 'noop');
        for (const target of ['short', 'flash'] as const) {
            // Warm both paths (connections, JIT) before measuring.
            await viaNodeRed(red.url, red.pid, target);
            const nodeRed = await viaNodeRed(red.url, red.pid, target);
            const raw = await viaRawClient(emulator.url, target);
            const thr = (o: Outcome): number => TOTAL / o.wall;
            rows.push({
                scenario: `sis-${target}-asr, ${INFLIGHT} in flight, ${TOTAL} inputs`,
                'node req/s': fixed(thr(nodeRed), 0),
                'raw req/s': fixed(thr(raw), 0),
                'throughput ratio': fixed(thr(nodeRed) / thr(raw)),
                'node CPU ms/req': fixed((nodeRed.cpu / TOTAL) * 1000),
                'raw CPU ms/req': fixed((raw.cpu / TOTAL) * 1000),
                'CPU ratio': fixed(nodeRed.cpu / raw.cpu),
                'CPU ratio, harness excluded': fixed((nodeRed.cpu - harness.cpu) / raw.cpu),
                'node p50/p99 ms': `${fixed(percentile(nodeRed.latencies, 50), 0)}/${fixed(percentile(nodeRed.latencies, 99), 0)}`,
                'raw p50/p99 ms': `${fixed(percentile(raw.latencies, 50), 0)}/${fixed(percentile(raw.latencies, 99), 0)}`,
                errors: nodeRed.errors + raw.errors,
            });
        }
        const growth = await stagingMemory(emulator.url);
        printTable(rows);
        console.log(
            `\nharness alone (driver, Complete node, routing around a no-op node): ${fixed((harness.cpu / TOTAL) * 1000)} ms CPU per input`,
        );
        console.log(`\nstaging a 100 MB Buffer: peak RSS growth ${fixed(growth)}x the Buffer (goal <= 1.2)`);
    } finally {
        await red.stop();
        await emulator.stop();
    }
}

main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
});
