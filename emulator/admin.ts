// Admin API of the emulator only (no auth): faults, request log, transcripts, token expiry and
// revocation, temporary AK/SK revocation, config, OBS bucket ACLs, the TLS CA certificate.

import { createHash } from 'node:crypto';
import type { Call, Core } from './core';
import { VECTOR_TEMPORARY } from './credentials';
import { parseFaultSpec } from './faults';
import { isBucketName, setBucketAcl } from './obs';
import type { Reply } from './reply';
import { isObject } from './sis-common';
import type { FaultSpec } from './types';

function bad(message: string): Reply {
    return { status: 400, json: { error: message }, errorCode: 'ADMIN.400' };
}

function jsonOf(call: Call): unknown {
    try {
        const parsed: unknown = JSON.parse(call.body.toString('utf8'));
        call.json = parsed;
        return parsed;
    } catch {
        return undefined;
    }
}

/** The values a Node-RED `sis-config` needs to reach this emulator. */
export function emulatorConfig(core: Core): Record<string, unknown> {
    const { account } = core.ctx;
    const url = core.baseUrl();
    return {
        region: account.region,
        projectId: account.projectId,
        endpoint: url,
        iamEndpoint: url,
        obsEndpoint: url,
        obsBucket: account.bucket,
        ak: account.ak,
        sk: account.sk,
        username: account.username,
        password: account.password,
        domainName: account.domainName,
        wsEndpoint: url.replace(/^http/, 'ws'),
        temporary: { ak: VECTOR_TEMPORARY.ak, sk: VECTOR_TEMPORARY.sk, securityToken: VECTOR_TEMPORARY.securityToken },
        ...(core.caFile ? { caFile: core.caFile } : {}),
    };
}

function aclJson(core: Core, bucket: string): Record<string, unknown> {
    const acl = core.obsAcls.get(bucket);
    return { bucket, sis_read: acl.sisRead, public_read: acl.publicRead };
}

function listAcls(core: Core): Reply {
    const buckets = [...core.ctx.obs.keys()].sort().map((bucket) => aclJson(core, bucket));
    return { status: 200, json: { buckets } };
}

function changeAcl(core: Core, call: Call): Reply {
    const body = jsonOf(call);
    if (!isObject(body)) return bad('body must be a JSON object');
    const { bucket, sis_read: sisRead, public_read: publicRead } = body;
    if (typeof bucket !== 'string' || !isBucketName(bucket)) return bad('bucket must be an OBS bucket name');
    if (sisRead !== undefined && typeof sisRead !== 'boolean') return bad('sis_read must be a boolean');
    if (publicRead !== undefined && typeof publicRead !== 'boolean') return bad('public_read must be a boolean');
    setBucketAcl(core, bucket, { sisRead, publicRead });
    return { status: 200, json: aclJson(core, bucket) };
}

function addFaults(core: Core, call: Call): Reply {
    const body = jsonOf(call);
    const items = Array.isArray(body) ? body : [body];
    const specs: FaultSpec[] = [];
    for (const item of items) {
        const spec = parseFaultSpec(item);
        if (typeof spec === 'string') return bad(spec);
        specs.push(spec);
    }
    for (const spec of specs) core.ctx.faults.add(spec);
    return { status: 200, json: { faults: core.ctx.faults.list() } };
}

function addTranscript(core: Core, call: Call): Reply {
    const body = jsonOf(call);
    if (!isObject(body)) return bad('body must be a JSON object');
    const sentences = body.sentences;
    if (!Array.isArray(sentences) || !sentences.every((s) => typeof s === 'string')) {
        return bad('sentences must be an array of strings');
    }
    let sha256: string;
    if (typeof body.sha256 === 'string' && /^[0-9a-fA-F]{64}$/.test(body.sha256)) {
        sha256 = body.sha256.toLowerCase();
    } else if (typeof body.audio_base64 === 'string') {
        sha256 = createHash('sha256').update(Buffer.from(body.audio_base64, 'base64')).digest('hex');
    } else {
        return bad('give sha256 (64 hex) or audio_base64');
    }
    core.ctx.transcripts.register(sha256, sentences as string[]);
    return { status: 200, json: { sha256 } };
}

export function handleAdmin(core: Core, call: Call): Reply {
    const route = `${call.method} ${call.rawPath.replace(/\/+$/, '')}`;
    switch (route) {
        case 'GET /__emulator/faults':
            return { status: 200, json: { faults: core.ctx.faults.list() } };
        case 'POST /__emulator/faults':
            return addFaults(core, call);
        case 'DELETE /__emulator/faults':
            core.ctx.faults.clear();
            return { status: 200, json: { faults: [] } };
        case 'GET /__emulator/log':
            return { status: 200, json: { entries: core.ctx.log.entries() } };
        case 'DELETE /__emulator/log':
            core.ctx.log.clear();
            return { status: 200, json: { entries: [] } };
        case 'POST /__emulator/transcripts':
            return addTranscript(core, call);
        case 'POST /__emulator/tokens/expire':
            core.credentials.expireTokens();
            return { status: 200, json: { expired: true } };
        case 'POST /__emulator/tokens/revoke':
            return { status: 200, json: { revoked: core.credentials.revokeTokens() } };
        case 'POST /__emulator/temporary-credentials/revoke':
            return { status: 200, json: { revoked: core.credentials.revokeTemporary() } };
        case 'GET /__emulator/config':
            return { status: 200, json: emulatorConfig(core) };
        case 'GET /__emulator/obs/acl':
            return listAcls(core);
        case 'POST /__emulator/obs/acl':
            return changeAcl(core, call);
        case 'GET /__emulator/ca.pem':
            if (!core.caCert)
                return { status: 404, json: { error: 'the emulator runs without TLS' }, errorCode: 'ADMIN.404' };
            return { status: 200, headers: { 'Content-Type': 'application/x-pem-file' }, body: core.caCert };
        default:
            return { status: 404, json: { error: `no admin route ${route}` }, errorCode: 'ADMIN.404' };
    }
}
