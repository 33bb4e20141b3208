// Service options of a node, overridden per message by `msg.sis`, validated before any request.
import type { SisClient } from '../cloud/sis-client';
import { resolveVocabularyId } from '../cloud/vocabularies';
import { invalidInput } from '../core/errors';

export type OptionSpec =
    | { kind: 'flag' }
    | { kind: 'enum'; values: readonly string[] }
    | { kind: 'string'; maxLength?: number; pattern?: RegExp }
    | { kind: 'int'; min: number; max: number };

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/**
 * `vocabulary_id` of every recognition node: a vocabulary id (a GUID, opaque), or `name:<name>`
 * resolved to the id before the request (cloud/vocabularies.ts).
 */
export const VOCABULARY_ID_OPTION: OptionSpec = { kind: 'string', maxLength: 80, pattern: /^(?:[\w-]+|name:\S.*)$/ };
export type OptionValues = Record<string, string | number | undefined>;

function validate(name: string, spec: OptionSpec, raw: unknown, origin: string): string | number | undefined {
    if (raw === undefined || raw === null || raw === '') return undefined;
    const where = `${origin}.${name}`;
    switch (spec.kind) {
        case 'flag':
            if (raw === true || raw === 'yes') return 'yes';
            if (raw === false || raw === 'no') return 'no';
            throw invalidInput(`${where} must be "yes" or "no" (or a boolean)`);
        case 'enum':
            if (typeof raw === 'string' && spec.values.includes(raw)) return raw;
            throw invalidInput(`${where} must be one of ${spec.values.join(', ')}`);
        case 'string': {
            if (typeof raw !== 'string') throw invalidInput(`${where} must be a string`);
            if (spec.maxLength !== undefined && raw.length > spec.maxLength) {
                throw invalidInput(`${where} is longer than ${spec.maxLength} characters`);
            }
            if (spec.pattern && !spec.pattern.test(raw)) throw invalidInput(`${where} is malformed`);
            return raw;
        }
        case 'int': {
            const n =
                typeof raw === 'number'
                    ? raw
                    : typeof raw === 'string' && /^-?\d+$/.test(raw.trim())
                      ? Number(raw)
                      : NaN;
            if (!Number.isInteger(n) || n < spec.min || n > spec.max) {
                throw invalidInput(`${where} must be a whole number from ${spec.min} to ${spec.max}`);
            }
            return n;
        }
    }
}

/** Settings resolved without `msg.sis`, per settings object and specs (settings are fixed for a node's life). */
const resolvedSettings = new WeakMap<object, WeakMap<OptionSpecs, OptionValues>>();

/**
 * The node's settings with `msg.sis` applied on top (the contract's documented override). Keys
 * this node does not use are ignored, so one `msg.sis` can travel through several SIS nodes.
 * Without `msg.sis`, valid settings are resolved once per settings object; the caller gets a copy.
 */
export function resolveOptions(specs: OptionSpecs, nodeValues: Record<string, unknown>, msgSis: unknown): OptionValues {
    if (msgSis === undefined) {
        let bySpecs = resolvedSettings.get(nodeValues);
        const cached = bySpecs?.get(specs);
        if (cached) return { ...cached };
        const out = resolveWith(specs, nodeValues, undefined);
        if (!bySpecs) {
            bySpecs = new WeakMap();
            resolvedSettings.set(nodeValues, bySpecs);
        }
        bySpecs.set(specs, { ...out });
        return out;
    }
    return resolveWith(specs, nodeValues, msgSis);
}

function resolveWith(specs: OptionSpecs, nodeValues: Record<string, unknown>, msgSis: unknown): OptionValues {
    if (msgSis !== undefined && (msgSis === null || typeof msgSis !== 'object' || Array.isArray(msgSis))) {
        throw invalidInput('msg.sis must be an object');
    }
    const overrides = (msgSis ?? {}) as Record<string, unknown>;
    const out: OptionValues = {};
    for (const [name, spec] of Object.entries(specs)) {
        const fromMsg = Object.hasOwn(overrides, name) ? overrides[name] : undefined;
        out[name] =
            fromMsg !== undefined
                ? validate(name, spec, fromMsg, 'msg.sis')
                : validate(name, spec, nodeValues[name], 'setting');
    }
    return out;
}

/** Drops undefined values (the service applies its defaults to absent fields). */
export function defined(values: OptionValues): Record<string, string | number> {
    const out: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(values)) if (v !== undefined) out[k] = v;
    return out;
}

/** Replaces a `name:<name>` `vocabulary_id` by the vocabulary's id (one list call, then cached). */
export async function resolveVocabularyOption(
    client: SisClient,
    values: { vocabulary_id?: string | number },
    signal?: AbortSignal,
): Promise<void> {
    if (typeof values.vocabulary_id === 'string') {
        values.vocabulary_id = await resolveVocabularyId(client, values.vocabulary_id, signal);
    }
}
