// sis-tts throughput and first-audio latency against the bundled emulator, through the real
// Node-RED runtime: `npx tsx bench/tts.ts` (optional: SIS_BENCH_LATENCY_MS, default 1000).
//
// 1. A 10,000-character text in whole-file mode with the node's default bound: wall time,
//    requests in flight, and the ratio to the ideal ceil(pieces / bound) service latencies.
// 2. One 500-character request in the same run, for reference.
// 3. Time to the first audio message: real-time mode against whole-file mode.
import { performance } from 'node:perf_hooks';
import { type Emulator, startEmulator } from '../emulator/index';
import type { SisClient, SisResult } from '../nodes/lib/cloud/sis-client';
import { planTexts } from '../nodes/lib/tts/split';
import { TTS_DEFAULT_CONCURRENCY } from '../nodes/lib/tts/tts';
import { asFlow, helper } from '../test/helpers/nr';

const LATENCY_MS = Number(process.env.SIS_BENCH_LATENCY_MS ?? 1000);
const TOTAL_CHARS = 10_000;
const PIECE_CHARS = 500;

type Msg = Record<string, unknown>;

function chineseText(chars: number): string {
    let text = '';
    for (let i = 0; [...text].length < chars; i++) text += `第${i}句，今天天气很好，我们一起去公园散步吧。`;
    return [...text].slice(0, chars).join('');
}

interface Watch {
    peak: number;
    calls: number;
}

/** Counts the config node client's calls in flight. */
function watchCalls(): Watch {
    const cfg = helper.getNode('cfg') as unknown as { client: SisClient };
    const client = cfg.client;
    const original = client.call.bind(client);
    const watch: Watch = { peak: 0, calls: 0 };
    let active = 0;
    client.call = async <T>(call: Parameters<SisClient['call']>[0]): Promise<SisResult<T>> => {
        active++;
        watch.calls++;
        watch.peak = Math.max(watch.peak, active);
        try {
            return await original<T>(call);
        } finally {
            active--;
        }
    };
    return watch;
}

/** Sends one message to `node` and resolves with the time to the first output and to the last part. */
function timeOne(node: string, out: string, payload: string): Promise<{ first: number; last: number; parts: number }> {
    return new Promise((resolve, reject) => {
        const collector = helper.getNode(out);
        const started = performance.now();
        let first = 0;
        let parts = 0;
        const timer = setTimeout(() => reject(new Error('no answer in 120 s')), 120_000);
        const onInput = (msg: Msg): void => {
            parts++;
            if (!first) first = performance.now() - started;
            const p = msg.parts as { count?: number } | undefined;
            if (!p || p.count !== undefined) {
                clearTimeout(timer);
                collector.removeListener('input', onInput);
                resolve({ first, last: performance.now() - started, parts });
            }
        };
        collector.on('input', onInput);
        helper.getNode(node).receive({ payload });
    });
}

async function load(emu: Emulator): Promise<void> {
    const a = emu.account;
    const common = { z: 'tab', config: 'cfg', property: 'chinese_xiaoyan_common', sample_rate: '8000' };
    const flow = [
        { id: 'tab', type: 'tab' },
        {
            id: 'cfg',
            type: 'sis-config',
            region: a.region,
            projectId: a.projectId,
            authType: 'aksk',
            endpoint: emu.url,
            iamEndpoint: emu.url,
            maxRetries: 0,
        },
        // The node's own default bound (no concurrency set).
        { id: 'file', type: 'sis-tts', ...common, audio_format: 'mp3', mode: 'rest', wires: [['fileOut']] },
        { id: 'live', type: 'sis-tts', ...common, audio_format: 'pcm', mode: 'realtime', wires: [['liveOut']] },
        { id: 'fileOut', type: 'helper', z: 'tab' },
        { id: 'liveOut', type: 'helper', z: 'tab' },
    ];
    await helper.load([require('../nodes/sis-config'), require('../nodes/sis-tts')], asFlow(flow), {
        cfg: { ak: a.ak, sk: a.sk },
    });
}

function ms(n: number): string {
    return `${Math.round(n)} ms`;
}

async function main(): Promise<void> {
    const emu = await startEmulator({ limits: { serviceLatencyMs: LATENCY_MS } });
    await new Promise<void>((resolve) => helper.startServer(() => resolve()));
    try {
        await load(emu);
        const long = chineseText(TOTAL_CHARS);
        const pieces = planTexts(long, PIECE_CHARS, false).length;
        const bound = TTS_DEFAULT_CONCURRENCY;
        const short = chineseText(PIECE_CHARS);

        // Warm up connections, signing and the project id.
        await timeOne('file', 'fileOut', '你好。');
        const watch = watchCalls();

        const single = await timeOne('file', 'fileOut', short);
        watch.peak = 0;
        watch.calls = 0;
        const whole = await timeOne('file', 'fileOut', long);
        const ideal = Math.ceil(pieces / bound) * LATENCY_MS;
        const idealMeasured = Math.ceil(pieces / bound) * single.last;

        // The service's start-up time for a real-time synthesis, modelled by delaying each handshake.
        emu.faults.add({ route: 'rtts', kind: 'delay', delayMs: LATENCY_MS, count: 1000 });
        const live = await timeOne('live', 'liveOut', long);
        emu.faults.clear();

        const rows: [string, string][] = [
            ['service latency per request', ms(LATENCY_MS)],
            ['text', `${TOTAL_CHARS} characters → ${pieces} requests of ≤ ${PIECE_CHARS}`],
            ['default bound', String(bound)],
            ['one 500-character request', ms(single.last)],
            ['whole file, 10,000 characters', ms(whole.last)],
            ['requests in flight (peak)', `${watch.peak} of ${watch.calls} requests`],
            [`ideal: ceil(${pieces} / ${bound}) × latency`, ms(ideal)],
            ['wall time / ideal', `${((whole.last / ideal) * 100).toFixed(1)} % (limit 115 %)`],
            ['wall time / (ceil × one request)', `${((whole.last / idealMeasured) * 100).toFixed(1)} %`],
            ['first audio, whole file mode', ms(whole.first)],
            ['first audio, real-time mode', ms(live.first)],
            ['real-time mode, last part', `${ms(live.last)} (${live.parts} parts)`],
        ];
        const width = Math.max(...rows.map(([k]) => k.length));
        console.log(`sis-tts bench (Node ${process.version})`);
        for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
        const ok = watch.peak >= 4 && whole.last <= ideal * 1.15 && live.first < whole.first;
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
