// Shared pieces of the benchmarks: the emulator and a real Node-RED as separate processes, CPU
// time of a process from /proc, percentiles, and a table printer.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
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

/** A real Node-RED (the dev dependency, or NODE_RED_MODULE) loading dist/nodes. */
export async function startNodeRed(flows: unknown[], credentials: Record<string, unknown>): Promise<Proc> {
    const port = await freePort();
    const userDir = mkdtempSync(path.join(tmpdir(), 'sis-bench-'));
    writeFileSync(
        path.join(userDir, 'settings.js'),
        `module.exports = { uiHost: '127.0.0.1', uiPort: ${port}, userDir: ${JSON.stringify(userDir)},
  flowFile: 'flows.json', credentialSecret: false, nodesDir: [${JSON.stringify(path.join(ROOT, 'dist/nodes'))}],
  telemetry: { enabled: false, updateNotification: false }, diagnostics: { enabled: false, ui: false },
  editorTheme: { tours: false, projects: { enabled: false } }, logging: { console: { level: 'warn' } } };`,
    );
    writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
    writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(credentials));
    const red = NODE_RED_SCRIPT;
    const child = spawn(process.execPath, [red, '--settings', path.join(userDir, 'settings.js')], {
        stdio: ['ignore', 'ignore', 'inherit'],
    });
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
