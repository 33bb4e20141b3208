// Load measurement: signed short-audio (or TTS) requests against a local emulator.
// Run on demand: `npx tsx emulator/bench.ts [--requests N] [--concurrency N] [--route short-audio|tts]`.

import { createHash, createHmac } from 'node:crypto';
import { Pool } from 'undici';
import { startEmulator } from './index';

function arg(name: string, fallback: string): string {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const TOTAL = Number(arg('requests', '20000'));
const CONCURRENCY = Number(arg('concurrency', '64'));
const ROUTE = arg('route', 'short-audio');
const TIME_LIMIT_MS = 120_000;

/** One AK/SK signature (docs/protocol/auth.md §4.1); no nonce is signed, so it may be replayed within 15 minutes. */
function sign(ak: string, sk: string, host: string, path: string, body: string): Record<string, string> {
    const date = new Date()
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, '');
    const headers: Record<string, string> = { 'content-type': 'application/json', host, 'x-sdk-date': date };
    const names = Object.keys(headers).sort();
    const canonical = [
        'POST',
        `${path}/`,
        '',
        names.map((n) => `${n}:${headers[n]}\n`).join(''),
        names.join(';'),
        createHash('sha256').update(body).digest('hex'),
    ].join('\n');
    const toSign = `SDK-HMAC-SHA256\n${date}\n${createHash('sha256').update(canonical).digest('hex')}`;
    const signature = createHmac('sha256', sk).update(toSign).digest('hex');
    headers.authorization = `SDK-HMAC-SHA256 Access=${ak}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
    return headers;
}

async function main(): Promise<void> {
    const emulator = await startEmulator();
    const { account } = emulator;
    const host = new URL(emulator.url).host;
    // 0.5 s of quiet 16 kHz PCM keeps the recogniser's share small: this measures the HTTP core.
    const body =
        ROUTE === 'tts'
            ? JSON.stringify({ text: '你好。', config: { audio_format: 'pcm', sample_rate: '8000' } })
            : JSON.stringify({
                  config: { audio_format: 'pcm16k16bit', property: 'chinese_16k_common' },
                  data: Buffer.alloc(16000).toString('base64'),
              });
    const path = `/v1/${account.projectId}/${ROUTE === 'tts' ? 'tts' : 'asr/short-audio'}`;
    const headers = sign(account.ak, account.sk, host, path, body);
    const pool = new Pool(emulator.url, { connections: CONCURRENCY });
    let sent = 0;
    let ok = 0;
    let failed = 0;
    const started = performance.now();
    const worker = async () => {
        while (sent < TOTAL && performance.now() - started < TIME_LIMIT_MS) {
            sent++;
            const res = await pool.request({ method: 'POST', path, headers, body });
            await res.body.arrayBuffer();
            if (res.statusCode === 200) ok++;
            else failed++;
        }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - started) / 1000;
    await pool.close();
    await emulator.close();
    process.stdout.write(
        `${ROUTE}: ${ok + failed} requests (${failed} failed) at ${CONCURRENCY} in flight in ${seconds.toFixed(2)} s = ` +
            `${Math.round((ok + failed) / seconds)} req/s (Node ${process.version})\n`,
    );
}

void main();
