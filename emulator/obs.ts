// OBS object store: PutObject, GetObject, HeadObject, DeleteObject, the SDK's `HEAD /?apiversion` probe
// (docs/protocol/obs.md §3, §8), virtual-hosted (`{bucket}.obs.…` Host) and path-style (`/{bucket}/{key}`) addressing.

import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ObsAuthResult } from './auth-obs';
import type { Call, Core } from './core';
import { obsErrorReply, type Reply } from './reply';
import type { BucketAcl } from './stores';
import type { RouteName } from './types';

export interface ObsTarget {
    bucket: string;
    /** Key as percent-encoded on the wire, with its leading `/`; `` or `/` addresses the bucket. */
    rawKeyPath: string;
}

interface ObjectMeta {
    contentType: string;
    etag: string;
    lastModified: number;
}

/** Metadata kept beside the bytes (the shared store holds bytes only). */
const META = new WeakMap<Buffer, ObjectMeta>();

const VIRTUAL_HOST = /^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\.(?:obs\.|localhost$)/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isBucketName(name: string): boolean {
    return BUCKET_NAME.test(name);
}

/** Bucket from a virtual-hosted Host header (`sis-audio-stage.obs.cn-north-4.myhuaweicloud.com`). */
export function virtualHostBucket(host: string): string | undefined {
    const colon = host.lastIndexOf(':');
    const name = (colon > 0 && !host.endsWith(']') ? host.slice(0, colon) : host).toLowerCase();
    return VIRTUAL_HOST.exec(name)?.[1];
}

/** Path-style target (`/{bucket}/{key}`), or undefined when the first segment is no bucket name. */
export function pathStyleTarget(rawPath: string): ObsTarget | undefined {
    const slash = rawPath.indexOf('/', 1);
    const bucket = slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash);
    if (!isBucketName(bucket)) return undefined;
    return { bucket, rawKeyPath: slash < 0 ? '' : rawPath.slice(slash) };
}

export function decodeKey(rawKeyPath: string): string {
    const raw = rawKeyPath.slice(1);
    try {
        return decodeURIComponent(raw);
    } catch {
        return raw;
    }
}

export function obsRouteOf(method: string): RouteName {
    if (method === 'PUT') return 'obs.put';
    if (method === 'HEAD') return 'obs.head';
    if (method === 'DELETE') return 'obs.delete';
    return 'obs.get';
}

/** Changes a bucket's ACL, creating the bucket when it does not exist yet. */
export function setBucketAcl(core: Core, bucket: string, acl: Partial<BucketAcl>): BucketAcl {
    if (!isBucketName(bucket)) throw new Error(`not an OBS bucket name: ${bucket}`);
    if (!core.ctx.obs.has(bucket)) core.ctx.obs.set(bucket, new Map());
    return core.obsAcls.set(bucket, acl);
}

export function readObject(core: Core, bucket: string, key: string): Buffer | undefined {
    return core.ctx.obs.get(bucket)?.get(key);
}

export type SisRead = { ok: true; bytes: Buffer } | { ok: false; code: 'NoSuchBucket' | 'AccessDenied' | 'NoSuchKey' };

/**
 * An object as SIS reads it through a plain address (flash bucket + key, an unsigned object URL):
 * only when the account authorised SIS on the bucket or the bucket is public-read (docs/protocol/obs.md §1).
 */
export function sisReadObject(core: Core, bucket: string, key: string): SisRead {
    const objects = core.ctx.obs.get(bucket);
    if (!objects) return { ok: false, code: 'NoSuchBucket' };
    if (!core.obsAcls.sisCanRead(bucket)) return { ok: false, code: 'AccessDenied' };
    const bytes = objects.get(key);
    return bytes ? { ok: true, bytes } : { ok: false, code: 'NoSuchKey' };
}

/** Stores an object as PutObject would (also used by tests through the emulator's own API). */
export function writeObject(core: Core, bucket: string, key: string, bytes: Buffer, contentType: string): string {
    let objects = core.ctx.obs.get(bucket);
    if (!objects) {
        objects = new Map();
        core.ctx.obs.set(bucket, objects);
    }
    const etag = `"${createHash('md5').update(bytes).digest('hex')}"`;
    META.set(bytes, { contentType, etag, lastModified: core.ctx.clock.now() });
    objects.set(key, bytes);
    return etag;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
}

function authorize(core: Core, call: Call, target: ObsTarget): ObsAuthResult | undefined {
    return core.obsAuth.verify({
        method: call.method,
        bucket: target.bucket,
        rawKeyPath: target.rawKeyPath,
        query: call.queryPairs,
        headers: call.req.headers,
    });
}

export function handleObs(core: Core, call: Call, target: ObsTarget): Reply {
    const head = call.method === 'HEAD';
    const resource = `/${target.bucket}${target.rawKeyPath}`;
    const isBucket = target.rawKeyPath === '' || target.rawKeyPath === '/';
    const objects = core.ctx.obs.get(target.bucket);
    if (head && isBucket && call.queryPairs.some(([name]) => name === 'apiversion')) {
        // Unsigned probe of the official SDK; `x-obs-api: 3.0` keeps it on the OBS signature.
        if (!objects) return obsErrorReply(404, 'NoSuchBucket', 'The specified bucket does not exist', resource, true);
        call.auth = 'none';
        return { status: 200, headers: { 'x-obs-api': '3.0' }, body: '' };
    }
    const auth = authorize(core, call, target);
    if (auth === undefined) {
        // Unsigned: only reads of a public-read bucket's objects (a private bucket's are refused).
        const readable = (call.method === 'GET' || head) && !isBucket && core.obsAcls.get(target.bucket).publicRead;
        if (!readable) return obsErrorReply(403, 'AccessDenied', 'Access Denied', resource, head);
        call.auth = 'none';
    } else {
        if (!auth.ok) return obsErrorReply(auth.status, auth.code, auth.message, resource, head);
        call.auth = auth.mode;
    }
    if (!objects) return obsErrorReply(404, 'NoSuchBucket', 'The specified bucket does not exist', resource, head);
    if (isBucket) {
        if (head) return { status: 200, body: '' };
        return obsErrorReply(
            405,
            'MethodNotAllowed',
            'The specified method is not allowed against this resource.',
            resource,
        );
    }
    const key = decodeKey(target.rawKeyPath);
    switch (call.method) {
        case 'PUT':
            return putObject(core, call, target.bucket, key, resource);
        case 'GET':
        case 'HEAD': {
            const bytes = objects.get(key);
            if (!bytes) return obsErrorReply(404, 'NoSuchKey', 'The specified key does not exist.', resource, head);
            const meta = META.get(bytes);
            return {
                status: 200,
                headers: {
                    'Content-Type': meta?.contentType ?? 'application/octet-stream',
                    ETag: meta?.etag ?? '""',
                    'Last-Modified': new Date(meta?.lastModified ?? 0).toUTCString(),
                    'Content-Length': bytes.length,
                },
                body: bytes,
            };
        }
        case 'DELETE':
            objects.delete(key);
            return { status: 204, body: '' };
        default:
            return obsErrorReply(
                405,
                'MethodNotAllowed',
                'The specified method is not allowed against this resource.',
                resource,
            );
    }
}

function putObject(core: Core, call: Call, bucket: string, key: string, resource: string): Reply {
    const md5 = header(call.req.headers, 'content-md5');
    if (md5 !== undefined) {
        const given = Buffer.from(md5, 'base64');
        if (given.length !== 16)
            return obsErrorReply(400, 'InvalidDigest', 'The Content-MD5 you specified is not valid.', resource);
        const actual = createHash('md5').update(call.body).digest();
        if (!given.equals(actual)) {
            return obsErrorReply(
                400,
                'BadDigest',
                'The Content-MD5 you specified did not match what we received.',
                resource,
            );
        }
    }
    const contentType = header(call.req.headers, 'content-type') ?? 'application/octet-stream';
    const etag = writeObject(core, bucket, key, Buffer.from(call.body), contentType);
    return { status: 200, headers: { ETag: etag }, body: '' };
}
