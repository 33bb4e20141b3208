// IAM calls: password tokens, project look-up, temporary AK/SK (docs/protocol/auth.md §3).

import { errorFromResponse, SisError } from '../core/errors';
import { joinUrl } from './endpoints';
import type { HttpClient } from './http';

export interface PasswordCredentials {
    username: string;
    password: string;
    domainName: string;
}

export interface IamToken {
    token: string;
    /** Epoch ms; undefined when IAM gave no parsable expiry. */
    expiresAt?: number;
    issuedAt: number;
    projectId?: string;
}

export interface TemporaryCredentials {
    ak: string;
    sk: string;
    securityToken: string;
    expiresAt?: number;
}

function record(v: unknown): Record<string, unknown> | undefined {
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function parseJson(body: Buffer, what: string): Record<string, unknown> {
    try {
        const parsed = record(JSON.parse(body.toString('utf8')));
        if (parsed) return parsed;
    } catch {
        // fall through
    }
    throw new SisError('PROTOCOL', `${what}: the answer is not a JSON object`);
}

function parseTime(v: unknown): number | undefined {
    if (typeof v !== 'string') return undefined;
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
}

export interface TokenScope {
    projectId?: string;
    projectName?: string;
}

export async function fetchToken(
    http: HttpClient,
    iam: URL,
    creds: PasswordCredentials,
    scope: TokenScope,
    now: () => number,
): Promise<IamToken> {
    const what = 'IAM token request';
    const project = scope.projectId ? { id: scope.projectId } : { name: scope.projectName };
    const body = JSON.stringify({
        auth: {
            identity: {
                methods: ['password'],
                password: {
                    user: { name: creds.username, password: creds.password, domain: { name: creds.domainName } },
                },
            },
            scope: { project },
        },
    });
    const res = await http.send({
        method: 'POST',
        url: joinUrl(iam, '/v3/auth/tokens', '?nocatalog=true'),
        headers: { 'content-type': 'application/json;charset=utf8' },
        body,
        idempotent: true,
        what,
    });
    const token = res.headers['x-subject-token'];
    if (res.status >= 300 || !token) {
        if (res.status === 401) {
            throw new SisError('AUTH_FAILED', 'IAM refused the user name, password or account (domain) name', {
                status: 401,
            });
        }
        if (res.status < 300) throw new SisError('PROTOCOL', `${what}: no X-Subject-Token in the answer`);
        throw errorFromResponse(res.status, res.body, what, res.headers);
    }
    const parsed = record(parseJson(res.body, what).token);
    const projectId = record(parsed?.project)?.id;
    return {
        token,
        expiresAt: parseTime(parsed?.expires_at),
        issuedAt: now(),
        projectId: typeof projectId === 'string' ? projectId : undefined,
    };
}

/** Finds the id of the project named after the region. Never creates one (docs/protocol/auth.md §3.5). */
export async function lookupProject(
    http: HttpClient,
    iam: URL,
    region: string,
    prepare: (url: URL) => Promise<Record<string, string>>,
): Promise<string> {
    const what = 'IAM project look-up';
    const url = joinUrl(iam, '/v3/projects', `?name=${encodeURIComponent(region)}`);
    const res = await http.send({
        method: 'GET',
        url,
        headers: { 'content-type': 'application/json' },
        idempotent: true,
        prepare: () => prepare(url),
        what,
    });
    if (res.status >= 300) throw errorFromResponse(res.status, res.body, what, res.headers);
    const projects = parseJson(res.body, what).projects;
    if (Array.isArray(projects)) {
        for (const p of projects) {
            const entry = record(p);
            if (entry?.name === region && typeof entry.id === 'string') return entry.id;
        }
    }
    throw new SisError('NOT_CONFIGURED', `no IAM project named ${region}; set projectId (projects are never created)`);
}

export async function fetchTemporaryCredentials(
    http: HttpClient,
    iam: URL,
    token: string,
    durationSeconds: number,
): Promise<TemporaryCredentials> {
    const what = 'IAM temporary credentials request';
    const res = await http.send({
        method: 'POST',
        url: joinUrl(iam, '/v3.0/OS-CREDENTIAL/securitytokens'),
        headers: { 'content-type': 'application/json;charset=utf8', 'x-auth-token': token },
        body: JSON.stringify({
            auth: { identity: { methods: ['token'], token: { duration_seconds: durationSeconds } } },
        }),
        idempotent: true,
        what,
    });
    if (res.status >= 300) throw errorFromResponse(res.status, res.body, what, res.headers);
    const c = record(parseJson(res.body, what).credential);
    if (typeof c?.access !== 'string' || typeof c.secret !== 'string' || typeof c.securitytoken !== 'string') {
        throw new SisError('PROTOCOL', `${what}: the answer has no credential`);
    }
    return { ak: c.access, sk: c.secret, securityToken: c.securitytoken, expiresAt: parseTime(c.expires_at) };
}
