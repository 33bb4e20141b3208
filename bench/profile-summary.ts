// Sums the self time of a V8 CPU profile (`.cpuprofile`, as written by `node --cpu-prof`, e.g. by
// a bench run with `--profile <dir>`) per function and per file, and prints the top entries.
// Run: `npx tsx bench/profile-summary.ts <file.cpuprofile> [--top 30] [--grep text]`.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

interface ProfileNode {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
}

interface Profile {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
    endTime: number;
}

const file = process.argv[2];
if (!file) {
    console.error('usage: profile-summary <file.cpuprofile> [--top N] [--grep text]');
    process.exit(2);
}
const topIndex = process.argv.indexOf('--top');
const TOP = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 30;
const grepIndex = process.argv.indexOf('--grep');
const GREP = grepIndex > 0 ? process.argv[grepIndex + 1] : undefined;

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);

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

const perFunction = new Map<string, number>();
const perFile = new Map<string, number>();
for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const f = shortFile(n.callFrame.url);
    const name = `${n.callFrame.functionName || '(anonymous)'}  ${f}:${n.callFrame.lineNumber + 1}`;
    perFunction.set(name, (perFunction.get(name) ?? 0) + us);
    perFile.set(f, (perFile.get(f) ?? 0) + us);
}

function print(title: string, map: Map<string, number>): void {
    console.log(`\n${title}`);
    const rows = [...map.entries()]
        .filter(([k]) => !GREP || k.includes(GREP))
        .sort((a, b) => b[1] - a[1])
        .slice(0, TOP);
    for (const [k, us] of rows) {
        console.log(`${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
    }
}

console.log(`${file}: ${(total / 1e6).toFixed(2)} s of samples`);
print('self time per file', perFile);
print('self time per function', perFunction);
