// A real Node-RED in its own process, for what the test helper cannot show: a stop and a start of
// the whole runtime, persistent context stores, deploys through the admin API. It runs
// the `red.js` of the Node-RED under test (NODE_RED_MODULE, see ./node-red-runtime) with a temporary
// user directory whose settings load this package (as a module, from its root) through `nodesDir`.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NODE_RED_SCRIPT } from './node-red-runtime';
import { delay } from './wait';

// The package root, not dist/nodes: a nodesDir entry with a package.json that has a "node-red"
// section loads as a module, as an installed package does, and only a module's resources/ folder
// is served to the editor (from dist/nodes, resources/node-red-contrib-huaweicloud-sis/sis-editor.js
// answers 404 and the editor never finishes loading the nodes).
const PACKAGE_ROOT = path.resolve(__dirname, '../..');

export interface RedProcessOptions {
    /** Reuse a user directory (flows, credentials and context of an earlier run); default: a new one. */
    userDir?: string;
    /** More settings, as JSON values (e.g. `contextStorage`, `sisJobAsrPollMs`). */
    settings?: Record<string, unknown>;
    /** How long to wait for the admin API; default 20 s. */
    startTimeoutMs?: number;
    /** More environment variables for the process (node properties may name them as `${NAME}`). */
    env?: Record<string, string>;
    /** The port (e.g. one from freePort(), known before the start); default: a free one. */
    port?: number;
}

export interface RedProcess {
    url: string;
    port: number;
    userDir: string;
    /** Everything the process wrote to stdout and stderr so far. */
    output(): string;
    /** Deploys a flow through `POST /flows` (`full` by default) and waits until it has started. */
    deploy(flow: Record<string, unknown>[], type?: 'full' | 'nodes' | 'flows'): Promise<void>;
    /** Triggers an inject node, as its button in the editor does. */
    inject(id: string): Promise<void>;
    /** Stops with `signal` (SIGTERM: a graceful stop); SIGKILL after `ms`. Resolves with the exit code. */
    stop(signal?: NodeJS.Signals, ms?: number): Promise<number | null>;
}

/** A port that was free a moment ago (Node-RED does not accept port 0). */
export async function freePort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

/** A fresh temporary user directory; remove it with removeUserDir. */
export function makeUserDir(): string {
    return mkdtempSync(path.join(tmpdir(), 'sis-nr-'));
}

export function removeUserDir(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
}

function writeSettings(userDir: string, port: number, extra: Record<string, unknown>): string {
    const settings = {
        uiHost: '127.0.0.1',
        uiPort: port,
        userDir,
        flowFile: 'flows.json',
        credentialSecret: false,
        nodesDir: [PACKAGE_ROOT],
        telemetry: { enabled: false, updateNotification: false },
        diagnostics: { enabled: false, ui: false },
        editorTheme: { tours: false, projects: { enabled: false } },
        logging: { console: { level: 'info', metrics: false, audit: false } },
        ...extra,
    };
    const file = path.join(userDir, 'settings.js');
    writeFileSync(file, `module.exports = ${JSON.stringify(settings, null, 4)};\n`);
    return file;
}

async function waitReady(url: string, child: ChildProcess, ms: number, output: () => string): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        if (child.exitCode !== null) throw new Error(`Node-RED exited (${child.exitCode}):\n${output()}`);
        try {
            const res = await fetch(`${url}/settings`);
            await res.arrayBuffer();
            // (401: the admin API is up, behind adminAuth)
            if (res.ok || res.status === 401) return;
        } catch {
            // not listening yet
        }
        await delay(50);
    }
    throw new Error(`Node-RED did not start within ${ms} ms:\n${output()}`);
}

export async function startRed(opts: RedProcessOptions = {}): Promise<RedProcess> {
    const userDir = opts.userDir ?? makeUserDir();
    const port = opts.port ?? (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const settingsFile = writeSettings(userDir, port, opts.settings ?? {});
    const child = spawn(process.execPath, [NODE_RED_SCRIPT, '--settings', settingsFile, '--userDir', userDir], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...opts.env },
    });
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const output = (): string => text;

    const stop = async (signal: NodeJS.Signals = 'SIGTERM', ms = 10_000): Promise<number | null> => {
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), ms);
        try {
            return await exited;
        } finally {
            clearTimeout(timer);
        }
    };

    try {
        await waitReady(url, child, opts.startTimeoutMs ?? 20_000, output);
    } catch (err) {
        await stop('SIGKILL');
        throw err;
    }

    async function call(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
        const res = await fetch(`${url}${route}`, {
            method,
            headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        const answer = await res.text();
        if (!res.ok) throw new Error(`${method} ${route}: HTTP ${res.status} ${answer}`);
    }

    return {
        url,
        port,
        userDir,
        output,
        deploy: async (flow, type = 'full') => {
            // The admin API answers before the flows have started: wait for the runtime's log line
            // (in English, or in Chinese with `lang: 'zh-CN'`).
            const started = (): number => text.split(/Started flows|流程已启动/).length - 1;
            // The runtime's first start (of the flows it had) may still be under way: wait for it,
            // or its log line would be taken for this deploy's.
            const first = Date.now() + 10_000;
            while (started() === 0 && Date.now() < first) await delay(20);
            const before = started();
            await call('POST', '/flows', flow, { 'Node-RED-Deployment-Type': type });
            const end = Date.now() + 10_000;
            while (started() === before) {
                if (Date.now() > end) throw new Error(`the flows did not start:\n${text}`);
                await delay(20);
            }
        },
        inject: (id) => call('POST', `/inject/${encodeURIComponent(id)}`),
        stop,
    };
}

/** Receives the JSON bodies a flow posts back (results, errors, completions), each stamped on arrival. */
export async function startEventCollector<T extends object>(): Promise<{
    url: string;
    events: (T & { at: number })[];
    close(): Promise<void>;
}> {
    const events: (T & { at: number })[] = [];
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
            events.push({ ...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T), at: Date.now() });
            res.writeHead(200).end('ok');
        });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/events`,
        events,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
