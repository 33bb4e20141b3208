// IAM: password tokens (POST /v3/auth/tokens), project lookup (GET /v3/projects, GET /v3/auth/projects)
// and temporary AK/SK (POST /v3.0/OS-CREDENTIAL/securitytokens), docs/protocol/auth.md §3.

import type { Call, Core } from './core';
import { queryValue } from './core';
import { isoMicros } from './credentials';
import { apiNotFound, type Reply } from './reply';
import { isObject } from './sis-common';
import type { RouteName } from './types';

const TITLES: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden' };

/** Keystone-style IAM error body (shape chosen per docs/protocol/auth.md §3.4). */
function iamError(status: number, message: string): Reply {
    return {
        status,
        json: { error: { code: status, message, title: TITLES[status] ?? 'Error' } },
        errorCode: `IAM.${status}`,
    };
}

function parseJson(call: Call): Record<string, unknown> | undefined {
    try {
        const parsed: unknown = JSON.parse(call.body.toString('utf8'));
        if (!isObject(parsed)) return undefined;
        call.json = parsed;
        return parsed;
    } catch {
        return undefined;
    }
}

function path(o: unknown, ...keys: string[]): unknown {
    let cur = o;
    for (const key of keys) {
        if (!isObject(cur)) return undefined;
        cur = cur[key];
    }
    return cur;
}

export function iamRouteOf(method: string, rawPath: string): RouteName | undefined {
    const p = rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath;
    if (p === '/v3/auth/tokens' && method === 'POST') return 'iam.tokens';
    if ((p === '/v3/projects' || p === '/v3/auth/projects') && method === 'GET') return 'iam.projects';
    if (p === '/v3.0/OS-CREDENTIAL/securitytokens' && method === 'POST') return 'iam.securitytokens';
    return undefined;
}

function projectJson(core: Core): Record<string, unknown> {
    const { account } = core.ctx;
    return {
        id: account.projectId,
        name: account.region,
        domain_id: account.domainId,
        description: '',
        enabled: true,
        is_domain: false,
        parent_id: account.domainId,
        links: { self: `${core.baseUrl()}/v3/projects/${account.projectId}` },
    };
}

export function handleTokens(core: Core, call: Call): Reply {
    const body = parseJson(call);
    if (!body) return iamError(400, 'The request body is not valid JSON.');
    const identity = path(body, 'auth', 'identity');
    const methods = path(identity, 'methods');
    if (!Array.isArray(methods) || !methods.includes('password')) {
        return iamError(400, 'auth.identity.methods must contain "password".');
    }
    const user = path(identity, 'password', 'user');
    const name = path(user, 'name');
    const password = path(user, 'password');
    const domainName = path(user, 'domain', 'name');
    const domainId = path(user, 'domain', 'id');
    if (
        typeof name !== 'string' ||
        typeof password !== 'string' ||
        (domainName === undefined && domainId === undefined)
    ) {
        return iamError(400, 'auth.identity.password.user requires name, password and domain.');
    }
    const { account } = core.ctx;
    const domainOk = domainName !== undefined ? domainName === account.domainName : domainId === account.domainId;
    if (name !== account.username || password !== account.password || !domainOk) {
        return iamError(401, 'The username or password is wrong.');
    }
    const scope = path(body, 'auth', 'scope');
    const scopeProject = path(scope, 'project');
    let projectScoped = false;
    if (scopeProject !== undefined) {
        const pName = path(scopeProject, 'name');
        const pId = path(scopeProject, 'id');
        if (pName !== undefined ? pName !== account.region : pId !== account.projectId) {
            return iamError(400, 'The project in the scope does not exist.');
        }
        projectScoped = true;
    } else if (path(scope, 'domain') === undefined && scope !== undefined) {
        return iamError(400, 'auth.scope must name a project or a domain.');
    }
    const { token, record } = core.credentials.issueToken(projectScoped);
    const domain = { id: account.domainId, name: account.domainName };
    const tokenBody: Record<string, unknown> = {
        expires_at: isoMicros(record.expiresAt),
        issued_at: isoMicros(record.issuedAt),
        methods: ['password'],
        user: { id: account.userId, name: account.username, domain, password_expires_at: '' },
        roles: [{ id: '0', name: 'op_service' }],
        catalog: [],
    };
    if (projectScoped) tokenBody.project = { id: account.projectId, name: account.region, domain };
    else tokenBody.domain = domain;
    return { status: 201, headers: { 'X-Subject-Token': token }, json: { token: tokenBody } };
}

export function handleProjects(core: Core, call: Call): Reply {
    const name = queryValue(call, 'name');
    const projects = name === undefined || name === core.ctx.account.region ? [projectJson(core)] : [];
    return {
        status: 200,
        json: { projects, links: { self: `${core.baseUrl()}${call.rawPath}`, next: null, previous: null } },
    };
}

export function handleSecurityTokens(core: Core, call: Call): Reply {
    const body = parseJson(call);
    if (!body) return iamError(400, 'The request body is not valid JSON.');
    const identity = path(body, 'auth', 'identity');
    const methods = path(identity, 'methods');
    if (!Array.isArray(methods) || !methods.includes('token')) {
        return iamError(400, 'auth.identity.methods must contain "token".');
    }
    const duration = path(identity, 'token', 'duration_seconds') ?? 900;
    if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 900 || duration > 86400) {
        return iamError(400, 'duration_seconds must be an integer from 900 to 86400.');
    }
    const credential = core.credentials.issueTemporary(duration);
    return {
        status: 201,
        json: {
            credential: {
                access: credential.ak,
                secret: credential.sk,
                securitytoken: credential.securityToken,
                expires_at: isoMicros(credential.expiresAt),
            },
        },
    };
}

export function handleIam(core: Core, call: Call, route: RouteName): Reply {
    switch (route) {
        case 'iam.tokens':
            return handleTokens(core, call);
        case 'iam.projects':
            return handleProjects(core, call);
        case 'iam.securitytokens':
            return handleSecurityTokens(core, call);
        default:
            return apiNotFound();
    }
}
