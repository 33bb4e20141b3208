// A small OBS client for staging audio: put, get, head, delete and pre-signed GET URLs, signed
// with the OBS signature (docs/protocol/obs.md) and sent through the config node's HTTP client.
import { randomUUID } from 'node:crypto';
import { invalidInput, SisError } from '../core/errors';
import { textPerPeriod } from './date-text';
import { obsError } from './obs-errors';
import { obsUrl, presignObsUrl, signObsRequest } from './obs-signature';
import type { SisClient } from './sis-client';

export interface ObjectRef {
    bucket: string;
    key: string;
}

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function checkRef(bucket: unknown, key: unknown, where: string): ObjectRef {
    if (typeof bucket !== 'string' || !BUCKET_RE.test(bucket)) {
        throw invalidInput(
            `${where}: bucket must be an OBS bucket name (3-63 lower-case letters, digits, dots, hyphens)`,
        );
    }
    if (typeof key !== 'string' || key.length === 0 || key.length >= 1024 || key.startsWith('/')) {
        throw invalidInput(`${where}: key must be a non-empty object key of less than 1024 characters`);
    }
    return { bucket, key };
}

/** `{ bucket, key }` or `obs://bucket/key`; undefined when the value is neither. */
export function parseObjectRef(value: unknown): ObjectRef | undefined {
    if (typeof value === 'string' && value.startsWith('obs://')) {
        const rest = value.slice('obs://'.length);
        const slash = rest.indexOf('/');
        if (slash <= 0) throw invalidInput('msg.payload: an OBS address must look like obs://bucket/key');
        let key = rest.slice(slash + 1);
        try {
            key = decodeURIComponent(key);
        } catch {
            // keep the key as written
        }
        return checkRef(rest.slice(0, slash), key, 'msg.payload');
    }
    if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value) && 'bucket' in value && 'key' in value) {
        const o = value as { bucket: unknown; key: unknown };
        return checkRef(o.bucket, o.key, 'msg.payload');
    }
    return undefined;
}

interface ObsRequest {
    method: 'PUT' | 'GET' | 'HEAD' | 'DELETE';
    ref: ObjectRef;
    body?: Buffer;
    contentType?: string;
    signal?: AbortSignal;
    what: string;
}

export class ObsClient {
    constructor(private readonly sis: SisClient) {}

    private get endpoint(): string {
        return this.sis.endpoints.obs.origin;
    }

    private async send(req: ObsRequest): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
        const url = new URL(obsUrl(this.endpoint, req.ref.bucket, req.ref.key));
        const headers: Record<string, string> = {};
        // No Content-MD5, as the official SDK sends none unless asked: TLS already protects the body in
        // transit, and hashing a large Buffer would block the event loop (docs/protocol/obs.md).
        if (req.body) headers['Content-Type'] = req.contentType ?? 'application/octet-stream';
        // Refused temporary keys are replaced once (withObsCredentials); errors come out scrubbed.
        return this.sis.withObsCredentials(async (credentials) => {
            const res = await this.sis.http.send({
                method: req.method,
                url,
                headers,
                body: req.body,
                // Every operation here is idempotent: the same bytes under the same key.
                idempotent: true,
                signal: req.signal,
                what: req.what,
                prepare: async () => {
                    const creds = await credentials();
                    return signObsRequest({
                        method: req.method,
                        bucket: req.ref.bucket,
                        key: req.ref.key,
                        headers,
                        ak: creds.ak,
                        sk: creds.sk,
                        securityToken: creds.securityToken,
                        date: new Date(),
                    }).headers;
                },
            });
            if (res.status >= 300) throw obsError(res.status, res.body, req.what, res.headers);
            return res;
        });
    }

    async put(ref: ObjectRef, body: Buffer, contentType: string, signal?: AbortSignal): Promise<void> {
        await this.send({ method: 'PUT', ref, body, contentType, signal, what: 'OBS upload' });
    }

    async get(ref: ObjectRef, signal?: AbortSignal): Promise<Buffer> {
        return (await this.send({ method: 'GET', ref, signal, what: 'OBS download' })).body;
    }

    async head(ref: ObjectRef, signal?: AbortSignal): Promise<{ size?: number; contentType?: string }> {
        const res = await this.send({ method: 'HEAD', ref, signal, what: 'OBS object check' });
        const size = Number.parseInt(res.headers['content-length'] ?? '', 10);
        return { size: Number.isFinite(size) ? size : undefined, contentType: res.headers['content-type'] };
    }

    async delete(ref: ObjectRef, signal?: AbortSignal): Promise<void> {
        await this.send({ method: 'DELETE', ref, signal, what: 'OBS delete' });
    }

    /** Deletes an object this client staged; one that is not there is no failure. */
    async discard(ref: ObjectRef, signal?: AbortSignal): Promise<void> {
        try {
            await this.delete(ref, signal);
        } catch (err) {
            if (err instanceof SisError && err.status === 404) return;
            throw err;
        }
    }

    /** A GET URL that works without credentials until `ttlSeconds` from now. */
    async presignGet(ref: ObjectRef, ttlSeconds: number): Promise<string> {
        const creds = await this.sis.obsCredentials();
        return presignObsUrl({
            method: 'GET',
            endpoint: this.endpoint,
            bucket: ref.bucket,
            key: ref.key,
            ak: creds.ak,
            sk: creds.sk,
            securityToken: creds.securityToken,
            expiresEpochSec: Math.floor(Date.now() / 1000) + ttlSeconds,
        }).url;
    }
}

/**
 * Whether a failed upload may still have stored its object, so that it must be deleted: yes after a
 * lost connection, a timeout or an abort (OBS may have stored it before the answer was lost), no when
 * OBS answered with a refusal (4xx: nothing was stored).
 */
export function uploadMayHaveStored(err: unknown): boolean {
    return !(err instanceof SisError && err.status !== undefined && err.status >= 400 && err.status < 500);
}

/** `YYYY/MM/DD` (UTC). */
const dayPath = textPerPeriod(86_400_000, (now) => now.toISOString().slice(0, 10).replace(/-/g, '/'));

/** A unique staging key: prefix, date folders, a random name and the audio's extension. */
export function stagingKey(prefix: string, extension: string, now = new Date()): string {
    const p = prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix;
    const day = dayPath(now);
    return `${p}${day}/${randomUUID()}${extension.startsWith('.') ? extension : `.${extension}`}`;
}

/** The bucket Buffers are staged in, or a clear INVALID_INPUT when none is configured. */
export function stagingBucket(sis: SisClient): string {
    if (!sis.obsBucket) {
        throw invalidInput('an audio Buffer must be staged in OBS first, but the sis-config node names no OBS bucket');
    }
    return sis.obsBucket;
}
