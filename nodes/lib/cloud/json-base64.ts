// Parsing a JSON answer that carries a large base64 field (a synthesis answer: hundreds of kilobytes
// of audio in `result.data`). The field's bytes are decoded straight from the answer and the rest
// is parsed as usual, so the audio is never a JSON text, a parsed string and a Buffer at once: half
// the work of a plain JSON.parse for such an answer.
import { isAscii } from 'node:buffer';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
/** The field's value is replaced by this (JSON `"\u0000"`): no base64 text can parse to it. */
const PLACEHOLDER_JSON = '\\u0000';
const PLACEHOLDER = '\u0000';

/** The text of a JSON answer: an ASCII body becomes a one-byte string without UTF-8 decoding. */
export function jsonText(body: Buffer): string {
    return body.toString(isAscii(body) ? 'latin1' : 'utf8');
}

export interface JsonWithBinary {
    /** The parsed answer without the field. */
    json: unknown;
    /** The field's value decoded from base64, when it is a string. */
    binary?: Buffer;
}

function isSpace(byte: number | undefined): boolean {
    return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

function holderOf(json: unknown, parents: readonly string[]): Record<string, unknown> | undefined {
    let cur: unknown = json;
    for (const name of parents) {
        if (cur === null || typeof cur !== 'object') return undefined;
        cur = (cur as Record<string, unknown>)[name];
    }
    return cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>) : undefined;
}

/** Where the value of the first `"name": "…"` (no escapes inside) starts and ends, if any. */
function locate(body: Buffer, name: string): { start: number; end: number } | undefined {
    const needle = Buffer.from(`"${name}"`, 'latin1');
    // A quote inside a JSON string is escaped, so `"name"` followed by `:` is always a key.
    for (let at = body.indexOf(needle); at >= 0; at = body.indexOf(needle, at + 1)) {
        let i = at + needle.length;
        while (isSpace(body[i])) i++;
        if (body[i] !== COLON) continue;
        i++;
        while (isSpace(body[i])) i++;
        if (body[i] !== QUOTE) return undefined;
        const start = i + 1;
        const end = body.indexOf(QUOTE, start);
        if (end < 0) return undefined;
        // An escape would need the real JSON decoder (base64 itself has none).
        const escape = body.indexOf(BACKSLASH, start);
        if (escape >= 0 && escape < end) return undefined;
        return { start, end };
    }
    return undefined;
}

/**
 * Parses `body`, taking the base64 string at `path` (e.g. `['result', 'data']`) out as bytes.
 * Throws as JSON.parse does when the answer is not JSON.
 */
export function parseJsonWithBase64(body: Buffer, path: readonly string[]): JsonWithBinary {
    const name = path[path.length - 1];
    const parents = path.slice(0, -1);
    const found = locate(body, name);
    if (found) {
        let json: unknown;
        try {
            json = JSON.parse(
                `${jsonText(body.subarray(0, found.start))}${PLACEHOLDER_JSON}${jsonText(body.subarray(found.end))}`,
            );
        } catch {
            json = undefined;
        }
        const holder = holderOf(json, parents);
        // The placeholder landed where it was meant to: the located value is the field.
        if (holder && holder[name] === PLACEHOLDER) {
            delete holder[name];
            return { json, binary: Buffer.from(body.toString('latin1', found.start, found.end), 'base64') };
        }
    }
    const json: unknown = JSON.parse(jsonText(body));
    const holder = holderOf(json, parents);
    const value = holder?.[name];
    if (holder && typeof value === 'string') {
        delete holder[name];
        return { json, binary: Buffer.from(value, 'base64') };
    }
    return { json };
}
