// sis-vocabulary in the real runtime against the emulator: every action, words refused before any
// request, the service's own refusals with their codes, and `name:` references resolved (once, then
// cached until a change) by the four recognition nodes.
import * as assert from 'node:assert/strict';
import { SisClient } from '../../nodes/lib/cloud/sis-client';
import { createVocabulary, deleteVocabulary, listVocabularies } from '../../nodes/lib/cloud/vocabularies';
import { configFor, type Emulator, routeLog, useEmulator } from '../helpers/emulator';
import { fixture, transcript } from '../helpers/fixtures';
import { type Harness, harness } from '../helpers/flow';
import { helper, loadNode, nodeRedVersion } from '../helpers/nr';

interface SisErrorInfo {
    code: string;
    message: string;
    status?: number;
    service_code?: string;
    retryable: boolean;
}

const WORDS = ['Kettle', '电饭煲', '洗碗机'];

describe(`sis-vocabulary on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(20_000);
    const getEmu = useEmulator({}, ['zh_16k.wav']);
    let emu: Emulator;
    let client: SisClient;

    beforeEach(async () => {
        emu = getEmu();
        const { node, credentials } = configFor(emu, 'aksk');
        client = new SisClient({ ...(node as { region: string; authType: 'aksk' }), credentials });
        // Every test starts with an empty account.
        for (const v of await listVocabularies(client)) await deleteVocabulary(client, v.vocabulary_id);
        emu.log.clear();
    });
    afterEach(async () => {
        await client.close();
    });

    const vocabulary = (props: Record<string, unknown> = {}) =>
        harness(emu, 'sis-vocabulary', { action: 'get', vocabulary_id: '', ...props });

    function vocabularyCalls(): { method: string; path: string }[] {
        return routeLog(emu, 'vocabularies').map((e) => ({ method: e.method, path: e.path }));
    }

    async function create(h: Harness, name: string, contents = WORDS): Promise<string> {
        const before = h.out[0].length;
        h.send({ action: 'create', payload: { name, description: 'test', language: 'chinese_mandarin', contents } });
        const out = await h.outputs(before + 1);
        return String(out[before].payload);
    }

    it('creates, gets, lists, updates and deletes', async () => {
        const h = await vocabulary();
        const id = await create(h, 'kitchen_devices');
        assert.match(id, /^[0-9a-f-]{36}$/i);
        assert.equal(h.out[0][0].vocabulary_id, id);

        h.send({ vocabulary_id: id });
        const [, got] = await h.outputs(2);
        assert.deepEqual(got.payload, {
            vocabulary_id: id,
            name: 'kitchen_devices',
            description: 'test',
            language: 'chinese_mandarin',
            contents: WORDS,
        });

        h.send({ action: 'list' });
        const list = (await h.outputs(3))[2].payload as { name: string; vocabulary_id: string }[];
        assert.deepEqual(
            list.map((v) => [v.name, v.vocabulary_id]),
            [['kitchen_devices', id]],
        );

        // A full replace: every field given.
        h.send({
            action: 'update',
            vocabulary_id: id,
            payload: { name: 'kitchen', language: 'chinese_mandarin', contents: ['Toaster'] },
        });
        const updated = (await h.outputs(4))[3];
        assert.equal(updated.payload, id);
        assert.equal(updated.vocabulary_id, id);
        h.send({ vocabulary_id: id });
        const after = (await h.outputs(5))[4].payload as { name: string; contents: string[]; description: string };
        assert.equal(after.name, 'kitchen');
        assert.deepEqual(after.contents, ['Toaster']);

        h.send({ action: 'delete', vocabulary_id: id });
        const deleted = (await h.outputs(6))[5];
        assert.equal(deleted.payload, id);
        assert.deepEqual(await listVocabularies(client), []);

        h.send({ action: 'get', vocabulary_id: id });
        const [err] = await h.errors(1);
        const info = err.sis_error as SisErrorInfo;
        assert.equal(info.code, 'SIS.0201');
        assert.equal(info.service_code, 'SIS.0201');
        assert.equal(info.retryable, false);
        assert.ok((err.error as { message: string }).message.endsWith(info.message));
        assert.equal((err.error as { code?: string }).code, 'SIS.0201');
    });

    it('update with a plain array of words keeps the name, description and language (get, then put)', async () => {
        const h = await vocabulary({ action: 'update' });
        const id = await create(h, 'devices');
        emu.log.clear();
        h.send({ vocabulary_id: id, payload: ['Fridge', 'Fridge', '冰箱'] });
        await h.outputs(2);
        assert.deepEqual(vocabularyCalls(), [
            { method: 'GET', path: `/v1/${emu.account.projectId}/asr/vocabularies/${id}` },
            { method: 'PUT', path: `/v1/${emu.account.projectId}/asr/vocabularies/${id}` },
        ]);
        const put = routeLog(emu, 'vocabularies')[1].body;
        assert.deepEqual(put, {
            name: 'devices',
            description: 'test',
            language: 'chinese_mandarin',
            contents: ['Fridge', '冰箱'],
        });
    });

    it('update with add and remove, by name, is a get then a put', async () => {
        const h = await vocabulary({ action: 'update', vocabulary_id: 'name:devices' });
        const id = await create(h, 'devices');
        h.send({ action: 'update', payload: { add: ['Oven', 'Kettle'], remove: ['电饭煲'] } });
        const [, out] = await h.outputs(2);
        assert.equal(out.payload, id);
        assert.equal(out.vocabulary_id, id);
        const calls = vocabularyCalls().map((c) => c.method);
        // create, then the name look-up (a list), the get and the put.
        assert.deepEqual(calls, ['POST', 'GET', 'GET', 'PUT']);
        const put = routeLog(emu, 'vocabularies')[3].body as { contents: string[] };
        assert.deepEqual(put.contents, ['Kettle', '洗碗机', 'Oven']);
    });

    it('refuses bad words before any request, naming each of them', async () => {
        const h = await vocabulary();
        const words = ['Kettle', 'abc1', 'hello world', 'Wi-Fi', '超长超长超长超长超长超', '空调'];
        h.send({ action: 'create', payload: { name: 'bad', language: 'chinese_mandarin', contents: words } });
        const [err] = await h.errors(1);
        const info = err.sis_error as SisErrorInfo;
        assert.equal(info.code, 'INVALID_INPUT');
        assert.equal((err.error as { code?: string }).code, 'INVALID_INPUT');
        for (const bad of ['"abc1" (#2', '"hello world" (#3', '"Wi-Fi" (#4', '"超长超长超长超长超长超" (#5']) {
            assert.ok(info.message.includes(bad), `${bad} in ${info.message}`);
        }
        assert.ok(!info.message.includes('"Kettle"') && !info.message.includes('"空调"'));
        assert.deepEqual(
            (err.bad_words as { index: number; problem: string }[]).map((b) => [b.index, b.problem]),
            [
                [1, 'characters'],
                [2, 'characters'],
                [3, 'characters'],
                [4, 'too-long'],
            ],
        );
        // An update by name with a bad word added: not even the name is looked up.
        h.send({ action: 'update', vocabulary_id: 'name:x', payload: { add: ['ok', '12'] } });
        const [, second] = await h.errors(2);
        assert.match((second.sis_error as SisErrorInfo).message, /"12" \(#2/);
        h.send({ action: 'update', vocabulary_id: 'abc', payload: ['fine', 'not fine'] });
        await h.errors(3);
        assert.deepEqual(vocabularyCalls(), []);
        assert.equal(h.out[0].length, 0);
    });

    it('refuses other bad input before any request', async () => {
        const h = await vocabulary({ action: '' });
        const cases: Record<string, unknown>[] = [
            { action: 'rename' },
            { action: 'get' },
            { action: 'delete', vocabulary_id: 'a b' },
            { action: 'create', payload: 'words' },
            { action: 'create', payload: { name: 'has space', contents: ['a'] } },
            { action: 'create', payload: { name: 'x', language: 'english', contents: ['a'] } },
            { action: 'create', payload: { name: 'x', contents: [] } },
            { action: 'create', payload: { name: 'x', contents: Array.from({ length: 10_001 }, () => 'a') } },
            { action: 'update', vocabulary_id: 'abc', payload: { contents: ['a'], add: ['b'] } },
        ];
        for (const msg of cases) h.send(msg);
        const errors = await h.errors(cases.length);
        for (const e of errors) assert.equal((e.sis_error as SisErrorInfo).code, 'INVALID_INPUT');
        assert.deepEqual(vocabularyCalls(), []);
    });

    it("passes the service's refusals on with their codes: SIS.0208 too many, SIS.0204 name taken", async () => {
        const h = await vocabulary();
        for (let i = 0; i < 10; i++) await create(h, `v${i}`);
        h.send({ action: 'create', payload: { name: 'v10', contents: WORDS } });
        const [err] = await h.errors(1);
        const info = err.sis_error as SisErrorInfo;
        assert.equal(info.code, 'SIS.0208');
        assert.equal(info.status, 400);
        assert.equal(info.retryable, false);
        h.send({ action: 'delete', vocabulary_id: 'name:v9' });
        await until(() => h.out[0].length === 11);
        h.send({ action: 'create', payload: { name: 'v0', contents: WORDS } });
        const [, taken] = await h.errors(2);
        assert.equal((taken.sis_error as SisErrorInfo).code, 'SIS.0204');
    });

    it('lists every page', async () => {
        const h = await vocabulary();
        const ids = [];
        for (let i = 0; i < 7; i++) ids.push(await create(h, `p${i}`));
        const all = await listVocabularies(client, undefined, 3);
        assert.deepEqual(all.map((v) => v.vocabulary_id).sort(), [...ids].sort());
        const pages = routeLog(emu, 'vocabularies').filter((e) => e.method === 'GET');
        assert.deepEqual(
            pages.map((e) => e.query.offset),
            ['0', '1', '2'],
        );
    });

    describe('name: references in the recognition nodes', () => {
        const zh = fixture('zh_16k.wav');
        const words = () => transcript('zh_16k.wav').join('');
        const vocabularyNode = {
            id: 'voc',
            type: 'sis-vocabulary',
            z: 'tab',
            config: 'cfg',
            action: 'update',
            wires: [[]],
        };

        async function recogniser(type: string, props: Record<string, unknown>, outputs = 1): Promise<Harness> {
            return harness(emu, type, props, {
                outputs,
                extraNodes: [vocabularyNode],
                extraModules: [loadNode('sis-vocabulary')],
            });
        }

        it('sis-short-asr: resolved once, cached, forgotten after an update through the package', async () => {
            const h = await recogniser('sis-short-asr', {
                property: 'chinese_16k_general',
                vocabulary_id: 'name:kitchen',
                output: 'single',
            });
            const first = await createDirect('kitchen');
            emu.log.clear();
            h.send({ payload: zh });
            h.send({ payload: zh, sis: { vocabulary_id: 'name:kitchen' } });
            await h.outputs(2);
            assert.ok(String(h.out[0][0].payload).length > 0 || words() === '');
            const lists = () => routeLog(emu, 'vocabularies').filter((e) => e.method === 'GET').length;
            assert.equal(lists(), 1, 'one list call for two messages');
            for (const call of routeLog(emu, 'short-audio')) {
                assert.equal((call.body as { config: { vocabulary_id: string } }).config.vocabulary_id, first);
            }
            // Through the package: the cache is forgotten.
            const voc = helper.getNode('voc');
            voc.receive({ vocabulary_id: first, payload: ['Toaster'] });
            await until(() => routeLog(emu, 'vocabularies').some((e) => e.method === 'PUT'));
            h.send({ payload: zh });
            await h.outputs(3);
            assert.equal(lists(), 3, 'a get for the update, then a new list');
            h.send({ payload: zh, sis: { vocabulary_id: 'name:nothing' } });
            const [err] = await h.errors(1);
            assert.equal((err.sis_error as SisErrorInfo).code, 'NOT_FOUND');
            assert.match((err.sis_error as SisErrorInfo).message, /"nothing"/);
        });

        it('sis-flash-asr, sis-job-asr and sis-stream-asr send the id of a named vocabulary', async () => {
            const id = await createDirect('meeting');
            const flash = await recogniser('sis-flash-asr', { vocabulary_id: 'name:meeting', output: 'single' });
            flash.send({ payload: zh });
            await flash.outputs(1);
            const flashCall = routeLog(emu, 'flash').at(-1);
            assert.equal(flashCall?.query.vocabulary_id, id);
            await helper.unload();

            const job = await recogniser('sis-job-asr', { vocabulary_id: '', output: 'single' });
            job.send({ payload: zh, sis: { vocabulary_id: 'name:meeting' } });
            await job.completions(1);
            const submit = routeLog(emu, 'transcriber.create').at(-1);
            assert.ok(submit);
            assert.equal((submit.body as { config: { vocabulary_id: string } }).config.vocabulary_id, id);
            await helper.unload();

            const stream = await recogniser(
                'sis-stream-asr',
                {
                    mode: 'continue-stream',
                    property: 'chinese_16k_general',
                    audio_format: 'pcm16k16bit',
                    vocabulary_id: 'name:meeting',
                },
                2,
            );
            stream.send({ payload: zh });
            stream.send({ control: 'end' });
            await until(() => stream.out[1].some((m) => m.payload === 'END'), 10_000);
            assert.equal(stream.caught.length, 0);
            stream.send({ payload: zh, session: 'b', sis: { vocabulary_id: 'name:unknown' } });
            const [err] = await stream.errors(1);
            assert.equal((err.sis_error as SisErrorInfo).code, 'NOT_FOUND');
        });
    });

    async function createDirect(name: string): Promise<string> {
        return createVocabulary(client, { name, language: 'chinese_mandarin', contents: WORDS });
    }
});

async function until(check: () => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!check()) {
        if (Date.now() > end) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 10));
    }
}
