// The vocabulary admin routes the editors use: the deployed configuration's list and one vocabulary
// (read), the same from the dialog's values before a deploy, and saving (write); never a secret in
// an answer, and "deploy first" when the secrets are not at hand.
import * as assert from 'node:assert/strict';
import { SisClient } from '../../nodes/lib/cloud/sis-client';
import { createVocabulary, deleteVocabulary, listVocabularies } from '../../nodes/lib/cloud/vocabularies';
import { CANARY, CANARY_PASSWORD, configFor, type Emulator, routeLog, useEmulator } from '../helpers/emulator';
import { asFlow, helper, loadNode, nodeRedVersion } from '../helpers/nr';

function noSecret(body: unknown): void {
    const text = JSON.stringify(body);
    assert.ok(!text.includes(CANARY) && !text.includes(CANARY_PASSWORD), `a secret in ${text}`);
}

describe(`vocabulary admin routes on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(20_000);
    const getEmu = useEmulator();
    let emu: Emulator;
    let client: SisClient;
    let id: string;

    beforeEach(async () => {
        emu = getEmu();
        const { node, credentials } = configFor(emu, 'aksk');
        client = new SisClient({ ...(node as { region: string; authType: 'aksk' }), credentials });
        for (const v of await listVocabularies(client)) await deleteVocabulary(client, v.vocabulary_id);
        id = await createVocabulary(client, {
            name: 'kitchen',
            language: 'chinese_mandarin',
            contents: ['Kettle', '空调'],
        });
    });
    afterEach(async () => {
        await client.close();
    });

    async function deploy(authType: 'aksk' | 'password' = 'aksk'): Promise<Record<string, unknown>> {
        const { node, credentials } = configFor(emu, authType);
        await helper.load([loadNode('sis-config')], asFlow([node]), { cfg: credentials });
        return node;
    }

    /** The package loaded, no configuration deployed. */
    async function nothingDeployed(): Promise<void> {
        await helper.load([loadNode('sis-config')], asFlow([{ id: 'tab', type: 'tab', label: 'empty' }]));
    }

    /** The dialog's values of a config node as the editor sends them. */
    function draft(authType: 'aksk' | 'password', creds: Record<string, string>): Record<string, unknown> {
        const { node } = configFor(emu, authType);
        const { id: _i, type: _t, name: _n, ...settings } = node;
        return { ...settings, credentials: creds };
    }

    it("GET lists the deployed configuration's vocabularies, and one with its words", async () => {
        await deploy();
        const list = await helper.request().get('/sis-config/cfg/vocabularies').expect(200);
        assert.deepEqual(list.body, {
            ok: true,
            vocabularies: [{ vocabulary_id: id, name: 'kitchen', language: 'chinese_mandarin', description: '' }],
        });
        const one = await helper.request().get(`/sis-config/cfg/vocabularies/${id}`).expect(200);
        assert.deepEqual(one.body.vocabulary.contents, ['Kettle', '空调']);
        noSecret([list.body, one.body]);
    });

    it('says "deploy first" for a configuration that is not deployed, without its values', async () => {
        await nothingDeployed();
        const res = await helper.request().get('/sis-config/nope/vocabularies').expect(404);
        assert.deepEqual(res.body, {
            ok: false,
            code: 'NOT_DEPLOYED',
            message: 'sis-config.errors.deploy-first-vocabularies',
        });
        const noSecrets = await helper
            .request()
            .post('/sis-config/nope/vocabularies/list')
            .send({ config: draft('aksk', { ak: emu.account.ak }) })
            .expect(404);
        assert.equal(noSecrets.body.code, 'NOT_DEPLOYED');
    });

    it("lists with the dialog's values before a deploy (AK/SK and password)", async () => {
        await nothingDeployed();
        const aksk = await helper
            .request()
            .post('/sis-config/new-cfg/vocabularies/list')
            .send({ config: draft('aksk', { ak: emu.account.ak, sk: emu.account.sk }) })
            .expect(200);
        assert.equal(aksk.body.vocabularies[0].vocabulary_id, id);
        const a = emu.account;
        const pw = await helper
            .request()
            .post(`/sis-config/new-cfg/vocabularies/${id}/get`)
            .send({
                config: draft('password', { username: a.username, password: a.password, domainName: a.domainName }),
            })
            .expect(200);
        assert.deepEqual(pw.body.vocabulary.contents, ['Kettle', '空调']);
        noSecret([aksk.body, pw.body]);
    });

    it('a draft of a deployed node uses its stored secret only towards the same service', async () => {
        await deploy();
        const same = await helper
            .request()
            .post('/sis-config/cfg/vocabularies/list')
            .send({ config: draft('aksk', { ak: emu.account.ak, sk: '__PWRD__' }) })
            .expect(200);
        assert.equal(same.body.vocabularies.length, 1);
        emu.log.clear();
        const elsewhere = draft('aksk', { ak: emu.account.ak, sk: '__PWRD__' });
        elsewhere.endpoint = 'http://127.0.0.1:9/';
        elsewhere.iamEndpoint = 'http://127.0.0.1:9/';
        const res = await helper
            .request()
            .post('/sis-config/cfg/vocabularies/list')
            .send({ config: elsewhere })
            .expect(400);
        assert.equal(res.body.code, 'NOT_DEPLOYED');
        assert.deepEqual(routeLog(emu, 'vocabularies'), []);
    });

    it('saves a vocabulary (PUT) and creates one (POST); bad words are refused, each named', async () => {
        await deploy();
        const put = await helper
            .request()
            .put(`/sis-config/cfg/vocabularies/${id}`)
            .send({ vocabulary: { name: 'kitchen', language: 'chinese_mandarin', contents: ['Oven', 'Oven', '冰箱'] } })
            .expect(200);
        assert.deepEqual(put.body, { ok: true, vocabulary_id: id, count: 2 });
        const created = await helper
            .request()
            .post('/sis-config/cfg/vocabularies')
            .send({
                vocabulary: { name: 'garden', contents: ['Mower'] },
                config: draft('aksk', { ak: emu.account.ak, sk: '__PWRD__' }),
            })
            .expect(200);
        assert.match(created.body.vocabulary_id, /^[0-9a-f-]{36}$/);
        emu.log.clear();
        const bad = await helper
            .request()
            .put(`/sis-config/cfg/vocabularies/${id}`)
            .send({ vocabulary: { name: 'kitchen', contents: ['ok', 'two words', 'R2D2'] } })
            .expect(400);
        assert.equal(bad.body.code, 'INVALID_INPUT');
        assert.match(bad.body.message, /"two words" \(#2.*"R2D2" \(#3/);
        assert.deepEqual(
            bad.body.bad_words.map((b: { index: number }) => b.index),
            [1, 2],
        );
        assert.deepEqual(routeLog(emu, 'vocabularies'), []);
        // The service's own refusal keeps its code.
        const taken = await helper
            .request()
            .put(`/sis-config/cfg/vocabularies/${id}`)
            .send({ vocabulary: { name: 'garden', contents: ['Oven'] } })
            .expect(502);
        assert.equal(taken.body.code, 'SIS.0204');
        assert.equal(taken.body.service_code, 'SIS.0204');
        noSecret([put.body, created.body, bad.body, taken.body]);
    });

    it('reports refused credentials without the secret', async () => {
        await nothingDeployed();
        const a = emu.account;
        const res = await helper
            .request()
            .post('/sis-config/new-cfg/vocabularies/list')
            .send({
                config: draft('password', {
                    username: a.username,
                    password: `${CANARY_PASSWORD}-x`,
                    domainName: a.domainName,
                }),
            })
            .expect(502);
        assert.equal(res.body.code, 'AUTH_FAILED');
        noSecret(res.body);
    });
});
