// The replay store of sis-stream-asr alone, in a plain process: 100 stores take a 40 ms chunk in
// turn, as a node's sessions do, and drop their audio at a "final result" every 2–4 s; between
// two chunks the process touches `--pressure` bytes of other memory, as Node-RED does between
// two chunks of a session. Prints µs per chunk for nothing kept, audio kept as it is, and coded.
// Run: `npx tsx bench/replay-store.ts [--pressure 16384] [--chunks 3000]` (not part of `npm run bench`).
import { BlockPool } from '../nodes/lib/stream/frames';
import { REPLAY_BLOCK_BYTES, ReplayStore } from '../nodes/lib/stream/replay';
import { fixture } from '../test/helpers/fixtures';
import { numberArg } from './lib';

const SESSIONS = 100;
const CHUNK = 1280;
const pressure = numberArg('pressure', 16 * 1024);
const chunks = numberArg('chunks', 3000);

const audio = Buffer.concat([fixture('zh_16k.pcm'), fixture('en_16k.pcm')]);
const count = Math.floor(audio.length / CHUNK);
const other = Buffer.alloc(64 * 1024 * 1024);
let touched = 0;

function run(kind: 'none' | 'as it is' | 'coded'): { us: number; keptKiB: number } {
    const pool = new BlockPool(REPLAY_BLOCK_BYTES, () => 4 + SESSIONS);
    const stores = Array.from({ length: SESSIONS }, () => new ReplayStore(kind === 'coded', pool));
    const at = stores.map((_, i) => (i * 37) % count);
    const untilFinal = stores.map((_, i) => 50 + (i % 50));
    let step = 0;
    const go = (rounds: number): void => {
        for (let r = 0; r < rounds; r++) {
            for (let s = 0; s < SESSIONS; s++, step++) {
                const chunk = audio.subarray(at[s] * CHUNK, (at[s] + 1) * CHUNK);
                at[s] = (at[s] + 1) % count;
                // The chunk was just read (the WebSocket masks it before the store sees it).
                for (let i = 0; i < CHUNK; i += 64) touched += chunk[i];
                if (kind !== 'none') stores[s].push(chunk);
                if (--untilFinal[s] === 0) {
                    untilFinal[s] = 50 + ((s * 7 + r) % 50);
                    stores[s].drop(Math.max(0, stores[s].length - 8 * CHUNK));
                }
                const o = (step * pressure) % (other.length - pressure);
                for (let i = 0; i < pressure; i += 64) touched += other[o + i]++;
            }
        }
    };
    go(500);
    const t0 = process.hrtime.bigint();
    go(chunks);
    const us = Number(process.hrtime.bigint() - t0) / 1e3 / (chunks * SESSIONS);
    const kept = stores.reduce((sum, s) => sum + s.codedBytes, 0);
    return { us, keptKiB: kept / SESSIONS / 1024 };
}

// Each kind twice, in turn, the better run kept: the first runs also pay for compiling.
const kinds = ['none', 'as it is', 'coded'] as const;
const best = new Map<string, { us: number; keptKiB: number }>();
for (let pass = 0; pass < 2; pass++) {
    for (const kind of kinds) {
        const r = run(kind);
        const seen = best.get(kind);
        if (!seen || r.us < seen.us) best.set(kind, r);
    }
}
const base = best.get('none')?.us ?? 0;
console.log(`pressure ${pressure} bytes a chunk; the store's µs per chunk (above nothing kept), KiB kept per session`);
for (const kind of kinds.slice(1)) {
    const r = best.get(kind);
    if (r) console.log(`${kind.padEnd(9)} ${(r.us - base).toFixed(2)} µs  ${r.keptKiB.toFixed(1)} KiB`);
}
if (touched === 0) console.log('');
