// A real redis-server (Debian's package) for the shared-state suites: started on a free loopback
// port with its own temporary directory, a user with a password (the default user is off), and
// persistence on shutdown, so that a restart keeps the data as a production Redis would. Absent
// binary: the suite is skipped with a notice, except in CI (CI set), where it fails.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort } from './red-process';
import { delay } from './wait';

export const REDIS_USER = 'sis-nodes';
export const REDIS_PASSWORD = 'RedisCanarySecret-7f3a9c';

export interface RedisServer {
    url: string;
    port: number;
    /** With `tls`: a `rediss://` URL of the TLS port (the plain port stays for the test's own commands). */
    tlsUrl?: string;
    dir: string;
    /** Stops the server (SIGTERM: it saves its data first); resolves once it has exited. */
    stop(): Promise<void>;
    /** Starts it again on the same port and directory. */
    start(): Promise<void>;
    /** Sends one command as the test user; resolves with the raw reply text. */
    command(...args: string[]): Promise<string>;
    /** Stops it and removes its directory. */
    close(): Promise<void>;
}

/** The redis-server binary, or undefined. */
export function redisServerBinary(): string | undefined {
    for (const candidate of ['redis-server', '/usr/bin/redis-server', '/usr/sbin/redis-server']) {
        try {
            execFileSync(candidate, ['--version'], { stdio: 'ignore' });
            return candidate;
        } catch {
            // not this one
        }
    }
    return undefined;
}

/**
 * Skips the calling suite when redis-server is absent (fails in CI). Call in a `before` hook with
 * its `this`.
 */
export function requireRedisServer(ctx: Mocha.Context): string {
    const bin = redisServerBinary();
    if (bin) return bin;
    if (process.env.CI) throw new Error('redis-server is required in CI (apt-get install redis-server)');
    console.log('    (skipped: redis-server is not installed; apt-get install redis-server)');
    ctx.skip();
    return '';
}

function encode(args: string[]): string {
    return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** One command over a fresh connection (AUTH first); the first reply's text. */
function rawCommand(port: number, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        let text = '';
        const timer = setTimeout(() => {
            socket.destroy();
            reject(new Error('redis did not answer'));
        }, 3000);
        socket.on('connect', () => socket.write(encode(['AUTH', REDIS_USER, REDIS_PASSWORD]) + encode(args)));
        socket.on('data', (chunk: Buffer) => {
            text += chunk.toString('utf8');
            // The AUTH reply (+OK) and then one complete reply to the command.
            const rest = text.replace(/^\+OK\r\n/, '');
            if (text.startsWith('-')) {
                clearTimeout(timer);
                socket.destroy();
                reject(new Error(text.trim()));
            } else if (rest !== text && rest.endsWith('\r\n') && complete(rest)) {
                clearTimeout(timer);
                socket.destroy();
                resolve(rest);
            }
        });
        socket.on('error', (err) => {
            clearTimeout(timer);
            reject(err);
        });
    });
}

/** Whether a RESP text holds one whole reply (enough for the tests' simple replies). */
function complete(text: string): boolean {
    const head = text[0];
    if (head === '+' || head === '-' || head === ':') return true;
    if (head === '$') {
        const m = /^\$(-?\d+)\r\n/.exec(text);
        if (!m) return false;
        const n = Number(m[1]);
        return n < 0 || Buffer.byteLength(text) >= m[0].length + n + 2;
    }
    if (head === '*') {
        const m = /^\*(-?\d+)\r\n/.exec(text);
        if (!m) return false;
        const n = Number(m[1]);
        return n <= 0 || text.split('\r\n').length - 1 >= 1 + n * 2;
    }
    return true;
}

export interface RedisTls {
    /** The server's certificate and key (PEM); its CA is what clients must trust. */
    cert: string;
    key: string;
}

export async function startRedisServer(bin: string, tls?: RedisTls): Promise<RedisServer> {
    const dir = mkdtempSync(path.join(tmpdir(), 'sis-redis-'));
    const port = await freePort();
    const tlsPort = tls ? await freePort() : undefined;
    if (tls) {
        writeFileSync(path.join(dir, 'server.crt'), tls.cert);
        writeFileSync(path.join(dir, 'server.key'), tls.key, { mode: 0o600 });
    }
    const conf = path.join(dir, 'redis.conf');
    writeFileSync(
        conf,
        [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${dir}`,
            'dbfilename dump.rdb',
            // Saved on shutdown (a restart keeps the data), never in the background.
            'save ""',
            'appendonly no',
            'daemonize no',
            'logfile ""',
            'loglevel warning',
            'user default off',
            `user ${REDIS_USER} on >${REDIS_PASSWORD} ~* &* +@all`,
            ...(tls
                ? [
                      `tls-port ${tlsPort}`,
                      `tls-cert-file ${path.join(dir, 'server.crt')}`,
                      `tls-key-file ${path.join(dir, 'server.key')}`,
                      'tls-auth-clients no',
                  ]
                : []),
            '',
        ].join('\n'),
    );
    let child: ChildProcess | undefined;
    let output = '';

    const start = async (): Promise<void> => {
        const proc = spawn(bin, [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
        child = proc;
        proc.stdout?.on('data', (c: Buffer) => {
            output += c.toString('utf8');
        });
        proc.stderr?.on('data', (c: Buffer) => {
            output += c.toString('utf8');
        });
        const end = Date.now() + 10_000;
        for (;;) {
            if (proc.exitCode !== null) throw new Error(`redis-server exited:\n${output}`);
            try {
                if ((await rawCommand(port, ['PING'])).startsWith('+PONG')) return;
            } catch {
                // not yet
            }
            if (Date.now() > end) throw new Error(`redis-server did not start:\n${output}`);
            await delay(50);
        }
    };

    const stop = async (): Promise<void> => {
        const proc = child;
        child = undefined;
        if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
        // SHUTDOWN SAVE writes the data even with no save points, then exits.
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        await rawCommand(port, ['SHUTDOWN', 'SAVE']).catch(() => undefined);
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
    };

    await start();
    return {
        url: `redis://127.0.0.1:${port}`,
        port,
        tlsUrl: tlsPort ? `rediss://127.0.0.1:${tlsPort}` : undefined,
        dir,
        stop,
        start,
        command: (...args) => rawCommand(port, args),
        close: async () => {
            await stop();
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
