// Shared pieces of the benchmarks: the emulator and a real Node-RED as separate processes, CPU
// time of a process from /proc, percentiles, and a table printer.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NODE_RED_SCRIPT } from '../test/helpers/node-red-runtime';

export const ROOT = path.resolve(__dirname, '..');
const TICKS_PER_SECOND = 100;

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = createServer();
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address() as { port: number };
            s.close(() => resolve(port));
        });
    });
}

/**
 * CPU seconds (user + system) a process has used so far. Where the kernel shows the scheduler's
 * own count (`se.sum_exec_runtime`, ns, in /proc/<pid>/task/<tid>/sched), it is summed over the
 * process's threads: /proc/<pid>/stat counts in clock ticks of 10 ms, a step of 2–3 % of the CPU
 * a stream round measures. A thread that ended takes its time with it there, so when the ticks
 * show more than the sum by over two ticks (beyond their own rounding down and the moment between
 * the two reads), the ticks are returned.
 */
export function cpuSeconds(pid: number): number {
    const ticks = tickSeconds(pid);
    const precise = schedSeconds(pid);
    return precise !== undefined && precise > ticks - 2 / TICKS_PER_SECOND ? precise : ticks;
}

function tickSeconds(pid: number): number {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** The scheduler's CPU time of every thread of `pid`, summed; undefined where the kernel does not show it. */
function schedSeconds(pid: number): number | undefined {
    let ms = 0;
    try {
        for (const tid of readdirSync(`/proc/${pid}/task`)) {
            let text: string;
            try {
                text = readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8');
            } catch {
                continue; // the thread ended in between
            }
            const m = /se\.sum_exec_runtime\s*:\s*([\d.]+)/.exec(text);
            if (!m) return undefined;
            ms += Number(m[1]);
        }
    } catch {
        return undefined;
    }
    return ms / 1000;
}

/** Resident memory of a process in bytes. */
export function rssBytes(pid: number): number {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
}

export function percentile(sorted: number[], p: number): number {
    if (sorted.length === 0) return 0;
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[i];
}

async function waitForHttp(url: string, ms: number): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
        try {
            const res = await fetch(url);
            if (res.status < 500) return;
        } catch {
            // not up yet
        }
        if (Date.now() > end) throw new Error(`${url} did not come up`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

export interface Proc {
    child: ChildProcess;
    pid: number;
    url: string;
    stop(): Promise<void>;
}

function stopper(child: ChildProcess, cleanup?: () => void): () => Promise<void> {
    return () =>
        new Promise((resolve) => {
            if (child.exitCode !== null) {
                cleanup?.();
                resolve();
                return;
            }
            child.once('exit', () => {
                cleanup?.();
                resolve();
            });
            child.kill('SIGTERM');
        });
}

/** The emulator in its own process, so its CPU never counts against a client. */
export async function startEmulatorProcess(args: string[] = []): Promise<Proc> {
    const port = await freePort();
    // SIS may read the staging bucket (flash recognition of staged objects needs it).
    const cli = [path.join(ROOT, 'dist/emulator/cli.js'), '--port', String(port), '--obs-grant-sis', 'sis-audio-stage'];
    const child = spawn(process.execPath, [...cli, ...args], {
        stdio: ['ignore', 'ignore', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/__emulator/config`, 10_000);
    return { child, pid: child.pid ?? 0, url, stop: stopper(child) };
}

/**
 * `--profile <dir>` on a bench's command line: Node.js flags that make the Node-RED process write
 * a CPU profile (`.cpuprofile`, read with `bench/profile-summary.ts`) into `dir` when it exits.
 */
export function profileFlags(): string[] {
    const i = process.argv.indexOf('--profile');
    if (i < 0) return [];
    const dir = path.resolve(process.argv[i + 1] ?? 'bench-results/profiles');
    mkdirSync(dir, { recursive: true });
    return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/**
 * Transpiles bench modules (TypeScript files of this folder that import only Node.js built-ins,
 * each other, `undici` and `ws`) into `dir` as CommonJS, so that a Node-RED process can load them
 * as a node module; `undici` and `ws` resolve to the package's own copies.
 */
export function writeBenchModule(dir: string, files: string[]): void {
    const ts = require('typescript') as typeof import('typescript');
    mkdirSync(dir, { recursive: true });
    const from = [path.join(ROOT, 'dist/nodes')];
    for (const file of files) {
        const source = readFileSync(path.join(__dirname, file), 'utf8');
        let js = ts.transpileModule(source, {
            compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        }).outputText;
        for (const dep of ['undici', 'ws']) {
            js = js
                .split(`require("${dep}")`)
                .join(`require(${JSON.stringify(require.resolve(dep, { paths: from }))})`);
        }
        writeFileSync(path.join(dir, file.replace(/\.ts$/, '.js')), js);
    }
}

export interface NodeRedOptions {
    /** More folders of node modules, beside dist/nodes. */
    nodesDirs?: string[];
    /** Node.js flags for the Node-RED process (e.g. profileFlags()). */
    flags?: string[];
    /** More settings.js entries (JSON values). */
    settings?: Record<string, unknown>;
    /** The package whose dist/nodes is loaded: this checkout unless given (another build, to compare). */
    packageRoot?: string;
}

/** A real Node-RED (the dev dependency, or NODE_RED_MODULE) loading dist/nodes. */
export async function startNodeRed(
    flows: unknown[],
    credentials: Record<string, unknown>,
    options: NodeRedOptions = {},
): Promise<Proc> {
    const port = await freePort();
    const userDir = mkdtempSync(path.join(tmpdir(), 'sis-bench-'));
    const dirs = [path.join(options.packageRoot ?? ROOT, 'dist/nodes'), ...(options.nodesDirs ?? [])];
    const more = Object.entries(options.settings ?? {})
        .map(([k, v]) => `,\n  ${k}: ${JSON.stringify(v)}`)
        .join('');
    writeFileSync(
        path.join(userDir, 'settings.js'),
        `module.exports = { uiHost: '127.0.0.1', uiPort: ${port}, userDir: ${JSON.stringify(userDir)},
  flowFile: 'flows.json', credentialSecret: false, nodesDir: ${JSON.stringify(dirs)},
  telemetry: { enabled: false, updateNotification: false }, diagnostics: { enabled: false, ui: false },
  editorTheme: { tours: false, projects: { enabled: false } }, logging: { console: { level: 'warn' } }${more} };`,
    );
    writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
    writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(credentials));
    const red = NODE_RED_SCRIPT;
    // BENCH_NODE_FLAGS (e.g. --trace-gc): more Node.js flags for the Node-RED process; with them,
    // or BENCH_VERBOSE=1, Node-RED's own output is shown.
    const envFlags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
    const shown = process.env.BENCH_VERBOSE || envFlags.length > 0;
    const child = spawn(
        process.execPath,
        [...(options.flags ?? []), ...envFlags, red, '--settings', path.join(userDir, 'settings.js')],
        { stdio: ['ignore', shown ? 'inherit' : 'ignore', 'inherit'] },
    );
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/settings`, 20_000);
    return {
        child,
        pid: child.pid ?? 0,
        url,
        stop: stopper(child, () => rmSync(userDir, { recursive: true, force: true })),
    };
}

export function printTable(rows: Record<string, string | number>[]): void {
    if (rows.length === 0) return;
    const cols = Object.keys(rows[0]);
    const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
    const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(width[i])).join(' | ')} |`;
    console.log(line(cols));
    console.log(`|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const r of rows) console.log(line(cols.map((c) => String(r[c]))));
}

export function fixed(n: number, digits = 2): string {
    return n.toFixed(digits);
}

/** Median of a list. */
export function median(values: number[]): number {
    const v = [...values].sort((a, b) => a - b);
    return v.length === 0 ? 0 : v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

/** `median (min–max)` of a figure over rounds. */
export function spread(values: number[], digits = 2): string {
    if (values.length < 2) return fixed(values[0] ?? 0, digits);
    return `${fixed(median(values), digits)} (${fixed(Math.min(...values), digits)}–${fixed(Math.max(...values), digits)})`;
}

/** `--name value` on the command line, as a number. */
export function numberArg(name: string, fallback: number): number {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** `--name a,b` on the command line, as a list. */
export function listArg(name: string, fallback: string[]): string[] {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? String(process.argv[i + 1]).split(',') : fallback;
}
