// IAM: password tokens, project lookup, temporary credentials; gateway token checks on SIS.

import assert from 'node:assert/strict';
import { type Emulator, startEmulator } from '../index';
import { send, signAksk, signObs } from './helpers';

function tokenBody(emu: Emulator, over: { password?: string; scope?: unknown } = {}): string {
    const a = emu.account;
    return JSON.stringify({
        auth: {
            identity: {
                methods: ['password'],
                password: {
                    user: { name: a.username, password: over.password ?? a.password, domain: { name: a.domainName } },
                },
            },
            scope: over.scope ?? { project: { name: a.region } },
        },
    });
}

describe('emulator IAM and gateway authentication', () => {
    let emu: Emulator;
    before(async () => {
        emu = await startEmulator();
    });
    after(() => emu.close());

    const tts = () => `/v1/${emu.account.projectId}/tts`;
    const ttsBody = JSON.stringify({ text: '测试' });

    it('issues a project-scoped token (201, X-Subject-Token, token.project.id, expires_at)', async () => {
        for (const scope of [{ project: { name: emu.account.region } }, { project: { id: emu.account.projectId } }]) {
            const answer = await send(
                emu.url,
                'POST',
                '/v3/auth/tokens?nocatalog=true',
                { 'Content-Type': 'application/json' },
                tokenBody(emu, { scope }),
            );
            assert.equal(answer.status, 201);
            const token = String(answer.headers['x-subject-token']);
            assert.ok(token.startsWith('MII'));
            const t = answer.json.token as { project: { id: string }; expires_at: string; issued_at: string };
            assert.equal(t.project.id, emu.account.projectId);
            assert.match(t.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
            assert.equal(Date.parse(t.expires_at) - Date.parse(t.issued_at), 24 * 3600 * 1000);
            assert.equal((await send(emu.url, 'POST', tts(), { 'X-Auth-Token': token }, ttsBody)).status, 200);
        }
    });

    it('answers bad credentials with 401 and malformed bodies with 400', async () => {
        const bad = await send(emu.url, 'POST', '/v3/auth/tokens', {}, tokenBody(emu, { password: 'nope' }));
        assert.equal(bad.status, 401);
        assert.equal(bad.headers['x-subject-token'], undefined);
        assert.equal((bad.json.error as { message: string }).message, 'The username or password is wrong.');
        assert.equal((await send(emu.url, 'POST', '/v3/auth/tokens', {}, '{not json')).status, 400);
        assert.equal(
            (
                await send(
                    emu.url,
                    'POST',
                    '/v3/auth/tokens',
                    {},
                    tokenBody(emu, { scope: { project: { name: 'xx-nowhere-1' } } }),
                )
            ).status,
            400,
        );
    });

    it('refuses a domain-scoped token on SIS with SIS.0101', async () => {
        const answer = await send(
            emu.url,
            'POST',
            '/v3/auth/tokens',
            {},
            tokenBody(emu, { scope: { domain: { name: emu.account.domainName } } }),
        );
        assert.equal(answer.status, 201);
        const sis = await send(
            emu.url,
            'POST',
            tts(),
            { 'X-Auth-Token': String(answer.headers['x-subject-token']) },
            ttsBody,
        );
        assert.equal(sis.status, 401);
        assert.equal(sis.json.error_code, 'SIS.0101');
    });

    it('gateway errors: missing credentials, unknown token, expired tokens, wrong project', async () => {
        const none = await send(emu.url, 'POST', tts(), {}, ttsBody);
        assert.equal(none.status, 401);
        assert.equal(none.json.error_msg, 'Incorrect IAM authentication information: x-auth-token not found');
        const unknown = await send(emu.url, 'POST', tts(), { 'X-Auth-Token': 'MIIbogus' }, ttsBody);
        assert.equal(unknown.json.error_msg, 'Incorrect IAM authentication information: decrypt token fail');
        const token = emu.issueToken();
        const other = await send(
            emu.url,
            'POST',
            '/v1/ffffffffffffffffffffffffffffffff/tts',
            { 'X-Auth-Token': token },
            ttsBody,
        );
        assert.equal(other.status, 401);
        assert.equal(other.json.error_code, 'SIS.0101');
        assert.equal((await send(emu.url, 'POST', '/__emulator/tokens/expire')).status, 200);
        const expired = await send(emu.url, 'POST', tts(), { 'X-Auth-Token': token }, ttsBody);
        assert.equal(expired.status, 401);
        assert.equal(expired.json.error_code, 'APIG.0301');
        assert.match(
            String(expired.json.error_msg),
            /^Incorrect IAM authentication information: token expires, expires_at: /,
        );
        const fresh = emu.issueToken();
        emu.expireTokens();
        assert.equal((await send(emu.url, 'POST', tts(), { 'X-Auth-Token': fresh }, ttsBody)).status, 401);
    });

    it('revokes every issued token: APIG.0307 on SIS, IAM and WebSocket upgrades; new tokens work', async () => {
        const token = emu.issueToken();
        assert.equal((await send(emu.url, 'POST', tts(), { 'X-Auth-Token': token }, ttsBody)).status, 200);
        const revoked = await send(emu.url, 'POST', '/__emulator/tokens/revoke');
        assert.equal(revoked.status, 200);
        assert.ok((revoked.json.revoked as number) >= 1);
        const refused = await send(emu.url, 'POST', tts(), { 'X-Auth-Token': token }, ttsBody);
        assert.equal(refused.status, 401);
        assert.equal(refused.json.error_code, 'APIG.0307');
        assert.equal(refused.json.error_msg, 'The token must be updated.');
        const securitytokens = await send(
            emu.url,
            'POST',
            '/v3.0/OS-CREDENTIAL/securitytokens',
            { 'X-Auth-Token': token },
            JSON.stringify({ auth: { identity: { methods: ['token'], token: { duration_seconds: 900 } } } }),
        );
        assert.equal(securitytokens.status, 401);
        assert.equal(securitytokens.json.error_code, 'APIG.0307');
        const upgrade = await send(emu.url, 'GET', `/v1/${emu.account.projectId}/rasr/short-stream`, {
            'X-Auth-Token': token,
            Connection: 'Upgrade',
            Upgrade: 'websocket',
            'Sec-WebSocket-Version': '13',
            'Sec-WebSocket-Key': Buffer.alloc(16, 1).toString('base64'),
        });
        assert.equal(upgrade.status, 401);
        assert.equal(upgrade.json.error_code, 'APIG.0307');
        assert.equal((await send(emu.url, 'POST', tts(), { 'X-Auth-Token': emu.issueToken() }, ttsBody)).status, 200);
    });

    it('revokes every issued temporary AK/SK: unknown to the gateway and to OBS', async () => {
        const body = JSON.stringify({ auth: { identity: { methods: ['token'], token: { duration_seconds: 900 } } } });
        const answer = await send(
            emu.url,
            'POST',
            '/v3.0/OS-CREDENTIAL/securitytokens',
            { 'X-Auth-Token': emu.issueToken() },
            body,
        );
        const c = answer.json.credential as { access: string; secret: string; securitytoken: string };
        const host = new URL(emu.url).host;
        const signedTts = () =>
            signAksk({
                ak: c.access,
                sk: c.secret,
                method: 'POST',
                host,
                path: tts(),
                body: ttsBody,
                date: Date.now(),
                securityToken: c.securitytoken,
            }).headers;
        assert.equal((await send(emu.url, 'POST', tts(), signedTts(), ttsBody)).status, 200);
        const revoked = await send(emu.url, 'POST', '/__emulator/temporary-credentials/revoke');
        assert.equal(revoked.status, 200);
        assert.ok((revoked.json.revoked as number) >= 1);
        assert.equal((await send(emu.url, 'POST', tts(), signedTts(), ttsBody)).status, 401);
        const date = new Date().toUTCString();
        const resource = `/${emu.account.bucket}/revoked.wav`;
        const obsAnswer = await send(emu.url, 'GET', resource, {
            Date: date,
            'x-obs-security-token': c.securitytoken,
            Authorization: signObs({
                ak: c.access,
                sk: c.secret,
                method: 'GET',
                resource,
                date,
                obsHeaders: { 'x-obs-security-token': c.securitytoken },
            }),
        });
        assert.equal(obsAnswer.status, 403);
        assert.match(obsAnswer.text, /InvalidAccessKeyId/);
    });

    it('lists projects by name with a token or an AK/SK signature', async () => {
        const byToken = await send(emu.url, 'GET', `/v3/projects?name=${emu.account.region}`, {
            'X-Auth-Token': emu.issueToken(),
        });
        assert.equal(byToken.status, 200);
        assert.deepEqual(
            (byToken.json.projects as { id: string }[]).map((p) => p.id),
            [emu.account.projectId],
        );
        const host = new URL(emu.url).host;
        const signed = signAksk({
            ak: emu.account.ak,
            sk: emu.account.sk,
            method: 'GET',
            host,
            path: '/v3/projects',
            query: { name: emu.account.region },
            date: Date.now(),
        });
        const byAksk = await send(emu.url, 'GET', signed.pathAndQuery, signed.headers);
        assert.equal((byAksk.json.projects as unknown[]).length, 1);
        const none = await send(emu.url, 'GET', '/v3/projects?name=eu-west-0', { 'X-Auth-Token': emu.issueToken() });
        assert.deepEqual(none.json.projects, []);
        assert.equal((await send(emu.url, 'GET', '/v3/projects')).status, 401);
    });

    it('issues temporary AK/SK that sign SIS and OBS requests', async () => {
        const body = JSON.stringify({ auth: { identity: { methods: ['token'], token: { duration_seconds: 3600 } } } });
        const answer = await send(
            emu.url,
            'POST',
            '/v3.0/OS-CREDENTIAL/securitytokens',
            { 'X-Auth-Token': emu.issueToken() },
            body,
        );
        assert.equal(answer.status, 201);
        const c = answer.json.credential as {
            access: string;
            secret: string;
            securitytoken: string;
            expires_at: string;
        };
        assert.ok(c.access && c.secret && c.securitytoken && c.expires_at);
        const host = new URL(emu.url).host;
        const signed = signAksk({
            ak: c.access,
            sk: c.secret,
            method: 'POST',
            host,
            path: tts(),
            body: ttsBody,
            date: Date.now(),
            securityToken: c.securitytoken,
        });
        assert.equal((await send(emu.url, 'POST', tts(), signed.headers, ttsBody)).status, 200);
        const tooShort = JSON.stringify({
            auth: { identity: { methods: ['token'], token: { duration_seconds: 60 } } },
        });
        assert.equal(
            (
                await send(
                    emu.url,
                    'POST',
                    '/v3.0/OS-CREDENTIAL/securitytokens',
                    { 'X-Auth-Token': emu.issueToken() },
                    tooShort,
                )
            ).status,
            400,
        );
    });
});
