// Benchmark of the REST nodes — sis-short-asr, sis-flash-asr and sis-tts (whole file) — on three
// sides in one run: the node in a started Node-RED; the floor, the cheapest node that could do the
// same network work (bench/floor-rest.ts: the bench's own signing and raw undici), in an identical
// twin Node-RED (same flow: config node, Complete node, Catch node and sink), fed the same way
// (node.receive(), `--inflight` inputs in flight); and a raw undici client in a plain Node.js
// process (bench/raw-asr-client.ts). Rounds interleave the three sides, one at a time; figures are
// medians over the rounds with their range. Each side has a process of its own so that the garbage
// a run leaves is collected, and counted, in the next run of the same side, not of another. Also
// the peak memory of staging a 100 MB Buffer.
// Run: `npm run build && npx tsx bench/asr.ts [--total N] [--inflight N] [--rounds N]
// [--only short,flash,tts] [--profile <dir>]`.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ObsClient, stagingKey } from '../nodes/lib/cloud/obs';
import { SisClient } from '../nodes/lib/cloud/sis-client';
import {
    cpuSeconds,
    fixed,
    listArg,
    median,
    numberArg,
    type Proc,
    percentile,
    printTable,
    profileFlags,
    ROOT,
    spread,
    startEmulatorProcess,
    startNodeRed,
    writeBenchModule,
} from './lib';

const run = promisify(execFile);

const TOTAL = numberArg('total', 600);
const INFLIGHT = numberArg('inflight', 16);
const ROUNDS = numberArg('rounds', 5);
const TARGETS = listArg('only', ['short', 'flash', 'tts']) as Target[];
/** `--sides node` (e.g. with --profile): measure only some sides; ratios need all three. */
const SIDES = listArg('sides', ['node', 'floor', 'raw']) as Side[];
const AK = 'HWEXAMPLEAK000000001';
const SK = 'hwExampleSecretKey0000000000000000000000';
const PROJECT = '0123456789abcdef0123456789abcdef';
const BUCKET = 'sis-audio-stage';
/** About 60 characters of Chinese: one synthesis request. */
const TTS_TEXT = '今天天气很好，我们一起去公园散步吧。下午三点在东门集合，记得带上雨伞和水。晚上一起吃饭。';

type Target = 'short' | 'flash' | 'tts';
type Side = 'node' | 'floor' | 'raw';

/** A 1 s, 16 kHz, 16-bit mono WAV clip cut from the Chinese test recording. */
function oneSecondWav(): Buffer {
    const pcm = readFileSync(path.join(ROOT, 'test/fixtures/zh_16k.pcm')).subarray(16000, 16000 + 32000);
    const h = Buffer.alloc(44);
    h.write('RIFF', 0);
    h.writeUInt32LE(36 + pcm.length, 4);
    h.write('WAVEfmt ', 8);
    h.writeUInt32LE(16, 16);
    h.writeUInt16LE(1, 20);
    h.writeUInt16LE(1, 22);
    h.writeUInt32LE(16000, 24);
    h.writeUInt32LE(32000, 28);
    h.writeUInt16LE(2, 32);
    h.writeUInt16LE(16, 34);
    h.write('data', 36);
    h.writeUInt32LE(pcm.length, 40);
    return Buffer.concat([h, pcm]);
}

function flow(emulatorUrl: string): unknown[] {
    const z = 'bench';
    const floors = ['short', 'flash', 'tts'].map((t) => ({
        id: `floor-${t}`,
        type: 'bench-floor',
        z,
        config: 'cfg',
        target: t,
        endpoint: emulatorUrl,
        projectId: PROJECT,
        obsBucket: BUCKET,
        x: 0,
        y: 0,
        wires: [['out']],
    }));
    const measured = ['short', 'flash', 'tts', ...floors.map((f) => f.id)];
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
            obsBucket: BUCKET,
            maxConcurrent: 64,
            projectId: PROJECT,
        },
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
            wires: [['out']],
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
            wires: [['out']],
        },
        {
            id: 'tts',
            type: 'sis-tts',
            z,
            config: 'cfg',
            mode: 'rest',
            property: 'chinese_xiaoyan_common',
            audio_format: 'wav',
            sample_rate: '8000',
            concurrency: INFLIGHT,
            x: 0,
            y: 0,
            wires: [['out']],
        },
        ...floors,
        // Outputs go to a change node with no rules; finished inputs go to the driver's sink.
        { id: 'out', type: 'change', z, rules: [], x: 0, y: 0, wires: [[]] },
        { id: 'complete', type: 'complete', z, scope: measured, x: 0, y: 0, wires: [['sink']] },
        { id: 'catch', type: 'catch', z, scope: measured, x: 0, y: 0, wires: [['sink']] },
        { id: 'sink', type: 'bench-sink', z, x: 0, y: 0, wires: [] },
    ];
}

interface Outcome {
    wall: number;
    cpu: number;
    /** CPU seconds of the emulator process during the run. */
    emulator?: number;
    errors: number;
    latencies: number[];
}

function inputOf(target: Target, clip: Buffer): { input: string; kind: 'audio' | 'text' } {
    return target === 'tts' ? { input: TTS_TEXT, kind: 'text' } : { input: clip.toString('base64'), kind: 'audio' };
}

async function viaNodeRed(redUrl: string, node: string, target: Target, clip: Buffer, total: number): Promise<Outcome> {
    const res = await fetch(`${redUrl}/bench-rest/run`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ target: node, total, inflight: INFLIGHT, ...inputOf(target, clip) }),
    });
    if (!res.ok) throw new Error(`bench run: HTTP ${res.status}`);
    return (await res.json()) as Outcome;
}

async function viaRawClient(emulatorUrl: string, target: Target, clipFile: string): Promise<Outcome> {
    const args = {
        target,
        url: emulatorUrl,
        total: TOTAL,
        inflight: INFLIGHT,
        input: target === 'tts' ? TTS_TEXT : clipFile,
        ak: AK,
        sk: SK,
        projectId: PROJECT,
        bucket: BUCKET,
    };
    const { stdout } = await run(
        process.execPath,
        ['-r', 'tsx/cjs', path.join(__dirname, 'raw-asr-client.ts'), JSON.stringify(args)],
        { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
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
        projectId: PROJECT,
        obsBucket: BUCKET,
        credentials: { ak: AK, sk: SK },
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
    const ref = { bucket: BUCKET, key: stagingKey('bench/', 'wav') };
    await obs.put(ref, buffer, 'audio/wav');
    peak = Math.max(peak, process.memoryUsage.rss());
    clearInterval(timer);
    await obs.delete(ref);
    await client.close();
    return (peak - base) / size;
}

async function main(): Promise<void> {
    const work = mkdtempSync(path.join(tmpdir(), 'sis-rest-bench-'));
    const moduleDir = path.join(work, 'floor');
    writeBenchModule(moduleDir, ['floor-rest.ts', 'raw-signing.ts']);
    writeFileSync(
        path.join(moduleDir, 'floor-rest.html'),
        `<script type="text/javascript">RED.nodes.registerType('bench-floor', { category: 'function', defaults: { config: {}, target: {} }, inputs: 1, outputs: 1 });
RED.nodes.registerType('bench-sink', { category: 'function', defaults: {}, inputs: 1, outputs: 0 });</script>`,
    );
    const clip = oneSecondWav();
    const clipFile = path.join(work, 'clip.wav');
    writeFileSync(clipFile, clip);
    const emulator = await startEmulatorProcess();
    const start = (): Promise<Proc> =>
        startNodeRed(
            flow(emulator.url),
            { cfg: { ak: AK, sk: SK } },
            { nodesDirs: [moduleDir], flags: profileFlags() },
        );
    const reds: Partial<Record<Side, Proc>> = {};
    for (const side of ['node', 'floor'] as const) if (SIDES.includes(side)) reds[side] = await start();
    const redUrl = (side: 'node' | 'floor'): string => reds[side]?.url ?? '';
    if (process.argv.includes('--profile')) {
        console.log(`Node-RED pids: node ${reds.node?.pid ?? '-'}, floor ${reds.floor?.pid ?? '-'}`);
    }
    const rows: Record<string, string | number>[] = [];
    try {
        for (const target of TARGETS) {
            const nodeId = target;
            const floorId = `floor-${target}`;
            // Warm both Node-RED sides (connections, JIT) before measuring; the raw client warms itself.
            if (SIDES.includes('node')) await viaNodeRed(redUrl('node'), nodeId, target, clip, TOTAL / 2);
            if (SIDES.includes('floor')) await viaNodeRed(redUrl('floor'), floorId, target, clip, TOTAL / 2);
            const rounds: Record<Side, Outcome>[] = [];
            for (let r = 0; r < ROUNDS; r++) {
                // The order rotates, so that no side always runs first or after the raw process starts.
                const order: Side[] = SIDES.map((_, i, a) => a[(i + r) % a.length]);
                const round = {} as Record<Side, Outcome>;
                for (const side of order) {
                    const e0 = cpuSeconds(emulator.pid);
                    round[side] =
                        side === 'raw'
                            ? await viaRawClient(emulator.url, target, clipFile)
                            : await viaNodeRed(redUrl(side), side === 'node' ? nodeId : floorId, target, clip, TOTAL);
                    round[side].emulator = cpuSeconds(emulator.pid) - e0;
                }
                rounds.push(round);
            }
            if (SIDES.length < 3) {
                for (const side of SIDES) {
                    console.log(
                        `${target} ${side}: ${spread(
                            rounds.map((r) => (r[side].cpu / TOTAL) * 1e6),
                            0,
                        )} µs/input`,
                    );
                }
                continue;
            }
            const us = (s: Side): number[] => rounds.map((r) => (r[s].cpu / TOTAL) * 1e6);
            const ratio = (a: Side, b: Side): number[] => rounds.map((r) => r[a].cpu / r[b].cpu);
            const thr = (s: Side): number[] => rounds.map((r) => TOTAL / r[s].wall);
            const lat = (s: Side): string => {
                const p50 = median(rounds.map((r) => percentile(r[s].latencies, 50)));
                const p99 = median(rounds.map((r) => percentile(r[s].latencies, 99)));
                return `${fixed(p50, 0)}/${fixed(p99, 0)}`;
            };
            rows.push({
                node: `sis-${target === 'tts' ? 'tts (whole file)' : `${target}-asr`}`,
                'CPU µs/input node': spread(us('node'), 0),
                floor: spread(us('floor'), 0),
                raw: spread(us('raw'), 0),
                'node/floor': spread(ratio('node', 'floor')),
                'floor/raw': spread(ratio('floor', 'raw')),
                'node/raw': spread(ratio('node', 'raw')),
                'emulator µs/input node / floor / raw': (['node', 'floor', 'raw'] as Side[])
                    .map((side) => fixed(median(rounds.map((r) => ((r[side].emulator ?? 0) / TOTAL) * 1e6)), 0))
                    .join(' / '),
                'throughput node/raw': spread(rounds.map((r) => r.raw.wall / r.node.wall)),
                'req/s node / floor / raw': `${fixed(median(thr('node')), 0)} / ${fixed(median(thr('floor')), 0)} / ${fixed(median(thr('raw')), 0)}`,
                'p50/p99 ms node / floor / raw': `${lat('node')} / ${lat('floor')} / ${lat('raw')}`,
                errors: rounds.reduce((n, r) => n + r.node.errors + r.floor.errors + r.raw.errors, 0),
            });
        }
        printTable(rows);
        console.log(
            `\n${ROUNDS} rounds of ${TOTAL} inputs per side, ${INFLIGHT} in flight; medians (min–max) over the rounds; ` +
                `Node ${process.version}; input: a 1 s 16 kHz WAV clip, or ${[...TTS_TEXT].length} characters of text`,
        );
        if (TARGETS.includes('flash')) {
            const growth = await stagingMemory(emulator.url);
            console.log(`\nstaging a 100 MB Buffer: peak RSS growth ${fixed(growth)}x the Buffer (goal <= 1.2)`);
        }
    } finally {
        await Promise.all(Object.values(reds).map((red) => red.stop()));
        await emulator.stop();
        rmSync(work, { recursive: true, force: true });
    }
}

main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
});
