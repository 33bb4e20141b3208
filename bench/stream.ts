// Benchmark of sis-stream-asr: N sessions streaming 16 kHz audio in 40 ms chunks at real-time
// pace through a started Node-RED, beside raw `ws` clients doing the same against the same
// emulator in the same round. Run: `npm run build && npx tsx bench/stream.ts [--sessions 100]
// [--seconds 20] [--rounds 3]`.
//
// Processes: the emulator, Node-RED and the raw clients each run in their own process, so CPU
// time is read per process from /proc. In Node-RED one module (written to a temporary folder and
// loaded beside dist/nodes) holds the source node that feeds the chunks, the floor node (a raw
// ws socket per session: the least any node can do) and the probe that times chunk-in →
// frame-sent: a runtime hook marks when a chunk is handed to the node, and a wrapper of the `ws`
// module's send() (the instance the node uses) reads the clock when the binary frame is sent.
//
// Over 500 lines because the node, the floor and the raw clients share one pacing loop, one set-up
// and one report, which must stay identical across the three sides.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';
import { SisClient } from '../nodes/lib/cloud/sis-client';
import { AUDIO_BLOCK_BYTES, BlockPool } from '../nodes/lib/stream/frames';
import { AudioIntake } from '../nodes/lib/stream/intake';
import { startOptions } from '../nodes/lib/stream/options';
import { type SessionHost, type SessionLimits, StreamSession } from '../nodes/lib/stream/session';
import { NODE_RED_SCRIPT } from '../test/helpers/node-red-runtime';
import { cpuSeconds, fixed, freePort, percentile, printTable, ROOT, rssBytes, startEmulatorProcess } from './lib';

function arg(name: string, fallback: number): number {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const SESSIONS = arg('sessions', 100);
const SECONDS = arg('seconds', 20);
/** Rounds of every CPU scenario; figures are medians with their range (CPU varies from run to run). */
const ROUNDS = arg('rounds', 3);
/** 40 ms of 16 kHz 16-bit mono. */
const CHUNK = 1280;
/** Measurement window: after connections are up and warm, before the sessions end. */
const WARMUP_S = 3;
const PROJECT = '0123456789abcdef0123456789abcdef';
const AK = 'HWEXAMPLEAK000000001';
const SK = 'hwExampleSecretKey0000000000000000000000';
const START_CONFIG = { audio_format: 'pcm16k16bit', property: 'chinese_16k_common', add_punc: 'yes' };

/** Speech with pauses (both fixtures, looped), so that continue-stream closes sentences regularly. */
function benchAudio(): Buffer {
    return Buffer.concat([
        readFileSync(path.join(ROOT, 'test/fixtures/en_16k.pcm')),
        readFileSync(path.join(ROOT, 'test/fixtures/zh_16k.pcm')),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Inside Node-RED: one node module with the driver (source and sink nodes), the floor node and the probe
// ---------------------------------------------------------------------------------------------

function probeModule(audioFile: string): string {
    const wsPath = require.resolve('ws', { paths: [path.join(ROOT, 'dist/nodes')] });
    return `
const { readFileSync } = require('node:fs');
const { performance } = require('node:perf_hooks');
const ws = require(${JSON.stringify(wsPath)});
const audio = readFileSync(${JSON.stringify(audioFile)});
const CHUNK = ${CHUNK};
module.exports = function (RED) {
    // The driver: a source node per target that emits a fresh message per chunk (as a device
    // input node does), one output and one wire. Every 10 ms a quarter of the sessions get their
    // next chunk, so each session sends one per 40 ms, spread over the period like independent
    // devices. A sink counts what comes out.
    const sources = new Map();
    const tally = { results: 0, events: 0, errors: 0 };
    RED.nodes.registerType('bench-source', function (config) {
        RED.nodes.createNode(this, config);
        sources.set(config.target, this);
    });
    RED.nodes.registerType('bench-sink', function (config) {
        RED.nodes.createNode(this, config);
        this.on('input', (msg, _send, done) => {
            if (msg.error) tally.errors++;
            else if (msg.final === true) tally.results++;
            else if (typeof msg.payload === 'string' && msg.event) tally.events++;
            done();
        });
    });
    RED.httpAdmin.post('/bench-start', (req, res) => {
        const { sessions: n, seconds, target } = req.body;
        const source = sources.get(target);
        tally.results = 0;
        tally.events = 0;
        tally.errors = 0;
        let chunks = 0;
        const offsets = Array.from({ length: n }, (_, i) => ((i * 7919 * 2) % (audio.length - CHUNK)) & ~1);
        const t0 = Date.now();
        let tick = 0;
        const timer = setInterval(() => {
            const due = Math.floor((Date.now() - t0) / 10);
            for (; tick < due; tick++) {
                for (let i = tick % 4; i < n; i += 4) {
                    if (offsets[i] + CHUNK > audio.length) offsets[i] = 0;
                    source.send({ session: 's' + i, payload: audio.subarray(offsets[i], offsets[i] + CHUNK) });
                    offsets[i] += CHUNK;
                    chunks++;
                }
            }
            if (Date.now() - t0 >= seconds * 1000) {
                clearInterval(timer);
                if (target !== 'noop') for (let i = 0; i < n; i++) source.send({ session: 's' + i, control: 'end' });
                setTimeout(() => res.json({ chunks, ...tally }), 1500);
            }
        }, 5);
    });
    let lat = [];
    let moreFrames = 0;
    let asyncFrames = 0;
    let mark;
    let timed = false;
    // Timing is switched on only for the latency run, so that the CPU runs carry no probe cost.
    let timing = false;
    const send = ws.WebSocket.prototype.send;
    ws.WebSocket.prototype.send = function (data, options, cb) {
        if (timing && typeof data !== 'string') {
            if (mark === undefined) asyncFrames++;
            else if (timed) moreFrames++;
            else {
                lat.push(performance.now() - mark);
                timed = true;
            }
        }
        return send.call(this, data, options, cb);
    };
    const setTiming = (on) => {
        if (on === timing) return;
        timing = on;
        if (!on) {
            RED.hooks.remove('*.benchProbe');
            return;
        }
        RED.hooks.add('onReceive.benchProbe', (ev) => {
            if (ev.destination.node.type === 'sis-stream-asr' && Buffer.isBuffer(ev.msg.payload)) {
                mark = performance.now();
                timed = false;
            }
        });
        RED.hooks.add('postReceive.benchProbe', () => {
            mark = undefined;
        });
    };
    RED.httpAdmin.get('/bench-probe', (req, res) => {
        if (req.query.gc && global.gc) global.gc();
        res.json({ lat: lat.slice().sort((a, b) => a - b), moreFrames, asyncFrames, memory: process.memoryUsage() });
    });
    RED.httpAdmin.post('/bench-probe/reset', (req, res) => {
        setTiming(req.query.timing === '1');
        lat = [];
        moreFrames = 0;
        asyncFrames = 0;
        res.json({});
    });
    RED.nodes.registerType('bench-probe', function (config) {
        RED.nodes.createNode(this, config);
    });
    // The floor: the least any node could do with each chunk, i.e. the raw clients' work (one
    // binary frame per chunk on an already open socket) in a minimal node fed by the same driver.
    const floor = { sockets: new Map(), results: 0, errors: 0, ended: [] };
    RED.nodes.registerType('bench-raw-ws', function (config) {
        RED.nodes.createNode(this, config);
        this.on('input', (msg, _send, done) => {
            const socket = floor.sockets.get(msg.session);
            if (socket && Buffer.isBuffer(msg.payload)) socket.send(msg.payload, { binary: true });
            else if (socket && msg.control === 'end') socket.send(JSON.stringify({ command: 'END', cancel: false }));
            done();
        });
    });
    RED.httpAdmin.post('/bench-raw-ws/open', (req, res) => {
        floor.results = 0;
        floor.errors = 0;
        floor.ended = [];
        Promise.all(req.body.map(({ session, url, headers, config }) => new Promise((resolve, reject) => {
            const socket = new ws.WebSocket(url, { headers, perMessageDeflate: false });
            floor.ended.push(new Promise((ended) => {
                socket.on('message', (data, binary) => {
                    if (binary) return;
                    const reply = JSON.parse(String(data));
                    if (reply.resp_type === 'RESULT')
                        floor.results += (reply.segments || []).filter((s) => s.is_final).length;
                    else if (reply.resp_type === 'ERROR' || reply.resp_type === 'FATAL_ERROR') floor.errors++;
                    else if (reply.resp_type === 'END') ended();
                });
                socket.on('close', ended);
            }));
            socket.once('error', reject);
            socket.once('open', () => {
                socket.send(JSON.stringify({ command: 'START', config }));
                socket.once('message', () => {
                    floor.sockets.set(session, socket);
                    resolve();
                });
            });
        }))).then(() => res.json({}), (err) => res.status(500).json({ error: String(err) }));
    });
    RED.httpAdmin.post('/bench-raw-ws/close', (_req, res) => {
        Promise.all(floor.ended).then(() => {
            for (const socket of floor.sockets.values()) socket.close();
            floor.sockets.clear();
            res.json({ results: floor.results, errors: floor.errors });
        });
    });
};
`;
}

function flow(emulatorUrl: string): unknown[] {
    const z = 'bench';
    return [
        { id: z, type: 'tab', label: 'stream bench' },
        {
            id: 'cfg',
            type: 'sis-config',
            region: 'cn-north-4',
            authType: 'aksk',
            projectId: PROJECT,
            endpoint: emulatorUrl,
            iamEndpoint: emulatorUrl,
            obsEndpoint: emulatorUrl,
            credentials: { ak: AK, sk: SK },
        },
        { id: 'src-stream', type: 'bench-source', z, target: 'stream', x: 0, y: 0, wires: [['asr']] },
        { id: 'src-noop', type: 'bench-source', z, target: 'noop', x: 0, y: 0, wires: [['noop']] },
        { id: 'src-floor', type: 'bench-source', z, target: 'floor', x: 0, y: 0, wires: [['floor']] },
        {
            id: 'asr',
            type: 'sis-stream-asr',
            z,
            config: 'cfg',
            mode: 'continue-stream',
            ...START_CONFIG,
            idleTimeout: 10,
            maxSessions: SESSIONS,
            x: 0,
            y: 0,
            wires: [['sink'], ['sink']],
        },
        // The harness alone: the same source and routing into a node that does nothing.
        { id: 'noop', type: 'change', z, rules: [], x: 0, y: 0, wires: [[]] },
        { id: 'floor', type: 'bench-raw-ws', z, x: 0, y: 0, wires: [] },
        { id: 'catch', type: 'catch', z, scope: ['asr'], x: 0, y: 0, wires: [['sink']] },
        { id: 'sink', type: 'bench-sink', z, x: 0, y: 0, wires: [] },
    ];
}

interface Red {
    child: ChildProcess;
    /** When the process was started (Date.now()), to place its own traces on the phases. */
    spawned: number;
    pid: number;
    url: string;
    stop(): Promise<void>;
}

async function startNodeRedWithProbe(): Promise<Red> {
    const port = await freePort();
    const userDir = mkdtempSync(path.join(tmpdir(), 'sis-stream-bench-'));
    const probeDir = path.join(userDir, 'probe');
    mkdirSync(probeDir);
    const audioFile = path.join(userDir, 'audio.pcm');
    writeFileSync(audioFile, benchAudio());
    writeFileSync(path.join(probeDir, 'bench-probe.js'), probeModule(audioFile));
    writeFileSync(
        path.join(probeDir, 'bench-probe.html'),
        `<script type="text/javascript">RED.nodes.registerType('bench-probe', { category: 'config', defaults: {} });
RED.nodes.registerType('bench-raw-ws', { category: 'function', defaults: {}, inputs: 1, outputs: 0 });
RED.nodes.registerType('bench-source', { category: 'function', defaults: { target: {} }, inputs: 0, outputs: 1 });
RED.nodes.registerType('bench-sink', { category: 'function', defaults: {}, inputs: 1, outputs: 0 });</script>`,
    );
    writeFileSync(
        path.join(userDir, 'settings.js'),
        `module.exports = { uiHost: '127.0.0.1', uiPort: ${port}, userDir: ${JSON.stringify(userDir)},
  flowFile: 'flows.json', credentialSecret: false,
  nodesDir: [${JSON.stringify(path.join(ROOT, 'dist/nodes'))}, ${JSON.stringify(probeDir)}],
  telemetry: { enabled: false, updateNotification: false }, diagnostics: { enabled: false, ui: false },
  editorTheme: { tours: false, projects: { enabled: false } }, logging: { console: { level: 'warn' } } };`,
    );
    const red = NODE_RED_SCRIPT;
    const profile = process.env.BENCH_CPU_PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`]
        : [];
    // e.g. BENCH_NODE_FLAGS=--trace-gc: Node.js flags for the Node-RED process (its output is then shown).
    const extraFlags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
    const spawned = Date.now();
    const child = spawn(
        process.execPath,
        ['--expose-gc', ...profile, ...extraFlags, red, '--settings', path.join(userDir, 'settings.js')],
        {
            stdio: ['ignore', process.env.BENCH_NODE_FLAGS ? 'inherit' : 'ignore', 'inherit'],
        },
    );
    const url = `http://127.0.0.1:${port}`;
    const end = Date.now() + 30_000;
    for (;;) {
        try {
            if ((await fetch(`${url}/settings`)).ok) break;
        } catch {
            // not up yet
        }
        if (Date.now() > end) throw new Error('Node-RED did not start');
        await sleep(100);
    }
    return {
        child,
        spawned,
        pid: child.pid ?? 0,
        url,
        stop: () =>
            new Promise<void>((resolve) => {
                const done = (): void => {
                    rmSync(userDir, { recursive: true, force: true });
                    resolve();
                };
                if (child.exitCode !== null) done();
                else {
                    child.once('exit', done);
                    child.kill('SIGTERM');
                }
            }),
    };
}

function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Probe {
    lat: number[];
    moreFrames: number;
    asyncFrames: number;
    memory: NodeJS.MemoryUsage;
}

async function probe(red: Red, gc = false): Promise<Probe> {
    return (await (await fetch(`${red.url}/bench-probe${gc ? '?gc=1' : ''}`)).json()) as Probe;
}

interface Window {
    cpu: number;
    seconds: number;
}

/** CPU seconds of `pid` between WARMUP_S and the end of the streaming, sampled from /proc. */
async function cpuWindow(pid: number, started: number): Promise<Window> {
    await sleep(Math.max(0, started + WARMUP_S * 1000 - Date.now()));
    const c0 = cpuSeconds(pid);
    const t0 = Date.now();
    await sleep(Math.max(0, started + (SECONDS - 0.5) * 1000 - Date.now()));
    return { cpu: cpuSeconds(pid) - c0, seconds: (Date.now() - t0) / 1000 };
}

interface DriverReport {
    chunks: number;
    results: number;
    events: number;
    errors: number;
}

async function viaNodeRed(
    red: Red,
    target: 'stream' | 'noop' | 'floor',
    timing: boolean,
): Promise<{ window: Window; report: DriverReport; heap: number; rss: number; probe: Probe }> {
    await fetch(`${red.url}/bench-probe/reset${timing ? '?timing=1' : ''}`, { method: 'POST' });
    const started = Date.now();
    if (process.env.BENCH_NODE_FLAGS) console.log(`[bench] ${target} run from ${started - red.spawned} ms`);
    const reply = fetch(`${red.url}/bench-start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sessions: SESSIONS, seconds: SECONDS, target }),
    }).then(async (r) => (await r.json()) as DriverReport);
    const window = cpuWindow(red.pid, started);
    // Memory at steady state, two thirds into the run, after a full collection.
    await sleep(Math.max(0, started + (SECONDS * 2000) / 3 - Date.now()));
    const mid = await probe(red, true);
    const rss = rssBytes(red.pid);
    const [w, report] = await Promise.all([window, reply]);
    return {
        window: w,
        report,
        heap: mid.memory.heapUsed + mid.memory.external,
        rss,
        probe: await probe(red),
    };
}

// ---------------------------------------------------------------------------------------------
// Raw clients (a child process of this script)
// ---------------------------------------------------------------------------------------------

interface RawArgs {
    url: string;
    sessions: number;
    seconds: number;
    /** `raw`: plain ws clients; `layer`: the node's session layer (StreamSession), without Node-RED. */
    kind: 'raw' | 'layer';
}

interface RawReport {
    results: number;
    errors: number;
    chunks: number;
    heapBefore: number;
    heapDuring: number;
}

/** A client of the emulator with the bench's AK/SK, as the flow's sis-config has. */
function emulatorClient(url: string): SisClient {
    return new SisClient({
        region: 'cn-north-4',
        authType: 'aksk',
        projectId: PROJECT,
        endpoint: url,
        iamEndpoint: url,
        credentials: { ak: AK, sk: SK },
    });
}

function heapNow(): number {
    global.gc?.();
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
}

/**
 * Hands each session its next chunk of `audio` every 40 ms (a quarter of the sessions every
 * 10 ms, as the source node in Node-RED does) for `args.seconds`; memory is sampled two thirds in.
 */
function pace(
    args: RawArgs,
    audio: Buffer,
    report: RawReport,
    feed: (i: number, chunk: Buffer) => void,
): Promise<void> {
    const offsets = Array.from({ length: args.sessions }, (_, i) => ((i * 7919 * 2) % (audio.length - CHUNK)) & ~1);
    const t0 = Date.now();
    let tick = 0;
    return new Promise<void>((resolve) => {
        const timer = setInterval(() => {
            const due = Math.floor((Date.now() - t0) / 10);
            for (; tick < due; tick++) {
                for (let i = tick % 4; i < args.sessions; i += 4) {
                    if (offsets[i] + CHUNK > audio.length) offsets[i] = 0;
                    feed(i, audio.subarray(offsets[i], offsets[i] + CHUNK));
                    offsets[i] += CHUNK;
                    report.chunks++;
                }
            }
            if (report.heapDuring === 0 && Date.now() - t0 >= (args.seconds * 2000) / 3) report.heapDuring = heapNow();
            if (Date.now() - t0 >= args.seconds * 1000) {
                clearInterval(timer);
                resolve();
            }
        }, 5);
    });
}

/** The node's session layer alone: StreamSessions fed at the same pace, with a host that only counts. */
async function layerClients(args: RawArgs): Promise<void> {
    const audio = benchAudio();
    const client = emulatorClient(args.url);
    const report: RawReport = { results: 0, errors: 0, chunks: 0, heapBefore: heapNow(), heapDuring: 0 };
    let started = 0;
    let finished = 0;
    const host: SessionHost = {
        sentence: (_s, _sentence, final) => {
            if (final) report.results++;
        },
        event: (_s, name) => {
            if (name === 'START') started++;
        },
        error: () => {
            report.errors++;
        },
        changed: () => undefined,
        finished: (_s, socket) => {
            finished++;
            void socket?.close();
        },
    };
    const { spec, config } = startOptions('continue-stream', START_CONFIG, undefined);
    const limits: SessionLimits = {
        queueBytes: 20 * spec.bytesPerSecond,
        replayBytes: 60 * spec.bytesPerSecond,
        reconnects: 5,
        backoffBaseMs: 250,
        backoffMaxMs: 5000,
        handshakeTimeoutMs: 10_000,
        replyTimeoutMs: 15_000,
        idleMs: 10_000,
    };
    // Spare blocks shared as in the node: about half a second of audio per session.
    const blocks = new BlockPool(AUDIO_BLOCK_BYTES, () => 8 + 2 * args.sessions);
    const sessions = Array.from(
        { length: args.sessions },
        (_, i) =>
            new StreamSession({
                key: `s${i}`,
                mode: 'continue-stream',
                spec,
                config,
                client,
                limits,
                host,
                intake: new AudioIntake(spec),
                blocks,
            }),
    );
    while (started < sessions.length) await sleep(10);
    console.log('READY');
    await pace(args, audio, report, (i, chunk) => sessions[i].feed(chunk));
    for (const s of sessions) s.end();
    while (finished < sessions.length) await sleep(10);
    await client.close();
    console.log(`DONE ${JSON.stringify(report)}`);
}

/** What the node does on the wire, done directly: one socket per session, START, a frame per chunk, END. */
async function rawClients(args: RawArgs): Promise<void> {
    const audio = benchAudio();
    const client = emulatorClient(args.url);
    const report: RawReport = { results: 0, errors: 0, chunks: 0, heapBefore: heapNow(), heapDuring: 0 };
    const sockets = await Promise.all(
        Array.from({ length: args.sessions }, async () => {
            const { url, headers } = await client.wsHandshake('/rasr/continue-stream');
            const ws = new WebSocket(url, { headers, perMessageDeflate: false });
            const ended = new Promise<void>((resolve) => {
                ws.on('message', (data, binary) => {
                    if (binary) return;
                    const reply = JSON.parse(String(data)) as { resp_type: string; segments?: { is_final: boolean }[] };
                    if (reply.resp_type === 'RESULT')
                        report.results += (reply.segments ?? []).filter((s) => s.is_final).length;
                    else if (reply.resp_type === 'ERROR' || reply.resp_type === 'FATAL_ERROR') report.errors++;
                    else if (reply.resp_type === 'END') resolve();
                });
                ws.on('close', () => resolve());
            });
            await new Promise<void>((resolve, reject) => {
                ws.once('error', reject);
                ws.once('open', () => {
                    ws.send(JSON.stringify({ command: 'START', config: START_CONFIG }));
                    ws.once('message', () => resolve());
                });
            });
            return { ws, ended };
        }),
    );
    console.log('READY');
    await pace(args, audio, report, (i, chunk) => sockets[i].ws.send(chunk, { binary: true }));
    for (const s of sockets) s.ws.send(JSON.stringify({ command: 'END', cancel: false }));
    await Promise.all(sockets.map((s) => s.ended));
    for (const s of sockets) s.ws.close();
    await client.close();
    console.log(`DONE ${JSON.stringify(report)}`);
}

async function viaClients(emulatorUrl: string, kind: RawArgs['kind']): Promise<{ window: Window; report: RawReport }> {
    const args: RawArgs = { url: emulatorUrl, sessions: SESSIONS, seconds: SECONDS, kind };
    const child = spawn(
        process.execPath,
        ['--expose-gc', '-r', 'tsx/cjs', __filename, '--raw-clients', JSON.stringify(args)],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    let window: Promise<Window> | undefined;
    let report: RawReport | undefined;
    for await (const line of lines) {
        if (line === 'READY') window = cpuWindow(child.pid ?? 0, Date.now());
        else if (line.startsWith('DONE ')) report = JSON.parse(line.slice(5)) as RawReport;
    }
    if (!window || !report) throw new Error('the raw clients did not finish');
    return { window: await window, report };
}

interface Round {
    node: number;
    floor: number;
    harness: number;
    layer: number;
    raw: number;
    nodeHeap: number;
    nodeRss: number;
    rawHeap: number;
    layerHeap: number;
    counts: string;
}

/** The floor run: sockets opened and started beforehand, then the driver feeds the minimal raw-ws node. */
async function viaFloor(
    red: Red,
    emulatorUrl: string,
): Promise<{ run: Awaited<ReturnType<typeof viaNodeRed>>; results: number; errors: number }> {
    const client = emulatorClient(emulatorUrl);
    try {
        const sockets = await Promise.all(
            Array.from({ length: SESSIONS }, async (_, i) => ({
                session: `s${i}`,
                config: START_CONFIG,
                ...(await client.wsHandshake('/rasr/continue-stream')),
            })),
        );
        const opened = await fetch(`${red.url}/bench-raw-ws/open`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(sockets),
        });
        if (!opened.ok) throw new Error(`the floor's sockets did not open: ${await opened.text()}`);
        const run = await viaNodeRed(red, 'floor', false);
        const closed = (await (await fetch(`${red.url}/bench-raw-ws/close`, { method: 'POST' })).json()) as {
            results: number;
            errors: number;
        };
        return { run, ...closed };
    } finally {
        await client.close();
    }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
    const emulator = await startEmulatorProcess();
    const red = await startNodeRedWithProbe();
    try {
        const deployed = await fetch(`${red.url}/flows`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
            body: JSON.stringify(flow(emulator.url)),
        });
        if (!deployed.ok) throw new Error(`deploy failed: HTTP ${deployed.status}`);
        await sleep(1000);
        const idle = await probe(red, true);
        const idleRss = rssBytes(red.pid);
        const rate = (w: Window): number => w.cpu / w.seconds;
        const rounds: Round[] = [];
        for (let r = 0; r < ROUNDS; r++) {
            const harness = await viaNodeRed(red, 'noop', false);
            const floor = await viaFloor(red, emulator.url);
            await sleep(500);
            const base = await probe(red, true);
            const stream = await viaNodeRed(red, 'stream', false);
            const raw = await viaClients(emulator.url, 'raw');
            const layer = await viaClients(emulator.url, 'layer');
            rounds.push({
                node: rate(stream.window),
                floor: rate(floor.run.window),
                harness: rate(harness.window),
                layer: rate(layer.window),
                raw: rate(raw.window),
                nodeHeap: (stream.heap - (base.memory.heapUsed + base.memory.external)) / SESSIONS,
                nodeRss: (stream.rss - idleRss) / SESSIONS,
                rawHeap: (raw.report.heapDuring - raw.report.heapBefore) / SESSIONS,
                layerHeap: (layer.report.heapDuring - layer.report.heapBefore) / SESSIONS,
                counts:
                    `Node-RED: ${stream.report.chunks} chunks, ${stream.report.results} final sentences, ${stream.report.errors} errors; ` +
                    `floor: ${floor.run.report.chunks} chunks, ${floor.results} final sentences, ${floor.errors} errors; ` +
                    `layer: ${layer.report.chunks} chunks, ${layer.report.results} final sentences, ${layer.report.errors} errors; ` +
                    `raw: ${raw.report.chunks} chunks, ${raw.report.results} final sentences, ${raw.report.errors} errors`,
            });
        }
        // Latency in a run of its own: its hooks and clock reads would add to the CPU measured above.
        await sleep(500);
        const timed = await viaNodeRed(red, 'stream', true);
        /** Median (range) of a figure over the rounds. */
        const over = (f: (r: Round) => number, digits = 2, scale = 1): string => {
            const v = rounds.map((r) => f(r) * scale).sort((a, b) => a - b);
            const mid = v[Math.floor(v.length / 2)];
            return v.length > 1
                ? `${fixed(mid, digits)} (${fixed(v[0], digits)}–${fixed(v[v.length - 1], digits)})`
                : fixed(mid, digits);
        };
        const lat = timed.probe.lat;
        const us = (ms: number): string => fixed(ms * 1000, 0);
        const row = (figure: string, cells: Record<string, string>): Record<string, string> => ({
            figure,
            'Node-RED + node': '',
            'Node-RED floor': '',
            'session layer alone': '',
            'raw ws clients': '',
            goal: '',
            ...cells,
        });
        printTable([
            row(`CPU (cores), ${SESSIONS} sessions`, {
                'Node-RED + node': over((r) => r.node, 3),
                'Node-RED floor': over((r) => r.floor, 3),
                'session layer alone': over((r) => r.layer, 3),
                'raw ws clients': over((r) => r.raw, 3),
            }),
            row('CPU / Node-RED floor', {
                'Node-RED + node': over((r) => r.node / r.floor),
                'Node-RED floor': '1',
                goal: '<= 1.2',
            }),
            row('CPU / raw ws clients', {
                'Node-RED + node': over((r) => r.node / r.raw),
                'Node-RED floor': over((r) => r.floor / r.raw),
                'session layer alone': over((r) => r.layer / r.raw),
                'raw ws clients': '1',
            }),
            row('CPU above the harness / raw ws clients', {
                'Node-RED + node': over((r) => (r.node - r.harness) / r.raw),
                'Node-RED floor': over((r) => (r.floor - r.harness) / r.raw),
            }),
            row('chunk-in to frame-sent p50 / p99 / max (µs)', {
                'Node-RED + node': `${us(percentile(lat, 50))} / ${us(percentile(lat, 99))} / ${us(lat[lat.length - 1] ?? 0)}`,
                goal: 'p99 < 1000',
            }),
            row('memory per session, heap + external (KiB)', {
                'Node-RED + node': over((r) => r.nodeHeap, 1, 1 / 1024),
                'session layer alone': over((r) => r.layerHeap, 1, 1 / 1024),
                'raw ws clients': over((r) => r.rawHeap, 1, 1 / 1024),
                goal: '< 256',
            }),
            row('memory per session, RSS growth over idle (KiB)', {
                'Node-RED + node': over((r) => r.nodeRss, 1, 1 / 1024),
            }),
        ]);
        console.log(
            `\n${ROUNDS} round(s); medians (range). Harness alone (source node and routing into a no-op node): ` +
                `${over((r) => r.harness, 3)} cores; Node-RED idle heap ${fixed((idle.memory.heapUsed + idle.memory.external) / 1048576, 1)} MiB`,
        );
        for (const r of rounds) console.log(r.counts);
        console.log(
            `latency run: ${timed.report.chunks} chunks; ${lat.length} timed (first frame sent while handling a chunk), ` +
                `${timed.probe.moreFrames} more in the same handling, ${timed.probe.asyncFrames} sent at other times (after START)`,
        );
    } finally {
        await red.stop();
        await emulator.stop();
    }
}

if (process.argv.includes('--raw-clients')) {
    const i = process.argv.indexOf('--raw-clients');
    const args = JSON.parse(process.argv[i + 1]) as RawArgs;
    (args.kind === 'layer' ? layerClients(args) : rawClients(args)).catch((err: unknown) => {
        console.error(err);
        process.exit(1);
    });
} else {
    main().catch((err: unknown) => {
        console.error(err);
        process.exit(1);
    });
}
