// sis-vocabulary: hot-word vocabularies managed from a flow. `msg.action` (or the node's setting)
// create, update, get, list or delete; `msg.vocabulary_id` names one (an id, or `name:<name>`).
// Bad words are refused before any request; an update by `add`/`remove` is a get then a put.

import type { SisClient } from '../cloud/sis-client';
import {
    createVocabulary,
    deleteVocabulary,
    getVocabulary,
    listVocabularies,
    resolveVocabularyId,
    updateVocabulary,
    type Vocabulary,
    type VocabularyBody,
} from '../cloud/vocabularies';
import { invalidInput } from '../core/errors';
import type { NodeMessage } from '../red/types';
import type { InputContext, UserNode } from '../red/user-node';
import { badWordsOf, checkVocabulary, checkWords, distinct } from './check';

export const VOCABULARY_ACTIONS = ['create', 'update', 'get', 'list', 'delete'] as const;
export type VocabularyAction = (typeof VOCABULARY_ACTIONS)[number];

function actionOf(msg: NodeMessage, settings: Record<string, unknown>): VocabularyAction {
    const raw = msg.action ?? settings.action;
    const action = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
    if ((VOCABULARY_ACTIONS as readonly unknown[]).includes(action)) return action as VocabularyAction;
    throw invalidInput(`msg.action must be one of ${VOCABULARY_ACTIONS.join(', ')}`);
}

function idOf(msg: NodeMessage, settings: Record<string, unknown>): string {
    const raw = msg.vocabulary_id ?? settings.vocabulary_id;
    if (typeof raw !== 'string' || raw.trim() === '') {
        throw invalidInput('msg.vocabulary_id must name the vocabulary (its id, or name:<name>)');
    }
    const id = raw.trim();
    if (id.length > 80 || !/^(?:[\w-]+|name:\S.*)$/.test(id)) throw invalidInput('msg.vocabulary_id is malformed');
    return id;
}

type Payload = Record<string, unknown>;

function isObject(v: unknown): v is Payload {
    return v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** The new body of an update: a full replace, words only, or words added and removed. */
async function updatedBody(
    client: SisClient,
    id: string,
    payload: unknown,
    signal: AbortSignal,
): Promise<VocabularyBody> {
    if (Array.isArray(payload)) {
        const contents = checkWords(payload, 'msg.payload');
        const current = await getVocabulary(client, id, signal);
        return bodyOf(current, distinct(contents));
    }
    if (!isObject(payload)) {
        throw invalidInput(
            'msg.payload must be { name, description?, language, contents }, an array of words, or { add, remove }',
        );
    }
    const edits = payload.add !== undefined || payload.remove !== undefined;
    if (edits) {
        if (payload.contents !== undefined) throw invalidInput('msg.payload has contents and add/remove: give one');
        const add = payload.add === undefined ? [] : checkWords(payload.add, 'msg.payload.add');
        const remove = payload.remove === undefined ? [] : payload.remove;
        if (!Array.isArray(remove) || remove.some((w) => typeof w !== 'string')) {
            throw invalidInput('msg.payload.remove must be an array of words');
        }
        const current = await getVocabulary(client, id, signal);
        const gone = new Set(remove as string[]);
        const contents = distinct([...current.contents, ...add]).filter((w) => !gone.has(w));
        return checkVocabulary({ ...bodyOf(current, contents), ...pick(payload) }, 'the updated vocabulary');
    }
    // Fields left out keep their current values (one get); contents are replaced.
    if (payload.contents === undefined) throw invalidInput('msg.payload.contents is missing');
    checkWords(payload.contents, 'msg.payload.contents');
    const complete = typeof payload.name === 'string' && typeof payload.language === 'string';
    const base = complete ? {} : bodyOf(await getVocabulary(client, id, signal), []);
    const body = checkVocabulary({ ...base, ...pick(payload), contents: payload.contents }, 'msg.payload');
    return { ...body, contents: distinct(body.contents) };
}

/** The words an update brings, checked before any request (even the look-up of a name). */
function precheckUpdate(payload: unknown): void {
    if (Array.isArray(payload)) checkWords(payload, 'msg.payload');
    else if (isObject(payload)) {
        if (payload.add !== undefined) checkWords(payload.add, 'msg.payload.add');
        if (payload.contents !== undefined) checkWords(payload.contents, 'msg.payload.contents');
    }
}

/** The descriptive fields a payload gives (name, description, language). */
function pick(payload: Payload): Payload {
    const out: Payload = {};
    for (const key of ['name', 'description', 'language']) if (payload[key] !== undefined) out[key] = payload[key];
    return out;
}

function bodyOf(current: Vocabulary, contents: string[]): VocabularyBody {
    const body: VocabularyBody = {
        name: current.name,
        language: current.language ?? 'chinese_mandarin',
        contents,
    };
    if (current.description) body.description = current.description;
    return body;
}

export function attachVocabulary(user: UserNode, settings: Record<string, unknown>): void {
    user.onInput(async ({ msg, send, signal, client }: InputContext) => {
        const action = actionOf(msg, settings);
        const status = user.status;
        try {
            switch (action) {
                case 'list': {
                    status.begin();
                    const list = await listVocabularies(client, signal);
                    msg.payload = list;
                    status.succeed('vocabularies', { count: list.length });
                    break;
                }
                case 'create': {
                    const body = checkVocabulary(msg.payload, 'msg.payload');
                    status.begin();
                    const id = await createVocabulary(client, { ...body, contents: distinct(body.contents) }, signal);
                    msg.payload = id;
                    msg.vocabulary_id = id;
                    status.succeed('vocabulary-saved', { count: distinct(body.contents).length });
                    break;
                }
                case 'update': {
                    const ref = idOf(msg, settings);
                    precheckUpdate(msg.payload);
                    status.begin();
                    const id = await resolveVocabularyId(client, ref, signal);
                    const body = await updatedBody(client, id, msg.payload, signal);
                    const saved = await updateVocabulary(client, id, body, signal);
                    msg.payload = saved;
                    msg.vocabulary_id = saved;
                    status.succeed('vocabulary-saved', { count: body.contents.length });
                    break;
                }
                case 'get': {
                    const ref = idOf(msg, settings);
                    status.begin();
                    const id = await resolveVocabularyId(client, ref, signal);
                    const vocabulary = await getVocabulary(client, id, signal);
                    msg.payload = vocabulary;
                    msg.vocabulary_id = id;
                    status.succeed('vocabulary-words', { count: vocabulary.contents.length });
                    break;
                }
                case 'delete': {
                    const ref = idOf(msg, settings);
                    status.begin();
                    const id = await resolveVocabularyId(client, ref, signal);
                    await deleteVocabulary(client, id, signal);
                    msg.payload = id;
                    msg.vocabulary_id = id;
                    status.succeed('vocabulary-deleted');
                    break;
                }
            }
        } catch (err) {
            const bad = badWordsOf(err);
            if (bad) msg.bad_words = bad;
            throw err;
        }
        send(msg);
    });
}
