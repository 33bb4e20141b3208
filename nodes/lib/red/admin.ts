// Admin (editor) routes of the package, registered once per runtime.
import type { Request, Response } from 'express';
import { SisError } from '../core/errors';
import type { NodeAPI, SisConfigNode } from './types';

// One registration per admin app (a test harness may start several runtimes in one process).
const registered = new WeakSet<object>();

/** `POST /sis-config/:id/test` — checks the credentials of a deployed config node. */
export function registerAdminRoutes(RED: NodeAPI): void {
    if (registered.has(RED.httpAdmin)) return;
    registered.add(RED.httpAdmin);
    RED.httpAdmin.post(
        '/sis-config/:id/test',
        RED.auth.needsPermission('sis-config.write'),
        (req: Request, res: Response) => {
            const id = String(req.params.id ?? '');
            const node = RED.nodes.getNode(id) as SisConfigNode | null;
            if (node?.type !== 'sis-config') {
                res.status(404).json({ ok: false, code: 'NOT_DEPLOYED', message: 'sis-config.errors.deploy-first' });
                return;
            }
            if (!node.client) {
                res.status(400).json({ ok: false, code: 'NOT_CONFIGURED', message: node.configError ?? '' });
                return;
            }
            const client = node.client;
            client.testConnection().then(
                (info) => res.json({ ok: true, ...info }),
                (err: unknown) => {
                    const e = err instanceof SisError ? err : new SisError('NETWORK', 'connection test failed');
                    res.status(502).json({ ok: false, code: e.code, message: client.scrub(e.message) });
                },
            );
        },
    );
}
