// Benchmark of sis-stream-asr: N sessions streaming 16 kHz audio in 40 ms chunks at real-time
// pace, on three sides in each round: the node in a started Node-RED; the floor, a minimal node in
// an identical second Node-RED, run at the same time as the node (same flow, config node, Catch
// node and sink, chunks fed the same way through node.receive()), that writes each chunk as one
// frame to an already open raw `ws` socket; and raw `ws` clients in a plain Node.js process
// (bench/raw-stream-client.ts, the bench's own signing).
// Run: `npm run build && npx tsx bench/stream.ts [--sessions 100] [--seconds 10] [--rounds 3]
// [--layer] [--harness] [--raw-replay] [--profile <dir>] [--snapshot <dir>] [--against <checkout>]`.
//
// A round is a CPU run of each side (node and floor at once), then a probed run of each in turn
// (chunks timed, memory read): the probes stay out of the CPU runs. Processes: the emulator, the
// two Node-REDs and the raw clients each run in their own process, so CPU time is read per
// process from /proc. In each Node-RED one module (written to a temporary folder and loaded beside
// dist/nodes) holds the driver, the sink, the floor node and the probe that times a
// chunk from the moment it goes in to the moment its LAST byte is handed to the socket (a wrapper
// of the `ws` module's send(), the instance the nodes use, counts the bytes of each socket).
// `--layer` adds the node's session layer alone (StreamSessions in a plain process), `--harness`
// the driver feeding a change node with no rules. `--snapshot <dir>` writes heap snapshots of
// Node-RED (before the first probed node run and in its middle) for bench/heap-summary.ts.
// `--against <checkout>` compares two builds instead: the second Node-RED runs the stream node of
// another checkout (built, e.g. a `git worktree` of an earlier commit) at the same time as this
// one's, round after round, and only their CPU is reported: paired rounds see the same machine.
//
// Over 500 lines because the node, the floor and the raw clients share one pacing loop, one set-up
// and one report, which must stay identical across the three sides.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { SisClient } from '../nodes/lib/cloud/sis-client';
import { AUDIO_BLOCK_BYTES, BlockPool } from '../nodes/lib/stream/frames';
import { AudioIntake } from '../nodes/lib/stream/intake';
import { startOptions } from '../nodes/lib/stream/options';
import { REPLAY_BLOCK_BYTES } from '../nodes/lib/stream/replay';
import { type SessionHost, type SessionLimits, StreamSession } from '../nodes/lib/stream/session';
import {
    cpuSeconds,
    fixed,
    numberArg,
    type Proc,
    percentile,
    printTable,
    profileFlags,
    spread,
    startEmulatorProcess,
    startNodeRed,
    writeBenchModule,
} from './lib';
import {
    AK,
    BASE_SAMPLES,
    benchAudio,
    CHUNK,
    heapBaseline,
    MEMORY_AT,
    median,
    PROJECT,
    pace,
    type RawArgs,
    type RawReport,
    ROOT,
    rawHandshake,
    SK,
    START_CONFIG,
    sleep,
} from './stream-pace';

const SESSIONS = numberArg('sessions', 100);
const SECONDS = numberArg('seconds', 10);
/** Rounds of every CPU scenario; figures are medians with their range (CPU varies from run to run). */
const ROUNDS = numberArg('rounds', 3);
const LAYER = process.argv.includes('--layer');
const HARNESS = process.argv.includes('--harness');
/** Another checkout whose stream node runs in the second Node-RED, in place of the floor. */
const AGAINST = againstArg();

function againstArg(): string | undefined {
    const at = process.argv.indexOf('--against');
    if (at < 0) return undefined;
    const dir = process.argv[at + 1];
    if (!dir || dir.startsWith('--')) throw new Error('--against needs the folder of a built checkout');
    return path.resolve(dir);
}
/** Measurement window: after connections are up and warm, before the sessions end. */
const WARMUP_S = 3;

// ---------------------------------------------------------------------------------------------
// Inside Node-RED: one node module with the driver (source and sink nodes), the floor node and the probe
// ---------------------------------------------------------------------------------------------

function probeModule(audioFile: string): string {
    const wsPath = require.resolve('ws', { paths: [path.join(ROOT, 'dist/nodes')] });
    const wsConnect = path.join(ROOT, 'dist/nodes/lib/cloud/ws-connect.js');
    return `
const { readFileSync } = require('node:fs');
const { performance } = require('node:perf_hooks');
const v8 = require('node:v8');
const ws = require(${JSON.stringify(wsPath)});
const { openSocketCount } = require(${JSON.stringify(wsConnect)});
const { paceChunks } = require('./stream-pace.js');
const audio = readFileSync(${JSON.stringify(audioFile)});
const CHUNK = ${CHUNK};
const TARGETS = { stream: 'asr', noop: 'noop', floor: 'floor' };
module.exports = function (RED) {
    // The driver: every 10 ms a quarter of the sessions get their next chunk through the target
    // node's receive() (paceChunks), a fresh message per chunk, so each session gets one per 40 ms,
    // spread over the period like independent devices. A sink counts what comes out.
    const tally = { results: 0, events: 0, errors: 0 };
    RED.nodes.registerType('bench-sink', function (config) {
        RED.nodes.createNode(this, config);
        this.on('input', (msg, _send, done) => {
            if (msg.error) tally.errors++;
            else if (msg.final === true) tally.results++;
            else if (typeof msg.payload === 'string' && msg.event) tally.events++;
            done();
        });
    });
    // Chunk-in to last byte (probed runs only, so that the CPU runs carry no probe cost): the
    // driver notes, per session, the byte count that ends each chunk and when the chunk went in;
    // a wrapper of the ws module's send() (the instance the nodes use) counts the binary bytes
    // each socket was handed and takes the time when a chunk's last byte is among them. A socket
    // belongs to the session being fed when it first sends during a receive().
    let timing = false;
    let current = -1;
    let fed = [];
    let pending = [];
    // Room for every timing of a run, allocated before any baseline: it is not a session's memory.
    const lat = new Float64Array(1 << 20);
    let timedCount = 0;
    let owner = new WeakMap();
    const send = ws.WebSocket.prototype.send;
    ws.WebSocket.prototype.send = function (data, options, cb) {
        const r = send.call(this, data, options, cb);
        if (timing && typeof data !== 'string') {
            let o = owner.get(this);
            if (!o) {
                o = { session: -1, sent: 0 };
                owner.set(this, o);
            }
            if (o.session < 0 && current >= 0) o.session = current;
            o.sent += data.byteLength;
            const q = o.session >= 0 ? pending[o.session] : undefined;
            if (q) {
                const now = performance.now();
                while (q.length > 0 && q[0][0] <= o.sent) {
                    const [, t, timed] = q.shift();
                    if (timed && timedCount < lat.length) lat[timedCount++] = now - t;
                }
            }
        }
        return r;
    };
    RED.httpAdmin.post('/bench-start', (req, res) => {
        const { sessions: n, seconds, target, warmup } = req.body;
        timing = req.body.timing === true;
        const node = RED.nodes.getNode(TARGETS[target]);
        tally.results = 0;
        tally.events = 0;
        tally.errors = 0;
        fed = Array.from({ length: n }, () => 0);
        pending = Array.from({ length: n }, () => []);
        timedCount = 0;
        owner = new WeakMap();
        let chunks = 0;
        // The CPU window on the process's monotonic clock, in µs as in a V8 CPU profile (bench/profile-summary.ts).
        const t0 = Number(process.hrtime.bigint() / 1000n);
        const window = [t0 + warmup * 1e6, t0 + (seconds - 0.5) * 1e6];
        paceChunks(audio, n, seconds, (i, chunk, elapsed) => {
            const msg = { session: 's' + i, payload: chunk };
            chunks++;
            if (timing) {
                fed[i] += CHUNK;
                pending[i].push([fed[i], performance.now(), elapsed >= warmup * 1000]);
                current = i;
                node.receive(msg);
                current = -1;
            } else node.receive(msg);
        }).then(() => {
            if (target !== 'noop') for (let i = 0; i < n; i++) node.receive({ session: 's' + i, control: 'end' });
            setTimeout(() => {
                const late = pending.reduce((a, q) => a + q.filter((p) => p[2]).length, 0);
                timing = false;
                res.json({ chunks, ...tally, lat: Array.from(lat.subarray(0, timedCount).sort()), late, window });
            }, 1500);
        });
    });
    // Memory after a full collection, and the WebSockets still open (the node's, counted by the
    // package, and the floor's): a baseline waits for them to close. ?snapshot=<file> writes a heap snapshot.
    RED.httpAdmin.get('/bench-probe', (req, res) => {
        if (req.query.gc && global.gc) global.gc();
        const memory = process.memoryUsage();
        if (typeof req.query.snapshot === 'string') v8.writeHeapSnapshot(req.query.snapshot);
        res.json({ memory, sockets: openSocketCount() + floor.open });
    });
    RED.nodes.registerType('bench-probe', function (config) {
        RED.nodes.createNode(this, config);
    });
    // The floor: the least any node could do with each chunk, i.e. the raw clients' work (one
    // binary frame per chunk on an already open socket) in a minimal node fed the same way, which
    // sends one message per final sentence to the sink, as the REST floors send their results.
    const floor = { sockets: new Map(), results: 0, errors: 0, ended: [], open: 0, node: undefined };
    RED.nodes.registerType('bench-raw-ws', function (config) {
        RED.nodes.createNode(this, config);
        floor.node = this;
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
            floor.open++;
            socket.once('close', () => floor.open--);
            floor.ended.push(new Promise((ended) => {
                socket.on('message', (data, binary) => {
                    if (binary) return;
                    const reply = JSON.parse(String(data));
                    if (reply.resp_type === 'RESULT') {
                        for (const s of reply.segments || []) {
                            if (!s.is_final) continue;
                            floor.results++;
                            floor.node.send({ session, payload: s.result.text });
                        }
                    } else if (reply.resp_type === 'ERROR' || reply.resp_type === 'FATAL_ERROR') floor.errors++;
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
        // The harness alone: the same driver into a node that does nothing.
        { id: 'noop', type: 'change', z, rules: [], x: 0, y: 0, wires: [[]] },
        { id: 'floor', type: 'bench-raw-ws', z, x: 0, y: 0, wires: [['sink']] },
        { id: 'catch', type: 'catch', z, scope: ['asr', 'floor'], x: 0, y: 0, wires: [['sink']] },
        { id: 'sink', type: 'bench-sink', z, x: 0, y: 0, wires: [] },
    ];
}

type Red = Proc;

/** `--raw-replay`: the node keeps the audio for a replay as it is (settings.js sisStreamAsrCompactReplay: false). */
const COMPACT_REPLAY = !process.argv.includes('--raw-replay');

/** Node-RED (lib's startNodeRed, with --expose-gc for the memory readings) loading, beside dist/nodes, the probe module. */
async function startNodeRedWithProbe(packageRoot?: string): Promise<Red> {
    const probeDir = mkdtempSync(path.join(tmpdir(), 'sis-stream-bench-'));
    const audioFile = path.join(probeDir, 'audio.pcm');
    writeFileSync(audioFile, benchAudio());
    writeFileSync(path.join(probeDir, 'bench-probe.js'), probeModule(audioFile));
    writeBenchModule(probeDir, ['stream-pace.ts', 'raw-signing.ts']);
    writeFileSync(
        path.join(probeDir, 'bench-probe.html'),
        `<script type="text/javascript">RED.nodes.registerType('bench-probe', { category: 'config', defaults: {} });
RED.nodes.registerType('bench-raw-ws', { category: 'function', defaults: {}, inputs: 1, outputs: 1 });
RED.nodes.registerType('bench-sink', { category: 'function', defaults: {}, inputs: 1, outputs: 0 });</script>`,
    );
    const red = await startNodeRed(
        [],
        {},
        {
            nodesDirs: [probeDir],
            flags: ['--expose-gc', ...profileFlags()],
            settings: { sisStreamAsrCompactReplay: COMPACT_REPLAY },
            packageRoot,
        },
    );
    return {
        ...red,
        stop: async () => {
            await red.stop();
            rmSync(probeDir, { recursive: true, force: true });
        },
    };
}

interface Probe {
    memory: NodeJS.MemoryUsage;
    sockets: number;
}

async function probe(red: Red, snapshot?: string): Promise<Probe> {
    const query = snapshot ? `&snapshot=${encodeURIComponent(snapshot)}` : '';
    return (await (await fetch(`${red.url}/bench-probe?gc=1${query}`)).json()) as Probe;
}

/** Heap used + external memory of Node-RED after a full collection. */
async function memoryOf(red: Red, snapshot?: string): Promise<number> {
    const { memory } = await probe(red, snapshot);
    return memory.heapUsed + memory.external;
}

/**
 * The baseline of a run: once the WebSockets of the runs before it are closed (the node keeps a
 * finished session's connection idle for a while, for the next session of the same key), the
 * median of BASE_SAMPLES readings.
 */
async function baselineOf(red: Red): Promise<number> {
    const end = Date.now() + 20_000;
    while ((await probe(red)).sockets > 0 && Date.now() < end) await sleep(250);
    const readings: number[] = [];
    for (let i = 0; i < BASE_SAMPLES; i++) {
        if (i > 0) await sleep(100);
        readings.push(await memoryOf(red, i === 0 ? snapshotFile('before') : undefined));
    }
    return median(readings);
}

const SNAPSHOT_DIR = (() => {
    const i = process.argv.indexOf('--snapshot');
    return i > 0 ? path.resolve(process.argv[i + 1]) : undefined;
})();
let snapshotsLeft = SNAPSHOT_DIR ? 2 : 0;

/** Where the next heap snapshot goes (the first baseline's, then the first node run's), if asked for. */
function snapshotFile(name: 'before' | 'during'): string | undefined {
    if (!SNAPSHOT_DIR || snapshotsLeft === 0 || (name === 'during') !== (snapshotsLeft === 1)) return undefined;
    snapshotsLeft--;
    mkdirSync(SNAPSHOT_DIR, { recursive: true });
    return path.join(SNAPSHOT_DIR, `stream-${name}.heapsnapshot`);
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
    /** Chunk-in to last byte handed to the socket, ms, sorted (probed runs). */
    lat: number[];
    /** Timed chunks whose last byte was never handed over before the report. */
    late: number;
    /** The CPU window on Node-RED's clock, µs (for slicing a CPU profile). */
    window: [number, number];
}

/**
 * A run in Node-RED. A probed run times each chunk to its last byte and reads memory at MEMORY_AT;
 * a CPU run does neither (see RawArgs.probed).
 */
async function viaNodeRed(
    red: Red,
    target: 'stream' | 'noop' | 'floor',
    probed: boolean,
): Promise<{ window: Window; report: DriverReport; heap: number; samples: number[] }> {
    const started = Date.now();
    const reply = fetch(`${red.url}/bench-start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sessions: SESSIONS, seconds: SECONDS, target, timing: probed, warmup: WARMUP_S }),
    }).then(async (r) => (await r.json()) as DriverReport);
    const window = cpuWindow(red.pid, started);
    // Memory at steady state, each reading after a full collection.
    const samples: number[] = [];
    for (const at of probed ? MEMORY_AT : []) {
        await sleep(Math.max(0, started + at * SECONDS * 1000 - Date.now()));
        const middle = samples.length === MEMORY_AT.length >> 1;
        const reading = await probe(red, target === 'stream' && middle ? snapshotFile('during') : undefined);
        samples.push(reading.memory.heapUsed + reading.memory.external);
    }
    const [w, report] = await Promise.all([window, reply]);
    return { window: w, report, heap: median(samples), samples };
}

// ---------------------------------------------------------------------------------------------
// The node's session layer alone (a child process of this script, --layer)
// ---------------------------------------------------------------------------------------------

/** StreamSessions fed at the same pace, with a host that only counts. */
async function layerClients(args: RawArgs): Promise<void> {
    const audio = benchAudio();
    const client = new SisClient({
        region: 'cn-north-4',
        authType: 'aksk',
        projectId: PROJECT,
        endpoint: args.url,
        iamEndpoint: args.url,
        credentials: { ak: AK, sk: SK },
    });
    const report: RawReport = {
        results: 0,
        errors: 0,
        chunks: 0,
        heapBefore: args.probed ? await heapBaseline() : 0,
        heapDuring: 0,
        heapSamples: [],
    };
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
        compactReplay: COMPACT_REPLAY,
        reconnects: 5,
        backoffBaseMs: 250,
        backoffMaxMs: 5000,
        handshakeTimeoutMs: 10_000,
        replyTimeoutMs: 15_000,
        idleMs: 10_000,
    };
    // Spare blocks shared as in the node.
    const blocks = new BlockPool(AUDIO_BLOCK_BYTES, () => 4 + (args.sessions >> 2));
    const replayBlocks = new BlockPool(REPLAY_BLOCK_BYTES, () => 4 + args.sessions);
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
                replayBlocks,
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

async function viaClients(
    emulatorUrl: string,
    kind: RawArgs['kind'],
    probed: boolean,
): Promise<{ window: Window; report: RawReport }> {
    const args: RawArgs = { url: emulatorUrl, sessions: SESSIONS, seconds: SECONDS, warmup: WARMUP_S, kind, probed };
    const cli =
        kind === 'raw'
            ? [path.join(__dirname, 'raw-stream-client.ts'), JSON.stringify(args)]
            : [__filename, '--layer-clients', JSON.stringify(args)];
    const child = spawn(process.execPath, ['--expose-gc', '-r', 'tsx/cjs', ...cli], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    let window: Promise<Window> | undefined;
    let report: RawReport | undefined;
    for await (const line of lines) {
        if (line === 'READY') window = cpuWindow(child.pid ?? 0, Date.now());
        else if (line.startsWith('DONE ')) report = JSON.parse(line.slice(5)) as RawReport;
    }
    if (!window || !report) throw new Error(`the ${kind} clients did not finish`);
    return { window: await window, report };
}

/** The floor run: sockets opened and started beforehand, then the driver feeds the minimal raw-ws node. */
async function viaFloor(
    red: Red,
    emulatorUrl: string,
    probed: boolean,
): Promise<{ run: Awaited<ReturnType<typeof viaNodeRed>>; base: number; results: number; errors: number }> {
    // The floor's baseline comes before its sockets open: they are what it costs per session.
    const base = probed ? await baselineOf(red) : 0;
    const sockets = Array.from({ length: SESSIONS }, (_, i) => ({
        session: `s${i}`,
        config: START_CONFIG,
        ...rawHandshake(emulatorUrl),
    }));
    const opened = await fetch(`${red.url}/bench-raw-ws/open`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(sockets),
    });
    if (!opened.ok) throw new Error(`the floor's sockets did not open: ${await opened.text()}`);
    const run = await viaNodeRed(red, 'floor', probed);
    const closed = (await (await fetch(`${red.url}/bench-raw-ws/close`, { method: 'POST' })).json()) as {
        results: number;
        errors: number;
    };
    return { run, base, ...closed };
}

function progress(what: string): void {
    process.stderr.write(`[bench stream] ${what}\n`);
}

interface Round {
    node: number;
    floor: number;
    raw: number;
    harness?: number;
    layer?: number;
    nodeHeap: number;
    floorHeap: number;
    rawHeap: number;
    layerHeap?: number;
    counts: string;
}

/** Every timing of the probed runs of all rounds, per side. */
interface Latencies {
    node: number[];
    floor: number[];
    raw: number[];
    late: string[];
}

// ---------------------------------------------------------------------------------------------

/** CPU cores a window took. */
function rate(w: Window): number {
    return w.cpu / w.seconds;
}

/** `--against`: this checkout's stream node and another's, at once in each round (after a warm-up run). */
async function compareBuilds(red: Red, twin: Red, other: string): Promise<void> {
    await Promise.all([viaNodeRed(red, 'stream', false), viaNodeRed(twin, 'stream', false)]);
    const ratios: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
        progress(`round ${r + 1} of ${ROUNDS}`);
        const [a, b] = await Promise.all([viaNodeRed(red, 'stream', false), viaNodeRed(twin, 'stream', false)]);
        ratios.push(rate(a.window) / rate(b.window));
        console.log(
            `round ${r + 1}: CPU ${fixed(rate(a.window) * 8, 3)} s against ${fixed(rate(b.window) * 8, 3)} s per 8 s`,
        );
    }
    console.log(
        `CPU of this checkout's stream node / ${other}'s, ${SESSIONS} sessions, ${ROUNDS} paired rounds: ${spread(ratios, 3)}`,
    );
}

async function main(): Promise<void> {
    const emulator = await startEmulatorProcess();
    // Two identical Node-REDs: the node runs in one while the floor runs in the other, at the
    // same time, so that what the machine does meanwhile (other processes, the host) weighs on
    // both sides of a round alike.
    const red = await startNodeRedWithProbe();
    const twin = await startNodeRedWithProbe(AGAINST);
    try {
        for (const r of [red, twin]) {
            const deployed = await fetch(`${r.url}/flows`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
                body: JSON.stringify(flow(emulator.url)),
            });
            if (!deployed.ok) throw new Error(`deploy failed: HTTP ${deployed.status}`);
        }
        await sleep(1000);
        const idleHeap = await memoryOf(red);
        const rounds: Round[] = [];
        const windows: Record<'node' | 'floor', string[]> = { node: [], floor: [] };
        const lats: Latencies = { node: [], floor: [], raw: [], late: [] };
        // A run of node and floor first, not counted: the code of either side is compiled and warm
        // before its first measured run.
        progress('warm-up');
        if (AGAINST) {
            await compareBuilds(red, twin, AGAINST);
            return;
        }
        await Promise.all([viaNodeRed(red, 'stream', false), viaFloor(twin, emulator.url, false)]);
        for (let r = 0; r < ROUNDS; r++) {
            progress(`round ${r + 1} of ${ROUNDS}`);
            const harness = HARNESS ? await viaNodeRed(red, 'noop', false) : undefined;
            // CPU runs: node and floor at once, each in its Node-RED; then the raw clients.
            const [stream, f] = await Promise.all([
                viaNodeRed(red, 'stream', false),
                viaFloor(twin, emulator.url, false),
            ]);
            const raw = await viaClients(emulator.url, 'raw', false);
            const layer = LAYER ? await viaClients(emulator.url, 'layer', false) : undefined;
            // Probed runs: latency and memory (a baseline, once the sockets of the runs before are closed).
            const base = await baselineOf(red);
            const probedNode = await viaNodeRed(red, 'stream', true);
            const probedFloor = await viaFloor(twin, emulator.url, true);
            const probedRaw = await viaClients(emulator.url, 'raw', true);
            const probedLayer = LAYER ? await viaClients(emulator.url, 'layer', true) : undefined;
            lats.node.push(...probedNode.report.lat);
            lats.floor.push(...probedFloor.run.report.lat);
            lats.raw.push(...(probedRaw.report.lat ?? []));
            lats.late.push(`${probedNode.report.late}/${probedFloor.run.report.late}`);
            windows.node.push(stream.report.window.join(':'));
            windows.floor.push(f.run.report.window.join(':'));
            const counted = (side: string, c: { chunks: number; results: number; errors: number }): string =>
                `${side}: ${c.chunks} chunks, ${c.results} final sentences, ${c.errors} errors`;
            rounds.push({
                node: rate(stream.window),
                floor: rate(f.run.window),
                raw: rate(raw.window),
                harness: harness && rate(harness.window),
                layer: layer && rate(layer.window),
                nodeHeap: (probedNode.heap - base) / SESSIONS,
                floorHeap: (probedFloor.run.heap - probedFloor.base) / SESSIONS,
                rawHeap: (probedRaw.report.heapDuring - probedRaw.report.heapBefore) / SESSIONS,
                layerHeap: probedLayer && (probedLayer.report.heapDuring - probedLayer.report.heapBefore) / SESSIONS,
                counts: [
                    counted('node', stream.report),
                    counted('floor', { chunks: f.run.report.chunks, results: f.results, errors: f.errors }),
                    counted('raw', raw.report),
                    ...(layer ? [counted('layer', layer.report)] : []),
                ].join('; '),
            });
        }
        for (const l of [lats.node, lats.floor, lats.raw]) l.sort((x, y) => x - y);
        const over = (f: (r: Round) => number | undefined, digits = 2, scale = 1): string => {
            const v = rounds.map(f).filter((x): x is number => x !== undefined);
            return v.length
                ? spread(
                      v.map((x) => x * scale),
                      digits,
                  )
                : '';
        };
        const lat = (l: number[]): string =>
            `${fixed(percentile(l, 50), 3)} / ${fixed(percentile(l, 99), 3)} / ${fixed(l[l.length - 1] ?? 0, 3)}`;
        const row = (figure: string, cells: Record<string, string>): Record<string, string> => ({
            figure,
            node: '',
            floor: '',
            raw: '',
            'session layer alone': '',
            goal: '',
            ...cells,
        });
        const perRound = 8;
        printTable([
            row(`CPU s per ${perRound} s of streaming, ${SESSIONS} sessions`, {
                node: over((r) => r.node * perRound),
                floor: over((r) => r.floor * perRound),
                raw: over((r) => r.raw * perRound),
                'session layer alone': LAYER ? over((r) => r.layer && r.layer * perRound) : '',
            }),
            row('CPU / floor', { node: over((r) => r.node / r.floor), floor: '1', goal: '<= 1.15' }),
            row('CPU / raw', {
                node: over((r) => r.node / r.raw),
                floor: over((r) => r.floor / r.raw),
                raw: '1',
                'session layer alone': LAYER ? over((r) => r.layer && r.layer / r.raw) : '',
            }),
            row('chunk-in to last byte handed to the socket, p50 / p99 / max (ms)', {
                node: lat(lats.node),
                floor: lat(lats.floor),
                raw: lat(lats.raw),
            }),
            row('memory per session, heap + external (KiB)', {
                node: over((r) => r.nodeHeap, 1, 1 / 1024),
                floor: over((r) => r.floorHeap, 1, 1 / 1024),
                raw: over((r) => r.rawHeap, 1, 1 / 1024),
                'session layer alone': LAYER ? over((r) => r.layerHeap, 1, 1 / 1024) : '',
                goal: '< 64',
            }),
        ]);
        console.log(
            `\n${ROUNDS} round(s) of ${SECONDS} s (CPU counted from ${WARMUP_S} s to ${SECONDS - 0.5} s); medians (min–max); ` +
                `Node ${process.version}; replay audio ${COMPACT_REPLAY ? 'kept coded' : 'kept as it is'}; Node-RED idle heap ${fixed(idleHeap / 1048576, 1)} MiB` +
                (HARNESS ? `; harness alone (driver into a no-op node): ${over((r) => r.harness, 3)} cores` : ''),
        );
        for (const r of rounds) console.log(r.counts);
        console.log(
            `CPU windows: node in Node-RED pid ${red.pid} --windows ${windows.node.join(',')}, floor in pid ${twin.pid} --vs-windows ${windows.floor.join(',')}` +
                ' (µs on the clock of --cpu-prof and perf -k CLOCK_MONOTONIC; for bench/profile-summary.ts with --vs <the floor process profile>)',
        );
        const kib = (v: number): string => fixed(v / 1024, 1);
        for (const [i, r] of rounds.entries())
            console.log(
                `memory per session, round ${i + 1} (KiB): node ${kib(r.nodeHeap)}, floor ${kib(r.floorHeap)}, raw ${kib(r.rawHeap)}`,
            );
        console.log(
            `probed runs: node ${lats.node.length} chunks timed, floor ${lats.floor.length}, raw ${lats.raw.length}; ` +
                `never fully handed over, node/floor per round: ${lats.late.join(', ')}`,
        );
    } finally {
        await Promise.all([red.stop(), twin.stop()]);
        await emulator.stop();
    }
}

if (process.argv.includes('--layer-clients')) {
    const i = process.argv.indexOf('--layer-clients');
    layerClients(JSON.parse(process.argv[i + 1]) as RawArgs).catch((err: unknown) => {
        console.error(err);
        process.exit(1);
    });
} else {
    main().catch((err: unknown) => {
        console.error(err);
        process.exit(1);
    });
}
