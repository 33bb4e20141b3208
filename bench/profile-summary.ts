// Sums the self time of a V8 CPU profile (`.cpuprofile`, as written by `node --cpu-prof`, e.g. by
// a bench run with `--profile <dir>`) per function or per file, optionally only inside time
// windows (bench/stream.ts prints the node's and the floor's), and compares it with other windows
// of the same or another profile: what one side spends that the other does not.
// Run: `npx tsx bench/profile-summary.ts <a.cpuprofile> [--windows s:e,…] [--vs <b.cpuprofile>]
// [--vs-windows s:e,…] [--by function|file] [--top 30] [--grep text]`. Windows are µs on the
// profiled process's monotonic clock. Figures are ms of self time per second (of the windows, or
// of the whole profile), so windows of different lengths compare.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { listArg, numberArg } from './lib';

interface CallFrame {
    functionName: string;
    url: string;
    lineNumber: number;
}

interface Profile {
    nodes: { id: number; callFrame: CallFrame }[];
    startTime: number;
    samples: number[];
    timeDeltas: number[];
}

type Window = [number, number];

function windowsArg(name: string): Window[] {
    return listArg(name, []).map((w) => w.split(':').map(Number) as Window);
}

/** A short file name: the part after node_modules/, or after the project root. */
function shortFile(url: string): string {
    if (!url) return '(native)';
    const clean = url.replace(/^file:\/\//, '');
    const nm = clean.lastIndexOf('node_modules/');
    if (nm >= 0) return clean.slice(nm + 'node_modules/'.length);
    const dist = clean.indexOf('/dist/');
    if (dist >= 0) return clean.slice(dist + 1);
    return clean.startsWith('node:') ? clean : path.basename(clean);
}

/** ms of self time per function or file, per second of the windows (of the whole profile without any). */
function selfTime(file: string, windows: Window[], by: string): Map<string, number> {
    const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    const frames = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
    const totals = new Map<string, number>();
    let t = p.startTime;
    const first = t;
    for (let i = 0; i < p.samples.length; i++) {
        t += p.timeDeltas[i] ?? 0;
        if (windows.length > 0 && !windows.some(([s, e]) => t >= s && t < e)) continue;
        // A sample stands for the time until the next one.
        const us = p.timeDeltas[i + 1] ?? 0;
        const f = frames.get(p.samples[i]);
        if (!f) continue;
        // V8's own entries ((idle), (program), (garbage collector)) stay apart from native functions.
        const where = !f.url && f.functionName.startsWith('(') ? f.functionName : shortFile(f.url);
        const key = by === 'file' ? where : `${f.functionName || '(anonymous)'}  ${where}:${f.lineNumber + 1}`;
        totals.set(key, (totals.get(key) ?? 0) + us / 1000);
    }
    if (windows.length > 0 && !windows.some(([s, e]) => s < t && e > first))
        throw new Error(`no window falls inside ${file} (${first}–${t} µs)`);
    const seconds = windows.length > 0 ? windows.reduce((a, [s, e]) => a + (e - s), 0) / 1e6 : (t - first) / 1e6;
    for (const [k, v] of totals) totals.set(k, v / seconds);
    return totals;
}

const file = process.argv[2];
if (!file || file.startsWith('--')) {
    console.error(
        'usage: profile-summary.ts <a.cpuprofile> [--windows s:e,…] [--vs <b.cpuprofile>] [--vs-windows s:e,…]',
    );
    process.exit(2);
}
const by = listArg('by', ['function'])[0];
const top = numberArg('top', 30);
const grep = listArg('grep', [])[0];
const vsIndex = process.argv.indexOf('--vs');
const vsFile = vsIndex > 0 ? process.argv[vsIndex + 1] : undefined;
const otherWindows = windowsArg('vs-windows');
const compare = vsFile !== undefined || otherWindows.length > 0;
const a = selfTime(file, windowsArg('windows'), by);
const b = compare ? selfTime(vsFile ?? file, otherWindows, by) : new Map<string, number>();
// Idle time is not work; `(program)` is native code outside any function and stays.
const busy = (m: Map<string, number>): number => [...m].reduce((s, [k, v]) => (k.startsWith('(idle)') ? s : s + v), 0);
console.log(`busy: ${busy(a).toFixed(1)} ms/s${compare ? ` against ${busy(b).toFixed(1)} ms/s` : ''}`);
const rows = [...new Set([...a.keys(), ...b.keys()])]
    .filter((k) => !k.startsWith('(idle)') && (!grep || k.includes(grep)))
    .map((k) => [k, a.get(k) ?? 0, b.get(k) ?? 0] as const)
    .sort((x, y) => y[1] - y[2] - (x[1] - x[2]));
console.log(compare ? '  a − b  |    a    |    b    | ms/s' : '   ms/s  | share');
for (const [k, x, y] of rows.slice(0, top)) {
    if (compare)
        console.log(`${(x - y).toFixed(2).padStart(8)} ${x.toFixed(2).padStart(9)} ${y.toFixed(2).padStart(9)}   ${k}`);
    else console.log(`${x.toFixed(2).padStart(8)}  ${((x / busy(a)) * 100).toFixed(1).padStart(5)} %   ${k}`);
}
