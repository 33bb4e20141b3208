// The config dialog's Test button: POST /sis-config/:id/test with what the dialog holds. It builds
// a throw-away client from the typed values (the deployed credential for one left untouched),
// needs sis-config.write, answers no secret, and is rate-limited against password guessing.
import * as assert from 'node:assert/strict';
import { RateLimiter, TEST_LIMIT } from '../../nodes/lib/red/admin';
import {
    CANARY,
    CANARY_PASSWORD,
    configFor,
    type Emulator,
    startCanaryEmulator,
    useEmulator,
} from '../helpers/emulator';
import { resolveInRuntime } from '../helpers/node-red-runtime';
import { asFlow, helper, loadNode } from '../helpers/nr';
import { removeUserDir, startRed } from '../helpers/red-process';

const TYPED_SECRET = 'TypedSecret-0c1d-never-echoed';

describe('Test connection with the dialog’s values', function () {
    this.timeout(20_000);
    const getEmu = useEmulator();
    let emu: Emulator;
    beforeEach(() => {
        emu = getEmu();
    });

    /** The dialog's values for the emulator: settings as the editor sends them, credentials typed. */
    function dialog(authType: 'aksk' | 'password', credentials: Record<string, string>): Record<string, unknown> {
        const { node } = configFor(emu, authType);
        const out: Record<string, unknown> = { credentials };
        for (const key of ['region', 'projectId', 'authType', 'endpoint', 'iamEndpoint', 'obsEndpoint', 'obsBucket']) {
            out[key] = String(node[key] ?? '');
        }
        out.maxRetries = '0';
        return out;
    }

    async function deploy(): Promise<void> {
        const { node, credentials } = configFor(emu, 'aksk');
        await helper.load(loadNode('sis-config'), asFlow([node]), { cfg: credentials });
    }

    const post = (id: string, body: Record<string, unknown>) =>
        helper.request().post(`/sis-config/${id}/test`).send(body).set('content-type', 'application/json');

    it('tests the typed AK/SK, not the deployed ones: a wrong SK is refused', async () => {
        await deploy();
        const res = await post('cfg', dialog('aksk', { ak: emu.account.ak, sk: TYPED_SECRET })).expect(200);
        assert.equal(res.body.ok, false);
        assert.equal(res.body.code, 'AUTH_FAILED');
        assert.ok(!JSON.stringify(res.body).includes(TYPED_SECRET), 'the typed secret is not echoed');
        assert.ok(!JSON.stringify(res.body).includes(CANARY));
    });

    it('takes the deployed secret for a password field left untouched (__PWRD__)', async () => {
        await deploy();
        const res = await post('cfg', dialog('aksk', { ak: emu.account.ak, sk: '__PWRD__' })).expect(200);
        assert.deepEqual(res.body, {
            ok: true,
            region: emu.account.region,
            projectId: emu.account.projectId,
            authType: 'aksk',
        });
    });

    it('works for a config node never deployed, with typed credentials', async () => {
        await deploy();
        const res = await post(
            'new-one',
            dialog('password', {
                username: emu.account.username,
                password: CANARY_PASSWORD,
                domainName: emu.account.domainName,
            }),
        ).expect(200);
        assert.equal(res.body.projectId, emu.account.projectId);
        assert.ok(!JSON.stringify(res.body).includes(CANARY_PASSWORD));
    });

    it('password auth with empty fields is NOT_CONFIGURED, whatever was deployed', async () => {
        await deploy();
        const res = await post('cfg', dialog('password', { username: '', password: '', domainName: '' })).expect(200);
        assert.equal(res.body.code, 'NOT_CONFIGURED');
    });

    it(`allows ${TEST_LIMIT} tests a minute per config and client, then answers 429 with Retry-After`, async () => {
        await deploy();
        const wrong = dialog('aksk', { ak: emu.account.ak, sk: TYPED_SECRET });
        for (let i = 0; i < TEST_LIMIT; i++) await post('cfg', wrong).expect(200);
        const res = await post('cfg', wrong).expect(429);
        assert.equal(res.body.code, 'RATE_LIMITED');
        assert.ok(Number(res.headers['retry-after']) > 0);
        assert.equal(emu.log.entries().filter((e) => e.route.startsWith('iam')).length, TEST_LIMIT);
        // Another config id is counted apart.
        await post('other', wrong).expect(200);
    });
});

describe('Test route building blocks', () => {
    it('the rate limiter counts per key in a sliding window', () => {
        let now = 0;
        const limiter = new RateLimiter(2, 60_000, () => now);
        assert.deepEqual(limiter.take('a'), { ok: true });
        assert.deepEqual(limiter.take('a'), { ok: true });
        assert.deepEqual(limiter.take('b'), { ok: true });
        now = 30_000;
        assert.deepEqual(limiter.take('a'), { ok: false, retryAfterS: 30 });
        now = 60_001;
        assert.deepEqual(limiter.take('a'), { ok: true });
    });
});

describe('Test route permissions in a started Node-RED with adminAuth', function () {
    this.timeout(60_000);
    let emu: Emulator;
    before(async () => {
        emu = await startCanaryEmulator();
    });
    after(async () => {
        await emu.close();
    });

    it('refuses a user who may only read, and answers one who may write', async () => {
        const bcrypt = require(resolveInRuntime('bcryptjs')) as { hashSync(s: string, rounds: number): string };
        const hash = bcrypt.hashSync('pw-0123456789', 4);
        const red = await startRed({
            settings: {
                adminAuth: {
                    type: 'credentials',
                    users: [
                        { username: 'reader', password: hash, permissions: 'read' },
                        { username: 'admin', password: hash, permissions: '*' },
                    ],
                },
            },
        });
        try {
            const token = async (username: string): Promise<string> => {
                const res = await fetch(`${red.url}/auth/token`, {
                    method: 'POST',
                    headers: { 'content-type': 'application/json' },
                    body: JSON.stringify({
                        client_id: 'node-red-admin',
                        grant_type: 'password',
                        scope: '*',
                        username,
                        password: 'pw-0123456789',
                    }),
                });
                return ((await res.json()) as { access_token: string }).access_token;
            };
            const { node } = configFor(emu, 'aksk');
            const body = JSON.stringify({ ...node, credentials: { ak: emu.account.ak, sk: CANARY } });
            const test = (auth?: string) =>
                fetch(`${red.url}/sis-config/x/test`, {
                    method: 'POST',
                    headers: {
                        'content-type': 'application/json',
                        ...(auth ? { authorization: `Bearer ${auth}` } : {}),
                    },
                    body,
                });
            assert.equal((await test()).status, 401);
            assert.equal((await test(await token('reader'))).status, 401);
            const ok = await test(await token('admin'));
            assert.equal(ok.status, 200);
            assert.equal(((await ok.json()) as { projectId: string }).projectId, emu.account.projectId);
        } finally {
            await red.stop();
            removeUserDir(red.userDir);
        }
    });
});
