// Entry point of the local SIS emulator: one HTTP port serving IAM, SIS (REST + WebSocket), OBS and
// the emulator's own admin API.

import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { emulatorConfig } from './admin';
import { createTranscriptRegistry } from './audio';
import { AkskVerifier } from './auth-aksk';
import { ObsVerifier } from './auth-obs';
import { BackgroundTasks, type Core } from './core';
import { CredentialStore, DEFAULT_ACCOUNT } from './credentials';
import { createFaultController } from './faults';
import { createRequestLog } from './log';
import { setBucketAcl, writeObject } from './obs';
import { EmulatorServer } from './server';
import { type BucketAcl, BucketAcls, JobStore, VocabularyStore } from './stores';
import { createTestPki, writeCaFile } from './tls';
import type {
    Account,
    Clock,
    EmulatorContext,
    EmulatorLimits,
    FaultController,
    RequestLog,
    TranscriptRegistry,
} from './types';

export { DEFAULT_ACCOUNT, VECTOR_TEMPORARY } from './credentials';
export type { BucketAcl } from './stores';
export type * from './types';

export const DEFAULT_LIMITS: EmulatorLimits = {
    jobDelayMs: 1500,
    resultTtlMs: 72 * 3600 * 1000,
    wsIdleMs: 20_000,
    rasrShortMaxMs: 60_000,
    tokenTtlMs: 24 * 3600 * 1000,
    clockSkewMs: 15 * 60 * 1000,
    serviceLatencyMs: 0,
};

export interface EmulatorOptions {
    /** Interface to listen on; default 127.0.0.1. */
    host?: string;
    /** Port; default 0 (a free port). */
    port?: number;
    clock?: Clock;
    limits?: Partial<EmulatorLimits>;
    account?: Partial<Account>;
    /**
     * Serve HTTPS and WSS (same port) with a certificate for localhost, 127.0.0.1 and ::1, signed by
     * a throw-away CA made at start. The CA's PEM is `Emulator.ca` and is written to `caOut`.
     */
    tls?: boolean;
    /** With `tls`: more host names the certificate is valid for (e.g. one a test proxy leads to it). */
    tlsNames?: string[];
    /** With `tls`: file the CA certificate (PEM) is written to; default `ca.pem` in a new temp folder. */
    caOut?: string;
    /** Buckets SIS is authorised to read (flash bucket + key, plain object URLs). Default: none. */
    obsGrantSis?: string[];
    /** Buckets whose objects are public-read (anyone, SIS included). Default: none. */
    obsPublic?: string[];
    /**
     * Accept `data_url`/`callback_url` on loopback hosts (localhost, 127.0.0.0/8, ::1). The cloud
     * takes domain names only, so they are refused by default; URLs of this emulator's own OBS are
     * always accepted (they stand for the OBS domain names).
     */
    allowLoopbackUrls?: boolean;
}

/** The values a Node-RED `sis-config` needs (see `GET /__emulator/config`). */
export interface EmulatorConfig {
    region: string;
    projectId: string;
    endpoint: string;
    iamEndpoint: string;
    obsEndpoint: string;
    obsBucket: string;
    ak: string;
    sk: string;
    username: string;
    password: string;
    domainName: string;
    wsEndpoint: string;
    temporary: { ak: string; sk: string; securityToken: string };
    /** With TLS: path of the CA certificate file (PEM) the emulator wrote. */
    caFile?: string;
}

export interface Emulator {
    /** `http://host:port` (`https://` with TLS): IAM, SIS, OBS (path-style) and `/__emulator/…` all live here. */
    url: string;
    port: number;
    /** With TLS: the throw-away CA certificate (PEM) a client must trust, and the file holding it. */
    ca?: string;
    caFile?: string;
    account: Account;
    ctx: EmulatorContext;
    faults: FaultController;
    log: RequestLog;
    transcripts: TranscriptRegistry;
    config(): EmulatorConfig;
    /** A valid project-scoped IAM token. */
    issueToken(): string;
    /** Every token issued so far answers 401 APIG.0301 "token expires" from now on. */
    expireTokens(): void;
    /** Every token issued so far answers 401 APIG.0307 "The token must be updated." from now on. */
    revokeTokens(): number;
    /** Every temporary AK/SK issued so far is unknown from now on (OBS: 403 InvalidAccessKeyId). */
    revokeTemporaryCredentials(): number;
    /**
     * A further permanent AK/SK of the account's user (IAM lets a user hold more than one), so
     * that several clients can be told apart in the request log by the AK of their signatures.
     */
    addAccessKey(): { ak: string; sk: string };
    /** Stores an object in the emulated OBS (creating the bucket if needed). */
    putObject(bucket: string, key: string, bytes: Buffer, contentType?: string): void;
    /** Changes a bucket's ACL (creating the bucket if needed) and returns it. */
    setBucketAcl(bucket: string, acl: Partial<BucketAcl>): BucketAcl;
    /** A bucket's ACL; private (`{ sisRead: false, publicRead: false }`) unless changed. */
    bucketAcl(bucket: string): BucketAcl;
    close(): Promise<void>;
}

const systemClock: Clock = { now: () => Date.now() };

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
    const account: Account = { ...DEFAULT_ACCOUNT, ...opts.account };
    const limits: EmulatorLimits = { ...DEFAULT_LIMITS, ...opts.limits };
    const clock = opts.clock ?? systemClock;
    const ctx: EmulatorContext = {
        clock,
        account,
        limits,
        faults: createFaultController(),
        log: createRequestLog(),
        transcripts: createTranscriptRegistry(),
        obs: new Map([[account.bucket, new Map<string, Buffer>()]]),
    };
    const credentials = new CredentialStore(account, clock, limits);
    const skew = () => limits.clockSkewMs;
    let baseUrl = '';
    const core: Core = {
        ctx,
        credentials,
        aksk: new AkskVerifier(credentials, clock, skew),
        obsAuth: new ObsVerifier(credentials, clock, skew),
        vocabularies: new VocabularyStore(),
        jobs: new JobStore(),
        obsAcls: new BucketAcls(),
        allowLoopbackUrls: opts.allowLoopbackUrls ?? false,
        tasks: new BackgroundTasks(),
        baseUrl: () => baseUrl,
    };
    for (const bucket of opts.obsGrantSis ?? []) setBucketAcl(core, bucket, { sisRead: true });
    for (const bucket of opts.obsPublic ?? []) setBucketAcl(core, bucket, { publicRead: true });
    const pki = opts.tls
        ? createTestPki(opts.tlsNames ? { dnsNames: ['localhost', ...opts.tlsNames] } : {})
        : undefined;
    const server = new EmulatorServer(core, pki);
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
        server.http.once('error', reject);
        server.http.listen(opts.port ?? 0, host, () => {
            server.http.off('error', reject);
            resolve();
        });
    });
    const { port } = server.http.address() as AddressInfo;
    const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    baseUrl = `${pki ? 'https' : 'http'}://${urlHost}:${port}`;
    let caFile: string | undefined;
    if (pki) {
        try {
            caFile = writeCaFile(pki.caCert, opts.caOut);
        } catch (err) {
            server.http.close();
            throw err;
        }
        core.caFile = caFile;
        core.caCert = pki.caCert;
    }

    let closing: Promise<void> | undefined;
    return {
        url: baseUrl,
        port,
        ca: pki?.caCert,
        caFile,
        account,
        ctx,
        faults: ctx.faults,
        log: ctx.log,
        transcripts: ctx.transcripts,
        config: () => emulatorConfig(core) as unknown as EmulatorConfig,
        issueToken: () => credentials.issueToken(true).token,
        expireTokens: () => credentials.expireTokens(),
        revokeTokens: () => credentials.revokeTokens(),
        revokeTemporaryCredentials: () => credentials.revokeTemporary(),
        addAccessKey: () => credentials.addPermanent(),
        putObject: (bucket, key, bytes, contentType = 'application/octet-stream') => {
            writeObject(core, bucket, key, bytes, contentType);
        },
        setBucketAcl: (bucket, acl) => setBucketAcl(core, bucket, acl),
        bucketAcl: (bucket) => core.obsAcls.get(bucket),
        close() {
            closing ??= new Promise<void>((resolve) => {
                core.tasks.close();
                server.destroyUpgraded();
                server.http.close(() => resolve());
                server.http.closeAllConnections();
                // A CA file in a temp folder of the emulator's own goes with it; a --ca-out file stays.
                if (caFile && opts.caOut === undefined) rmSync(path.dirname(caFile), { recursive: true, force: true });
            });
            return closing;
        },
    };
}
