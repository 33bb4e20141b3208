// OBS V2 signature (header `OBS ak:sig` / AWS V2 twin) and pre-signed URL verification, docs/protocol/obs.md §4–§8.

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { CredentialStore } from './credentials';
import type { Clock } from './types';

const TWENTY_YEARS_S = 20 * 365 * 24 * 3600;

/** Query parameters that are sub-resources and therefore part of CanonicalizedResource. */
const SUB_RESOURCES = new Set([
    'acl',
    'append',
    'cors',
    'delete',
    'lifecycle',
    'location',
    'logging',
    'partNumber',
    'policy',
    'position',
    'response-cache-control',
    'response-content-disposition',
    'response-content-encoding',
    'response-content-language',
    'response-content-type',
    'response-expires',
    'tagging',
    'uploadId',
    'uploads',
    'versionId',
    'versioning',
    'versions',
    'website',
    'x-obs-security-token',
]);

export interface ObsRequest {
    method: string;
    bucket: string;
    /** Key as percent-encoded on the wire, with its leading `/` (`/a%20b/c.wav`); `` for the bucket. */
    rawKeyPath: string;
    /** Decoded query pairs in wire order. */
    query: [string, string][];
    headers: IncomingHttpHeaders;
}

export type ObsAuthResult =
    | { ok: true; mode: 'obs' | 'obs-presigned'; ak: string }
    | { ok: false; status: number; code: string; message: string };

function deny(code: string, message: string): ObsAuthResult {
    return { ok: false, status: 403, code, message };
}

function header(headers: IncomingHttpHeaders, name: string): string {
    const value = headers[name];
    if (value === undefined) return '';
    return Array.isArray(value) ? value.join(',') : value;
}

function canonicalHeaders(headers: IncomingHttpHeaders, prefix: string, extra: [string, string][]): string {
    const merged = new Map<string, string[]>();
    for (const [name, value] of Object.entries(headers)) {
        if (!name.startsWith(prefix) || value === undefined) continue;
        merged.set(
            name,
            (Array.isArray(value) ? value : [value]).map((v) => v.trim()),
        );
    }
    for (const [name, value] of extra) merged.set(name, [...(merged.get(name) ?? []), value]);
    return [...merged.keys()]
        .sort()
        .map((name) => `${name}:${merged.get(name)?.join(',')}\n`)
        .join('');
}

function canonicalResource(req: ObsRequest, skip?: string): string {
    const subs = req.query
        .filter(([name]) => SUB_RESOURCES.has(name) && name !== skip)
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .map(([name, value]) => (value === '' ? name : `${name}=${value}`));
    const base = `/${req.bucket}${req.rawKeyPath === '' ? '/' : req.rawKeyPath}`;
    return subs.length > 0 ? `${base}?${subs.join('&')}` : base;
}

function sign(sk: string, text: string): Buffer {
    return createHmac('sha1', sk).update(text, 'utf8').digest();
}

function sameSignature(given: string, expected: Buffer): boolean {
    const buf = Buffer.from(given, 'base64');
    return buf.length === expected.length && timingSafeEqual(buf, expected);
}

export class ObsVerifier {
    constructor(
        private readonly store: CredentialStore,
        private readonly clock: Clock,
        private readonly skewMs: () => number,
    ) {}

    /** `undefined` when the request carries no credentials at all (anonymous). */
    verify(req: ObsRequest): ObsAuthResult | undefined {
        const authorization = header(req.headers, 'authorization');
        if (authorization.startsWith('OBS ') || authorization.startsWith('AWS ')) {
            return this.verifyHeader(req, authorization);
        }
        if (req.query.some(([name]) => name === 'Signature')) return this.verifyQuery(req);
        if (authorization !== '') return deny('AccessDenied', 'Unsupported Authorization type');
        return undefined;
    }

    private verifyHeader(req: ObsRequest, authorization: string): ObsAuthResult {
        const isObs = authorization.startsWith('OBS ');
        const prefix = isObs ? 'x-obs-' : 'x-amz-';
        const credential = authorization.slice(4);
        const colon = credential.lastIndexOf(':');
        if (colon <= 0) return deny('AccessDenied', 'Invalid Authorization header');
        const ak = credential.slice(0, colon).trim();
        const signature = credential.slice(colon + 1).trim();
        const key = this.store.lookupKey(ak);
        if (!key) return deny('InvalidAccessKeyId', 'The access key Id you provided does not exist in our records.');
        const vendorDate = header(req.headers, `${prefix}date`);
        const dateText = vendorDate !== '' ? vendorDate : header(req.headers, 'date');
        const dateMs = Date.parse(dateText);
        if (dateText === '' || Number.isNaN(dateMs)) {
            return deny('AccessDenied', 'Authentication requires a valid Date or x-obs-date header');
        }
        const now = this.clock.now();
        if (dateMs - now > this.skewMs()) return deny('RequestTimeTooSkewed', 'Request is not yet valid');
        if (now - dateMs > this.skewMs()) return deny('RequestTimeTooSkewed', 'Request is no longer valid');
        const tokenCheck = this.checkSecurityToken(
            key.kind,
            key.securityToken,
            key.expiresAt,
            header(req.headers, `${prefix}security-token`),
        );
        if (tokenCheck) return tokenCheck;
        const text =
            `${req.method}\n${header(req.headers, 'content-md5')}\n${header(req.headers, 'content-type')}\n` +
            `${vendorDate !== '' ? '' : dateText}\n${canonicalHeaders(req.headers, prefix, [])}${canonicalResource(req)}`;
        if (!sameSignature(signature, sign(key.sk, text))) {
            return deny(
                'SignatureDoesNotMatch',
                'The request signature we calculated does not match the signature you provided.',
            );
        }
        return { ok: true, mode: 'obs', ak };
    }

    private verifyQuery(req: ObsRequest): ObsAuthResult {
        const get = (name: string) => req.query.find(([n]) => n === name)?.[1];
        const ak = get('AccessKeyId') ?? get('AWSAccessKeyId');
        const expiresText = get('Expires');
        const signature = get('Signature') ?? '';
        if (!ak || !expiresText)
            return deny('AccessDenied', 'Query-string authentication requires AccessKeyId and Expires');
        const key = this.store.lookupKey(ak);
        if (!key) return deny('InvalidAccessKeyId', 'The access key Id you provided does not exist in our records.');
        const expires = Number(expiresText);
        const nowS = this.clock.now() / 1000;
        if (!Number.isInteger(expires) || expires - nowS > TWENTY_YEARS_S) {
            return deny('AccessDenied', 'Invalid date (should be seconds since epoch)');
        }
        if (nowS >= expires) return deny('AccessDenied', 'Request has expired');
        const tokenCheck = this.checkSecurityToken(
            key.kind,
            key.securityToken,
            key.expiresAt,
            get('x-obs-security-token') ?? '',
        );
        if (tokenCheck) return tokenCheck;
        const text =
            `${req.method}\n${header(req.headers, 'content-md5')}\n${header(req.headers, 'content-type')}\n` +
            `${expiresText}\n${canonicalHeaders(req.headers, 'x-obs-', [])}${canonicalResource(req)}`;
        if (!sameSignature(signature, sign(key.sk, text))) {
            return deny(
                'SignatureDoesNotMatch',
                'The request signature we calculated does not match the signature you provided.',
            );
        }
        return { ok: true, mode: 'obs-presigned', ak };
    }

    private checkSecurityToken(
        kind: string,
        expected: string | undefined,
        expiresAt: number | undefined,
        given: string,
    ): ObsAuthResult | undefined {
        if (kind !== 'temporary-aksk') {
            return given === ''
                ? undefined
                : deny('InvalidSecurity', 'The security token does not belong to this access key');
        }
        if (given !== expected) return deny('InvalidSecurity', 'The provided security credentials are not valid.');
        if (expiresAt !== undefined && this.clock.now() >= expiresAt)
            return deny('InvalidSecurity', 'The security token has expired.');
        return undefined;
    }
}
