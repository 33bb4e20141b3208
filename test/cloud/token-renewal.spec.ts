// Credentials the service stops accepting before their expiry: every request made with the IAM
// token (SIS REST, WebSocket handshakes, IAM's securitytokens) drops a refused token and is made
// once more with a fresh one, and OBS requests do the same with refused temporary AK/SK. A refusal
// that persists ends in one AUTH_FAILED, after exactly one renewal.
import * as assert from 'node:assert/strict';
import { ObsClient } from '../../nodes/lib/cloud/obs';
import { SisClient } from '../../nodes/lib/cloud/sis-client';
import { openServiceSocket } from '../../nodes/lib/cloud/ws-connect';
import { SisError } from '../../nodes/lib/core/errors';
import { type Emulator, routeLog, startCanaryEmulator } from '../helpers/emulator';

const TOKEN_MUST_BE_UPDATED = {
    kind: 'status',
    status: 401,
    code: 'APIG.0307',
    message: 'The token must be updated.',
} as const;

async function expectAuthFailed(p: Promise<unknown>): Promise<SisError> {
    try {
        await p;
    } catch (err) {
        assert.ok(err instanceof SisError, `not a SisError: ${String(err)}`);
        assert.equal(err.code, 'AUTH_FAILED', err.message);
        return err;
    }
    assert.fail('expected AUTH_FAILED');
}

function statuses(emu: Emulator, route: string): number[] {
    return routeLog(emu, route).map((e) => e.status);
}

describe('credentials refused before their expiry', function () {
    this.timeout(20_000);
    let emu: Emulator;
    const clients: SisClient[] = [];

    before(async () => {
        emu = await startCanaryEmulator();
    });
    after(async () => {
        await emu.close();
    });
    beforeEach(() => {
        emu.faults.clear();
        emu.log.clear();
    });
    afterEach(async () => {
        await Promise.all(clients.splice(0).map((c) => c.close()));
    });

    function client(authType: 'password' | 'aksk' = 'password'): SisClient {
        const a = emu.account;
        const c = new SisClient({
            region: a.region,
            authType,
            projectId: authType === 'aksk' ? a.projectId : undefined,
            endpoint: emu.url,
            iamEndpoint: emu.url,
            obsEndpoint: emu.url,
            obsBucket: a.bucket,
            credentials:
                authType === 'password'
                    ? { username: a.username, password: a.password, domainName: a.domainName }
                    : { ak: a.ak, sk: a.sk },
            http: { maxRetries: 1, retryBaseMs: 10 },
        });
        clients.push(c);
        return c;
    }

    const vocabularies = (c: SisClient) =>
        c.call<{ vocabularies?: unknown[] }>({
            method: 'GET',
            path: '/asr/vocabularies',
            idempotent: true,
            what: 'vocabulary list',
        });

    const ref = () => ({ bucket: emu.account.bucket, key: `renewal/${Math.random().toString(36).slice(2)}.wav` });

    describe('IAM token', () => {
        it('SIS REST: a revoked token is replaced and the call made once more', async () => {
            const c = client();
            await vocabularies(c);
            emu.revokeTokens();
            assert.equal((await vocabularies(c)).status, 200);
            assert.deepEqual(statuses(emu, 'vocabularies'), [200, 401, 200]);
            assert.equal(routeLog(emu, 'iam.tokens').length, 2);
        });

        it('SIS REST: concurrent calls refused together share one new token', async () => {
            const c = client();
            await vocabularies(c);
            emu.revokeTokens();
            const answers = await Promise.all(Array.from({ length: 6 }, () => vocabularies(c)));
            assert.ok(answers.every((a) => a.status === 200));
            assert.equal(routeLog(emu, 'iam.tokens').length, 2);
        });

        it('SIS REST: a refusal that persists gives one AUTH_FAILED after one renewal', async () => {
            const c = client();
            emu.faults.add({ route: 'vocabularies', ...TOKEN_MUST_BE_UPDATED, count: 100 });
            const err = await expectAuthFailed(vocabularies(c));
            assert.equal(err.serviceCode, 'APIG.0307');
            assert.equal(routeLog(emu, 'vocabularies').length, 2);
            assert.equal(routeLog(emu, 'iam.tokens').length, 2);
        });

        it('IAM securitytokens: a revoked token is replaced (temporary AK/SK for staging)', async () => {
            const c = client();
            await vocabularies(c);
            emu.revokeTokens();
            const creds = await c.obsCredentials();
            assert.ok(creds.ak && creds.sk && creds.securityToken);
            assert.deepEqual(statuses(emu, 'iam.securitytokens'), [401, 201]);
            assert.equal(routeLog(emu, 'iam.securitytokens')[0].error_code, 'APIG.0307');
            assert.equal(routeLog(emu, 'iam.tokens').length, 2);
        });

        it('IAM securitytokens: "The token must be updated." is a refusal whatever its status', async () => {
            const c = client();
            emu.faults.add({
                route: 'iam.securitytokens',
                kind: 'status',
                status: 403,
                message: 'The token must be updated.',
            });
            await c.obsCredentials();
            assert.deepEqual(statuses(emu, 'iam.securitytokens'), [403, 201]);
            assert.equal(routeLog(emu, 'iam.tokens').length, 2);
        });

        it('IAM securitytokens: a refusal that persists gives one AUTH_FAILED after one renewal', async () => {
            const c = client();
            emu.faults.add({ route: 'iam.securitytokens', ...TOKEN_MUST_BE_UPDATED, count: 100 });
            const err = await expectAuthFailed(c.obsCredentials());
            assert.match(err.message, /IAM temporary credentials request refused: The token must be updated/);
            assert.equal(routeLog(emu, 'iam.securitytokens').length, 2);
            assert.equal(routeLog(emu, 'iam.tokens').length, 2);
            // The next request starts over: one more renewal at most, never a loop.
            await expectAuthFailed(c.obsCredentials());
            assert.equal(routeLog(emu, 'iam.securitytokens').length, 4);
            assert.equal(routeLog(emu, 'iam.tokens').length, 3);
        });

        it('WebSocket handshake: a revoked token is replaced and the upgrade made once more', async () => {
            const c = client();
            await vocabularies(c);
            emu.revokeTokens();
            const ws = await openServiceSocket(c, '/rasr/short-stream', { handshakeTimeoutMs: 5000, what: 'test' });
            ws.close();
            const refused = routeLog(emu, 'rasr').filter((e) => e.status === 401);
            assert.equal(refused.length, 1);
            assert.equal(refused[0].error_code, 'APIG.0307');
            assert.equal(routeLog(emu, 'iam.tokens').length, 2);
        });

        it('WebSocket handshake: a refusal that persists gives one AUTH_FAILED after one renewal', async () => {
            const c = client();
            emu.faults.add({ route: 'rasr', ...TOKEN_MUST_BE_UPDATED, count: 100 });
            await expectAuthFailed(
                openServiceSocket(c, '/rasr/short-stream', { handshakeTimeoutMs: 5000, what: 'test' }),
            );
            assert.equal(routeLog(emu, 'rasr').length, 2);
            assert.equal(routeLog(emu, 'iam.tokens').length, 2);
        });

        it('AK/SK: a refused signature is never retried', async () => {
            const c = client('aksk');
            emu.faults.add({ route: 'vocabularies', kind: 'status', status: 401, count: 100 });
            await expectAuthFailed(vocabularies(c));
            assert.equal(routeLog(emu, 'vocabularies').length, 1);
            assert.equal(routeLog(emu, 'iam.tokens').length, 0);
        });
    });

    describe('temporary AK/SK for OBS', () => {
        const audio = Buffer.from('RIFF....WAVEfmt ');

        it('revoked temporary keys are replaced and the upload made once more', async () => {
            const c = client();
            const obs = new ObsClient(c);
            await obs.put(ref(), audio, 'audio/wav');
            emu.revokeTemporaryCredentials();
            await obs.put(ref(), audio, 'audio/wav');
            assert.deepEqual(statuses(emu, 'obs.put'), [200, 403, 200]);
            assert.equal(routeLog(emu, 'obs.put')[1].error_code, 'InvalidAccessKeyId');
            assert.equal(routeLog(emu, 'iam.securitytokens').length, 2);
            assert.equal(routeLog(emu, 'iam.tokens').length, 1);
        });

        it('revoked keys and a revoked token: new token, new keys, the upload succeeds', async () => {
            const c = client();
            const obs = new ObsClient(c);
            await obs.put(ref(), audio, 'audio/wav');
            emu.revokeTokens();
            emu.revokeTemporaryCredentials();
            const target = ref();
            await obs.put(target, audio, 'audio/wav');
            // A HEAD answer has no body: the code comes from x-obs-error-code.
            assert.equal((await obs.head(target)).size, audio.length);
            assert.deepEqual(statuses(emu, 'obs.put'), [200, 403, 200]);
            assert.deepEqual(statuses(emu, 'iam.securitytokens'), [201, 401, 201]);
            assert.equal(routeLog(emu, 'iam.tokens').length, 2);
        });

        it('a HEAD refused for its keys (no body) is made once more with fresh keys', async () => {
            const c = client();
            const obs = new ObsClient(c);
            const target = ref();
            await obs.put(target, audio, 'audio/wav');
            emu.revokeTemporaryCredentials();
            assert.equal((await obs.head(target)).size, audio.length);
            assert.deepEqual(statuses(emu, 'obs.head'), [403, 200]);
            assert.equal(routeLog(emu, 'iam.securitytokens').length, 2);
        });

        for (const code of ['InvalidAccessKeyId', 'InvalidSecurity']) {
            it(`${code} that persists: one AUTH_FAILED after one renewal`, async () => {
                const c = client();
                emu.faults.add({ route: 'obs.put', kind: 'status', status: 403, code, count: 100 });
                const err = await expectAuthFailed(new ObsClient(c).put(ref(), audio, 'audio/wav'));
                assert.equal(err.serviceCode, code);
                assert.equal(routeLog(emu, 'obs.put').length, 2);
                assert.equal(routeLog(emu, 'iam.securitytokens').length, 2);
                assert.equal(routeLog(emu, 'iam.tokens').length, 1);
            });
        }

        it('AccessDenied for an expired token is a refusal of the keys; a permission refusal is not', async () => {
            const c = client();
            const obs = new ObsClient(c);
            emu.faults.add({
                route: 'obs.put',
                kind: 'status',
                status: 403,
                code: 'AccessDenied',
                message: 'The security token has expired.',
            });
            await obs.put(ref(), audio, 'audio/wav');
            assert.deepEqual(statuses(emu, 'obs.put'), [403, 200]);
            assert.equal(routeLog(emu, 'iam.securitytokens').length, 2);
            emu.log.clear();
            emu.faults.add({
                route: 'obs.put',
                kind: 'status',
                status: 403,
                code: 'AccessDenied',
                message: 'Access Denied',
            });
            await expectAuthFailed(obs.put(ref(), audio, 'audio/wav'));
            assert.equal(routeLog(emu, 'obs.put').length, 1);
            assert.equal(routeLog(emu, 'iam.securitytokens').length, 0);
        });

        it('AK/SK: permanent keys OBS refuses are not retried', async () => {
            const c = client('aksk');
            emu.faults.add({ route: 'obs.put', kind: 'status', status: 403, code: 'InvalidAccessKeyId', count: 100 });
            await expectAuthFailed(new ObsClient(c).put(ref(), audio, 'audio/wav'));
            assert.equal(routeLog(emu, 'obs.put').length, 1);
        });
    });
});
