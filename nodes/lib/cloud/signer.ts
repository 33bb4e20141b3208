// SDK-HMAC-SHA256 request signing (the API-gateway "AK/SK" signature), per docs/protocol/auth.md §4.
import { createHash, createHmac } from 'node:crypto';
import { textPerPeriod } from './date-text';

export interface AkSkCredentials {
    ak: string;
    sk: string;
    /** Temporary credentials only; sent and signed as X-Security-Token. */
    securityToken?: string;
}

export interface SignableRequest {
    method: string;
    url: URL;
    /** Headers present when signing happens; every one whose name has no `_` is signed. */
    headers: Record<string, string>;
    body?: Buffer | string;
}

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ALGORITHM = 'SDK-HMAC-SHA256';

/** `YYYYMMDDTHHMMSSZ` in UTC. */
export const sdkDate = textPerPeriod(1000, (date) =>
    date
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, ''),
);

/** The characters encodeURIComponent leaves that RFC 3986 reserves. */
const SUB_DELIMS = /[!'()*]/;

/** RFC 3986: keep unreserved characters, `%XX` (upper case) for every other UTF-8 byte. */
export function encodeRfc3986(value: string): string {
    const encoded = encodeURIComponent(value);
    // Tested first: most values have none, and a replace with a callback costs more than the test.
    if (!SUB_DELIMS.test(encoded)) return encoded;
    return encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(part: string): string {
    if (!part.includes('%')) return part;
    try {
        return decodeURIComponent(part);
    } catch {
        return part;
    }
}

const PLAIN_PATH = /^[A-Za-z0-9\-_.~/]*$/;

/** Each segment decoded then re-encoded; always ends with `/` (only in the canonical form). */
export function canonicalUri(pathname: string): string {
    // Unreserved characters and `/` only (the usual SIS path): decoding and encoding change nothing.
    if (PLAIN_PATH.test(pathname)) return pathname.endsWith('/') ? pathname : `${pathname}/`;
    const encoded = pathname
        .split('/')
        .map((segment) => encodeRfc3986(safeDecode(segment)))
        .join('/');
    return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

function compare(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/** Canonical query from the raw query text (without `?`): decoded pairs sorted by name then value. */
export function canonicalQuery(rawQuery: string): string {
    const text = rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery;
    if (!text) return '';
    const pairs: [string, string][] = [];
    for (const part of text.split('&')) {
        if (!part) continue;
        const eq = part.indexOf('=');
        const name = safeDecode(eq < 0 ? part : part.slice(0, eq));
        const value = eq < 0 ? '' : safeDecode(part.slice(eq + 1));
        pairs.push([name, value]);
    }
    pairs.sort((x, y) => compare(x[0], y[0]) || compare(x[1], y[1]));
    return pairs.map(([n, v]) => `${encodeRfc3986(n)}=${encodeRfc3986(v)}`).join('&');
}

export type QueryValue = string | number | boolean | undefined | readonly string[];

/** Wire form of query parameters: each value encoded once (RFC 3986); undefined values dropped. */
export function buildQuery(params: Record<string, QueryValue>): string {
    const parts: string[] = [];
    for (const [name, value] of Object.entries(params)) {
        if (value === undefined) continue;
        const values = Array.isArray(value) ? value : [String(value)];
        for (const v of values) parts.push(`${encodeRfc3986(name)}=${encodeRfc3986(v)}`);
    }
    return parts.length ? `?${parts.join('&')}` : '';
}

export function sha256Hex(data: Buffer | string): string {
    return createHash('sha256').update(data).digest('hex');
}

export interface SigningResult {
    canonicalRequest: string;
    stringToSign: string;
    signedHeaders: string;
    signature: string;
    authorization: string;
    /** Every header to send, including the ones added by signing. */
    headers: Record<string, string>;
}

/**
 * Signs a request. `X-Sdk-Date` (from `date`), `Host` (from the URL, with the port when it is not
 * the default) and `X-Security-Token` are added before signing so that they are signed.
 */
export function signRequest(req: SignableRequest, creds: AkSkCredentials, date: Date = new Date()): SigningResult {
    // Object.assign, not a spread: headers are added below, slowly to a spread copy on Node 20.
    const headers: Record<string, string> = Object.assign({}, req.headers);
    const lower = new Map<string, string>();
    for (const name of Object.keys(headers)) lower.set(name.toLowerCase(), name);
    const setHeader = (name: string, value: string): void => {
        const existing = lower.get(name.toLowerCase());
        if (existing !== undefined) delete headers[existing];
        headers[name] = value;
        lower.set(name.toLowerCase(), name);
    };
    if (!lower.has('x-sdk-date')) setHeader('X-Sdk-Date', sdkDate(date));
    if (!lower.has('host')) setHeader('host', req.url.host);
    if (creds.securityToken) setHeader('X-Security-Token', creds.securityToken);

    const signed = new Map<string, string>();
    for (const [name, value] of Object.entries(headers)) {
        const key = name.toLowerCase();
        if (key.includes('_') || key === 'authorization') continue;
        signed.set(key, value.trim());
    }
    const names = [...signed.keys()].sort(compare);
    const signedHeaders = names.join(';');
    const canonicalHeaders = names.map((n) => `${n}:${signed.get(n)}\n`).join('');
    const payloadHash = signed.get('x-sdk-content-sha256') ?? (req.body ? sha256Hex(req.body) : EMPTY_SHA256);
    const canonicalRequest = [
        req.method.toUpperCase(),
        canonicalUri(req.url.pathname),
        canonicalQuery(req.url.search),
        canonicalHeaders,
        signedHeaders,
        payloadHash,
    ].join('\n');
    const xSdkDate = signed.get('x-sdk-date') ?? '';
    const stringToSign = `${ALGORITHM}\n${xSdkDate}\n${sha256Hex(canonicalRequest)}`;
    const signature = createHmac('sha256', creds.sk).update(stringToSign).digest('hex');
    const authorization = `${ALGORITHM} Access=${creds.ak}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    headers.Authorization = authorization;
    return { canonicalRequest, stringToSign, signedHeaders, signature, authorization, headers };
}
