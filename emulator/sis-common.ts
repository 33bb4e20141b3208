// Validation helpers shared by the SIS REST routes; every failure is a SisError with its documented code.

import type { Call, Core } from './core';
import { SisError } from './reply';

export type JsonObject = Record<string, unknown>;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function isObject(value: unknown): value is JsonObject {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Parses the body as a JSON object; `code` is the API's "bad body" code. */
export function jsonBody(call: Call, code: string): JsonObject {
    let parsed: unknown;
    try {
        parsed = JSON.parse(call.body.toString('utf8'));
    } catch {
        throw new SisError(code, 'request body is not valid JSON');
    }
    if (!isObject(parsed)) throw new SisError(code, 'request body must be a JSON object');
    call.json = parsed;
    return parsed;
}

/** A required string field; missing or empty gives "`<name>` cannot be empty" (SIS.0032). */
export function requiredString(o: JsonObject, name: string, code = 'SIS.0032'): string {
    const value = o[name];
    if (value === undefined || value === null || value === '') throw new SisError(code, `${name} cannot be empty`);
    if (typeof value !== 'string') throw new SisError(code, `'${name}' is invalid`);
    return value;
}

export function optionalString(o: JsonObject, name: string, code: string): string | undefined {
    const value = o[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw new SisError(code, `'${name}' is invalid`);
    return value;
}

/** The ASR switches are the strings "yes"/"no" (not booleans). */
export function yesNo(value: unknown, name: string, fallback: boolean, code = 'SIS.0032'): boolean {
    if (value === undefined || value === null) return fallback;
    if (value === 'yes') return true;
    if (value === 'no') return false;
    throw new SisError(code, `'${name}' is invalid`);
}

export function enumValue<T extends string>(value: unknown, allowed: readonly T[], name: string, code: string): T {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    throw new SisError(code, `'${name}' is invalid`);
}

/** Integer in [min, max]; `undefined` gives the default. */
export function intInRange(
    value: unknown,
    name: string,
    min: number,
    max: number,
    fallback: number,
    code: string,
): number {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        throw new SisError(code, `'${name}' is out of range [${min}, ${max}]`);
    }
    return value;
}

/** Plain base64 only: a `data:` URL prefix or stray characters are refused (SIS.0032). */
export function decodeBase64(data: string): Buffer {
    if (data.startsWith('data:') || data.length % 4 !== 0 || !BASE64.test(data)) {
        throw new SisError('SIS.0032', 'data base64 encode invalid');
    }
    return Buffer.from(data, 'base64');
}

export function checkVocabulary(core: Core, vocabularyId: unknown): void {
    if (vocabularyId === undefined || vocabularyId === null || vocabularyId === '') return;
    if (typeof vocabularyId !== 'string' || !core.vocabularies.has(vocabularyId)) {
        throw new SisError('SIS.0201', 'vocabulary is not found');
    }
}

/** Errors thrown by the audio module carry a SIS code; keep it. */
export function asSisError(err: unknown): SisError {
    if (err instanceof SisError) return err;
    if (err instanceof Error && typeof (err as { sisCode?: unknown }).sisCode === 'string') {
        return new SisError((err as unknown as { sisCode: string }).sisCode, err.message);
    }
    return new SisError('SIS.0605', 'internal error');
}

/** Sample rate named in a property (`chinese_8k_common` → 8000). */
export function rateOfName(name: string): 8000 | 16000 | undefined {
    if (name.includes('16k')) return 16000;
    if (name.includes('8k')) return 8000;
    return undefined;
}
