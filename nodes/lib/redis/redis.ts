// The connection to the Redis that several Node-RED instances share. The client is the optional
// `redis` package (node-redis), required only here and only when a Redis URL is configured, so
// that an installation without shared state never needs it. Commands fail at once while the
// connection is down (no offline queue): a lease must never be renewed late behind the holder's
// back. Every command has a deadline; scripts go by their SHA-1 and are loaded again after a
// Redis restart.
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { SisError } from '../core/errors';

/** The npm package to install for shared state. */
export const REDIS_PACKAGE = 'redis';

export const DEFAULT_LEASE_MS = 30_000;
/** Bounds of the runtime setting `sisSharedLeaseMs` (short leases are for tests). */
export const MIN_LEASE_MS = 500;
export const MAX_LEASE_MS = 300_000;
export const DEFAULT_PREFIX = 'nrsis:';

export interface SharedSettings {
    /** `redis://host:port/db` or `rediss://…` (TLS). */
    url: string;
    username?: string;
    password?: string;
    /** Prefix of every key, so that several installations can share one Redis. */
    prefix?: string;
    /** Extra CA certificates (PEM) for `rediss://`. */
    ca?: string;
    leaseMs?: number;
    /** Folders to look for the `redis` package in besides this package's own (the user directory). */
    searchPaths?: string[];
}

export interface SharedLog {
    warn(message: string): void;
    log(message: string): void;
}

/** The part of a node-redis client used here (versions 5 and 6). */
interface RedisClientLike {
    connect(): Promise<unknown>;
    sendCommand(args: string[]): Promise<unknown>;
    on(event: string, listener: (...args: unknown[]) => void): unknown;
    destroy(): void;
    close?(): Promise<unknown>;
    isReady?: boolean;
}

interface RedisModule {
    createClient(options: Record<string, unknown>): RedisClientLike;
}

/** The `redis` package, or a NOT_CONFIGURED error saying how to install it. */
export function loadRedis(searchPaths: readonly string[] = [], name = REDIS_PACKAGE): RedisModule {
    const candidates: string[] = [name];
    for (const dir of searchPaths) {
        try {
            candidates.push(require.resolve(name, { paths: [dir, path.join(dir, 'node_modules')] }));
        } catch {
            // not there
        }
    }
    for (const id of candidates) {
        try {
            const mod = require(id) as Partial<RedisModule>;
            if (typeof mod.createClient === 'function') return mod as RedisModule;
        } catch (err) {
            if ((err as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw err;
        }
    }
    throw new SisError(
        'NOT_CONFIGURED',
        `shared state needs the "${name}" package: run "npm install ${name}" in the Node-RED user directory, then restart Node-RED`,
    );
}

/** The lease from the runtime setting (ms), else 30 s, within bounds. */
export function leaseMsOf(value: unknown): number {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() ? Number(value) : NaN;
    if (!Number.isFinite(n) || n <= 0) return DEFAULT_LEASE_MS;
    return Math.round(Math.min(MAX_LEASE_MS, Math.max(MIN_LEASE_MS, n)));
}

/** Checks a Redis URL; the reason is a NOT_CONFIGURED error. */
export function checkRedisUrl(value: string): URL {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        throw new SisError('NOT_CONFIGURED', 'the Redis URL is not a URL (redis://host:6379 or rediss://…)');
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
        throw new SisError('NOT_CONFIGURED', 'the Redis URL must start with redis:// or rediss:// (TLS)');
    }
    return url;
}

/** A URL as it may be shown: without user name and password. */
export function displayUrl(url: URL): string {
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

/** Unique per holder: host, process and a random part, so a restarted process is a new holder. */
export function newOwnerId(): string {
    return `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

type Listener = () => void;

/** One connection per configuration node, shared by the nodes that use it. */
export class SharedState {
    readonly prefix: string;
    readonly leaseMs: number;
    /** Why shared state cannot work at all (the package is missing, the URL is wrong); never a secret. */
    readonly error?: string;
    private readonly url?: URL;
    private client?: RedisClientLike;
    private up = false;
    private warned = false;
    private closed = false;
    private readonly readyListeners = new Set<Listener>();
    private readonly scripts = new Map<string, string>();
    private readonly secrets: string[];

    constructor(
        private readonly settings: SharedSettings,
        private readonly logger: SharedLog,
    ) {
        this.prefix = settings.prefix?.trim() || DEFAULT_PREFIX;
        this.leaseMs = leaseMsOf(settings.leaseMs);
        this.secrets = [settings.password, settings.username].filter((s): s is string => !!s && s.length >= 3);
        try {
            this.url = checkRedisUrl(settings.url.trim());
            if (this.url.password) this.secrets.push(decodeURIComponent(this.url.password));
            const redis = loadRedis(settings.searchPaths);
            this.client = this.open(redis, this.url);
        } catch (err) {
            this.error = this.clean(err instanceof Error ? err.message : String(err));
        }
    }

    /** Where the state is kept, for log lines. */
    get where(): string {
        return this.url ? displayUrl(this.url) : '';
    }

    /** Whether commands can be sent now. */
    get ready(): boolean {
        return this.up && !this.closed;
    }

    /** Calls `fn` each time the connection is (re)established; returns the removal. */
    onReady(fn: Listener): () => void {
        this.readyListeners.add(fn);
        return () => this.readyListeners.delete(fn);
    }

    /** A key under this installation's prefix. */
    key(...parts: string[]): string {
        return this.prefix + parts.join(':');
    }

    /** Removes secrets from a text that may reach a log. */
    private clean(text: string): string {
        let out = text;
        for (const s of this.secrets) out = out.split(s).join('***');
        return out.replace(/(rediss?:\/\/)[^@\s/]*@/g, '$1***@');
    }

    private open(redis: RedisModule, url: URL): RedisClientLike {
        const tls = url.protocol === 'rediss:';
        const client = redis.createClient({
            url: url.href,
            username: this.settings.username || undefined,
            password: this.settings.password || undefined,
            disableOfflineQueue: true,
            pingInterval: Math.max(1000, Math.min(10_000, this.leaseMs)),
            socket: {
                connectTimeout: Math.max(1000, Math.min(10_000, this.leaseMs)),
                // Quickly at first, at most every 2 s: a lease is lost after leaseMs without Redis.
                reconnectStrategy: (retries: number) => Math.min(2000, 50 * 2 ** Math.min(retries, 6)),
                ...(tls ? { tls: true, ...(this.settings.ca ? { ca: this.settings.ca } : {}) } : {}),
                keepAlive: true,
                noDelay: true,
            },
        });
        client.on('error', (err: unknown) => {
            this.up = false;
            if (this.warned || this.closed) return;
            this.warned = true;
            const reason = err instanceof Error ? err.message || err.name : String(err);
            this.logger.warn(`Redis ${this.where} unreachable: ${this.clean(reason)}`);
        });
        client.on('ready', () => {
            this.up = true;
            if (this.warned) this.logger.log(`Redis ${this.where} reachable again`);
            this.warned = false;
            for (const fn of [...this.readyListeners]) fn();
        });
        client.on('end', () => {
            this.up = false;
        });
        client.connect().catch((err: unknown) => {
            if (this.closed) return;
            const reason = err instanceof Error ? err.message : String(err);
            this.logger.warn(`Redis ${this.where}: ${this.clean(reason)}`);
        });
        return client;
    }

    private commandTimeoutMs(): number {
        return Math.max(250, Math.min(5000, Math.floor(this.leaseMs / 3)));
    }

    /** Sends one command; fails at once when the connection is down, and after a deadline. */
    async command(args: (string | number)[]): Promise<unknown> {
        const client = this.client;
        if (!client || this.closed) throw new SisError('NOT_CONFIGURED', this.error ?? 'shared state is closed');
        if (!this.up) throw new SisError('SERVICE_UNAVAILABLE', `Redis ${this.where} is not connected`);
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
            timer = setTimeout(
                () => reject(new SisError('TIMEOUT', `Redis ${this.where} did not answer in time`)),
                this.commandTimeoutMs(),
            );
        });
        try {
            return await Promise.race([client.sendCommand(args.map(String)), deadline]);
        } catch (err) {
            if (err instanceof SisError) throw err;
            const reason = err instanceof Error ? err.message : String(err);
            throw new SisError('SERVICE_UNAVAILABLE', `Redis ${this.where}: ${this.clean(reason)}`, { cause: err });
        } finally {
            clearTimeout(timer);
        }
    }

    /** Runs a Lua script by its SHA-1, sending its text once when Redis does not know it. */
    async script(lua: string, keys: string[], args: (string | number)[]): Promise<unknown> {
        let sha = this.scripts.get(lua);
        if (!sha) {
            sha = createHash('sha1').update(lua).digest('hex');
            this.scripts.set(lua, sha);
        }
        try {
            return await this.command(['EVALSHA', sha, keys.length, ...keys, ...args]);
        } catch (err) {
            if (!/NOSCRIPT/.test(err instanceof Error ? err.message : '')) throw err;
            return this.command(['EVAL', lua, keys.length, ...keys, ...args]);
        }
    }

    /** Closes the connection (after the nodes using it have let go). */
    async close(): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        this.readyListeners.clear();
        const client = this.client;
        this.client = undefined;
        if (!client) return;
        let timer: NodeJS.Timeout | undefined;
        try {
            await Promise.race([
                this.up && client.close ? client.close() : Promise.resolve(client.destroy()),
                new Promise((resolve) => {
                    timer = setTimeout(resolve, 2000);
                }),
            ]);
        } catch {
            // closing anyway
        } finally {
            clearTimeout(timer);
            try {
                client.destroy();
            } catch {
                // already closed
            }
        }
    }
}

/** The shared state a configuration node holds, if any (set by sis-config). */
export function sharedStateOf(config: unknown): SharedState | undefined {
    const state = (config as { sharedState?: unknown } | null | undefined)?.sharedState;
    return state instanceof SharedState ? state : undefined;
}
