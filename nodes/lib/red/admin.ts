// Admin (editor) routes of the package, registered once per runtime.
import type { Request, Response } from 'express';
import type { SisClient } from '../cloud/sis-client';
import { SisError } from '../core/errors';
import { ConfigRouteError, draftClient } from './config-client';
import type { NodeAPI, SisConfigNode } from './types';

// One registration per admin app (a test harness may start several runtimes in one process).
const registered = new WeakSet<object>();

/** Tests allowed per config id and client address in a window, against password guessing. */
export const TEST_LIMIT = 5;
export const TEST_WINDOW_MS = 60_000;

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
 * credentials, `__PWRD__` standing for the deployed node's (only towards the deployed node's own
 * endpoints) — with a throw-away client; without
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
    const node = RED.nodes.getNode(id) as SisConfigNode | null;
    let lease: ReturnType<typeof draftClient>;
    try {
        lease = draftClient(RED, node?.type === 'sis-config' ? node : undefined, body);
    } catch (err) {
        const code = err instanceof ConfigRouteError ? err.code : 'NOT_CONFIGURED';
        res.json({ ok: false, code, message: err instanceof Error ? err.message : 'invalid configuration' });
        return;
    }
    answer(res, lease.client, lease.client.testConnection(), () => {
        void lease.release();
    });
}
