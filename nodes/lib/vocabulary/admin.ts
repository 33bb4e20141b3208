// Admin (editor) routes for hot-word vocabularies, beside `POST /sis-config/:id/test`:
//
//   GET  /sis-config/:id/vocabularies             sis-config.read   the deployed configuration's list
//   GET  /sis-config/:id/vocabularies/:vid        sis-config.read   one vocabulary with its words
//   POST /sis-config/:id/vocabularies/list        sis-config.write  the list, with { config? }
//   POST /sis-config/:id/vocabularies/:vid/get    sis-config.write  one vocabulary, with { config? }
//   PUT  /sis-config/:id/vocabularies/:vid        sis-config.write  save { vocabulary, config? }
//   POST /sis-config/:id/vocabularies             sis-config.write  create { vocabulary, config? }
//
// `config` is the dialog's values before a deploy: the non-secret settings plus `credentials`. A
// secret left out (or Node-RED's `__PWRD__` placeholder) is taken from the deployed node of that id,
// only when the draft talks to the same endpoints with the same kind of authentication: a typed
// endpoint never receives a deployed secret. Answers carry vocabularies and error codes, never a
// secret (messages are scrubbed by the client that produced them).
import type { Request, Response } from 'express';
import type { SisClient } from '../cloud/sis-client';
import { createVocabulary, getVocabulary, listVocabularies, updateVocabulary } from '../cloud/vocabularies';
import { SisError, toSisError } from '../core/errors';
import { type ClientLease, draftClient, ConfigRouteError as RouteError } from '../red/config-client';
import type { NodeAPI, SisConfigNode } from '../red/types';
import { badWordsOf, checkVocabulary, distinct } from './check';

const DEPLOY_FIRST = 'sis-config.errors.deploy-first-vocabularies';

const registered = new WeakSet<object>();

function deployed(RED: NodeAPI, id: string): SisConfigNode | undefined {
    const node = RED.nodes.getNode(id) as SisConfigNode | null;
    return node?.type === 'sis-config' ? node : undefined;
}

function lease(RED: NodeAPI, req: Request, allowDraft: boolean): ClientLease {
    const node = deployed(RED, String(req.params.id ?? ''));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const draft = allowDraft && body.config !== null && typeof body.config === 'object' ? body.config : undefined;
    if (draft) {
        try {
            return draftClient(RED, node, draft as Record<string, unknown>);
        } catch (err) {
            // Secrets the editor does not hold (a deployed node's) cannot be used elsewhere: deploy first.
            if (err instanceof RouteError && err.code === 'NOT_CONFIGURED' && /required/.test(err.message)) {
                throw new RouteError(node ? 400 : 404, 'NOT_DEPLOYED', DEPLOY_FIRST);
            }
            throw err;
        }
    }
    if (!node) throw new RouteError(404, 'NOT_DEPLOYED', DEPLOY_FIRST);
    if (!node.client) throw new RouteError(400, 'NOT_CONFIGURED', node.configError ?? '');
    return { client: node.client, release: async () => undefined };
}

type Work = (client: SisClient, req: Request) => Promise<Record<string, unknown>>;

function handler(RED: NodeAPI, allowDraft: boolean, work: Work) {
    return (req: Request, res: Response): void => {
        let held: ClientLease;
        try {
            held = lease(RED, req, allowDraft);
        } catch (err) {
            const e =
                err instanceof RouteError ? err : new RouteError(400, toSisError(err).code, toSisError(err).message);
            res.status(e.status).json({ ok: false, code: e.code, message: e.message });
            return;
        }
        const client = held.client;
        work(client, req)
            .then(
                (answer) => {
                    res.json({ ok: true, ...answer });
                },
                (err: unknown) => {
                    const e = toSisError(err);
                    const answer: Record<string, unknown> = {
                        ok: false,
                        code: e.code,
                        message: client.scrub(e.message),
                    };
                    if (e.serviceCode) answer.service_code = e.serviceCode;
                    const bad = badWordsOf(e);
                    if (bad) answer.bad_words = bad;
                    res.status(e.code === 'INVALID_INPUT' ? 400 : 502).json(answer);
                },
            )
            .finally(() => {
                held.release().catch(() => undefined);
            });
    };
}

function vocabularyOf(req: Request): Parameters<typeof createVocabulary>[1] {
    const body = checkVocabulary((req.body as Record<string, unknown> | undefined)?.vocabulary, 'vocabulary');
    return { ...body, contents: distinct(body.contents) };
}

function vid(req: Request): string {
    const id = String(req.params.vid ?? '');
    if (!/^[\w-]{1,80}$/.test(id)) throw new SisError('INVALID_INPUT', 'the vocabulary id is malformed');
    return id;
}

export function registerVocabularyRoutes(RED: NodeAPI): void {
    if (registered.has(RED.httpAdmin)) return;
    registered.add(RED.httpAdmin);
    const read = RED.auth.needsPermission('sis-config.read');
    const write = RED.auth.needsPermission('sis-config.write');
    const base = '/sis-config/:id/vocabularies';
    const list: Work = async (client) => ({ vocabularies: await listVocabularies(client) });
    const get: Work = async (client, req) => ({ vocabulary: await getVocabulary(client, vid(req)) });
    RED.httpAdmin.get(base, read, handler(RED, false, list));
    RED.httpAdmin.post(`${base}/list`, write, handler(RED, true, list));
    RED.httpAdmin.get(`${base}/:vid`, read, handler(RED, false, get));
    RED.httpAdmin.post(`${base}/:vid/get`, write, handler(RED, true, get));
    RED.httpAdmin.put(
        `${base}/:vid`,
        write,
        handler(RED, true, async (client, req) => {
            const id = vid(req);
            const body = vocabularyOf(req);
            return { vocabulary_id: await updateVocabulary(client, id, body), count: body.contents.length };
        }),
    );
    RED.httpAdmin.post(
        base,
        write,
        handler(RED, true, async (client, req) => {
            const body = vocabularyOf(req);
            return { vocabulary_id: await createVocabulary(client, body), count: body.contents.length };
        }),
    );
}
