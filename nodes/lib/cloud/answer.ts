// Reading a JSON answer of the service. A synthesis answer is a few hundred kilobytes, nearly all
// of it one base64 string (the audio): that value can be decoded to bytes straight from the
// answer (base64.ts), so that JSON.parse only reads the rest instead of scanning and copying it
// once more.
import { isAscii } from 'node:buffer';
import { decodeBase64 } from './base64';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The text of `body[start, end)`: ASCII as a one-byte string without UTF-8 decoding. */
function jsonText(body: Buffer, start = 0, end = body.length): string {
    const part = start === 0 && end === body.length ? body : body.subarray(start, end);
    return part.toString(isAscii(part) ? 'latin1' : 'utf8');
}

/** The object holding the last key of `path`, if every step is an object. */
function holderOf(value: unknown, path: readonly string[]): Record<string, unknown> | undefined {
    let v = value;
    for (let i = 0; i < path.length - 1; i++) {
        if (v === null || typeof v !== 'object') return undefined;
        v = (v as Record<string, unknown>)[path[i]];
    }
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
}

/**
 * What stands in for the lifted string while the rest is parsed: a string no other value of the
 * answer can equal when the answer does not contain this escape (a raw U+0001 is not valid JSON).
 */
const STAND_IN = '\\u0001';

export interface ParsedAnswer {
    value: unknown;
    /** The base64 string at `base64At`, decoded; the value then holds "" in its place. */
    bytes?: Buffer;
}

/**
 * Parses a JSON answer. With `base64At` (e.g. `['result', 'data']`), the string found after the
 * first `"data":"` is decoded as base64 straight from the bytes and the rest parsed with a stand-in
 * in its place; when the stand-in is not what ends up at `base64At` (another `data` key came
 * first), or the string holds an escape, the whole answer is parsed as usual. Throws what
 * JSON.parse throws.
 */
export function parseAnswer(body: Buffer, base64At?: readonly string[]): ParsedAnswer {
    const key = base64At?.[base64At.length - 1];
    if (base64At && key !== undefined) {
        const marker = `"${key}":"`;
        const at = body.indexOf(marker);
        // A key with its quotes cannot occur inside a JSON string, where quotes are escaped.
        const start = at < 0 ? -1 : at + marker.length;
        const end = start < 0 ? -1 : body.indexOf(QUOTE, start);
        const backslash = end < 0 ? -1 : body.indexOf(BACKSLASH, start);
        if (
            end > start &&
            (backslash < 0 || backslash > end) &&
            body.subarray(0, start).indexOf(STAND_IN) < 0 &&
            body.indexOf(STAND_IN, end) < 0
        ) {
            const value: unknown = JSON.parse(`${jsonText(body, 0, start)}${STAND_IN}${jsonText(body, end)}`);
            const holder = holderOf(value, base64At);
            if (holder?.[key] === '\u0001') {
                holder[key] = '';
                return { value, bytes: decodeBase64(body, start, end) };
            }
        }
    }
    return { value: JSON.parse(jsonText(body)) };
}
