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
import type { SisClient, SisCredentials } from '../cloud/sis-client';
import { createVocabulary, getVocabulary, listVocabularies, updateVocabulary } from '../cloud/vocabularies';
import { SisError, toSisError } from '../core/errors';
import { buildSisClient, type ConfigSettings, CREDENTIAL_KEYS, resolveCredentials } from '../red/config-client';
import type { NodeAPI, SisConfigNode } from '../red/types';
import { badWordsOf, checkVocabulary, distinct } from './check';

const PASSWORD_PLACEHOLDER = '__PWRD__';
const DEPLOY_FIRST = 'sis-config.errors.deploy-first-vocabularies';

const registered = new WeakSet<object>();

interface Lease {
    client: SisClient;
    /** Closes a client made for this request only. */
    release(): Promise<void>;
}

class RouteError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
    ) {
        super(message);
    }
}

function deployed(RED: NodeAPI, id: string): SisConfigNode | undefined {
    const node = RED.nodes.getNode(id) as SisConfigNode | null;
    return node?.type === 'sis-config' ? node : undefined;
}

function sameService(a: SisClient, b: SisClient): boolean {
    return (
        a.authType === b.authType &&
        a.region === b.region &&
        a.endpoints.sis.href === b.endpoints.sis.href &&
        a.endpoints.iam.href === b.endpoints.iam.href
    );
}

/** A client for the draft values of the dialog, secrets filled from the deployed node when allowed. */
function draftClient(RED: NodeAPI, node: SisConfigNode | undefined, draft: Record<string, unknown>): Lease {
    const { credentials: rawCreds, ...rest } = draft;
    const settings = rest as unknown as ConfigSettings;
    const typed: SisCredentials = {};
    const given = (rawCreds !== null && typeof rawCreds === 'object' ? rawCreds : {}) as Record<string, unknown>;
    for (const key of CREDENTIAL_KEYS) {
        const v = given[key];
        if (typeof v === 'string' && v !== '' && v !== PASSWORD_PLACEHOLDER) typed[key] = v;
    }
    let credentials = resolveCredentials(RED, undefined, typed);
    const missing = CREDENTIAL_KEYS.filter((k) => credentials[k] === undefined);
    if (missing.length > 0 && node?.client && node.resolvedCredentials) {
        // Only towards the same service: probe the draft's endpoints without any secret first.
        let probe: SisClient | undefined;
        try {
            probe = buildSisClient(settings, {
                ak: 'x',
                sk: 'x',
                username: 'x',
                password: 'x',
                domainName: 'x',
            });
        } catch (err) {
            throw new RouteError(400, 'NOT_CONFIGURED', toSisError(err).message);
        }
        const same = sameService(probe, node.client);
        void probe.close();
        if (same) {
            const filled: SisCredentials = { ...credentials };
            for (const key of missing) filled[key] = node.resolvedCredentials[key];
            credentials = filled;
        }
    }
    let client: SisClient;
    try {
        client = buildSisClient(settings, credentials);
    } catch (err) {
        const e = toSisError(err);
        // Secrets the editor does not hold (a deployed node's) cannot be used elsewhere: deploy first.
        if (e.code === 'NOT_CONFIGURED' && /required/.test(e.message)) {
            throw new RouteError(node ? 400 : 404, 'NOT_DEPLOYED', DEPLOY_FIRST);
        }
        throw new RouteError(400, 'NOT_CONFIGURED', e.message);
    }
    return { client, release: () => client.close() };
}

function lease(RED: NodeAPI, req: Request, allowDraft: boolean): Lease {
    const node = deployed(RED, String(req.params.id ?? ''));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const draft = allowDraft && body.config !== null && typeof body.config === 'object' ? body.config : undefined;
    if (draft) return draftClient(RED, node, draft as Record<string, unknown>);
    if (!node) throw new RouteError(404, 'NOT_DEPLOYED', DEPLOY_FIRST);
    if (!node.client) throw new RouteError(400, 'NOT_CONFIGURED', node.configError ?? '');
    return { client: node.client, release: async () => undefined };
}

type Work = (client: SisClient, req: Request) => Promise<Record<string, unknown>>;

function handler(RED: NodeAPI, allowDraft: boolean, work: Work) {
    return (req: Request, res: Response): void => {
        let held: Lease;
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
