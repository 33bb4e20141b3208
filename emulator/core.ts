// State shared by the emulator's HTTP routes, beyond the public EmulatorContext.

import type { IncomingMessage } from 'node:http';
import type { AkskVerifier } from './auth-aksk';
import type { ObsVerifier } from './auth-obs';
import type { CredentialStore } from './credentials';
import type { BucketAcls, JobStore, VocabularyStore } from './stores';
import type { EmulatorContext, LogEntry, Principal } from './types';

/** One HTTP request as the routes see it: raw wire forms for signatures, decoded forms for logic. */
export interface Call {
    req: IncomingMessage;
    method: string;
    /** Path exactly as on the request line, without the query. */
    rawPath: string;
    /** Query text exactly as on the request line, without `?`. */
    rawQuery: string;
    /** Decoded query pairs in wire order (empty pairs from `?&a=b` dropped). */
    queryPairs: [string, string][];
    /** Host header value (with port). */
    host: string;
    body: Buffer;
    principal?: Principal;
    auth: LogEntry['auth'];
    /** Parsed JSON body, kept for the request log. */
    json?: unknown;
    /** `X-Request-Id` of the answer (32 lower-case hex), made when the request arrives. */
    requestId: string;
}

export function queryValue(call: Call, name: string): string | undefined {
    for (const [n, v] of call.queryPairs) if (n === name) return v;
    return undefined;
}

/** Timers and outgoing requests started by the emulator, so close() can cancel them all. */
export class BackgroundTasks {
    private readonly timers = new Set<NodeJS.Timeout>();
    private readonly aborter = new AbortController();

    get signal(): AbortSignal {
        return this.aborter.signal;
    }

    get closed(): boolean {
        return this.aborter.signal.aborted;
    }

    later(ms: number, fn: () => void): void {
        if (this.closed) return;
        const timer = setTimeout(() => {
            this.timers.delete(timer);
            fn();
        }, ms);
        this.timers.add(timer);
    }

    /** Resolves after `ms`; never resolves once the emulator is closed (its sockets are gone anyway). */
    sleep(ms: number): Promise<void> {
        return new Promise((resolve) => this.later(ms, resolve));
    }

    close(): void {
        this.aborter.abort();
        for (const timer of this.timers) clearTimeout(timer);
        this.timers.clear();
    }
}

export interface Core {
    ctx: EmulatorContext;
    credentials: CredentialStore;
    aksk: AkskVerifier;
    obsAuth: ObsVerifier;
    vocabularies: VocabularyStore;
    jobs: JobStore;
    /** Bucket ACLs: which buckets SIS may read, which are public. */
    obsAcls: BucketAcls;
    /** Whether `data_url`/`callback_url` may name loopback hosts (the cloud takes domain names only). */
    allowLoopbackUrls: boolean;
    tasks: BackgroundTasks;
    /** With TLS: the CA certificate (PEM) and the file it was written to. */
    caCert?: string;
    caFile?: string;
    /** `http://host:port` (or `https://…` with TLS) of this emulator, known once it listens. */
    baseUrl(): string;
}
