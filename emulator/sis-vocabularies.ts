// Hot-word vocabularies: /v1/{project_id}/asr/vocabularies[/{vocabulary_id}] (docs/protocol/rest.md §5).

import { randomUUID } from 'node:crypto';
import type { Call, Core } from './core';
import { queryValue } from './core';
import { apiNotFound, type Reply, SisError } from './reply';
import { type JsonObject, jsonBody } from './sis-common';
import type { Vocabulary, VocabularyStore } from './stores';

const MAX_VOCABULARIES = 10;
const MAX_WORDS = 10_000;
const MAX_WORD_BYTES = 32;
const NAME = /^[A-Za-z0-9_#-]+$/;
const WORD = /^[A-Za-z\p{Script=Han}]+$/u;

function validate(store: VocabularyStore, body: JsonObject, selfId?: string): Omit<Vocabulary, 'vocabulary_id'> {
    const name = body.name;
    if (name === undefined || name === null || name === '') throw new SisError('SIS.0032', 'name cannot be empty');
    if (typeof name !== 'string' || !NAME.test(name) || Buffer.byteLength(name) > 32) {
        throw new SisError('SIS.0032', "'name' is invalid");
    }
    const description = body.description ?? '';
    if (typeof description !== 'string' || Buffer.byteLength(description) > 255) {
        throw new SisError('SIS.0032', "'description' is invalid");
    }
    const language = body.language;
    if (language === undefined || language === null || language === '') {
        throw new SisError('SIS.0032', 'language cannot be empty');
    }
    if (language !== 'chinese_mandarin') throw new SisError('SIS.0205', 'language is not supported');
    const contents = body.contents;
    if (contents === undefined || contents === null) throw new SisError('SIS.0032', 'contents cannot be empty');
    if (!Array.isArray(contents) || contents.length === 0) throw new SisError('SIS.0032', "'contents' is invalid");
    if (contents.length > MAX_WORDS) throw new SisError('SIS.0203', `too many hot words (max ${MAX_WORDS})`);
    for (const word of contents) {
        if (typeof word !== 'string' || !WORD.test(word) || Buffer.byteLength(word) > MAX_WORD_BYTES) {
            throw new SisError('SIS.0203', `hot word is too long or illegal: ${String(word).slice(0, 40)}`);
        }
    }
    for (const other of store.list()) {
        if (other.name === name && other.vocabulary_id !== selfId) {
            throw new SisError('SIS.0204', 'vocabulary name already exists');
        }
    }
    return { name, description, language, contents: contents as string[] };
}

function pageParam(call: Call, name: string): number | undefined {
    const text = queryValue(call, name);
    if (text === undefined || text === '') return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0) throw new SisError('SIS.0031', `'${name}' is invalid`);
    return value;
}

function list(core: Core, call: Call): Reply {
    // The SDK sends an optional `{"name": filter}` body even on GET.
    let filter: string | undefined;
    if (call.body.length > 0) {
        const body = jsonBody(call, 'SIS.0032');
        if (typeof body.name === 'string' && body.name !== '') filter = body.name;
    }
    const offset = pageParam(call, 'offset') ?? 0;
    const limit = pageParam(call, 'limit');
    const matches = core.vocabularies.list().filter((v) => filter === undefined || v.name.includes(filter));
    // `offset` is a page index ("page offset, starting from 0" in the SDK) — undocumented otherwise.
    const page = limit === undefined ? matches : matches.slice(offset * limit, offset * limit + limit);
    return {
        status: 200,
        json: {
            count: matches.length,
            result: page.map(({ vocabulary_id, name, language, description }) => ({
                vocabulary_id,
                name,
                language,
                description,
            })),
        },
    };
}

export function handleVocabularies(core: Core, call: Call, id: string | undefined): Reply {
    const store = core.vocabularies;
    if (id === undefined) {
        if (call.method === 'GET') return list(core, call);
        if (call.method !== 'POST') return apiNotFound();
        const fields = validate(store, jsonBody(call, 'SIS.0032'));
        if (store.size >= MAX_VOCABULARIES) throw new SisError('SIS.0208', 'too many vocabularies (limit 10)');
        const vocabulary: Vocabulary = { vocabulary_id: randomUUID(), ...fields };
        store.put(vocabulary);
        return { status: 200, json: { vocabulary_id: vocabulary.vocabulary_id } };
    }
    const existing = store.get(id);
    if (call.method === 'GET') {
        if (!existing) throw new SisError('SIS.0201', 'vocabulary is not found');
        return { status: 200, json: existing };
    }
    if (call.method === 'PUT') {
        if (!existing) throw new SisError('SIS.0201', 'vocabulary is not found');
        store.put({ vocabulary_id: id, ...validate(store, jsonBody(call, 'SIS.0032'), id) });
        return { status: 200, json: { vocabulary_id: id } };
    }
    if (call.method === 'DELETE') {
        if (!store.delete(id)) throw new SisError('SIS.0201', 'vocabulary is not found');
        // DOC-2021: "no body, 200 means success".
        return { status: 200, body: '' };
    }
    return apiNotFound();
}
