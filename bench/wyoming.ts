// sis-wyoming latencies against the bundled emulator, through the real Node-RED runtime and a
// Wyoming client speaking as Home Assistant does: `npx tsx bench/wyoming.ts` (optional:
// SIS_BENCH_RUNS, default 20; SIS_BENCH_LATENCY_MS, default 300).
//
// 1. Transcript after `audio-stop`: the time from `audio-stop` to `transcript`, beside the
//    emulator's own time from END to its last reply on a raw WebSocket doing the same recognition
//    (in both, the audio is sent 300 ms before the end, as audio streamed in real time is).
// 2. First audio of a six-sentence answer: a plain `synthesize` (sentence by sentence over
//    real-time synthesis) against one REST request for the whole answer, with the same service
//    latency on both (each real-time handshake and each REST answer delayed by it).
import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';
import { startEmulator } from '../emulator/index';
import type { SisClient } from '../nodes/lib/cloud/sis-client';
import { openServiceSocket } from '../nodes/lib/cloud/ws-connect';
import { fixture, transcript } from '../test/helpers/fixtures';
import { asFlow, helper } from '../test/helpers/nr';
import { wyomingClient } from '../test/helpers/wyoming';
import { freePort, percentile } from './lib';

const RUNS = Number(process.env.SIS_BENCH_RUNS ?? 20);
const LATENCY_MS = Number(process.env.SIS_BENCH_LATENCY_MS ?? 300);
/** Time for streamed audio to reach the service before the end is signalled. */
const SETTLE_MS = 300;
const ANSWER =
    '好的，客厅的灯已经打开了。现在室内温度是二十三度。湿度百分之四十五。空气质量良好。明天有小雨，记得带伞。还有什么需要帮忙的吗？';

/** The emulator's own time: START, all audio, END → its END reply, on one raw connection. */
async function rawRecognition(client: SisClient, pcm: Buffer): Promise<number> {
    const ws = (await openServiceSocket(client, '/rasr/continue-stream', {
        handshakeTimeoutMs: 10_000,
        what: 'bench',
    })) as WebSocket;
    try {
        return await new Promise<number>((resolve, reject) => {
            let endAt = 0;
            ws.on('message', (data, binary) => {
                if (binary) return;
                const m = JSON.parse(String(data)) as { resp_type: string };
                if (m.resp_type === 'START') {
                    for (let i = 0; i < pcm.length; i += 32000) ws.send(pcm.subarray(i, i + 32000));
                    // As when audio arrives in real time: the service has it all before END.
                    setTimeout(() => {
                        endAt = performance.now();
                        ws.send(JSON.stringify({ command: 'END', cancel: false }));
                    }, SETTLE_MS);
                } else if (m.resp_type === 'END') resolve(performance.now() - endAt);
                else if (m.resp_type === 'ERROR' || m.resp_type === 'FATAL_ERROR') reject(new Error(JSON.stringify(m)));
            });
            ws.send(
                JSON.stringify({
                    command: 'START',
                    config: { audio_format: 'pcm16k16bit', property: 'english_16k_common', add_punc: 'yes' },
                }),
            );
        });
    } finally {
        ws.close();
    }
}

async function wyomingRecognition(port: number, pcm: Buffer): Promise<number> {
    const c = await wyomingClient(port);
    try {
        const rate = { rate: 16000, width: 2, channels: 1 };
        c.send('transcribe', { language: 'en-US' });
        c.send('audio-start', rate);
        for (let i = 0; i < pcm.length; i += 2048) c.send('audio-chunk', rate, pcm.subarray(i, i + 2048));
        // Home Assistant streams in real time: the audio has reached the service by audio-stop.
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        const stop = performance.now();
        c.send('audio-stop');
        await c.next('transcript');
        return performance.now() - stop;
    } finally {
        c.close();
    }
}

async function wyomingSpeech(port: number): Promise<{ first: number; last: number }> {
    const c = await wyomingClient(port);
    try {
        const start = performance.now();
        c.send('synthesize', { text: ANSWER, voice: { name: 'chinese_xiaoyan_common' } });
        await c.next('audio-chunk', 60_000);
        const first = performance.now() - start;
        await c.next('audio-stop', 60_000);
        return { first, last: performance.now() - start };
    } finally {
        c.close();
    }
}

async function restWhole(client: SisClient): Promise<number> {
    const start = performance.now();
    await client.call({
        method: 'POST',
        path: '/tts',
        json: {
            text: ANSWER,
            config: {
                audio_format: 'pcm',
                sample_rate: '16000',
                property: 'chinese_xiaoyan_common',
                speed: 0,
                volume: 50,
            },
        },
        idempotent: true,
        what: 'bench',
    });
    return performance.now() - start;
}

function stats(list: number[]): string {
    const sorted = [...list].sort((a, b) => a - b);
    return `median ${Math.round(percentile(sorted, 50))} ms, p90 ${Math.round(percentile(sorted, 90))} ms`;
}

async function main(): Promise<void> {
    const emu = await startEmulator({ limits: { serviceLatencyMs: LATENCY_MS } });
    emu.transcripts.register(fixture('en_16k.wav'), transcript('en_16k.wav'));
    await new Promise<void>((resolve) => helper.startServer(() => resolve()));
    try {
        const a = emu.account;
        const port = await freePort();
        await helper.load(
            [require('../nodes/sis-config'), require('../nodes/sis-wyoming')],
            asFlow([
                { id: 'tab', type: 'tab' },
                {
                    id: 'cfg',
                    type: 'sis-config',
                    region: a.region,
                    authType: 'aksk',
                    endpoint: emu.url,
                    iamEndpoint: emu.url,
                    maxRetries: 0,
                },
                {
                    id: 'w',
                    type: 'sis-wyoming',
                    z: 'tab',
                    config: 'cfg',
                    host: '127.0.0.1',
                    port,
                    zeroconf: 'no',
                    wires: [[]],
                },
            ]),
            { cfg: { ak: a.ak, sk: a.sk } },
        );
        const cfg = helper.getNode('cfg') as unknown as { client: SisClient };
        await new Promise((r) => setTimeout(r, 200)); // the server opens just after the flow starts
        const pcm = fixture('en_16k.pcm');
        // Warm up signing, the project id and the connections.
        await rawRecognition(cfg.client, pcm);
        await wyomingRecognition(port, pcm);
        const raw: number[] = [];
        const wy: number[] = [];
        for (let i = 0; i < RUNS; i++) {
            raw.push(await rawRecognition(cfg.client, pcm));
            wy.push(await wyomingRecognition(port, pcm));
        }
        // Each real-time synthesis starts after the service latency, as the REST answer comes after it.
        emu.faults.add({ route: 'rtts', kind: 'delay', delayMs: LATENCY_MS, count: 100_000 });
        const firsts: number[] = [];
        const lasts: number[] = [];
        const rest: number[] = [];
        for (let i = 0; i < Math.max(3, Math.round(RUNS / 4)); i++) {
            const s = await wyomingSpeech(port);
            firsts.push(s.first);
            lasts.push(s.last);
            rest.push(await restWhole(cfg.client));
        }
        emu.faults.clear();
        const rows: [string, string][] = [
            ['runs', String(RUNS)],
            ['transcript after audio-stop (Wyoming)', stats(wy)],
            ['emulator END → END reply (raw WebSocket)', stats(raw)],
            ['service latency (REST answer, real-time handshake)', `${LATENCY_MS} ms`],
            [`answer of ${[...ANSWER].length} characters, 6 sentences`, ''],
            ['first audio, Wyoming synthesize', stats(firsts)],
            ['last audio, Wyoming synthesize', stats(lasts)],
            ['whole answer, one REST request', stats(rest)],
        ];
        const width = Math.max(...rows.map(([k]) => k.length));
        console.log(`sis-wyoming bench (Node ${process.version})`);
        for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
        const med = (l: number[]) =>
            percentile(
                [...l].sort((x, y) => x - y),
                50,
            );
        const ok = med(wy) < med(raw) + 50 && med(firsts) < med(rest);
        console.log(ok ? 'OK' : 'NOT MET');
        process.exitCode = ok ? 0 : 1;
    } finally {
        await helper.unload();
        await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
        await emu.close();
    }
}

main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
});
