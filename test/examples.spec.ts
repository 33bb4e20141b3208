// Every example flow, imported as a user would and pointed at the emulator: each inject node is
// pressed, and a debug node that shows a result (not an error) must be reached.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { useEmulator } from './helpers/emulator';
import { asFlow, coreNode, helper, loadNode, nodeRedVersion } from './helpers/nr';
import { delay } from './helpers/wait';

const ROOT = path.resolve(__dirname, '..');
const EXAMPLES = path.join(ROOT, 'examples');
const CORE = [
    'common/20-inject.js',
    'common/21-debug.js',
    'common/25-catch.js',
    'common/24-complete.js',
    'function/10-switch.js',
    'function/15-change.js',
    'function/10-function.js',
    'storage/10-file.js',
    'sequence/17-split.js',
];

/** Debug nodes whose message proves an example really worked (beyond "some result"). */
const MUST_REACH: Record<string, string> = {
    'round-trip-speak-then-recognize.json': 'round trip ok',
    'short-asr-voice-command.json': 'action',
    'flash-asr-transcribe-file.json': 'transcript',
    'vocabulary-hot-words.json': 'heard',
};

interface FlowNode {
    id: string;
    type: string;
    name?: string;
    z?: string;
    wires?: string[][];
    [key: string]: unknown;
}

describe(`example flows on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(60_000);
    const getEmu = useEmulator({ limits: { jobDelayMs: 100 } }, ['zh_16k.wav', 'en_16k.wav']);

    let scratch = '';
    before(() => {
        scratch = mkdtempSync(path.join(tmpdir(), 'sis-examples-'));
        const samples = path.join(ROOT, 'emulator', 'samples');
        process.env.SIS_SAMPLE_ZH = path.join(samples, 'zh_16k.wav');
        process.env.SIS_SAMPLE_EN = path.join(samples, 'en_16k.wav');
        helper.settings({ sisJobAsrPollMs: 50 } as unknown as Parameters<typeof helper.settings>[0]);
    });
    after(() => {
        rmSync(scratch, { recursive: true, force: true });
        helper.settings({ sisJobAsrPollMs: undefined } as unknown as Parameters<typeof helper.settings>[0]);
    });

    for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))) {
        it(`${file}: every inject reaches a result`, async () => {
            const emu = getEmu();
            const flow = JSON.parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as FlowNode[];
            const credentials: Record<string, Record<string, string>> = {};
            for (const n of flow) {
                if (n.type !== 'sis-config') continue;
                Object.assign(n, {
                    endpoint: emu.url,
                    iamEndpoint: emu.url,
                    obsEndpoint: emu.url,
                    obsBucket: emu.account.bucket,
                });
                credentials[n.id] = { ak: emu.account.ak, sk: emu.account.sk };
            }
            // Files the examples write go to a scratch folder, not the working directory.
            for (const n of flow) {
                if (n.type === 'file' && typeof n.filename === 'string' && n.filenameType !== 'msg') {
                    n.filename = path.join(scratch, path.basename(n.filename));
                }
            }
            const types = new Set(flow.map((n) => n.type).filter((t) => t.startsWith('sis-')));
            const modules = [...[...types].map(loadNode), ...CORE.map(coreNode)];
            // Real-time nodes and file writers are not the subject here: keep the flow as shipped.
            await helper.load(modules, asFlow(flow), credentials);
            const errors: unknown[] = [];
            const results: string[] = [];
            for (const n of flow.filter((x) => x.type === 'debug')) {
                const isError = (n.name ?? '').toLowerCase().includes('error') || n.complete === 'sis_error';
                helper.getNode(n.id).on('input', (msg: Record<string, unknown>) => {
                    if (isError) errors.push(msg.sis_error ?? msg.error);
                    else results.push(n.name ?? n.id);
                });
            }
            const injects = flow.filter((x) => x.type === 'inject' && x.z);
            assert.ok(injects.length > 0, 'the example has an inject node to start it');
            for (const inject of injects) {
                const before = results.length;
                helper.getNode(inject.id).receive({});
                const end = Date.now() + 20_000;
                while (results.length === before && errors.length === 0 && Date.now() < end) await delay(20);
                assert.deepEqual(errors, [], `${inject.name ?? inject.id} led to an error`);
                assert.ok(results.length > before, `${inject.name ?? inject.id} led to no result`);
            }
            const must = MUST_REACH[file];
            if (must) {
                const end = Date.now() + 10_000;
                while (!results.includes(must) && Date.now() < end) await delay(20);
                assert.ok(results.includes(must), `the "${must}" debug node was reached`);
            }
        });
    }
});
