import * as assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SisClient } from '../../nodes/lib/cloud/sis-client';
import type { SisError } from '../../nodes/lib/core/errors';
import type { SisConfigNode } from '../../nodes/lib/red/types';
import {
    CANARY,
    CANARY_PASSWORD,
    configFor,
    type Emulator,
    routeLog,
    startCanaryEmulator,
    useEmulator,
} from '../helpers/emulator';
import { asFlow, helper, loadNode, nodeRedVersion } from '../helpers/nr';
import { delay } from '../helpers/wait';

const configNode = loadNode('sis-config');

function listVocabularies(client: SisClient) {
    return client.call<{ vocabularies?: unknown[] }>({
        method: 'GET',
        path: '/asr/vocabularies',
        idempotent: true,
        what: 'vocabulary list',
    });
}

/** The built nodes have their own copy of the error class, so errors are checked by shape. */
async function expectSisError(p: Promise<unknown>, code: string): Promise<SisError> {
    try {
        await p;
    } catch (err) {
        assert.ok(err instanceof Error && err.name === 'SisError', `not a SisError: ${String(err)}`);
        const e = err as SisError;
        assert.equal(e.code, code, e.message);
        return e;
    }
    assert.fail(`expected ${code}`);
}

function noCanary(value: unknown, where: string): void {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    assert.ok(!text.includes(CANARY) && !text.includes(CANARY_PASSWORD), `secret found in ${where}`);
}

describe(`sis-config on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(20_000);
    const getEmu = useEmulator({ limits: { tokenTtlMs: 24 * 3600_000 } });
    let emu: Emulator;
    before(() => {
        emu = getEmu();
    });

    async function load(authType: 'aksk' | 'password', extra: Record<string, unknown> = {}, creds = {}) {
        const { node, credentials } = configFor(emu, authType, extra);
        await helper.load(configNode, asFlow([node]), { cfg: { ...credentials, ...creds } });
        const cfg = helper.getNode('cfg') as unknown as SisConfigNode;
        assert.ok(cfg.client, cfg.configError);
        return cfg;
    }

    describe('AK/SK', () => {
        it('looks the project up on IAM once and signs SIS calls', async () => {
            const cfg = await load('aksk');
            const client = cfg.client!;
            const [a, b] = await Promise.all([listVocabularies(client), listVocabularies(client)]);
            assert.equal(a.status, 200);
            assert.equal(b.status, 200);
            assert.equal(await client.projectId(), emu.account.projectId);
            assert.equal(routeLog(emu, 'iam.projects').length, 1);
            const calls = routeLog(emu, 'vocabularies');
            assert.equal(calls.length, 2);
            assert.ok(calls.every((c) => c.auth === 'aksk' && c.status === 200));
        });

        it('uses a configured project id without asking IAM', async () => {
            const cfg = await load('aksk', { projectId: emu.account.projectId });
            await listVocabularies(cfg.client!);
            assert.equal(routeLog(emu, 'iam.projects').length, 0);
        });

        it('reports a region without a project and never creates one', async () => {
            const cfg = await load('aksk', { region: 'cn-east-3' });
            const err = await expectSisError(listVocabularies(cfg.client!), 'NOT_CONFIGURED');
            assert.match(err.message, /cn-east-3/);
            assert.ok(emu.log.entries().every((e) => e.method === 'GET'));
        });

        it('never retries a signature failure (the gateway would lock the key)', async () => {
            const cfg = await load('aksk', { projectId: emu.account.projectId }, { sk: 'wrong-secret-key-0000000000' });
            const err = await expectSisError(listVocabularies(cfg.client!), 'AUTH_FAILED');
            assert.equal(err.serviceCode, 'APIG.0301');
            assert.equal(err.status, 401);
            assert.equal(err.retryable, false);
            assert.equal(routeLog(emu, 'vocabularies').length, 1);
        });

        it('signs with a security token for temporary credentials', async () => {
            const t = emu.config().temporary;
            const cfg = await load(
                'aksk',
                { projectId: emu.account.projectId },
                { ak: t.ak, sk: t.sk, securityToken: t.securityToken },
            );
            await listVocabularies(cfg.client!);
            const [call] = routeLog(emu, 'vocabularies');
            assert.equal(call.auth, 'temporary-aksk');
        });

        it('takes whole-value ${ENV} credentials', async () => {
            process.env.SIS_TEST_AK = emu.account.ak;
            process.env.SIS_TEST_SK = emu.account.sk;
            try {
                const cfg = await load('aksk', {}, { ak: '${SIS_TEST_AK}', sk: '${SIS_TEST_SK}' });
                assert.equal((await listVocabularies(cfg.client!)).status, 200);
            } finally {
                delete process.env.SIS_TEST_AK;
                delete process.env.SIS_TEST_SK;
            }
        });
    });

    describe('IAM password tokens', () => {
        it('fetches one token for many concurrent requests and reuses it', async () => {
            const cfg = await load('password');
            const client = cfg.client!;
            const results = await Promise.all(Array.from({ length: 12 }, () => listVocabularies(client)));
            assert.ok(results.every((r) => r.status === 200));
            await listVocabularies(client);
            assert.equal(routeLog(emu, 'iam.tokens').length, 1);
            assert.equal(routeLog(emu, 'iam.projects').length, 0, 'project id comes from the token');
            assert.ok(routeLog(emu, 'vocabularies').every((c) => c.auth === 'token'));
        });

        it('refreshes a token ahead of its expiry', async () => {
            const short = await startCanaryEmulator({ limits: { tokenTtlMs: 3000 } });
            const a = short.account;
            const client = new SisClient({
                region: a.region,
                authType: 'password',
                endpoint: short.url,
                iamEndpoint: short.url,
                credentials: { username: a.username, password: a.password, domainName: a.domainName },
                tokenRefreshMarginMs: 2000,
            });
            try {
                await listVocabularies(client);
                await listVocabularies(client);
                assert.equal(routeLog(short, 'iam.tokens').length, 1);
                await delay(1100);
                await listVocabularies(client);
                assert.equal(routeLog(short, 'iam.tokens').length, 2, 'refreshed inside the margin');
                assert.ok(routeLog(short, 'vocabularies').every((c) => c.status === 200));
            } finally {
                await client.close();
                await short.close();
            }
        });

        it('retries once with a fresh token after a 401', async () => {
            const cfg = await load('password');
            const client = cfg.client!;
            await listVocabularies(client);
            emu.expireTokens();
            const res = await listVocabularies(client);
            assert.equal(res.status, 200);
            assert.equal(routeLog(emu, 'iam.tokens').length, 2);
            assert.deepEqual(
                routeLog(emu, 'vocabularies').map((c) => c.status),
                [200, 401, 200],
            );
        });

        it('does not retry a second time when the fresh token is refused too', async () => {
            const cfg = await load('password');
            emu.faults.add({ route: 'vocabularies', kind: 'token-expired', count: 5 });
            const err = await expectSisError(listVocabularies(cfg.client!), 'AUTH_FAILED');
            assert.equal(err.serviceCode, 'APIG.0301');
            assert.equal(routeLog(emu, 'vocabularies').length, 2);
            assert.equal(routeLog(emu, 'iam.tokens').length, 2);
        });

        it('reports wrong IAM credentials as AUTH_FAILED without the password', async () => {
            const cfg = await load('password', {}, { password: `${CANARY_PASSWORD}-wrong` });
            const err = await expectSisError(listVocabularies(cfg.client!), 'AUTH_FAILED');
            noCanary(err.message, 'error message');
            noCanary(err.toInfo(), 'error info');
        });

        it('gets temporary AK/SK for OBS with its token', async () => {
            const cfg = await load('password');
            const creds = await cfg.client!.obsCredentials();
            assert.ok(creds.ak && creds.sk && creds.securityToken);
            await cfg.client!.obsCredentials();
            assert.equal(routeLog(emu, 'iam.securitytokens').length, 1);
        });
    });

    describe('retries and failures', () => {
        it('honours Retry-After on a 429 and then succeeds', async () => {
            const cfg = await load('aksk', { projectId: emu.account.projectId });
            emu.faults.add({ route: 'vocabularies', kind: 'status', status: 429, retryAfter: 1, count: 1 });
            const started = Date.now();
            const res = await listVocabularies(cfg.client!);
            assert.equal(res.status, 200);
            assert.ok(Date.now() - started >= 950, 'waited for Retry-After');
            assert.deepEqual(
                routeLog(emu, 'vocabularies').map((c) => c.status),
                [429, 200],
            );
        });

        it('retries 500/502/503/504 and a reset connection for safe requests', async () => {
            const cfg = await load('aksk', { projectId: emu.account.projectId, maxRetries: 5 });
            for (const status of [500, 502, 503, 504]) {
                emu.faults.add({ route: 'vocabularies', kind: 'status', status, count: 1 });
            }
            emu.faults.add({ route: 'vocabularies', kind: 'reset', count: 1 });
            const res = await listVocabularies(cfg.client!);
            assert.equal(res.status, 200);
            const statuses = routeLog(emu, 'vocabularies').map((c) => c.status);
            assert.deepEqual(
                statuses.filter((s) => s >= 200),
                [500, 502, 503, 504, 200],
            );
            assert.equal(emu.faults.list().length, 0, 'the reset was consumed too');
        });

        it('gives up after the configured retries with a retryable error', async () => {
            const cfg = await load('aksk', { projectId: emu.account.projectId, maxRetries: 2 });
            emu.faults.add({ route: 'vocabularies', kind: 'status', status: 503, count: 10 });
            const err = await expectSisError(listVocabularies(cfg.client!), 'SERVICE_UNAVAILABLE');
            assert.equal(err.retryable, true);
            assert.equal(routeLog(emu, 'vocabularies').length, 3);
        });

        it('never repeats a request that is not safe to repeat', async () => {
            const cfg = await load('aksk', { projectId: emu.account.projectId });
            emu.faults.add({ route: 'vocabularies', kind: 'status', status: 503, count: 1 });
            await expectSisError(
                cfg.client!.call({
                    method: 'POST',
                    path: '/asr/vocabularies',
                    json: { name: 'x', language: 'chinese_mandarin', contents: ['a'] },
                    idempotent: false,
                    what: 'vocabulary creation',
                }),
                'SERVICE_UNAVAILABLE',
            );
            assert.equal(routeLog(emu, 'vocabularies').length, 1);
        });

        it('times out when the headers do not come', async () => {
            const cfg = await load('aksk', { projectId: emu.account.projectId, timeout: 0.3, maxRetries: 0 });
            emu.faults.add({ route: 'vocabularies', kind: 'slow-headers', delayMs: 2000, count: 1 });
            const err = await expectSisError(listVocabularies(cfg.client!), 'TIMEOUT');
            assert.equal(err.retryable, true);
        });

        it('maps a body that is not JSON to PROTOCOL', async () => {
            const cfg = await load('aksk', { projectId: emu.account.projectId, maxRetries: 0 });
            emu.faults.add({ route: 'vocabularies', kind: 'malformed', count: 1 });
            await expectSisError(listVocabularies(cfg.client!), 'PROTOCOL');
        });

        it('maps a truncated body to a clear error', async () => {
            const cfg = await load('aksk', { projectId: emu.account.projectId, maxRetries: 0 });
            emu.faults.add({ route: 'vocabularies', kind: 'truncated', count: 1 });
            try {
                await listVocabularies(cfg.client!);
                assert.fail('expected an error');
            } catch (err) {
                assert.ok(err instanceof Error && err.name === 'SisError');
                const { code } = err as SisError;
                assert.ok(['NETWORK', 'PROTOCOL'].includes(code), code);
            }
        });

        it('keeps the SIS code of a service error', async () => {
            const cfg = await load('aksk', { projectId: emu.account.projectId });
            const err = await expectSisError(
                cfg.client!.call({
                    method: 'GET',
                    path: '/asr/vocabularies/00000000-0000-0000-0000-000000000000',
                    idempotent: true,
                    what: 'vocabulary query',
                }),
                'SIS.0201',
            );
            assert.equal(err.status, 400);
            assert.equal(err.serviceCode, 'SIS.0201');
            assert.equal(err.retryable, false);
        });
    });

    describe('WebSocket handshake', () => {
        async function open(handshake: { url: string; headers: Record<string, string> }): Promise<number> {
            return new Promise((resolve, reject) => {
                const ws = new WebSocket(handshake.url, { headers: handshake.headers });
                ws.once('open', () => {
                    ws.close();
                    resolve(101);
                });
                ws.once('unexpected-response', (_req, res) => {
                    res.resume();
                    ws.terminate();
                    resolve(res.statusCode ?? 0);
                });
                ws.once('error', reject);
            });
        }

        it('signs the upgrade GET with AK/SK (host and x-sdk-date) or sends the token', async () => {
            for (const authType of ['aksk', 'password'] as const) {
                const cfg = await load(authType);
                const hs = await cfg.client!.wsHandshake('/rasr/continue-stream');
                assert.match(hs.url, /^ws:\/\/127\.0\.0\.1:\d+\/v1\/[0-9a-f]{32}\/rasr\/continue-stream$/);
                assert.ok(!Object.keys(hs.headers).some((h) => h.toLowerCase() === 'host'));
                if (authType === 'aksk') assert.match(hs.headers.Authorization, /SignedHeaders=host;x-sdk-date,/);
                else assert.ok(hs.headers['X-Auth-Token']);
                assert.equal(await open(hs), 101);
                await helper.unload();
            }
        });

        it('a wrong key is refused at the upgrade', async () => {
            const cfg = await load('aksk', { projectId: emu.account.projectId }, { sk: 'wrong-secret-key-0000000000' });
            assert.equal(await open(await cfg.client!.wsHandshake('/rasr/short-stream')), 401);
        });
    });

    describe('test connection (admin route)', () => {
        it('answers with the project id for a deployed node', async () => {
            await load('aksk');
            const res = await helper.request().post('/sis-config/cfg/test').expect(200);
            assert.equal(res.body.ok, true);
            assert.equal(res.body.projectId, emu.account.projectId);
        });

        it('says "deploy first" for an unknown node', async () => {
            const res = await helper.request().post('/sis-config/nope/test').expect(404);
            assert.equal(res.body.code, 'NOT_DEPLOYED');
        });

        it('reports refused credentials without secrets', async () => {
            await load('password', {}, { password: `${CANARY_PASSWORD}-x` });
            const res = await helper.request().post('/sis-config/cfg/test').expect(200);
            assert.equal(res.body.code, 'AUTH_FAILED');
            noCanary(res.body, 'admin answer');
        });
    });

    it('an unusable configuration is reported, and secrets reach no log', async () => {
        const { node } = configFor(emu, 'aksk', { endpoint: 'ftp://nowhere' });
        await helper.load(configNode, asFlow([node]), { cfg: { ak: emu.account.ak, sk: CANARY } });
        const cfg = helper.getNode('cfg') as unknown as SisConfigNode;
        assert.equal(cfg.client, undefined);
        assert.match(cfg.configError ?? '', /endpoint/);
        const events = (helper.log().args as unknown[][]).map((a) => a[0]);
        assert.ok(events.length > 0);
        noCanary(events, 'log');
    });

    it('closing the node closes its client', async () => {
        const cfg = await load('aksk', { projectId: emu.account.projectId });
        const client = cfg.client!;
        await helper.unload();
        await expectSisError(listVocabularies(client), 'CANCELLED');
    });
});
