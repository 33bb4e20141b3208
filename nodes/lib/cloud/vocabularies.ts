// Hot-word vocabularies on SIS (docs/protocol/rest.md §5): the five REST calls through a SisClient, and
// `name:<name>` references resolved to ids with one list call, cached per account until a change made
// through this package (or a bounded lifetime) makes the answer old.

import { SisError } from '../core/errors';
import type { SisClient } from './sis-client';

export interface VocabularySummary {
    vocabulary_id: string;
    name: string;
    language?: string;
    description?: string;
}

export interface Vocabulary extends VocabularySummary {
    contents: string[];
}

export interface VocabularyBody {
    name: string;
    description?: string;
    language: string;
    contents: string[];
}

/** A reference by name: `name:Kitchen_devices`. */
export const VOCABULARY_NAME_PREFIX = 'name:';
/** A resolved name is trusted this long; a vocabulary changed elsewhere is seen after it at the latest. */
export const VOCABULARY_CACHE_MS = 5 * 60_000;
const PAGE_SIZE = 100;
/** A guard against an answer that never ends (the service keeps at most 100 per account). */
const MAX_PAGES = 100;

const BASE = '/asr/vocabularies';

function pathOf(id: string): string {
    return `${BASE}/${encodeURIComponent(id)}`;
}

function summaryOf(item: unknown): VocabularySummary | undefined {
    if (item === null || typeof item !== 'object') return undefined;
    const v = item as Record<string, unknown>;
    if (typeof v.vocabulary_id !== 'string' || typeof v.name !== 'string') return undefined;
    const out: VocabularySummary = { vocabulary_id: v.vocabulary_id, name: v.name };
    if (typeof v.language === 'string') out.language = v.language;
    if (typeof v.description === 'string') out.description = v.description;
    return out;
}

function idOf(body: unknown, what: string, status: number): string {
    const id = (body as { vocabulary_id?: unknown } | undefined)?.vocabulary_id;
    if (typeof id !== 'string' || id === '') {
        throw new SisError('PROTOCOL', `${what}: the answer has no vocabulary_id`, { status });
    }
    return id;
}

/** Every vocabulary of the account, all pages (`offset` is a page index: rest.md §5). */
export async function listVocabularies(
    client: SisClient,
    signal?: AbortSignal,
    pageSize = PAGE_SIZE,
): Promise<VocabularySummary[]> {
    const all: VocabularySummary[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
        const res = await client.call<{ count?: unknown; result?: unknown }>({
            method: 'GET',
            path: BASE,
            query: { offset: page, limit: pageSize },
            idempotent: true,
            signal,
            what: 'vocabulary list',
        });
        const result = res.body.result;
        if (!Array.isArray(result)) {
            throw new SisError('PROTOCOL', 'vocabulary list: the answer has no result array', { status: res.status });
        }
        for (const item of result) {
            const s = summaryOf(item);
            if (s) all.push(s);
        }
        const count = typeof res.body.count === 'number' ? res.body.count : undefined;
        if (result.length < pageSize || (count !== undefined && all.length >= count)) break;
    }
    return all;
}

export async function getVocabulary(client: SisClient, id: string, signal?: AbortSignal): Promise<Vocabulary> {
    const res = await client.call<Record<string, unknown>>({
        method: 'GET',
        path: pathOf(id),
        idempotent: true,
        signal,
        what: 'vocabulary query',
    });
    const summary = summaryOf({ vocabulary_id: id, ...res.body });
    const contents = res.body.contents;
    if (!summary || !Array.isArray(contents)) {
        throw new SisError('PROTOCOL', 'vocabulary query: the answer has no name or contents', { status: res.status });
    }
    return { ...summary, contents: contents.filter((w): w is string => typeof w === 'string') };
}

export async function createVocabulary(client: SisClient, body: VocabularyBody, signal?: AbortSignal): Promise<string> {
    try {
        // Not repeated after it may have left: a second create would fail on the name, or make a twin.
        const res = await client.call<unknown>({
            method: 'POST',
            path: BASE,
            json: body,
            idempotent: false,
            signal,
            what: 'vocabulary creation',
        });
        return idOf(res.body, 'vocabulary creation', res.status);
    } finally {
        await forgetVocabularies(client);
    }
}

export async function updateVocabulary(
    client: SisClient,
    id: string,
    body: VocabularyBody,
    signal?: AbortSignal,
): Promise<string> {
    try {
        const res = await client.call<unknown>({
            method: 'PUT',
            path: pathOf(id),
            json: body,
            idempotent: true,
            signal,
            what: 'vocabulary update',
        });
        return typeof (res.body as { vocabulary_id?: unknown }).vocabulary_id === 'string'
            ? idOf(res.body, 'vocabulary update', res.status)
            : id;
    } finally {
        await forgetVocabularies(client);
    }
}

export async function deleteVocabulary(client: SisClient, id: string, signal?: AbortSignal): Promise<void> {
    try {
        // The answer is empty or { vocabulary_id, message } (rest.md §5): either is success.
        await client.call<unknown>({
            method: 'DELETE',
            path: pathOf(id),
            idempotent: true,
            signal,
            what: 'vocabulary deletion',
        });
    } finally {
        await forgetVocabularies(client);
    }
}

// --- names to ids -----------------------------------------------------------------------------

interface NameTable {
    at: number;
    ids: Map<string, string>;
}

/** Per account (SIS endpoint and project): vocabularies are the project's, whichever node asks. */
const tables = new Map<string, { table?: NameTable; inflight?: Promise<NameTable> }>();

async function accountKey(client: SisClient): Promise<string> {
    return `${client.endpoints.sis.href}|${await client.projectId()}`;
}

/** Forgets the names known for the client's account (after a create, update or delete). */
export async function forgetVocabularies(client: SisClient): Promise<void> {
    try {
        tables.delete(await accountKey(client));
    } catch {
        // No project id: nothing was cached for it either.
    }
}

async function nameTable(client: SisClient, maxAgeMs: number): Promise<NameTable> {
    const key = await accountKey(client);
    let entry = tables.get(key);
    if (!entry) {
        entry = {};
        tables.set(key, entry);
    }
    const current = entry.table;
    if (current && Date.now() - current.at < maxAgeMs) return current;
    let inflight = entry.inflight;
    if (!inflight) {
        const slot = entry;
        // Shared by every waiting caller: no one caller's abort signal stops it.
        inflight = listVocabularies(client).then(
            (list) => {
                const table = { at: Date.now(), ids: new Map(list.map((v) => [v.name, v.vocabulary_id])) };
                slot.inflight = undefined;
                // Kept only if no change forgot the account meanwhile.
                if (tables.get(key) === slot) slot.table = table;
                return table;
            },
            (err: unknown) => {
                slot.inflight = undefined;
                throw err;
            },
        );
        slot.inflight = inflight;
    }
    return inflight;
}

/** Waits for `work`, or rejects with CANCELLED when `signal` aborts first. */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (!signal) return work;
    if (signal.aborted) return Promise.reject(new SisError('CANCELLED', 'vocabulary look-up cancelled'));
    return new Promise<T>((resolve, reject) => {
        const onAbort = (): void => reject(new SisError('CANCELLED', 'vocabulary look-up cancelled'));
        signal.addEventListener('abort', onAbort, { once: true });
        work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
}

/** Whether a `vocabulary_id` value names a vocabulary by its name. */
export function isVocabularyName(ref: string): boolean {
    return ref.startsWith(VOCABULARY_NAME_PREFIX);
}

/**
 * The vocabulary id a `vocabulary_id` value stands for: an id as it is, `name:<name>` looked up
 * (one list call, then cached). An unknown name is a NOT_FOUND error.
 */
export async function resolveVocabularyId(client: SisClient, ref: string, signal?: AbortSignal): Promise<string> {
    if (!isVocabularyName(ref)) return ref;
    const name = ref.slice(VOCABULARY_NAME_PREFIX.length).trim();
    if (name === '') throw new SisError('INVALID_INPUT', 'vocabulary_id "name:" names no vocabulary');
    const asked = Date.now();
    let table = await abortable(nameTable(client, VOCABULARY_CACHE_MS), signal);
    let id = table.ids.get(name);
    if (id === undefined && table.at < asked) {
        // Not in a list read earlier: perhaps created elsewhere since. Read it again once.
        table = await abortable(nameTable(client, Date.now() - asked), signal);
        id = table.ids.get(name);
    }
    if (id === undefined) throw new SisError('NOT_FOUND', `no hot-word vocabulary is named "${name}"`);
    return id;
}
