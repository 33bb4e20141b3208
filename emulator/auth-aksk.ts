// Server-side verifier of the SDK-HMAC-SHA256 (APIG AK/SK) signature, written from docs/protocol/auth.md §4.7.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { CredentialStore } from './credentials';
import type { Clock, Principal } from './types';

export const ALGORITHM = 'SDK-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const LOCK_AFTER_FAILURES = 5;
const LOCK_MS = 5 * 60 * 1000;
const SDK_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const EXTRA_ESCAPES = /[!'()*]/g;

export type AkskResult = { ok: true; principal: Principal } | { ok: false; detail: string };

interface ParsedAuthorization {
    ak: string;
    signedHeaders: string[];
    signature: string;
}

/** RFC 3986 encoding with upper-case hex: `A-Z a-z 0-9 - _ . ~` kept, everything else escaped. */
export function rfc3986(text: string): string {
    return encodeURIComponent(text).replace(EXTRA_ESCAPES, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(text: string): string {
    try {
        return decodeURIComponent(text);
    } catch {
        return text;
    }
}

/** Canonical URI from the raw path: decode then re-encode each segment, always ending with `/`. */
export function canonicalUri(rawPath: string): string {
    const encoded = rawPath
        .split('/')
        .map((segment) => rfc3986(decode(segment)))
        .join('/');
    return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

/** Canonical query from the raw query text: decode pairs, sort by name then value, re-encode. */
export function canonicalQuery(rawQuery: string): string {
    if (rawQuery === '') return '';
    const pairs: [string, string][] = [];
    for (const part of rawQuery.split('&')) {
        if (part === '') continue;
        const eq = part.indexOf('=');
        const name = decode(eq < 0 ? part : part.slice(0, eq));
        const value = eq < 0 ? '' : decode(part.slice(eq + 1));
        pairs.push([name, value]);
    }
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    return pairs.map(([n, v]) => `${rfc3986(n)}=${rfc3986(v)}`).join('&');
}

export function parseSdkDate(value: string): number | undefined {
    const m = SDK_DATE.exec(value);
    if (!m) return undefined;
    const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
    return Number.isNaN(ms) ? undefined : ms;
}

/** Tolerant parser: `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex` (spaces optional). */
export function parseAuthorization(value: string): ParsedAuthorization | undefined {
    if (!value.startsWith(ALGORITHM)) return undefined;
    const fields = new Map<string, string>();
    for (const part of value.slice(ALGORITHM.length).split(',')) {
        const eq = part.indexOf('=');
        if (eq < 0) continue;
        fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const ak = fields.get('Access');
    const signed = fields.get('SignedHeaders');
    const signature = fields.get('Signature');
    if (!ak || !signed || !signature) return undefined;
    return { ak, signedHeaders: signed.split(';').map((h) => h.trim().toLowerCase()), signature };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
    const value = headers[name];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.join(',') : value;
}

export interface SignedRequest {
    method: string;
    rawPath: string;
    rawQuery: string;
    headers: IncomingHttpHeaders;
    body: Buffer;
}

export function stringToSign(request: SignedRequest, signedHeaders: string[], sdkDate: string): string | undefined {
    let canonicalHeaders = '';
    for (const name of signedHeaders) {
        const value = headerValue(request.headers, name);
        if (value === undefined) return undefined;
        canonicalHeaders += `${name}:${value.trim()}\n`;
    }
    const declaredHash = headerValue(request.headers, 'x-sdk-content-sha256');
    const payloadHash =
        declaredHash ??
        (request.body.length === 0 ? EMPTY_SHA256 : createHash('sha256').update(request.body).digest('hex'));
    const canonicalRequest = `${request.method}\n${canonicalUri(request.rawPath)}\n${canonicalQuery(request.rawQuery)}\n${canonicalHeaders}\n${signedHeaders.join(';')}\n${payloadHash}`;
    const hashed = createHash('sha256').update(canonicalRequest).digest('hex');
    return `${ALGORITHM}\n${sdkDate}\n${hashed}`;
}

interface LockState {
    failures: number;
    lockedUntil: number;
}

export class AkskVerifier {
    private readonly locks = new Map<string, LockState>();

    constructor(
        private readonly store: CredentialStore,
        private readonly clock: Clock,
        private readonly skewMs: () => number,
    ) {}

    verify(request: SignedRequest, authorization: string): AkskResult {
        const parsed = parseAuthorization(authorization);
        if (!parsed) return { ok: false, detail: 'verify aksk signature fail' };
        const key = this.store.lookupKey(parsed.ak);
        if (!key) return { ok: false, detail: 'Get secretKey failed' };
        const now = this.clock.now();
        const lock = this.locks.get(parsed.ak);
        if (lock && lock.lockedUntil > now) {
            return { ok: false, detail: 'AK access failed to reach the limit,forbidden' };
        }
        const detail = this.check(request, parsed, key.sk, now);
        if (detail !== undefined) {
            this.recordFailure(parsed.ak, now);
            return { ok: false, detail };
        }
        if (key.kind === 'temporary-aksk') {
            const token = headerValue(request.headers, 'x-security-token');
            if (token !== key.securityToken) return { ok: false, detail: 'verify security token fail' };
            if (key.expiresAt !== undefined && now >= key.expiresAt) {
                return { ok: false, detail: 'security token expires' };
            }
        }
        this.locks.delete(parsed.ak);
        return { ok: true, principal: { kind: key.kind, projectId: key.projectId, ak: key.ak } };
    }

    private check(request: SignedRequest, parsed: ParsedAuthorization, sk: string, now: number): string | undefined {
        if (!parsed.signedHeaders.includes('x-sdk-date')) return 'verify aksk signature fail';
        const sdkDate = headerValue(request.headers, 'x-sdk-date');
        const dateMs = sdkDate === undefined ? undefined : parseSdkDate(sdkDate);
        if (sdkDate === undefined || dateMs === undefined) return 'verify aksk signature fail';
        if (Math.abs(now - dateMs) > this.skewMs()) return 'calc ak sk signature fail:signature expired';
        const toSign = stringToSign(request, parsed.signedHeaders, sdkDate);
        if (toSign === undefined) return 'verify aksk signature fail';
        const expected = createHmac('sha256', sk).update(toSign).digest();
        const given = Buffer.from(parsed.signature, 'hex');
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'verify aksk signature fail';
        return undefined;
    }

    private recordFailure(ak: string, now: number): void {
        const state = this.locks.get(ak) ?? { failures: 0, lockedUntil: 0 };
        state.failures += 1;
        if (state.failures >= LOCK_AFTER_FAILURES) {
            state.failures = 0;
            state.lockedUntil = now + LOCK_MS;
        }
        this.locks.set(ak, state);
    }
}
