// The API gateway's authentication of SIS and IAM calls: X-Auth-Token or an AK/SK signature.

import type { IncomingHttpHeaders } from 'node:http';
import { ALGORITHM, type SignedRequest } from './auth-aksk';
import type { Core } from './core';
import { apigReply, authFailure, type Reply, sisReply } from './reply';
import type { Principal } from './types';

export type AuthOutcome = { ok: true; principal: Principal } | { ok: false; reply: Reply };

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
}

export function isAkskSigned(headers: IncomingHttpHeaders): boolean {
    return single(headers, 'authorization')?.startsWith(ALGORITHM) ?? false;
}

export function authenticate(core: Core, request: SignedRequest): AuthOutcome {
    const token = single(request.headers, 'x-auth-token');
    if (token !== undefined && token !== '') {
        const check = core.credentials.checkToken(token.trim());
        if (!check.ok) {
            // An invalidated token has its own code (auth.md §4.7, errors.md).
            const reply = check.revoked ? apigReply(401, 'APIG.0307', check.detail) : authFailure(check.detail);
            return { ok: false, reply };
        }
        return {
            ok: true,
            principal: { kind: 'token', projectId: check.record.projectId ?? '' },
        };
    }
    const authorization = single(request.headers, 'authorization');
    if (authorization?.startsWith(ALGORITHM)) {
        const result = core.aksk.verify(request, authorization);
        if (!result.ok) return { ok: false, reply: authFailure(result.detail) };
        return { ok: true, principal: result.principal };
    }
    return { ok: false, reply: authFailure('x-auth-token not found') };
}

const PROJECT_MISMATCH = "the parameters of requesting token are wrong or project_id doesn't match the token";

/** SIS-side check that the credentials belong to the `{project_id}` of the URL (SIS.0101). */
export function checkProject(principal: Principal, projectId: string, headers: IncomingHttpHeaders): Reply | undefined {
    if (principal.projectId === '') {
        return sisReply('SIS.0101', 'token verification failed: a project-scoped token is required');
    }
    if (principal.projectId !== projectId) return sisReply('SIS.0101', PROJECT_MISMATCH);
    const headerProject = single(headers, 'x-project-id');
    if (principal.kind !== 'token' && headerProject !== undefined && headerProject !== projectId) {
        return sisReply('SIS.0101', PROJECT_MISMATCH);
    }
    return undefined;
}
