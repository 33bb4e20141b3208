// The one HTTP client of the package: an undici dispatcher per config node with keep-alive,
// timeouts, a concurrency limit, proxy support and retries with jittered exponential backoff.
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher, ProxyAgent } from 'undici';
import { errorFromException, SisError } from '../core/errors';
import { proxyForUrl } from './proxy';

export interface HttpClientOptions {
    connectTimeoutMs?: number;
    /** Time allowed for the response headers, and between body chunks. */
    requestTimeoutMs?: number;
    maxConcurrent?: number;
    maxRetries?: number;
    retryBaseMs?: number;
    retryMaxMs?: number;
    /** A Retry-After longer than this is not waited for: the 429 is reported instead. */
    maxRetryAfterMs?: number;
    maxResponseBytes?: number;
    keepAliveMs?: number;
    /** Extra CA certificates (PEM), added to the built-in roots; verification is never switched off. */
    ca?: string;
    /** Environment used for proxy look-up (defaults to process.env). */
    env?: Record<string, string | undefined>;
    userAgent?: string;
}

export interface HttpRequest {
    method: string;
    url: URL;
    headers?: Record<string, string>;
    body?: Buffer | string;
    /**
     * Whether repeating the request is harmless. Only such requests are retried after the
     * request may have reached the server; others only when it provably never left.
     */
    idempotent: boolean;
    signal?: AbortSignal;
    /** Called before every attempt; returns headers to add (a fresh signature date, the current token). */
    prepare?: (req: HttpRequest) => Promise<Record<string, string>> | Record<string, string>;
    /** Names the operation in error messages. */
    what?: string;
}

export interface HttpResponse {
    status: number;
    headers: Record<string, string>;
    body: Buffer;
    /** Attempts made (1 = no retry). */
    attempts: number;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
// Failures that happen before any byte of the request reached a server.
const BEFORE_SEND = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH']);

const DEFAULTS = {
    connectTimeoutMs: 10_000,
    requestTimeoutMs: 120_000,
    maxConcurrent: 16,
    maxRetries: 3,
    retryBaseMs: 300,
    retryMaxMs: 10_000,
    maxRetryAfterMs: 60_000,
    maxResponseBytes: 64 * 1024 * 1024,
    keepAliveMs: 30_000,
};

/** Parses Retry-After (delta seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
    if (!value) return undefined;
    const trimmed = value.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
    const date = Date.parse(trimmed);
    return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Full-jitter exponential backoff. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
    return Math.round(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

function abortError(): Error {
    const err = new Error('aborted');
    err.name = 'AbortError';
    return err;
}

export function sleep(ms: number, signal?: AbortSignal, also?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        if (signal?.aborted || also?.aborted) {
            reject(abortError());
            return;
        }
        const onAbort = (): void => {
            clearTimeout(timer);
            also?.removeEventListener('abort', onAbort);
            signal?.removeEventListener('abort', onAbort);
            reject(abortError());
        };
        const timer = setTimeout(() => {
            signal?.removeEventListener('abort', onAbort);
            also?.removeEventListener('abort', onAbort);
            resolve();
        }, ms);
        signal?.addEventListener('abort', onAbort, { once: true });
        also?.addEventListener('abort', onAbort, { once: true });
    });
}

/** A counting semaphore whose waiters can be aborted, one by one or all at once. */
class Limiter {
    private active = 0;
    private readonly waiters: { wake: () => void; fail: (err: Error) => void }[] = [];

    constructor(private readonly max: number) {}

    async acquire(signal?: AbortSignal): Promise<() => void> {
        if (this.active >= this.max) {
            await new Promise<void>((resolve, reject) => {
                if (signal?.aborted) {
                    reject(abortError());
                    return;
                }
                const waiter = {
                    wake: (): void => {
                        signal?.removeEventListener('abort', onAbort);
                        resolve();
                    },
                    fail: (err: Error): void => {
                        signal?.removeEventListener('abort', onAbort);
                        reject(err);
                    },
                };
                const onAbort = (): void => {
                    const i = this.waiters.indexOf(waiter);
                    if (i >= 0) this.waiters.splice(i, 1);
                    reject(abortError());
                };
                signal?.addEventListener('abort', onAbort, { once: true });
                this.waiters.push(waiter);
            });
        } else {
            this.active++;
        }
        let released = false;
        return () => {
            if (released) return;
            released = true;
            const next = this.waiters.shift();
            // Hand the slot straight to the next waiter so the count never overshoots.
            if (next) next.wake();
            else this.active--;
        };
    }

    /** Refuses every waiter (the client is closing). */
    failAll(err: Error): void {
        for (const waiter of this.waiters.splice(0)) waiter.fail(err);
    }
}

function errorCode(err: unknown): string | undefined {
    let cur: unknown = err;
    for (let depth = 0; depth < 4 && cur !== null && typeof cur === 'object'; depth++) {
        const code = (cur as { code?: unknown }).code;
        if (typeof code === 'string') return code;
        cur = (cur as { cause?: unknown }).cause;
    }
    return undefined;
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
    const out: Record<string, string> = {};
    // undici gives the names in lower case already.
    for (const k in raw) {
        const v = raw[k];
        if (v !== undefined) out[k] = typeof v === 'string' ? v : v.join(', ');
    }
    return out;
}

/** True when a header of that name (any case) is present. */
function hasHeader(headers: Record<string, string>, lowerName: string): boolean {
    for (const k in headers) if (k.length === lowerName.length && k.toLowerCase() === lowerName) return true;
    return false;
}

/** What undici reports when a body outgrows the dispatcher's `maxResponseSize`. */
const TOO_LARGE = 'UND_ERR_RES_EXCEEDED_MAX_SIZE';

export class HttpClient {
    private readonly opts: typeof DEFAULTS & HttpClientOptions;
    private readonly agent: Agent;
    private readonly proxies = new Map<string, ProxyAgent>();
    /** The dispatcher chosen for each origin: the proxy look-up runs once per origin, not per request. */
    private readonly routes = new Map<string, Dispatcher>();
    private readonly limiter: Limiter;
    /**
     * Aborted by close(), for the retry pauses alone: requests in flight end when close() destroys
     * their dispatchers, so a request needs no abort controller of its own.
     */
    private readonly closing = new AbortController();
    private closed = false;

    constructor(options: HttpClientOptions = {}) {
        const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
        this.opts = { ...DEFAULTS, ...defined };
        this.limiter = new Limiter(Math.max(1, this.opts.maxConcurrent));
        this.agent = new Agent(this.agentOptions());
    }

    private connectOptions(): { timeout: number; ca?: string[] } {
        const connect: { timeout: number; ca?: string[] } = { timeout: this.opts.connectTimeoutMs };
        if (this.opts.ca) connect.ca = [...rootCertificates, this.opts.ca];
        return connect;
    }

    private agentOptions(): Agent.Options {
        return {
            keepAliveTimeout: this.opts.keepAliveMs,
            keepAliveMaxTimeout: this.opts.keepAliveMs * 2,
            headersTimeout: this.opts.requestTimeoutMs,
            bodyTimeout: this.opts.requestTimeoutMs,
            connections: this.opts.maxConcurrent,
            // Bodies are read by undici (as its own body.json() does), which ends one that grows past the bound.
            maxResponseSize: this.opts.maxResponseBytes,
            connect: this.connectOptions(),
        };
    }

    /**
     * The dispatcher for a URL: direct, or through the proxy the environment names for it. The
     * environment is read on a client's first request to each origin (a config node's client
     * lives until the next deploy).
     */
    dispatcherFor(url: URL, origin = url.origin): Dispatcher {
        let route = this.routes.get(origin);
        if (!route) {
            route = this.lookUpDispatcher(url);
            this.routes.set(origin, route);
        }
        return route;
    }

    private lookUpDispatcher(url: URL): Dispatcher {
        const proxy = proxyForUrl(url, this.opts.env);
        if (!proxy) return this.agent;
        let agent = this.proxies.get(proxy);
        if (!agent) {
            agent = new ProxyAgent({ uri: proxy, ...this.agentOptions(), requestTls: this.connectOptions() });
            this.proxies.set(proxy, agent);
        }
        return agent;
    }

    /** The proxy URL a request to `url` would use, if any (for WebSocket connections). */
    proxyFor(url: URL): string | undefined {
        return proxyForUrl(url, this.opts.env);
    }

    get extraCa(): string | undefined {
        return this.opts.ca;
    }

    private tooLarge(what: string | undefined): SisError {
        return new SisError(
            'PROTOCOL',
            `${what ?? 'request'}: response larger than ${this.opts.maxResponseBytes} bytes`,
        );
    }

    private cancelled(what: string | undefined, cause?: unknown): SisError {
        return new SisError('CANCELLED', `${what ?? 'request'} cancelled: the client was closed`, { cause });
    }

    /**
     * Sends a request, retrying 429/5xx and connection failures when that is safe. Resolves with
     * the final response whatever its status; rejects with a SisError when no response came.
     */
    async send(req: HttpRequest): Promise<HttpResponse> {
        if (this.closed) throw this.cancelled(req.what);
        try {
            return await this.sendWithRetries(req);
        } catch (err) {
            // A request cut short by close() fails as cancelled, whatever undici called it.
            throw this.closed ? this.cancelled(req.what, err) : err;
        }
    }

    private async sendWithRetries(req: HttpRequest): Promise<HttpResponse> {
        const what = req.what ?? 'request';
        const signal = req.signal;
        for (let attempt = 0; ; attempt++) {
            let response: HttpResponse | undefined;
            try {
                response = await this.attempt(req, attempt + 1);
            } catch (err) {
                const mapped = errorFromException(err, what);
                const safe = req.idempotent || BEFORE_SEND.has(errorCode(err) ?? '');
                if (!mapped.retryable || !safe || attempt >= this.opts.maxRetries || signal?.aborted || this.closed) {
                    throw mapped;
                }
                await this.pause(backoffDelay(attempt, this.opts.retryBaseMs, this.opts.retryMaxMs), signal, what);
                continue;
            }
            if (!RETRY_STATUS.has(response.status) || !req.idempotent || attempt >= this.opts.maxRetries) {
                return response;
            }
            let delay = backoffDelay(attempt, this.opts.retryBaseMs, this.opts.retryMaxMs);
            const retryAfter = parseRetryAfter(response.headers['retry-after']);
            if (retryAfter !== undefined) {
                if (retryAfter > this.opts.maxRetryAfterMs) return response;
                delay = Math.max(delay, retryAfter);
            }
            await this.pause(delay, signal, what);
        }
    }

    private async pause(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
        try {
            await sleep(ms, signal, this.closing.signal);
        } catch (err) {
            throw errorFromException(err, what);
        }
    }

    private async attempt(req: HttpRequest, attempts: number): Promise<HttpResponse> {
        const release = await this.limiter.acquire(req.signal);
        try {
            if (this.closed) throw this.cancelled(req.what);
            const extra = req.prepare ? await req.prepare(req) : undefined;
            const headers: Record<string, string> = Object.assign({}, req.headers, extra);
            if (this.opts.userAgent && !hasHeader(headers, 'user-agent')) headers['user-agent'] = this.opts.userAgent;
            const url = req.url;
            // The origin is computed anew on each read of the URL's property: once here.
            const origin = url.origin;
            const res = await this.dispatcherFor(url, origin).request({
                origin,
                path: url.search ? `${url.pathname}${url.search}` : url.pathname,
                method: req.method as Dispatcher.HttpMethod,
                headers,
                body: req.body,
                signal: req.signal,
            });
            if (Number(res.headers['content-length']) > this.opts.maxResponseBytes) {
                res.body.on('error', () => undefined);
                res.body.destroy();
                throw this.tooLarge(req.what);
            }
            return {
                status: res.statusCode,
                headers: flattenHeaders(res.headers),
                body: Buffer.from(await res.body.arrayBuffer()),
                attempts,
            };
        } catch (err) {
            throw errorCode(err) === TOO_LARGE ? this.tooLarge(req.what) : err;
        } finally {
            release();
        }
    }

    /** Aborts every request in flight and closes all connections. */
    async close(): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        this.closing.abort();
        this.limiter.failAll(this.cancelled(undefined));
        const all: Dispatcher[] = [this.agent, ...this.proxies.values()];
        this.proxies.clear();
        this.routes.clear();
        await Promise.all(all.map((d) => d.destroy().catch(() => undefined)));
    }
}
