// Building a SisClient from a config node's settings and credentials: the deployed config node
// does it once, and the Test button's admin route does it for what the dialog holds.
import { readFileSync } from 'node:fs';
import { SisClient, type SisCredentials } from '../cloud/sis-client';
import { SisError } from '../core/errors';
import type { SisConfigDef } from './types';

export const CREDENTIAL_KEYS = ['ak', 'sk', 'securityToken', 'username', 'password', 'domainName'] as const;

const ENV_RE = /^\$\{(\S+)\}$/;

/** The settings of a config node that make its client. */
export type ClientSettings = Pick<
    SisConfigDef,
    | 'region'
    | 'projectId'
    | 'authType'
    | 'endpoint'
    | 'iamEndpoint'
    | 'obsEndpoint'
    | 'obsBucket'
    | 'maxConcurrent'
    | 'timeout'
    | 'maxRetries'
    | 'caFile'
>;

function num(value: number | string | undefined, fallback: number, min: number, max: number): number {
    const n = typeof value === 'number' ? value : Number.parseFloat(String(value ?? ''));
    return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

/**
 * Whole-value `${VAR}` in a credential, as Node-RED does for properties; `lookup` finds the
 * variable (Node-RED's getSetting for a node, else the process environment).
 */
export function resolveEnvCredentials(credentials: SisCredentials, lookup: (name: string) => unknown): SisCredentials {
    const out: SisCredentials = {};
    for (const key of CREDENTIAL_KEYS) {
        const value = credentials[key];
        if (typeof value !== 'string') continue;
        const m = ENV_RE.exec(value.trim());
        if (!m) out[key] = value;
        else {
            const resolved = lookup(m[1]);
            if (typeof resolved === 'string') out[key] = resolved;
        }
    }
    return out;
}

/** A client for these settings; throws NOT_CONFIGURED (with no secret in it) when they are unusable. */
export function buildClient(def: ClientSettings, credentials: SisCredentials): SisClient {
    let ca: string | undefined;
    const caFile = (def.caFile ?? '').trim();
    if (caFile) {
        try {
            ca = readFileSync(caFile, 'utf8');
        } catch {
            throw new SisError('NOT_CONFIGURED', `cannot read the CA file ${caFile}`);
        }
    }
    return new SisClient({
        region: (def.region ?? '').trim(),
        projectId: def.projectId,
        authType: def.authType,
        endpoint: def.endpoint,
        iamEndpoint: def.iamEndpoint,
        obsEndpoint: def.obsEndpoint,
        obsBucket: def.obsBucket,
        credentials,
        http: {
            maxConcurrent: num(def.maxConcurrent, 16, 1, 256),
            requestTimeoutMs: num(def.timeout, 120, 1, 3600) * 1000,
            maxRetries: num(def.maxRetries, 3, 0, 10),
            ca,
            userAgent: 'node-red-contrib-huaweicloud-sis',
        },
    });
}
