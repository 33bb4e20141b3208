// Who may call the emulator: the account's permanent AK/SK, temporary AK/SK issued by IAM, IAM tokens.

import { randomBytes } from 'node:crypto';
import type { Account, Clock, EmulatorLimits, TemporaryCredential } from './types';

/** Temporary credential of `vectors/aksk.json` and `vectors/obs.json`, accepted so the vectors replay. */
export const VECTOR_TEMPORARY = {
    ak: 'HWTEMPAK000000000002',
    sk: 'hwTempSecretKey00000000000000000000000002',
    securityToken: 'gQpjbi1ub3J0aC00EXAMPLE-SECURITY-TOKEN-0123456789',
} as const;

export const DEFAULT_ACCOUNT: Account = {
    region: 'cn-north-4',
    // The project id of the vectors, so vector URLs address this account.
    projectId: '0123456789abcdef0123456789abcdef',
    domainId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
    domainName: 'sis-demo-account',
    userId: 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
    username: 'sis-demo-user',
    password: 'SisDemo#Passw0rd',
    ak: 'HWEXAMPLEAK000000001',
    sk: 'hwExampleSecretKey0000000000000000000000',
    bucket: 'sis-audio-stage',
};

export interface KeyRecord {
    ak: string;
    sk: string;
    kind: 'aksk' | 'temporary-aksk';
    securityToken?: string;
    expiresAt?: number;
    projectId: string;
}

export interface TokenRecord {
    /** Absent for a domain-scoped token (refused by SIS). */
    projectId?: string;
    issuedAt: number;
    expiresAt: number;
    /** Invalidated before its expiry (password change, sessions revoked): "The token must be updated." */
    revoked?: boolean;
}

export type TokenCheck = { ok: true; record: TokenRecord } | { ok: false; detail: string; revoked?: boolean };

export class CredentialStore {
    private readonly keys = new Map<string, KeyRecord>();
    private readonly tokens = new Map<string, TokenRecord>();

    constructor(
        private readonly account: Account,
        private readonly clock: Clock,
        private readonly limits: EmulatorLimits,
    ) {
        this.keys.set(account.ak, { ak: account.ak, sk: account.sk, kind: 'aksk', projectId: account.projectId });
        this.keys.set(VECTOR_TEMPORARY.ak, {
            ak: VECTOR_TEMPORARY.ak,
            sk: VECTOR_TEMPORARY.sk,
            kind: 'temporary-aksk',
            securityToken: VECTOR_TEMPORARY.securityToken,
            expiresAt: Number.MAX_SAFE_INTEGER,
            projectId: account.projectId,
        });
    }

    lookupKey(ak: string): KeyRecord | undefined {
        return this.keys.get(ak);
    }

    issueToken(projectScoped: boolean): { token: string; record: TokenRecord } {
        // Opaque, long and starting with "MII" like the real ones; clients must never parse it.
        const token = `MIIT${randomBytes(600).toString('base64').replace(/[+/=]/g, 'x')}`;
        const issuedAt = this.clock.now();
        const record: TokenRecord = {
            projectId: projectScoped ? this.account.projectId : undefined,
            issuedAt,
            expiresAt: issuedAt + this.limits.tokenTtlMs,
        };
        this.tokens.set(token, record);
        return { token, record };
    }

    checkToken(token: string): TokenCheck {
        const record = this.tokens.get(token);
        if (!record) return { ok: false, detail: 'decrypt token fail' };
        if (record.revoked) return { ok: false, detail: 'The token must be updated.', revoked: true };
        if (this.clock.now() >= record.expiresAt) {
            return { ok: false, detail: `token expires, expires_at: ${isoMicros(record.expiresAt)}` };
        }
        return { ok: true, record };
    }

    /** Every issued token is expired from now on. */
    expireTokens(): void {
        const now = this.clock.now();
        for (const record of this.tokens.values()) record.expiresAt = Math.min(record.expiresAt, now);
    }

    /** Every token issued so far is invalidated (as a password change does); returns how many. */
    revokeTokens(): number {
        for (const record of this.tokens.values()) record.revoked = true;
        return this.tokens.size;
    }

    /** Every temporary AK/SK issued so far stops existing (the vectors' key stays); returns how many. */
    revokeTemporary(): number {
        let count = 0;
        for (const [ak, key] of this.keys) {
            if (key.kind !== 'temporary-aksk' || ak === VECTOR_TEMPORARY.ak) continue;
            this.keys.delete(ak);
            count++;
        }
        return count;
    }

    /** One more permanent AK/SK of the account's user. */
    addPermanent(): { ak: string; sk: string } {
        const ak = `HWAK${randomBytes(8).toString('hex').toUpperCase()}`.slice(0, 20);
        const sk = randomBytes(20).toString('hex');
        this.keys.set(ak, { ak, sk, kind: 'aksk', projectId: this.account.projectId });
        return { ak, sk };
    }

    issueTemporary(durationSeconds: number): TemporaryCredential {
        const ak = `HWTMP${randomBytes(8).toString('hex').toUpperCase()}`.slice(0, 20);
        const credential: TemporaryCredential = {
            ak,
            sk: randomBytes(20).toString('hex'),
            securityToken: `gQ${randomBytes(96).toString('base64').replace(/[+/=]/g, 'Q')}`,
            expiresAt: this.clock.now() + durationSeconds * 1000,
            projectId: this.account.projectId,
        };
        this.keys.set(ak, {
            ak,
            sk: credential.sk,
            kind: 'temporary-aksk',
            securityToken: credential.securityToken,
            expiresAt: credential.expiresAt,
            projectId: credential.projectId,
        });
        return credential;
    }
}

/** ISO-8601 UTC with microseconds, the IAM format (`2020-01-04T09:05:22.701000Z`). */
export function isoMicros(ms: number): string {
    return new Date(ms).toISOString().replace('Z', '000Z');
}
