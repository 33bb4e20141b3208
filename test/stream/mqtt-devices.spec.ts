// Microphones on devices, for real: the shipped example `examples/mqtt-microphones.json` in the
// Node-RED runtime with its core MQTT nodes, a Mosquitto broker started for the suite, and
// simulated devices that are MQTT clients of their own, publishing raw 16 kHz chunks at real-time
// pace as a microcontroller does (QoS 0, nothing queued while the broker is away). What the
// devices receive back is read by another MQTT client, as a device would.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CANARY, type Emulator, routeLog, startCanaryEmulator } from '../helpers/emulator';
import { fixture, transcript } from '../helpers/fixtures';
import {
    type Broker,
    closeClient,
    type MqttClient,
    mqttClient,
    requireMosquitto,
    startMosquitto,
} from '../helpers/mosquitto';
import { asFlow, coreNode, helper, loadNode, nodeRedVersion } from '../helpers/nr';
import { delay, until } from '../helpers/wait';

const EXAMPLE = path.resolve(__dirname, '../../examples/mqtt-microphones.json');
/** 40 ms of 16 kHz 16-bit mono, what the example's devices publish. */
const CHUNK = 1280;
const KITCHEN = transcript('zh_16k.wav');
/** The hallway device speaks the English recording, registered here as Mandarin with a command. */
const HALLWAY = ['打开客厅的灯。', '今天天气很好。'];
/** Where the emulator's VAD puts the hallway's second sentence (test/fixtures/README.md): 1660–2650 ms. */
const HALLWAY_CUT_MS = 2200;
const IDLE_MS = 3000;

interface FlowNode {
    id: string;
    type: string;
    z?: string;
    name?: string;
    [key: string]: unknown;
}

interface Published {
    at: number;
    bytes: Buffer;
    /** False when the client refused it for want of a connection (it never left the device). */
    sent: boolean;
}

/** The main tab of the example (not the simulator tab), pointed at `emu` and `broker`. */
function exampleFlow(emu: Emulator, broker: Broker): { flow: FlowNode[]; credentials: Record<string, object> } {
    const all = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as FlowNode[];
    const tab = all.find((n) => n.type === 'tab' && String(n.label).includes('device microphones'));
    assert.ok(tab, 'the example has its device tab');
    const credentials: Record<string, object> = {};
    const flow = all
        .filter((n) => n.id === tab.id || (n.z === tab.id && n.type !== 'comment') || (!n.z && n.type !== 'tab'))
        .map((n) => {
            if (n.type === 'sis-config') {
                credentials[n.id] = { ak: emu.account.ak, sk: emu.account.sk };
                return { ...n, endpoint: emu.url, iamEndpoint: emu.url, obsEndpoint: emu.url };
            }
            if (n.type === 'mqtt-broker') return { ...n, broker: '127.0.0.1', port: String(broker.port) };
            return n;
        });
    return { flow, credentials };
}

/** Publishes `utterances` one after the other, each as chunks at real-time pace followed by `end`. */
async function speak(
    client: MqttClient,
    device: string,
    utterances: { audio: Buffer; end: boolean }[],
    log: Published[],
    pauseMs = 600,
): Promise<void> {
    for (const { audio, end } of utterances) {
        const t0 = Date.now();
        for (let i = 0, k = 0; i < audio.length; i += CHUNK, k++) {
            const wait = t0 + k * 40 - Date.now();
            if (wait > 0) await delay(wait);
            const bytes = audio.subarray(i, i + CHUNK);
            const entry: Published = { at: Date.now(), bytes, sent: true };
            log.push(entry);
            client.publish(`sis/audio/${device}`, bytes, { qos: 0 }, (err) => {
                if (err) entry.sent = false;
            });
        }
        if (end) client.publish(`sis/control/${device}`, 'end', { qos: 1 });
        await delay(pauseMs);
    }
}

describe(`MQTT microphones through Mosquitto on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(60_000);
    let emu: Emulator;
    let broker: Broker;
    const clients: MqttClient[] = [];
    /** What the devices received: topic and payload, in order. */
    let received: { at: number; topic: string; payload: string }[] = [];

    before(async function () {
        requireMosquitto(this);
        emu = await startCanaryEmulator({ limits: { wsIdleMs: 20_000 } });
        emu.transcripts.register(fixture('zh_16k.wav'), KITCHEN);
        emu.transcripts.register(fixture('en_16k.wav'), HALLWAY);
        broker = await startMosquitto();
    });
    after(async () => {
        await broker?.close();
        await emu?.close();
    });
    beforeEach((done) => {
        emu.log.clear();
        received = [];
        // Node-RED's broker node retries every 5 s by default (mqttReconnectTime); faster here.
        helper.settings({ mqttReconnectTime: 300 } as unknown as Parameters<typeof helper.settings>[0]);
        helper.startServer(done);
    });
    afterEach(async () => {
        await Promise.all(clients.splice(0).map(closeClient));
        await helper.unload();
        await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
        helper.settings({ mqttReconnectTime: undefined } as unknown as Parameters<typeof helper.settings>[0]);
    });

    async function client(id: string): Promise<MqttClient> {
        const c = await mqttClient(broker.url, id);
        clients.push(c);
        return c;
    }

    /** Loads the example; resolves with its nodes, the sentences it emitted and what it caught. */
    async function loadExample() {
        const { flow, credentials } = exampleFlow(emu, broker);
        const modules = [
            loadNode('sis-config'),
            loadNode('sis-stream-asr'),
            ...['network/10-mqtt.js', 'function/15-change.js', 'function/10-switch.js', 'common/21-debug.js'].map(
                coreNode,
            ),
            coreNode('common/25-catch.js'),
        ];
        await helper.load(modules, asFlow(flow), credentials);
        const byName = (name: string): FlowNode => {
            const n = flow.find((x) => x.name === name);
            assert.ok(n, `the example has a node named "${name}"`);
            return n;
        };
        const sentences: Record<string, unknown>[] = [];
        const errors: unknown[] = [];
        const delivered: Record<string, Buffer[]> = {};
        helper.getNode(byName('sentences').id).on('input', (msg: Record<string, unknown>) => sentences.push(msg));
        helper.getNode(byName('error').id).on('input', (msg: Record<string, unknown>) => errors.push(msg.sis_error));
        // Every chunk the broker delivered to Node-RED, by device, as it enters the flow.
        helper.getNode(byName('session = device').id).on('input', (msg: Record<string, unknown>) => {
            const device = String(msg.topic).split('/')[2];
            delivered[device] ??= [];
            delivered[device].push(msg.payload as Buffer);
        });
        const brokerNode = helper.getNode(flow.find((n) => n.type === 'mqtt-broker')!.id) as unknown as {
            connected: boolean;
        };
        await until(() => brokerNode.connected || undefined, 10_000);
        // The watcher: a client that reads what devices are sent back.
        const watcher = await client('watcher');
        watcher.on('message', (topic, payload) => received.push({ at: Date.now(), topic, payload: String(payload) }));
        await new Promise<void>((resolve, reject) =>
            watcher.subscribe(['sis/text/#', 'sis/command/#'], { qos: 1 }, (err) => (err ? reject(err) : resolve())),
        );
        // The flow's subscriptions are sent on connect; let them be granted before devices speak.
        await delay(300);
        return { flow, sentences, errors, delivered, brokerNode };
    }

    const texts = (topic: string): string[] => received.filter((r) => r.topic === topic).map((r) => r.payload);
    const commands = (device: string): Record<string, unknown>[] =>
        received.filter((r) => r.topic === `sis/command/${device}`).map((r) => JSON.parse(r.payload));

    it('two devices at once; one stops mid-sentence: its idle timeout ends it and its last sentence still arrives', async () => {
        const { errors } = await loadExample();
        const kitchen = await client('kitchen');
        const hallway = await client('hallway');
        const kitchenLog: Published[] = [];
        const hallwayLog: Published[] = [];
        const cut = fixture('en_16k.pcm').subarray(0, HALLWAY_CUT_MS * 32);
        await Promise.all([
            speak(kitchen, 'kitchen', [{ audio: fixture('zh_16k.pcm'), end: true }], kitchenLog),
            // The hallway device goes silent in the middle of its second sentence: no `end`.
            speak(hallway, 'hallway', [{ audio: cut, end: false }], hallwayLog),
        ]);
        const lastChunk = hallwayLog[hallwayLog.length - 1].at;
        await until(() => (texts('sis/text/hallway').length >= 2 ? true : undefined), IDLE_MS + 8000);
        await until(() => (commands('hallway').length >= 1 && commands('kitchen').length >= 1 ? true : undefined));
        await delay(300);

        assert.deepEqual(errors, []);
        assert.deepEqual(texts('sis/text/kitchen'), KITCHEN);
        assert.deepEqual(texts('sis/text/hallway'), HALLWAY);
        // The cut sentence came out once the device had been silent for the idle timeout, not before.
        const last = received.filter((r) => r.topic === 'sis/text/hallway')[1];
        const after = last.at - lastChunk;
        assert.ok(
            after >= IDLE_MS - 200 && after < IDLE_MS + 3000,
            `the last sentence came ${after} ms after the audio`,
        );
        // Interim results went to .../interim while each sentence was spoken, each a beginning of a sentence.
        for (const [device, finals] of [
            ['kitchen', KITCHEN],
            ['hallway', HALLWAY],
        ] as const) {
            const interim = texts(`sis/text/${device}/interim`);
            assert.ok(interim.length >= 2, `${device}: interim results (${interim.length})`);
            for (const t of interim)
                assert.ok(
                    finals.some((f) => f.startsWith(t)),
                    `${device}: interim "${t}"`,
                );
        }
        assert.deepEqual(commands('kitchen'), [{ device: 'kitchen', action: 'fan', state: 'on', text: KITCHEN[1] }]);
        assert.deepEqual(commands('hallway'), [{ device: 'hallway', action: 'light', state: 'on', text: HALLWAY[0] }]);
        // One recognition per device, the hallway's ended by the node (END after its idle timeout).
        const sessions = routeLog(emu, 'rasr');
        assert.equal(sessions.length, 2);
        for (const s of sessions)
            assert.deepEqual((s as unknown as { ws: { commands: string[] } }).ws.commands, ['START', 'END']);
        const sentBytes = [...kitchenLog, ...hallwayLog].reduce((n, p) => n + p.bytes.length, 0);
        const heard = sessions.reduce((n, s) => n + (s as unknown as { ws: { bytes: number } }).ws.bytes, 0);
        assert.equal(heard, sentBytes, 'every byte the devices published reached the service');
        assert.ok(!JSON.stringify(received).includes(CANARY));
    });

    it('a broker restart mid-stream: the flow reconnects, and only what MQTT dropped during the outage is missing', async () => {
        const { sentences, errors, delivered, brokerNode } = await loadExample();
        const devices = { kitchen: await client('kitchen'), hallway: await client('hallway') };
        const audio = { kitchen: fixture('zh_16k.pcm'), hallway: fixture('en_16k.pcm') };
        const expected = { kitchen: KITCHEN, hallway: HALLWAY };
        const logs: Record<string, Published[]> = { kitchen: [], hallway: [] };
        // Each device says three utterances, each its own recognition (chunks, then `end`).
        const utterances = (a: Buffer) => [1, 2, 3].map(() => ({ audio: a, end: true }));
        const speaking = Promise.all(
            (['kitchen', 'hallway'] as const).map((d) => speak(devices[d], d, utterances(audio[d]), logs[d])),
        );
        // The broker goes away 0.5 s into the second utterance, for 0.8 s.
        await delay(3100 + 600 + 500);
        const stopped = Date.now();
        await broker.stop();
        await until(() => (!brokerNode.connected ? true : undefined), 5000);
        await delay(800);
        await broker.start();
        await until(() => brokerNode.connected || undefined, 10_000);
        const recovered = Date.now();
        await speaking;
        await until(() => {
            const finals = sentences.filter((m) => m.final === true);
            return (['kitchen', 'hallway'] as const).every((d) => {
                const mine = finals.filter((m) => m.session === d).map((m) => m.payload);
                return mine.slice(-2).join() === expected[d].join() && mine.length >= 5;
            })
                ? true
                : undefined;
        }, 10_000);
        await delay(500);
        assert.deepEqual(errors, []);

        let deliveredBytes = 0;
        for (const d of ['kitchen', 'hallway'] as const) {
            const published = logs[d];
            const got = delivered[d] ?? [];
            deliveredBytes += got.reduce((n, b) => n + b.length, 0);
            // What arrived is what the device published, minus one run of chunks...
            let head = 0;
            while (head < got.length && got[head].equals(published[head].bytes)) head++;
            let tail = 0;
            while (
                tail < got.length - head &&
                got[got.length - 1 - tail].equals(published[published.length - 1 - tail].bytes)
            )
                tail++;
            assert.equal(head + tail, got.length, `${d}: the chunks that arrived are the published ones, in order`);
            const lost = published.slice(head, published.length - tail);
            assert.ok(lost.length > 0, `${d}: the restart dropped chunks`);
            // ...all published while the broker was away or the flow had not yet resubscribed.
            for (const p of lost) {
                assert.ok(
                    p.at >= stopped - 500 && p.at <= recovered + 500,
                    `${d}: a chunk published ${p.at - stopped} ms after the stop was lost (recovered at ${recovered - stopped} ms)`,
                );
            }
            // Utterances wholly before and after the outage are recognised exactly; the one cut by
            // it ends too (its audio with a hole in it).
            const finals = sentences.filter((m) => m.final === true && m.session === d).map((m) => m.payload);
            assert.deepEqual(finals.slice(0, 2), expected[d], `${d}: before the restart`);
            assert.deepEqual(finals.slice(-2), expected[d], `${d}: after the restart`);
            // The device read its first and last utterance back over MQTT (the watcher reconnected too).
            const heard = texts(`sis/text/${d}`);
            assert.deepEqual(heard.slice(0, 2), expected[d]);
            assert.deepEqual(heard.slice(-2), expected[d]);
        }
        // Nothing that reached Node-RED was lost on the way to the service. (An utterance whose last
        // chunk is under the service's 10 ms minimum frame ends with that chunk padded with silence:
        // the English recording's last 94 bytes.)
        const padding = (a: Buffer): number => 3 * Math.max(0, 320 - (a.length % CHUNK || CHUNK));
        const sessions = routeLog(emu, 'rasr');
        const heardBytes = sessions.reduce((n, s) => n + (s as unknown as { ws: { bytes: number } }).ws.bytes, 0);
        assert.equal(
            heardBytes,
            deliveredBytes + padding(audio.kitchen) + padding(audio.hallway),
            'the service received every byte the broker delivered',
        );
    });
});
