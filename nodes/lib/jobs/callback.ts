// Results pushed by the service (docs/protocol/rest.md §2.4): with the node's callback mode, each
// job is submitted with `callback_url` = <public URL of Node-RED's HTTP endpoint>/sis-job-asr/
// callback/<node id>/<token>, where the token is random per job and only its SHA-256 is stored
// (context or Redis). The route lives on RED.httpNode, so any instance behind the same address
// may receive it; the node with that id there checks the token and answers the job once.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { SisError } from '../core/errors';
import type { NodeAPI } from '../red/types';

export const CALLBACK_ROUTE = '/sis-job-asr/callback';
/** A result with word timings of a 5-hour recording stays well below this. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** What a job node does with a callback: an HTTP status for the service. */
export interface CallbackTarget {
    callback(tokenHash: string, body: unknown): Promise<number>;
}

const targets = new Map<string, CallbackTarget>();
const registered = new WeakSet<object>();

export function newCallbackToken(): string {
    return randomBytes(24).toString('base64url');
}

export function tokenHash(token: string): string {
    return createHash('sha256').update(token).digest('hex');
}

/** Whether two token hashes are the same, in constant time. */
export function sameHash(a: string | undefined, b: string): boolean {
    if (typeof a !== 'string' || a.length !== b.length) return false;
    return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Checks the node's "public URL" setting; undefined when it is unusable. */
export function callbackBaseOf(value: unknown): string | undefined {
    if (typeof value !== 'string' || value.trim() === '') return undefined;
    try {
        const url = new URL(value.trim());
        if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
        if (url.search || url.hash) return undefined;
        return url.href.replace(/\/+$/, '');
    } catch {
        return undefined;
    }
}

export function callbackUrl(base: string, nodeId: string, token: string): string {
    return `${base}${CALLBACK_ROUTE}/${encodeURIComponent(nodeId)}/${token}`;
}

/** Routes the callbacks for `nodeId` to `target` until the returned function is called. */
export function serveCallbacks(nodeId: string, target: CallbackTarget): () => void {
    targets.set(nodeId, target);
    return () => {
        if (targets.get(nodeId) === target) targets.delete(nodeId);
    };
}

function readBody(req: Request): Promise<unknown> {
    const parsed = (req as { body?: unknown }).body;
    if (parsed !== undefined && !(typeof parsed === 'object' && parsed !== null && Object.keys(parsed).length === 0)) {
        return Promise.resolve(
            typeof parsed === 'string' || Buffer.isBuffer(parsed) ? JSON.parse(String(parsed)) : parsed,
        );
    }
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
                reject(new SisError('INVALID_INPUT', 'callback body too large'));
                req.destroy();
                return;
            }
            chunks.push(chunk);
        });
        req.on('end', () => {
            try {
                resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            } catch {
                reject(new SisError('INVALID_INPUT', 'callback body is not JSON'));
            }
        });
        req.on('error', reject);
    });
}

/** `POST <httpNodeRoot>/sis-job-asr/callback/:node/:token`, once per runtime. */
export function registerCallbackRoute(RED: NodeAPI): void {
    const app = (RED as unknown as { httpNode?: { post?: unknown } }).httpNode;
    if (!app || typeof app.post !== 'function' || registered.has(app)) return;
    registered.add(app);
    RED.httpNode.post(`${CALLBACK_ROUTE}/:node/:token`, (req: Request, res: Response) => {
        const target = targets.get(String(req.params.node ?? ''));
        const token = String(req.params.token ?? '');
        if (!target || token.length < 16) {
            res.status(404).json({ ok: false });
            return;
        }
        readBody(req)
            .then((body) => target.callback(tokenHash(token), body))
            .then(
                (status) => res.status(status).json({ ok: status === 200 }),
                () => res.status(400).json({ ok: false }),
            );
    });
}
