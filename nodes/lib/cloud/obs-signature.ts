/**
 * OBS request signing (the OBS "V2" signature: HMAC-SHA1, base64) for header authentication and
 * pre-signed URLs, plus object URL building. Source: docs/protocol/obs.md §2, §4–§6; checked against
 * test/fixtures/signing/obs.json.
 *
 * Path-style requests (emulator on an IP or `localhost`) carry the same OBS signature as
 * virtual-hosted ones: the resource is always `/{bucket}/{key}`. The official SDK switches to the
 * AWS V2 signature in that case; we keep the OBS one, which the emulator verifies.
 */

import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { textPerPeriod } from './date-text';

export type HeaderValue = string | number | undefined;
export type HeaderMap = Readonly<Record<string, HeaderValue>>;
export type QueryMap = Readonly<Record<string, string | undefined>>;

export interface ObsSignInput {
    method: string;
    bucket: string;
    /** plain object key, not encoded */
    key: string;
    /** headers that will be sent (any case); Content-MD5, Content-Type and x-obs-* are signed */
    headers?: HeaderMap;
    /** query parameters of the request; only OBS sub-resources are signed */
    query?: QueryMap;
    ak: string;
    sk: string;
    securityToken?: string;
    /** request time (a Date, or an RFC 1123 string); becomes the Date header unless x-obs-date is given */
    date: Date | string;
}

export interface ObsPresignInput {
    method: string;
    /** OBS endpoint, e.g. `https://obs.cn-north-4.myhuaweicloud.com` or `http://127.0.0.1:9000` */
    endpoint: string;
    bucket: string;
    key: string;
    ak: string;
    sk: string;
    securityToken?: string;
    /** absolute Unix time in seconds at which the URL stops working */
    expiresEpochSec: number;
    /** defaults to path style for IP / `localhost` endpoints */
    pathStyle?: boolean;
    /** headers the user of the URL must send identically (Content-Type, Content-MD5, x-obs-*) */
    headers?: HeaderMap;
    /** extra query parameters, e.g. `response-content-type` */
    query?: QueryMap;
}

/** Query parameters that are part of CanonicalizedResource (OBS API reference, SDK `allowedResourceParameterNames`). */
const SUB_RESOURCES: ReadonlySet<string> = new Set([
    'acl',
    'append',
    'attname',
    'backtosource',
    'cors',
    'customdomain',
    'delete',
    'deletebucket',
    'directcoldaccess',
    'encryption',
    'inventory',
    'length',
    'lifecycle',
    'location',
    'logging',
    'metadata',
    'mirrorBackToSource',
    'modify',
    'name',
    'notification',
    'obscompresspolicy',
    'partNumber',
    'policy',
    'position',
    'quota',
    'rename',
    'replication',
    'requestPayment',
    'response-cache-control',
    'response-content-disposition',
    'response-content-encoding',
    'response-content-language',
    'response-content-type',
    'response-expires',
    'restore',
    'storageClass',
    'storagePolicy',
    'storageinfo',
    'tagging',
    'torrent',
    'truncate',
    'uploadId',
    'uploads',
    'versionId',
    'versioning',
    'versions',
    'website',
    'x-image-process',
    'x-image-save-bucket',
    'x-image-save-object',
    'x-obs-security-token',
]);

const UNRESERVED = /^[A-Za-z0-9\-_.~]$/;

/**
 * Percent-encodes each `/`-separated segment of an object key as the official SDK sends it: UTF-8,
 * upper-case hex, only `A-Z a-z 0-9 - _ . ~` left as they are (so `! * ' ( )` are encoded too).
 * Lone surrogates become U+FFFD rather than throwing.
 */
export function encodeObsKey(key: string): string {
    // Unreserved characters and `/` only (every staging key): nothing to encode.
    if (PLAIN_KEY.test(key)) return key;
    return key.split('/').map(encodeSegment).join('/');
}

const PLAIN_KEY = /^[A-Za-z0-9\-_.~/]*$/;

/** A segment that encoding leaves as it is (the common case: staging keys). */
const ALL_UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;

function encodeSegment(segment: string): string {
    if (ALL_UNRESERVED.test(segment)) return segment;
    let out = '';
    for (const ch of segment) {
        if (UNRESERVED.test(ch)) {
            out += ch;
            continue;
        }
        for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    return out;
}

const rfc1123 = textPerPeriod(1000, (date) => date.toUTCString());

/** RFC 1123 date in GMT, e.g. `Thu, 02 Jan 2025 03:04:05 GMT`. */
export function obsDate(date: Date | string): string {
    return typeof date === 'string' ? date : rfc1123(date);
}

function headerText(value: HeaderValue): string | undefined {
    return value === undefined ? undefined : String(value);
}

/** Case-insensitive header lookup (`name` in lower case); the first match wins. */
function findHeader(headers: HeaderMap | undefined, name: string): string | undefined {
    if (!headers) return undefined;
    for (const k in headers) {
        const v = headers[k];
        // Lengths first: most names differ in length, and lower-casing each costs a new string.
        if (v !== undefined && k.length === name.length && k.toLowerCase() === name) return headerText(v);
    }
    return undefined;
}

/** `x-obs-*` headers: names lower-cased, values trimmed, repeats merged with `,`, sorted by name. */
export function canonicalizedHeaders(headers: HeaderMap | undefined): string {
    const merged = new Map<string, string[]>();
    for (const [k, v] of Object.entries(headers ?? {})) {
        const name = k.toLowerCase();
        const text = headerText(v);
        if (!name.startsWith('x-obs-') || text === undefined) continue;
        const list = merged.get(name) ?? [];
        list.push(text.trim());
        merged.set(name, list);
    }
    return [...merged.keys()]
        .sort()
        .map((name) => `${name}:${merged.get(name)?.join(',')}\n`)
        .join('');
}

/** `/bucket/encodedKey` followed by the signed sub-resources (values not encoded). */
export function canonicalizedResource(bucket: string, key: string, query?: QueryMap): string {
    const path = bucket ? `/${bucket}/${encodeObsKey(key)}` : '/';
    const subs = Object.entries(query ?? {})
        .filter(([name]) => SUB_RESOURCES.has(name))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, value]) => (value === undefined || value === '' ? name : `${name}=${value}`));
    return subs.length > 0 ? `${path}?${subs.join('&')}` : path;
}

export interface StringToSignParts {
    method: string;
    headers?: HeaderMap;
    /** the Date line: the Date header, or Expires for URLs; ignored (empty) when x-obs-date is sent */
    dateOrExpires: string;
    resource: string;
}

export function obsStringToSign(parts: StringToSignParts): string {
    const { method, headers } = parts;
    const dateLine = findHeader(headers, 'x-obs-date') !== undefined ? '' : parts.dateOrExpires;
    return [
        method.toUpperCase(),
        findHeader(headers, 'content-md5') ?? '',
        findHeader(headers, 'content-type') ?? '',
        dateLine,
        `${canonicalizedHeaders(headers)}${parts.resource}`,
    ].join('\n');
}

/** base64(HMAC-SHA1(SK, stringToSign)). */
export function obsSignature(sk: string, stringToSign: string): string {
    return createHmac('sha1', sk).update(stringToSign, 'utf8').digest('base64');
}

export interface ObsSignedRequest {
    /** the input headers plus Date (unless x-obs-date was given), Authorization and the security token */
    headers: Record<string, string>;
    stringToSign: string;
}

/** Signs a request for header authentication: `Authorization: OBS {ak}:{signature}`. */
export function signObsRequest(input: ObsSignInput): ObsSignedRequest {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(input.headers ?? {})) {
        if (v !== undefined && k.toLowerCase() !== 'authorization') headers[k] = String(v);
    }
    if (input.securityToken) headers['x-obs-security-token'] = input.securityToken;
    const date = obsDate(input.date);
    const useObsDate = findHeader(headers, 'x-obs-date') !== undefined;
    if (!useObsDate && findHeader(headers, 'date') === undefined) headers['Date'] = date;
    const stringToSign = obsStringToSign({
        method: input.method,
        headers,
        dateOrExpires: findHeader(headers, 'date') ?? date,
        resource: canonicalizedResource(input.bucket, input.key, input.query),
    });
    headers['Authorization'] = `OBS ${input.ak}:${obsSignature(input.sk, stringToSign)}`;
    return { headers, stringToSign };
}

interface Endpoint {
    scheme: string;
    /** host with the port as written, e.g. `obs.cn-north-4.myhuaweicloud.com` or `127.0.0.1:9000` */
    authority: string;
    hostname: string;
}

let lastEndpoint: { text: string; parsed: Endpoint; pathStyle: boolean } | undefined;

/** Lenient endpoint parsing (scheme defaults to https); keeps an explicitly written port. */
function parseEndpoint(endpoint: string): Endpoint {
    return endpointInfo(endpoint).parsed;
}

/** The parsed endpoint and its default style; the last one is kept (a client uses one endpoint). */
function endpointInfo(endpoint: string): { parsed: Endpoint; pathStyle: boolean } {
    if (lastEndpoint?.text === endpoint) return lastEndpoint;
    const parsed = parseEndpointText(endpoint);
    const pathStyle = isIP(parsed.hostname) !== 0 || parsed.hostname.toLowerCase() === 'localhost';
    lastEndpoint = { text: endpoint, parsed, pathStyle };
    return lastEndpoint;
}

function parseEndpointText(endpoint: string): Endpoint {
    const trimmed = endpoint.trim();
    const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed);
    const scheme = m ? m[1].toLowerCase() : 'https';
    const rest = m ? trimmed.slice(m[0].length) : trimmed;
    const authority = rest.split(/[/?#]/, 1)[0].replace(/^.*@/, '');
    const hostname = authority.startsWith('[')
        ? authority.slice(1, authority.indexOf(']') > 0 ? authority.indexOf(']') : undefined)
        : authority.replace(/:\d*$/, '');
    return { scheme, authority, hostname };
}

/** Path style is used when the endpoint host is an IP address or `localhost` (as the sis-config help says). */
export function isPathStyleEndpoint(endpoint: string): boolean {
    return endpointInfo(endpoint).pathStyle;
}

/**
 * The object URL: `https://{bucket}.{host}/{key}` (virtual-hosted) or `https://{host}/{bucket}/{key}`
 * (path style, the default for IP / `localhost` endpoints).
 */
export function obsUrl(endpoint: string, bucket: string, key: string, pathStyle?: boolean): string {
    const ep = parseEndpoint(endpoint);
    const path = isPathStyle(endpoint, pathStyle) ? `/${bucket}/${encodeObsKey(key)}` : `/${encodeObsKey(key)}`;
    const authority = isPathStyle(endpoint, pathStyle) ? ep.authority : `${bucket}.${ep.authority}`;
    return `${ep.scheme}://${authority}${path}`;
}

function isPathStyle(endpoint: string, pathStyle: boolean | undefined): boolean {
    return pathStyle ?? isPathStyleEndpoint(endpoint);
}

/** Query values are encoded once; `/` is left in the signature as the official SDK does. */
function encodeQueryValue(value: string): string {
    return encodeSegment(value).replace(/%2F/g, '/');
}

export interface ObsPresigned {
    url: string;
    stringToSign: string;
}

/** A pre-signed URL (query authentication): AccessKeyId, Expires, [x-obs-security-token], Signature. */
export function presignObsUrl(input: ObsPresignInput): ObsPresigned {
    const query: Record<string, string | undefined> = { ...input.query };
    if (input.securityToken) query['x-obs-security-token'] = input.securityToken;
    const stringToSign = obsStringToSign({
        method: input.method,
        headers: input.headers,
        dateOrExpires: String(input.expiresEpochSec),
        resource: canonicalizedResource(input.bucket, input.key, query),
    });
    const params: [string, string | undefined][] = [
        ...Object.entries(input.query ?? {}),
        ['AccessKeyId', input.ak],
        ['Expires', String(input.expiresEpochSec)],
    ];
    if (input.securityToken) params.push(['x-obs-security-token', input.securityToken]);
    params.push(['Signature', obsSignature(input.sk, stringToSign)]);
    const qs = params
        .map(([k, v]) => (v === undefined ? encodeSegment(k) : `${encodeSegment(k)}=${encodeQueryValue(v)}`))
        .join('&');
    return { url: `${obsUrl(input.endpoint, input.bucket, input.key, input.pathStyle)}?${qs}`, stringToSign };
}
