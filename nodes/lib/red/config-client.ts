// The SisClient of a configuration: built by a deployed sis-config node from its settings, and by
// the admin routes from the values typed in its dialog before a deploy. One construction for both.
import { readFileSync } from 'node:fs';
import { SisClient, type SisCredentials } from '../cloud/sis-client';
import { SisError, toSisError } from '../core/errors';
import type { Node, NodeAPI, SisConfigDef, SisConfigNode } from './types';

const ENV_RE = /^\$\{(\S+)\}$/;
export const CREDENTIAL_KEYS = ['ak', 'sk', 'securityToken', 'username', 'password', 'domainName'] as const;
/** The credentials that are secrets (never sent back to the editor). */
export const SECRET_KEYS: readonly (keyof SisCredentials)[] = ['sk', 'securityToken', 'password'];

/** The settings of a configuration that are not credentials. */
export type ConfigSettings = Omit<SisConfigDef, 'id' | 'type' | 'name' | 'z'>;

function num(value: number | string | undefined, fallback: number, min: number, max: number): number {
    const n = typeof value === 'number' ? value : Number.parseFloat(String(value ?? ''));
    return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

/** Whole-value `${VAR}` in a credential, as Node-RED does for properties. */
export function resolveEnv(RED: NodeAPI, node: Node | undefined, value: string | undefined): string | undefined {
    if (typeof value !== 'string') return undefined;
    const m = ENV_RE.exec(value.trim());
    if (!m) return value;
    const util = RED.util as unknown as { getSetting?: (n: unknown, name: string) => unknown };
    const resolved = node && util.getSetting ? util.getSetting(node, m[1]) : process.env[m[1]];
    return typeof resolved === 'string' ? resolved : undefined;
}

/** Credentials with `${VAR}` resolved. */
export function resolveCredentials(RED: NodeAPI, node: Node | undefined, raw: SisCredentials): SisCredentials {
    const out: SisCredentials = {};
    for (const key of CREDENTIAL_KEYS) out[key] = resolveEnv(RED, node, raw[key]);
    return out;
}

/** The extra CA of the configuration (PEM), if it names one; NOT_CONFIGURED when it cannot be read. */
export function readCaFile(settings: Pick<ConfigSettings, 'caFile'>): string | undefined {
    const caFile = String(settings.caFile ?? '').trim();
    if (!caFile) return undefined;
    try {
        return readFileSync(caFile, 'utf8');
    } catch {
        throw new SisError('NOT_CONFIGURED', `cannot read the CA file ${caFile}`);
    }
}

/** A client for `settings` and (already resolved) `credentials`; NOT_CONFIGURED when they are unusable. */
export function buildSisClient(settings: ConfigSettings, credentials: SisCredentials): SisClient {
    const ca = readCaFile(settings);
    return new SisClient({
        region: String(settings.region ?? '').trim(),
        projectId: settings.projectId,
        authType: settings.authType,
        endpoint: settings.endpoint,
        iamEndpoint: settings.iamEndpoint,
        obsEndpoint: settings.obsEndpoint,
        obsBucket: settings.obsBucket,
        credentials,
        http: {
            maxConcurrent: num(settings.maxConcurrent, 16, 1, 256),
            requestTimeoutMs: num(settings.timeout, 120, 1, 3600) * 1000,
            maxRetries: num(settings.maxRetries, 3, 0, 10),
            ca,
            userAgent: 'node-red-contrib-huaweicloud-sis',
        },
    });
}

/** What the editor sends for a password credential the user left untouched. */
export const PASSWORD_PLACEHOLDER = '__PWRD__';

/** A refusal of an admin request about a configuration: its HTTP status and code. */
export class ConfigRouteError extends Error {
    constructor(
        readonly status: number,
        readonly code: string,
        message: string,
    ) {
        super(message);
    }
}

/** A client for one admin request: a deployed node's, or one made for the request (closed after). */
export interface ClientLease {
    client: SisClient;
    release(): Promise<void>;
}

function sameService(a: SisClient, b: SisClient): boolean {
    return (
        a.authType === b.authType &&
        a.region === b.region &&
        a.endpoints.sis.href === b.endpoints.sis.href &&
        a.endpoints.iam.href === b.endpoints.iam.href
    );
}

/**
 * A client for what a configuration dialog holds (`draft`: its settings plus `credentials`). A
 * secret left out (or `__PWRD__`) is taken from the deployed node only when the draft talks to the
 * same endpoints with the same kind of authentication: a typed endpoint never receives a deployed
 * secret (with password authentication it would receive the password itself).
 */
export function draftClient(
    RED: NodeAPI,
    node: SisConfigNode | undefined,
    draft: Record<string, unknown>,
): ClientLease {
    const { credentials: rawCreds, ...rest } = draft;
    const settings = rest as unknown as ConfigSettings;
    const typed: SisCredentials = {};
    const given = (rawCreds !== null && typeof rawCreds === 'object' ? rawCreds : {}) as Record<string, unknown>;
    for (const key of CREDENTIAL_KEYS) {
        const v = given[key];
        if (typeof v === 'string' && v !== '' && v !== PASSWORD_PLACEHOLDER) typed[key] = v;
    }
    let credentials = resolveCredentials(RED, undefined, typed);
    const missing = CREDENTIAL_KEYS.filter((k) => credentials[k] === undefined);
    if (missing.length > 0 && node?.client && node.resolvedCredentials) {
        // Only towards the same service: probe the draft's endpoints without any secret first.
        let probe: SisClient | undefined;
        try {
            probe = buildSisClient(settings, { ak: 'x', sk: 'x', username: 'x', password: 'x', domainName: 'x' });
        } catch (err) {
            throw new ConfigRouteError(400, 'NOT_CONFIGURED', toSisError(err).message);
        }
        const same = sameService(probe, node.client);
        void probe.close();
        if (same) {
            const filled: SisCredentials = { ...credentials };
            for (const key of missing) filled[key] = node.resolvedCredentials[key];
            credentials = filled;
        }
    }
    try {
        const client = buildSisClient(settings, credentials);
        return { client, release: () => client.close() };
    } catch (err) {
        throw new ConfigRouteError(400, 'NOT_CONFIGURED', toSisError(err).message);
    }
}
