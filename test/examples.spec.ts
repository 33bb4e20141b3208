// Every example flow, imported as a user would and pointed at the emulator: each inject node is
// pressed, and a debug node that shows a result (not an error) must be reached. Nothing is set up
// for them beyond the emulator's address: the sample audio is found through SIS_SAMPLES_DIR, which
// the package sets itself, and files are written to the OS temporary folder, not the package's.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_PORT } from '../emulator/cli';
import { DEFAULT_ACCOUNT } from '../emulator/index';
import { useEmulator } from './helpers/emulator';
import { type Broker, requireMosquitto, startMosquitto } from './helpers/mosquitto';
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
    'common/90-comment.js',
    'function/89-delay.js',
    'network/10-mqtt.js',
];

/** Examples whose nodes the test helper cannot run (a dashboard needs a browser): the suite that runs them. */
const RUN_ELSEWHERE: Record<string, string> = {
    'browser-microphone.json': 'test/browser/dashboard.spec.ts',
};

/** Debug nodes whose message proves an example really worked (beyond "some result"). */
const MUST_REACH: Record<string, string> = {
    'round-trip-speak-then-recognize.json': 'round trip ok',
    'short-asr-voice-command.json': 'action',
    'flash-asr-transcribe-file.json': 'transcript',
    'job-asr-subtitles.json': 'subtitles written',
    'vocabulary-hot-words.json': 'heard',
    'mqtt-microphones.json': 'device receives command',
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
    const tmpEnv = process.env.TMPDIR;
    before(() => {
        // As in a Node-RED started without any variable: the package publishes its samples itself.
        delete process.env.SIS_SAMPLES_DIR;
        scratch = mkdtempSync(path.join(tmpdir(), 'sis-examples-'));
        // Examples that write to the operating system's temp folder write here.
        process.env.TMPDIR = scratch;
        helper.settings({ sisJobAsrPollMs: 50 } as unknown as Parameters<typeof helper.settings>[0]);
    });
    after(() => {
        if (tmpEnv === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = tmpEnv;
        rmSync(scratch, { recursive: true, force: true });
        helper.settings({ sisJobAsrPollMs: undefined } as unknown as Parameters<typeof helper.settings>[0]);
    });

    let broker: Broker | undefined;
    afterEach(async () => {
        await broker?.close();
        broker = undefined;
    });

    for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))) {
        it(`${file}: fits a 1600 px wide canvas`, () => {
            const flow = JSON.parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as FlowNode[];
            for (const n of flow.filter((x) => typeof x.x === 'number')) {
                // A node is drawn centred on x, about 7 px a character of its label plus its icon and ports.
                const label = String(n.name || n.type);
                const half = Math.max(100, 50 + 7 * label.length) / 2;
                assert.ok((n.x as number) + half <= 1600, `${n.name || n.type} ends at ${(n.x as number) + half} px`);
            }
        });

        const elsewhere = RUN_ELSEWHERE[file];
        if (elsewhere) {
            it(`${file}: run against the emulator by ${elsewhere}`, () => {
                assert.ok(readFileSync(path.join(ROOT, elsewhere), 'utf8').includes(file), `${elsewhere} runs ${file}`);
            });
            continue;
        }
        it(`${file}: every inject reaches a result`, async function () {
            const emu = getEmu();
            // A recording already in OBS, as `npm start` puts it there.
            emu.putObject(
                emu.account.bucket,
                'recordings/weekly-meeting.wav',
                readFileSync(path.join(ROOT, 'emulator', 'samples', 'zh_16k.wav')),
            );
            const flow = JSON.parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as FlowNode[];
            // MQTT examples talk to a real broker (Mosquitto), here on a free port instead of 1883.
            if (flow.some((n) => n.type === 'mqtt-broker')) {
                requireMosquitto(this);
                broker = await startMosquitto();
                for (const n of flow.filter((x) => x.type === 'mqtt-broker')) {
                    assert.equal(n.broker, 'localhost', 'the shipped broker is localhost:1883');
                    assert.equal(String(n.port), '1883');
                    Object.assign(n, { broker: '127.0.0.1', port: String(broker.port) });
                }
            }
            const credentials: Record<string, Record<string, string>> = {};
            for (const n of flow) {
                if (n.type !== 'sis-config') continue;
                // As shipped, the config node has the region and bucket of `npx sis-emulator` and its
                // default port; the notes name the demo credentials to enter.
                assert.equal(n.region, DEFAULT_ACCOUNT.region);
                assert.equal(n.obsBucket, DEFAULT_ACCOUNT.bucket);
                assert.equal(n.endpoint, `http://127.0.0.1:${DEFAULT_PORT}`);
                const notes = flow.filter((x) => x.type === 'comment').map((x) => String(x.info));
                assert.ok(notes.some((t) => t.includes(DEFAULT_ACCOUNT.ak) && t.includes(DEFAULT_ACCOUNT.sk)));
                // This suite's emulator listens on a free port and has its own secret key.
                Object.assign(n, {
                    endpoint: emu.url,
                    iamEndpoint: emu.url,
                    obsEndpoint: emu.url,
                    obsBucket: emu.account.bucket,
                });
                credentials[n.id] = { ak: emu.account.ak, sk: emu.account.sk };
            }
            for (const n of flow) {
                // The only variable an example reads is the one the package sets itself.
                for (const p of (n.props ?? []) as { v?: string; vt?: string }[]) {
                    if (p.vt === 'env') assert.match(String(p.v), /^\$\{SIS_SAMPLES_DIR\}\/[^$]+$/, `${n.name}`);
                }
            }
            const written: string[] = [];
            const started = Date.now();
            const types = new Set(flow.map((n) => n.type).filter((t) => t.startsWith('sis-')));
            const modules = [...[...types].map(loadNode), ...CORE.map(coreNode)];
            // Real-time nodes and file writers are not the subject here: keep the flow as shipped.
            await helper.load(modules, asFlow(flow), credentials);
            for (const n of flow.filter((x) => x.type === 'file')) {
                helper.getNode(n.id).on('input', (msg: Record<string, unknown>) => written.push(String(msg.filename)));
            }
            assert.equal(process.env.SIS_SAMPLES_DIR, path.join(ROOT, 'dist', 'emulator', 'samples'));
            for (const n of flow.filter((x) => x.type === 'mqtt-broker')) {
                const node = helper.getNode(n.id) as unknown as { connected?: boolean };
                const end = Date.now() + 10_000;
                while (!node.connected && Date.now() < end) await delay(20);
                assert.ok(node.connected, 'connected to the broker');
            }
            // Subscriptions are made once connected; give them a moment to be granted.
            if (broker) await delay(300);
            const errors: unknown[] = [];
            const results: string[] = [];
            const undefinedShown: string[] = [];
            for (const n of flow.filter((x) => x.type === 'debug')) {
                const isError = (n.name ?? '').toLowerCase().includes('error') || n.complete === 'sis_error';
                helper.getNode(n.id).on('input', (msg: Record<string, unknown>) => {
                    // What the debug node shows is there: never "(undefined)".
                    const shown = String(n.complete ?? 'payload');
                    if (shown !== 'true' && shown !== 'false') {
                        let v: unknown = msg;
                        for (const part of shown.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
                        if (v === undefined) undefinedShown.push(`${n.name ?? n.id} (msg.${shown})`);
                    }
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
            // Files go to the OS temporary folder, never into the package (or Node-RED's working directory).
            for (const file of written) {
                assert.equal(path.dirname(file), tmpdir());
                const end = Date.now() + 5000;
                while (!(existsSync(file) && statSync(file).mtimeMs >= started - 1000) && Date.now() < end)
                    await delay(20);
                assert.ok(existsSync(file), `${file} was written`);
            }
            assert.ok(!existsSync(path.join(ROOT, 'sis-alert.wav')), 'nothing was written into the checkout');
            assert.deepEqual(undefinedShown, [], 'debug nodes showing undefined');
            const must = MUST_REACH[file];
            if (must) {
                const end = Date.now() + 10_000;
                while (!results.includes(must) && Date.now() < end) await delay(20);
                assert.ok(results.includes(must), `the "${must}" debug node was reached`);
            }
            if (file === 'job-asr-subtitles.json') {
                const srt = readFileSync(path.join(scratch, 'weekly-meeting.srt'), 'utf8');
                assert.match(srt, /^1\r\n00:00:00,200 --> 00:00:00,870\r\nAGENT: /);
            }
        });
    }
});
