// Admin (editor) routes of the package, registered once per runtime.
import type { Request, Response } from 'express';
import type { SisClient, SisCredentials } from '../cloud/sis-client';
import { SisError } from '../core/errors';
import { buildClient, type ClientSettings, CREDENTIAL_KEYS, resolveEnvCredentials } from './config-client';
import type { NodeAPI, SisConfigNode } from './types';

// One registration per admin app (a test harness may start several runtimes in one process).
const registered = new WeakSet<object>();

/** What the editor sends for a password credential the user left untouched. */
export const UNCHANGED_PASSWORD = '__PWRD__';

/** Tests allowed per config id and client address in a window, against password guessing. */
export const TEST_LIMIT = 5;
export const TEST_WINDOW_MS = 60_000;

const SETTING_KEYS = [
    'region',
    'projectId',
    'authType',
    'endpoint',
    'iamEndpoint',
    'obsEndpoint',
    'obsBucket',
    'maxConcurrent',
    'timeout',
    'maxRetries',
    'caFile',
] as const;

/** A sliding-window counter per key: `take` says whether one more is allowed now, and when to retry. */
export class RateLimiter {
    private readonly hits = new Map<string, number[]>();

    constructor(
        private readonly limit: number,
        private readonly windowMs: number,
        private readonly now: () => number = Date.now,
    ) {}

    take(key: string): { ok: true } | { ok: false; retryAfterS: number } {
        const now = this.now();
        const since = now - this.windowMs;
        // Forget keys whose window has passed, so the map stays small.
        for (const [k, times] of this.hits) if (times[times.length - 1] <= since) this.hits.delete(k);
        const times = (this.hits.get(key) ?? []).filter((t) => t > since);
        if (times.length >= this.limit) {
            this.hits.set(key, times);
            return { ok: false, retryAfterS: Math.max(1, Math.ceil((times[0] + this.windowMs - now) / 1000)) };
        }
        times.push(now);
        this.hits.set(key, times);
        return { ok: true };
    }
}

function str(v: unknown): string | undefined {
    return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/**
 * The settings and credentials the dialog holds: strings from the body, and for each credential
 * left untouched (`__PWRD__`, or absent) the deployed node's.
 */
export function dialogConfig(
    body: Record<string, unknown>,
    deployed: SisCredentials | undefined,
): { settings: ClientSettings; credentials: SisCredentials } {
    const settings: Record<string, string | undefined> = {};
    for (const key of SETTING_KEYS) settings[key] = str(body[key]);
    const sent = (body.credentials ?? {}) as Record<string, unknown>;
    const credentials: SisCredentials = {};
    for (const key of CREDENTIAL_KEYS) {
        const value = str(sent[key]);
        credentials[key] = value === undefined || value === UNCHANGED_PASSWORD ? deployed?.[key] : value;
    }
    return { settings: settings as unknown as ClientSettings, credentials };
}

function answer(res: Response, client: SisClient | undefined, work: Promise<unknown>, dispose?: () => void): void {
    work.then(
        (info) => res.json({ ok: true, ...(info as object) }),
        (err: unknown) => {
            const e = err instanceof SisError ? err : new SisError('NETWORK', 'connection test failed');
            const message = client ? client.scrub(e.message) : e.message;
            // The test ran: its outcome is the answer (an HTTP error would read as a broken editor).
            res.json({ ok: false, code: e.code, message });
        },
    ).finally(dispose);
}

/**
 * `POST /sis-config/:id/test` — checks a configuration against the service (IAM, project look-up).
 * With a JSON body it tests what the dialog holds — region, endpoints, auth type and the typed
 * credentials, `__PWRD__` standing for the deployed node's — with a throw-away client; without
 * one, the deployed node's client. Answers 200 `{ ok: true, region, projectId, authType }` or
 * `{ ok: false, code, message }` (404 without a body for a node not deployed). Needs
 * `sis-config.write`, answers no secret, and allows
 * TEST_LIMIT tests per config id and client address a minute (then 429 with Retry-After).
 */
export function registerAdminRoutes(RED: NodeAPI): void {
    if (registered.has(RED.httpAdmin)) return;
    registered.add(RED.httpAdmin);
    const limiter = new RateLimiter(TEST_LIMIT, TEST_WINDOW_MS);
    RED.httpAdmin.post(
        '/sis-config/:id/test',
        RED.auth.needsPermission('sis-config.write'),
        (req: Request, res: Response) => {
            const id = String(req.params.id ?? '');
            const allowed = limiter.take(`${id}\n${req.ip ?? req.socket?.remoteAddress ?? ''}`);
            if (!allowed.ok) {
                res.set('Retry-After', String(allowed.retryAfterS));
                res.status(429).json({ ok: false, code: 'RATE_LIMITED', message: 'sis-config.errors.too-many-tests' });
                return;
            }
            const node = RED.nodes.getNode(id) as SisConfigNode | null;
            const body = (req.body ?? {}) as Record<string, unknown>;
            if (typeof body.authType === 'string') {
                testDialog(RED, res, id, body);
                return;
            }
            if (node?.type !== 'sis-config') {
                res.status(404).json({ ok: false, code: 'NOT_DEPLOYED', message: 'sis-config.errors.deploy-first' });
                return;
            }
            if (!node.client) {
                res.json({ ok: false, code: 'NOT_CONFIGURED', message: node.configError ?? '' });
                return;
            }
            answer(res, node.client, node.client.testConnection());
        },
    );
}

function testDialog(RED: NodeAPI, res: Response, id: string, body: Record<string, unknown>): void {
    const nodes = RED.nodes as unknown as { getCredentials?: (id: string) => SisCredentials | undefined };
    const deployed = nodes.getCredentials?.(id);
    const { settings, credentials } = dialogConfig(body, deployed);
    let client: SisClient;
    try {
        client = buildClient(
            settings,
            resolveEnvCredentials(credentials, (name) => process.env[name]),
        );
    } catch (err) {
        const e = err instanceof SisError ? err : new SisError('NOT_CONFIGURED', 'invalid configuration');
        res.json({ ok: false, code: e.code, message: e.message });
        return;
    }
    answer(res, client, client.testConnection(), () => {
        void client.close();
    });
}
