// The raw side of the REST bench: a plain undici client in a plain Node.js process doing the
// network work of sis-short-asr, sis-flash-asr or sis-tts (whole file) with the bench's own
// signing. It imports no module of the package (a test checks this). Prints one JSON line with
// its wall time, CPU time (process.cpuUsage around the run) and latencies.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import { type RawKeys, signObs, signSdk } from './raw-signing';

interface Args {
    target: 'short' | 'flash' | 'tts';
    url: string;
    total: number;
    inflight: number;
    /** A file with the audio, or the text itself for tts. */
    input: string;
    ak: string;
    sk: string;
    projectId: string;
    bucket: string;
}

const args = JSON.parse(process.argv[2]) as Args;
const keys: RawKeys = { ak: args.ak, sk: args.sk };
const endpoint = new URL(args.url);
const audio = args.target === 'tts' ? Buffer.alloc(0) : readFileSync(args.input);
const agent = new Agent({ connections: args.inflight, keepAliveTimeout: 30_000 });

async function sis(path: string, query: string, body: string | undefined): Promise<Record<string, unknown>> {
    const full = `/v1/${args.projectId}${path}`;
    const headers = signSdk(
        'POST',
        endpoint.host,
        full,
        query,
        { 'content-type': 'application/json', 'x-project-id': args.projectId },
        body,
        keys,
    );
    const res = await agent.request({
        origin: endpoint.origin,
        path: query ? `${full}?${query}` : full,
        method: 'POST',
        headers,
        body,
    });
    const json = (await res.body.json()) as Record<string, unknown>;
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
    return json;
}

async function obs(method: 'PUT' | 'DELETE', key: string, body?: Buffer): Promise<void> {
    const res = await agent.request({
        origin: endpoint.origin,
        path: `/${args.bucket}/${key}`,
        method,
        headers: signObs(method, args.bucket, key, 'audio/wav', body, keys),
        body,
    });
    await res.body.dump();
    if (res.statusCode >= 300) throw new Error(`OBS HTTP ${res.statusCode}`);
}

async function one(): Promise<void> {
    if (args.target === 'short') {
        const body = JSON.stringify({
            config: { audio_format: 'wav', property: 'chinese_16k_common', add_punc: 'yes' },
            data: audio.toString('base64'),
        });
        const json = (await sis('/asr/short-audio', '', body)) as { result: { text: string } };
        if (typeof json.result.text !== 'string') throw new Error('no text');
        return;
    }
    if (args.target === 'tts') {
        const body = JSON.stringify({
            text: args.input,
            config: { audio_format: 'wav', sample_rate: '8000', property: 'chinese_xiaoyan_common' },
        });
        const json = (await sis('/tts', '', body)) as { result: { data: string } };
        if (Buffer.from(json.result.data, 'base64').length === 0) throw new Error('no audio');
        return;
    }
    const key = `bench/${randomUUID()}.wav`;
    await obs('PUT', key, audio);
    try {
        const query = `add_punc=yes&audio_format=wav&obs_bucket_name=${args.bucket}&obs_object_key=${encodeURIComponent(key)}&property=chinese_16k_conversation`;
        const json = (await sis('/asr/flash', query, undefined)) as { flash_result: unknown[] };
        if (!Array.isArray(json.flash_result)) throw new Error('no result');
    } finally {
        await obs('DELETE', key);
    }
}

async function main(): Promise<void> {
    // Warm up first (connections, JIT), as the Node-RED sides are warmed before they are measured.
    let warm = Math.min(200, Math.ceil(args.total / 4));
    await Promise.all(
        Array.from({ length: args.inflight }, async () => {
            while (warm-- > 0) await one().catch(() => undefined);
        }),
    );
    let sent = 0;
    const latencies: number[] = [];
    let errors = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    async function worker(): Promise<void> {
        while (sent < args.total) {
            sent++;
            const s = performance.now();
            try {
                await one();
            } catch {
                errors++;
            }
            latencies.push(performance.now() - s);
        }
    }
    await Promise.all(Array.from({ length: args.inflight }, worker));
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await agent.close();
    console.log(
        JSON.stringify({
            wall,
            cpu: (cpu.user + cpu.system) / 1e6,
            errors,
            latencies: latencies.sort((a, b) => a - b),
        }),
    );
}

void main();
