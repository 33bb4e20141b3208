// Test helpers for the emulator suites: a pinnable clock, a raw HTTP client, and signers for
// AK/SK (SDK-HMAC-SHA256) and OBS (header and pre-signed URL) requests.
import { createHash, createHmac } from 'node:crypto';
import * as http from 'node:http';
import { ALGORITHM, canonicalQuery, canonicalUri, EMPTY_SHA256 } from '../auth-aksk';
import type { Clock } from '../types';

/** A clock tests move by hand. */
export class TestClock implements Clock {
    constructor(public ms: number) {}
    now(): number {
        return this.ms;
    }
    advance(ms: number): void {
        this.ms += ms;
    }
}

export interface Answer {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
    text: string;
    /** Parsed JSON body; `{}` when the body is not a JSON object. */
    json: Record<string, unknown>;
}

/** One HTTP request to `base` + `target` (path and query as they go on the wire). */
export function send(
    base: string,
    method: string,
    target: string,
    headers: Record<string, string> = {},
    body?: string | Buffer,
): Promise<Answer> {
    const url = new URL(base);
    return new Promise((resolve, reject) => {
        const req = http.request(
            { host: url.hostname, port: url.port, method, path: target, headers, agent: false },
            (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (c: Buffer) => chunks.push(c));
                res.on('end', () => {
                    const data = Buffer.concat(chunks);
                    const text = data.toString('utf8');
                    let json: Record<string, unknown> = {};
                    try {
                        const parsed: unknown = JSON.parse(text);
                        if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>;
                    } catch {
                        // not JSON
                    }
                    resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, text, json });
                });
                res.on('error', reject);
            },
        );
        req.on('error', reject);
        if (body !== undefined) req.write(body);
        req.end();
    });
}

function sdkDate(ms: number): string {
    return new Date(ms)
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, '');
}

export interface AkskInput {
    ak: string;
    sk: string;
    method: string;
    host: string;
    path: string;
    query?: Record<string, string>;
    body?: string | Buffer;
    date: number;
    securityToken?: string;
    projectId?: string;
    headers?: Record<string, string>;
}

/** Signs like the official SDK signer; returns the headers to send and the request target. */
export function signAksk(input: AkskInput): { headers: Record<string, string>; pathAndQuery: string } {
    const rawQuery = Object.entries(input.query ?? {})
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
        .join('&');
    const date = sdkDate(input.date);
    const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        ...(input.headers ?? {}),
        Host: input.host,
        'X-Sdk-Date': date,
    };
    if (input.projectId) headers['X-Project-Id'] = input.projectId;
    if (input.securityToken) headers['X-Security-Token'] = input.securityToken;
    const names = Object.keys(headers)
        .map((n) => n.toLowerCase())
        .filter((n) => !n.includes('_'))
        .sort();
    const lower: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
    const canonicalHeaders = names.map((n) => `${n}:${lower[n].trim()}\n`).join('');
    const body = input.body === undefined ? Buffer.alloc(0) : Buffer.from(input.body);
    const payload = body.length === 0 ? EMPTY_SHA256 : createHash('sha256').update(body).digest('hex');
    const canonical = `${input.method}\n${canonicalUri(input.path)}\n${canonicalQuery(rawQuery)}\n${canonicalHeaders}\n${names.join(';')}\n${payload}`;
    const toSign = `${ALGORITHM}\n${date}\n${createHash('sha256').update(canonical).digest('hex')}`;
    const signature = createHmac('sha256', input.sk).update(toSign).digest('hex');
    headers.Authorization = `${ALGORITHM} Access=${input.ak}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
    delete headers.Host; // the HTTP client sends its own Host header
    return { headers, pathAndQuery: rawQuery ? `${input.path}?${rawQuery}` : input.path };
}

export interface ObsSignInput {
    ak: string;
    sk: string;
    method: string;
    /** `/{bucket}/{key}` as on the wire (percent-encoded). */
    resource: string;
    date: string;
    contentMd5?: string;
    contentType?: string;
    /** x-obs-* headers that are sent (and therefore signed). */
    obsHeaders?: Record<string, string>;
}

function obsCanonicalHeaders(obsHeaders: Record<string, string> = {}): string {
    return Object.entries(obsHeaders)
        .map(([k, v]) => [k.toLowerCase(), v.trim()] as const)
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .map(([k, v]) => `${k}:${v}\n`)
        .join('');
}

/** `Authorization: OBS {ak}:{signature}` for a header-signed OBS request. */
export function signObs(input: ObsSignInput): string {
    const toSign = `${input.method}\n${input.contentMd5 ?? ''}\n${input.contentType ?? ''}\n${input.date}\n${obsCanonicalHeaders(input.obsHeaders)}${input.resource}`;
    const signature = createHmac('sha1', input.sk).update(toSign, 'utf8').digest('base64');
    return `OBS ${input.ak}:${signature}`;
}

/** Query string of a pre-signed OBS URL (`AccessKeyId`, `Expires` in epoch seconds, `Signature`). */
export function presign(input: {
    ak: string;
    sk: string;
    method: string;
    resource: string;
    expires: number;
    contentType?: string;
    contentMd5?: string;
}): string {
    const expires = String(Math.floor(input.expires));
    const toSign = `${input.method}\n${input.contentMd5 ?? ''}\n${input.contentType ?? ''}\n${expires}\n${input.resource}`;
    const signature = createHmac('sha1', input.sk).update(toSign, 'utf8').digest('base64');
    return `AccessKeyId=${encodeURIComponent(input.ak)}&Expires=${expires}&Signature=${encodeURIComponent(signature)}`;
}
