// Benchmark of device microphones over MQTT: N simulated devices (default 50) stream 16 kHz audio
// in 40 ms chunks at real-time pace through a Mosquitto broker into a started Node-RED (core
// `mqtt in` → change node: session = device → sis-stream-asr), against the emulator. The same
// load without the broker — the chunks handed to the same change node and a second stream node
// by a source node inside Node-RED — is measured in the same run, so the CPU that MQTT adds (in
// Node-RED and in the broker) can be read off. Run: `npm run build && npx tsx bench/mqtt.ts
// [--devices 50] [--seconds 15]` (about a minute with the defaults; skipped without Mosquitto).
//
// Keeping up: the bytes the emulator has received are read halfway and at the end of the
// streaming (before the devices say `end`) and compared with the bytes the devices had sent by
// then. A backlog that does not grow between the two readings means recognition keeps pace.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { type Broker, MOSQUITTO, type MqttClient, mqttClient, startMosquitto } from '../test/helpers/mosquitto';
import {
    cpuSeconds,
    fixed,
    numberArg,
    type Proc,
    printTable,
    ROOT,
    startEmulatorProcess,
    startNodeRed,
    writeBenchModule,
} from './lib';
import { AK, benchAudio, CHUNK, paceChunks, SK, sleep } from './stream-pace';

const DEVICES = numberArg('devices', 50);
const SECONDS = numberArg('seconds', 15);
const WARMUP_S = 3;

// ---------------------------------------------------------------------------------------------
// The devices: one MQTT client each, in a process of their own (`--devices-process`)
// ---------------------------------------------------------------------------------------------

async function devicesProcess(url: string): Promise<void> {
    const clients: MqttClient[] = await Promise.all(
        Array.from({ length: DEVICES }, (_, i) => mqttClient(url, `bench-d${i}`, 1000)),
    );
    console.log('READY');
    await paceChunks(benchAudio(), DEVICES, SECONDS, (i, chunk) => {
        clients[i].publish(`sis/audio/d${i}`, chunk, { qos: 0 });
    });
    for (let i = 0; i < DEVICES; i++) clients[i].publish(`sis/control/d${i}`, 'end', { qos: 1 });
    await new Promise((r) => setTimeout(r, 1000));
    for (const c of clients) c.end(true);
    console.log('DONE');
}

// ---------------------------------------------------------------------------------------------
// Node-RED with the flow and a source node for the run without the broker
// ---------------------------------------------------------------------------------------------

function sourceModule(audioFile: string): string {
    return `
const { readFileSync } = require('node:fs');
const { paceChunks } = require('./stream-pace.js');
const audio = readFileSync(${JSON.stringify(audioFile)});
module.exports = function (RED) {
    const sources = new Map();
    const tally = { finals: 0, errors: 0 };
    RED.nodes.registerType('bench-source', function (config) {
        RED.nodes.createNode(this, config);
        sources.set(config.target, this);
    });
    RED.nodes.registerType('bench-sink', function (config) {
        RED.nodes.createNode(this, config);
        this.on('input', (msg, _send, done) => {
            if (msg.sis_error) tally.errors++;
            else if (msg.final === true) tally.finals++;
            done();
        });
    });
    RED.httpAdmin.get('/bench-tally', (_req, res) => res.json(tally));
    RED.httpAdmin.post('/bench-start', (req, res) => {
        const { devices: n, seconds, target } = req.body;
        const source = sources.get(target);
        const ended = paceChunks(audio, n, seconds, (i, chunk) => {
            source.send({ topic: 'sis/audio/d' + i, payload: chunk });
        });
        ended.then(() => {
            if (target === 'stream') for (let i = 0; i < n; i++) source.send({ topic: 'sis/audio/d' + i, control: 'end' });
        });
        res.json({});
    });
};
`;
}

function flow(emulatorUrl: string, brokerPort: number): unknown[] {
    const z = 'bench';
    const stream = (id: string) => ({
        id,
        type: 'sis-stream-asr',
        z,
        config: 'cfg',
        mode: 'continue-stream',
        property: 'chinese_16k_general',
        audio_format: 'pcm16k16bit',
        interim_results: 'yes',
        add_punc: 'yes',
        idleTimeout: 10,
        maxSessions: DEVICES + 10,
        x: 0,
        y: 0,
        wires: [['sink'], []],
    });
    const session = (id: string, next: string) => ({
        id,
        type: 'change',
        z,
        rules: [
            { t: 'set', p: 'session', pt: 'msg', to: 'topic', tot: 'msg' },
            { t: 'change', p: 'session', pt: 'msg', from: 'sis/audio/', fromt: 'str', to: '', tot: 'str' },
        ],
        x: 0,
        y: 0,
        wires: [[next]],
    });
    return [
        { id: z, type: 'tab', label: 'mqtt bench' },
        {
            id: 'cfg',
            type: 'sis-config',
            region: 'cn-north-4',
            authType: 'aksk',
            endpoint: emulatorUrl,
            iamEndpoint: emulatorUrl,
            obsEndpoint: emulatorUrl,
            credentials: { ak: AK, sk: SK },
        },
        { id: 'broker', type: 'mqtt-broker', broker: '127.0.0.1', port: String(brokerPort), protocolVersion: '4' },
        // Through the broker, as examples/mqtt-microphones.json.
        {
            id: 'audio',
            type: 'mqtt in',
            z,
            topic: 'sis/audio/+',
            qos: '0',
            datatype: 'buffer',
            broker: 'broker',
            x: 0,
            y: 0,
            wires: [['session-mqtt']],
        },
        {
            id: 'control',
            type: 'mqtt in',
            z,
            topic: 'sis/control/+',
            qos: '1',
            datatype: 'utf8',
            broker: 'broker',
            x: 0,
            y: 0,
            wires: [['control-mqtt']],
        },
        session('session-mqtt', 'asr-mqtt'),
        {
            id: 'control-mqtt',
            type: 'change',
            z,
            rules: [
                { t: 'set', p: 'session', pt: 'msg', to: 'topic', tot: 'msg' },
                { t: 'change', p: 'session', pt: 'msg', from: 'sis/control/', fromt: 'str', to: '', tot: 'str' },
                { t: 'move', p: 'payload', pt: 'msg', to: 'control', tot: 'msg' },
            ],
            x: 0,
            y: 0,
            wires: [['asr-mqtt']],
        },
        stream('asr-mqtt'),
        // The same load without the broker.
        { id: 'source', type: 'bench-source', z, target: 'stream', x: 0, y: 0, wires: [['session-direct']] },
        // The source alone, into a node that does nothing: its own cost, taken off the run above.
        { id: 'source-noop', type: 'bench-source', z, target: 'noop', x: 0, y: 0, wires: [['noop']] },
        { id: 'noop', type: 'change', z, rules: [], x: 0, y: 0, wires: [[]] },
        session('session-direct', 'asr-direct'),
        stream('asr-direct'),
        { id: 'catch', type: 'catch', z, scope: ['asr-mqtt', 'asr-direct'], x: 0, y: 0, wires: [['sink']] },
        { id: 'sink', type: 'bench-sink', z, x: 0, y: 0, wires: [] },
    ];
}

/** Node-RED (lib's startNodeRed) loading, beside dist/nodes, the source and sink nodes of sourceModule. */
async function startNodeRedWithSource(): Promise<Proc> {
    const dir = mkdtempSync(path.join(tmpdir(), 'sis-mqtt-bench-'));
    const probeDir = path.join(dir, 'probe');
    mkdirSync(probeDir);
    const audioFile = path.join(dir, 'audio.pcm');
    writeFileSync(audioFile, benchAudio());
    writeFileSync(path.join(probeDir, 'bench-source.js'), sourceModule(audioFile));
    writeBenchModule(probeDir, ['stream-pace.ts', 'raw-signing.ts']);
    writeFileSync(
        path.join(probeDir, 'bench-source.html'),
        `<script type="text/javascript">RED.nodes.registerType('bench-source', { category: 'function', defaults: { target: {} }, inputs: 0, outputs: 1 });
RED.nodes.registerType('bench-sink', { category: 'function', defaults: {}, inputs: 1, outputs: 0 });</script>`,
    );
    const red = await startNodeRed([], {}, { nodesDirs: [probeDir] });
    return {
        ...red,
        stop: async () => {
            await red.stop();
            rmSync(dir, { recursive: true, force: true });
        },
    };
}

function progress(what: string): void {
    process.stderr.write(`[bench mqtt] ${what}\n`);
}

/** Audio bytes the emulator has received on its real-time connections since its log was cleared. */
async function received(emulatorUrl: string): Promise<number> {
    const { entries } = (await (await fetch(`${emulatorUrl}/__emulator/log`)).json()) as {
        entries: { route: string; ws?: { bytes: number } }[];
    };
    return entries.filter((e) => e.route === 'rasr').reduce((n, e) => n + (e.ws?.bytes ?? 0), 0);
}

interface Run {
    cpu: Record<string, number>;
    /** Bytes sent and received halfway and at the end of the streaming. */
    mid: { sent: number; heard: number };
    end: { sent: number; heard: number };
    finals: number;
    errors: number;
}

/** CPU (cores) of each pid between WARMUP_S and the end, and the backlog readings. */
async function measure(
    pids: Record<string, number>,
    started: number,
    emulatorUrl: string,
    sentSoFar: () => number,
): Promise<Omit<Run, 'finals' | 'errors'>> {
    await sleep(Math.max(0, started + WARMUP_S * 1000 - Date.now()));
    const c0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
    const t0 = Date.now();
    await sleep(Math.max(0, started + (SECONDS * 1000) / 2 - Date.now()));
    const mid = { sent: sentSoFar(), heard: await received(emulatorUrl) };
    await sleep(Math.max(0, started + (SECONDS - 0.3) * 1000 - Date.now()));
    const end = { sent: sentSoFar(), heard: await received(emulatorUrl) };
    const seconds = (Date.now() - t0) / 1000;
    const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, (cpuSeconds(pid) - c0[k]) / seconds]));
    return { cpu, mid, end };
}

async function tally(url: string): Promise<{ finals: number; errors: number }> {
    return (await (await fetch(`${url}/bench-tally`)).json()) as { finals: number; errors: number };
}

async function main(): Promise<void> {
    if (!MOSQUITTO) {
        console.log('skipped: Mosquitto is not installed (apt-get install -y mosquitto)');
        return;
    }
    const emulator = await startEmulatorProcess();
    let broker: Broker | undefined;
    const red = await startNodeRedWithSource();
    try {
        broker = await startMosquitto();
        const deployed = await fetch(`${red.url}/flows`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
            body: JSON.stringify(flow(emulator.url, broker.port)),
        });
        if (!deployed.ok) throw new Error(`deploy failed: HTTP ${deployed.status}`);
        await sleep(2000);
        progress(`Node-RED, Mosquitto and the emulator are up; ${DEVICES} devices, ${SECONDS} s per run`);
        const redPid = red.pid;

        const bytesPerMs = (DEVICES * CHUNK) / 40;
        /** A run fed by the source node inside Node-RED (`stream`: into the stream node; `noop`: nowhere). */
        const inside = async (target: 'stream' | 'noop') => {
            await fetch(`${emulator.url}/__emulator/log`, { method: 'DELETE' });
            progress(`inside Node-RED (${target}): streaming`);
            const t0 = Date.now();
            const started = await fetch(`${red.url}/bench-start`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ devices: DEVICES, seconds: SECONDS, target }),
            });
            if (!started.ok) throw new Error(`bench-start: HTTP ${started.status}`);
            const run = await measure({ nodeRed: redPid }, t0, emulator.url, () => (Date.now() - t0) * bytesPerMs);
            await sleep(2500);
            return run;
        };
        // 1. The source node alone (its cost), then the same load without the broker.
        const harnessRun = await inside('noop');
        const directRun = await inside('stream');
        const directTally = await tally(red.url);

        // 2. Through Mosquitto: the devices in their own process, one MQTT client each.
        await fetch(`${emulator.url}/__emulator/log`, { method: 'DELETE' });
        const devices = spawn(
            process.execPath,
            [
                '-r',
                'tsx/cjs',
                __filename,
                '--devices-process',
                broker.url,
                '--devices',
                String(DEVICES),
                '--seconds',
                String(SECONDS),
            ],
            { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
        );
        let ready!: () => void;
        const isReady = new Promise<void>((resolve) => {
            ready = resolve;
        });
        const finished = new Promise<void>((resolve) => devices.once('exit', () => resolve()));
        createInterface({ input: devices.stdout as NodeJS.ReadableStream }).on('line', (line) => {
            if (line === 'READY') ready();
        });
        await isReady;
        progress('through Mosquitto: streaming');
        const t0 = Date.now();
        const mosquittoPid = broker.pid();
        const mqttRun = await measure(
            { nodeRed: redPid, mosquitto: mosquittoPid, devices: devices.pid ?? 0 },
            t0,
            emulator.url,
            // The devices pace themselves from READY on, as the source node does.
            () => (Date.now() - t0) * bytesPerMs,
        );
        await finished;
        await sleep(2000);
        const after = await tally(red.url);
        const mqttTally = { finals: after.finals - directTally.finals, errors: after.errors - directTally.errors };

        const recognition = directRun.cpu.nodeRed - harnessRun.cpu.nodeRed;
        const cores = (n: number | undefined): string => (n === undefined ? '' : fixed(n, 3));
        const backlog = (r: { sent: number; heard: number }): string =>
            `${fixed((r.sent - r.heard) / (DEVICES * 32), 0)} ms`;
        const keptUp = (r: Omit<Run, 'finals' | 'errors'>): string =>
            `${fixed((100 * r.end.heard) / r.end.sent, 1)} % (backlog ${backlog(r.mid)} → ${backlog(r.end)})`;
        printTable([
            {
                run: 'source node alone (harness)',
                'Node-RED CPU': cores(harnessRun.cpu.nodeRed),
                'Mosquitto CPU': '',
                'devices CPU': '',
                'received / sent at the end': '',
                'final sentences / errors': '',
            },
            {
                run: `${DEVICES} devices, no broker (source node)`,
                'Node-RED CPU': `${cores(directRun.cpu.nodeRed)} (${cores(recognition)} without the harness)`,
                'Mosquitto CPU': '',
                'devices CPU': '',
                'received / sent at the end': keptUp(directRun),
                'final sentences / errors': `${directTally.finals} / ${directTally.errors}`,
            },
            {
                run: `${DEVICES} devices through Mosquitto`,
                'Node-RED CPU': cores(mqttRun.cpu.nodeRed),
                'Mosquitto CPU': cores(mqttRun.cpu.mosquitto),
                'devices CPU': cores(mqttRun.cpu.devices),
                'received / sent at the end': keptUp(mqttRun),
                'final sentences / errors': `${mqttTally.finals} / ${mqttTally.errors}`,
            },
        ]);
        const addedRed = mqttRun.cpu.nodeRed - recognition;
        console.log(
            `\nCPU added by MQTT: Node-RED +${fixed(addedRed, 3)} cores (${fixed((100 * addedRed) / recognition, 0)} % over the same load without the broker), ` +
                `Mosquitto ${fixed(mqttRun.cpu.mosquitto, 3)} cores; total +${fixed(addedRed + mqttRun.cpu.mosquitto, 3)} cores ` +
                `for ${DEVICES} devices (${fixed((1000 * (addedRed + mqttRun.cpu.mosquitto)) / DEVICES, 1)} millicores per device). ` +
                `CPU in cores over ${SECONDS - WARMUP_S} s after ${WARMUP_S} s of warm-up; the backlog is the audio sent but not yet received by the service, halfway → at the end.`,
        );
    } finally {
        await red.stop();
        await broker?.close();
        await emulator.stop();
    }
}

if (process.argv.includes('--devices-process')) {
    const url = process.argv[process.argv.indexOf('--devices-process') + 1];
    devicesProcess(url).catch((err: unknown) => {
        console.error(err);
        process.exit(1);
    });
} else {
    main().catch((err: unknown) => {
        console.error(err);
        process.exit(1);
    });
}
