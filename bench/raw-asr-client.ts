// The baseline: a plain undici client doing the same work as the nodes (sign, send, parse), in its
// own process. Prints one JSON line with its wall time, CPU time and latencies.
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import { signObsRequest } from '../nodes/lib/cloud/obs-signature';
import { signRequest } from '../nodes/lib/cloud/signer';

interface Args {
    target: 'short' | 'flash';
    url: string;
    total: number;
    inflight: number;
    audio: string;
    ak: string;
    sk: string;
    projectId: string;
    bucket: string;
}

const args = JSON.parse(process.argv[2]) as Args;
const audio = readFileSync(args.audio);
const agent = new Agent({ connections: args.inflight, keepAliveTimeout: 30_000 });

async function sis(method: string, pathAndQuery: string, body?: string): Promise<unknown> {
    const url = new URL(`${args.url}/v1/${args.projectId}${pathAndQuery}`);
    const { headers } = signRequest(
        { method, url, headers: { 'content-type': 'application/json', 'X-Project-Id': args.projectId }, body },
        { ak: args.ak, sk: args.sk },
    );
    const res = await agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: method as 'POST',
        headers,
        body,
    });
    const json = await res.body.json();
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
    return json;
}

async function obs(method: 'PUT' | 'DELETE', key: string, body?: Buffer): Promise<void> {
    const headers: Record<string, string> = {};
    if (body) {
        headers['Content-Type'] = 'audio/wav';
        headers['Content-MD5'] = createHash('md5').update(body).digest('base64');
    }
    const signed = signObsRequest({
        method,
        bucket: args.bucket,
        key,
        headers,
        ak: args.ak,
        sk: args.sk,
        date: new Date(),
    });
    const url = new URL(`${args.url}/${args.bucket}/${key}`);
    const res = await agent.request({
        origin: url.origin,
        path: url.pathname,
        method,
        headers: { ...headers, ...signed.headers },
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
        await sis('POST', '/asr/short-audio', body);
        return;
    }
    const key = `bench/${randomUUID()}.wav`;
    await obs('PUT', key, audio);
    try {
        const q = new URLSearchParams({
            property: 'chinese_16k_conversation',
            audio_format: 'wav',
            add_punc: 'yes',
            obs_bucket_name: args.bucket,
            obs_object_key: key,
        });
        await sis('POST', `/asr/flash?${q.toString().replace(/\+/g, '%20')}`);
    } finally {
        await obs('DELETE', key);
    }
}

async function main(): Promise<void> {
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
