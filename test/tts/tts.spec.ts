// sis-tts in the Node-RED runtime against the emulator: splitting, joining, formats, real-time mode.
// Over 500 lines because the cases share the node's flows and emulator set-up.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { SisClient, SisResult } from '../../nodes/lib/cloud/sis-client';
import { CANARY, configFor, type Emulator, exampleFlow, routeLog, useEmulator } from '../helpers/emulator';
import { type Harness, harness } from '../helpers/flow';
import { asFlow, CORE, coreNode, deploy, helper, loadNode, nodeRedVersion } from '../helpers/nr';
import { delay, until } from '../helpers/wait';

interface SisErrorInfo {
    code: string;
    message: string;
    status?: number;
    trace_id?: string;
    service_code?: string;
    retryable: boolean;
}

interface Parts {
    id: string;
    index: number;
    count?: number;
    type: string;
    parts?: unknown;
}

const cps = (s: string): number => Array.from(s).length;

/** About `n` characters of Chinese sentences (the emulator speaks them at 220 ms a character). */
function chinese(n: number): string {
    let text = '';
    for (let i = 0; cps(text) < n; i++) text += `第${i}句，今天天气很好，我们去公园散步吧。`;
    return text;
}

/** Sizes checked against the file: one fmt, one data chunk, RIFF size = file size - 8. */
function readWav(buf: Buffer): { rate: number; data: Buffer } {
    assert.equal(buf.toString('latin1', 0, 4), 'RIFF');
    assert.equal(buf.readUInt32LE(4), buf.length - 8);
    assert.equal(buf.toString('latin1', 8, 16), 'WAVEfmt ');
    const fmtSize = buf.readUInt32LE(16);
    const dataAt = 20 + fmtSize;
    assert.equal(buf.toString('latin1', dataAt, dataAt + 4), 'data');
    const size = buf.readUInt32LE(dataAt + 4);
    assert.equal(dataAt + 8 + size + (size & 1), buf.length);
    return { rate: buf.readUInt32LE(24), data: buf.subarray(dataAt + 8, dataAt + 8 + size) };
}

/** The emulator's MP3 frames are 144 bytes: every frame starts with a sync word, the last ends the file. */
function mp3Frames(buf: Buffer): number {
    let off = 0;
    let n = 0;
    while (off < buf.length) {
        assert.equal(buf[off], 0xff, `sync at ${off}`);
        assert.equal(buf[off + 1] & 0xe0, 0xe0, `sync at ${off}`);
        off += 144;
        n++;
    }
    assert.equal(off, buf.length);
    return n;
}

/** The WebSocket module the loaded node uses (the built one). */
function wsModule(): { openSocketCount(): number } {
    return require(path.resolve(__dirname, '../../dist/nodes/lib/cloud/ws-connect.js')) as {
        openSocketCount(): number;
    };
}

interface Captured {
    texts: string[];
    audio: Buffer[];
    peak: number;
    /** Answers whose audio came decoded straight from the answer's bytes. */
    lifted: number;
}

/** Watches the config node's client: texts sent, audio received (in text order), most calls at once. */
function watchClient(): Captured {
    const cfg = helper.getNode('cfg') as unknown as { client: SisClient };
    const client = cfg.client;
    const original = client.call.bind(client);
    const seen: Captured = { texts: [], audio: [], peak: 0, lifted: 0 };
    const byText = new Map<string, Buffer>();
    let active = 0;
    client.call = async <T>(call: Parameters<SisClient['call']>[0]): Promise<SisResult<T>> => {
        const text = (call.json as { text: string }).text;
        seen.texts.push(text);
        active++;
        seen.peak = Math.max(seen.peak, active);
        try {
            const res = await original<T>(call);
            // The audio comes decoded beside the answer (its place in the body left empty).
            if (res.bytes) seen.lifted++;
            byText.set(
                text,
                res.bytes ?? Buffer.from((res.body as { result: { data: string } }).result.data, 'base64'),
            );
            return res;
        } finally {
            active--;
        }
    };
    Object.defineProperty(seen, 'audio', { get: () => seen.texts.map((t) => byText.get(t) ?? Buffer.alloc(0)) });
    return seen;
}

function lastRed(h: Harness): string | undefined {
    return h.statuses
        .map((s) => s.status as { fill?: string; text?: string })
        .filter((s) => s.fill === 'red')
        .at(-1)?.text;
}

describe(`sis-tts on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(20_000);
    const getEmu = useEmulator();
    let emu: Emulator;
    beforeEach(() => {
        emu = getEmu();
        emu.ctx.limits.serviceLatencyMs = 0;
    });
    afterEach(() => {
        helper.settings({});
    });

    function ttsBodies(): { text: string; config: Record<string, unknown> }[] {
        return routeLog(emu, 'tts').map((e) => e.body as { text: string; config: Record<string, unknown> });
    }

    describe('whole file (REST)', () => {
        it('speaks a short text into a WAV file, keeping the input properties', async () => {
            const h = await harness(emu, 'sis-tts', {});
            h.send({ payload: '你好，世界。', topic: 'greeting', _keep: 7 });
            const [msg] = await h.outputs(1);
            assert.ok(Buffer.isBuffer(msg.payload));
            const wav = readWav(msg.payload as Buffer);
            // Nothing set: the service's defaults, sent explicitly.
            assert.equal(wav.rate, 8000);
            assert.ok(wav.data.length > 0);
            assert.deepEqual(msg.audio, { format: 'wav', sample_rate: 8000, bytes: (msg.payload as Buffer).length });
            assert.match(String((msg.sis_result as { trace_id?: string }).trace_id), /\w/);
            assert.equal(msg.topic, 'greeting');
            assert.equal(msg._keep, 7);
            await h.completions(1);
            assert.deepEqual(ttsBodies(), [
                {
                    text: '你好，世界。',
                    config: {
                        audio_format: 'wav',
                        sample_rate: '8000',
                        property: 'chinese_xiaoyan_common',
                        speed: 0,
                        pitch: 0,
                        volume: 50,
                    },
                },
            ]);
            const green = h.statuses.map((s) => s.status as { fill?: string; text?: string }).at(-1);
            assert.equal(green?.fill, 'green');
            assert.match(String(green?.text), /^\d+\.\d s of audio$/);
        });

        it('sends every option; msg.sis overrides the node; voices without pitch get none', async () => {
            const h = await harness(emu, 'sis-tts', {
                property: 'chinese_xiaoqi_common',
                audio_format: 'mp3',
                sample_rate: '8000',
                speed: '100',
                pitch: '-50',
                volume: '80',
            });
            h.send({ payload: 'Hello.' });
            h.send({
                payload: 'Hello.',
                sis: { property: 'english_cameal_common', sample_rate: 16000, volume: '20', speed: -500 },
            });
            h.send({
                payload: '你好。',
                sis: { property: 'chinese_huaxiaolong_common', pitch: 0, audio_format: 'pcm', sample_rate: '16000' },
            });
            const msgs = await h.outputs(3);
            const configs = ttsBodies().map((b) => b.config);
            const byVoice = (p: string) => configs.find((c) => c.property === p);
            assert.deepEqual(byVoice('chinese_xiaoqi_common'), {
                audio_format: 'mp3',
                sample_rate: '8000',
                property: 'chinese_xiaoqi_common',
                speed: 100,
                pitch: -50,
                volume: 80,
            });
            assert.deepEqual(byVoice('english_cameal_common'), {
                audio_format: 'mp3',
                sample_rate: '16000',
                property: 'english_cameal_common',
                speed: -500,
                pitch: -50,
                volume: 20,
            });
            assert.deepEqual(byVoice('chinese_huaxiaolong_common'), {
                audio_format: 'pcm',
                sample_rate: '16000',
                property: 'chinese_huaxiaolong_common',
                speed: 100,
                volume: 80,
            });
            assert.deepEqual(msgs.map((m) => (m.audio as { format: string }).format).sort(), ['mp3', 'mp3', 'pcm']);
        });

        it('picks a rate the voice takes when none is set, and leaves pitch out for premium voices', async () => {
            const h = await harness(emu, 'sis-tts', { property: 'chinese_huaxiaolong_common' });
            h.send({ payload: '你好。' });
            const [msg] = await h.outputs(1);
            assert.equal((msg.audio as { sample_rate: number }).sample_rate, 16000);
            assert.deepEqual(ttsBodies()[0].config, {
                audio_format: 'wav',
                sample_rate: '16000',
                property: 'chinese_huaxiaolong_common',
                speed: 0,
                volume: 50,
            });
        });

        it('splits long text at sentences, keeps the bound in flight and joins one WAV in order', async () => {
            emu.ctx.limits.serviceLatencyMs = 40;
            const text = chinese(2100);
            const h = await harness(emu, 'sis-tts', { concurrency: '2', sample_rate: '8000', speed: '500' });
            const seen = watchClient();
            h.send({ payload: text });
            const [msg] = await h.outputs(1);
            assert.ok(seen.texts.length >= 5, `${seen.texts.length} requests`);
            assert.equal(seen.peak, 2, 'the node bound, not more, not less');
            for (const t of seen.texts) {
                assert.ok(cps(t) <= 500);
                assert.match(t, /。$/, 'cut after a sentence');
            }
            assert.equal(seen.texts.join(''), text);
            const wav = readWav(msg.payload as Buffer);
            assert.equal(wav.rate, 8000);
            assert.deepEqual(wav.data, Buffer.concat(seen.audio.map((a) => readWav(a).data)));
            assert.equal((msg.audio as { bytes: number }).bytes, (msg.payload as Buffer).length);
            const result = msg.sis_result as { trace_id: string; trace_ids: string[] };
            assert.equal(result.trace_ids.length, seen.texts.length);
            // Every answer's audio was taken from its bytes, not through JSON.parse.
            assert.equal(seen.lifted, seen.texts.length);
            assert.equal(result.trace_id, result.trace_ids[0]);
        });

        it('joins MP3 frame by frame and PCM byte by byte', async () => {
            const text = chinese(1100);
            const h = await harness(emu, 'sis-tts', { audio_format: 'mp3', sample_rate: '8000', speed: '500' });
            const seen = watchClient();
            h.send({ payload: text });
            const [mp3] = await h.outputs(1);
            const frames = mp3Frames(mp3.payload as Buffer);
            assert.equal(
                frames,
                seen.audio.reduce((n, a) => n + a.length / 144, 0),
            );
            assert.deepEqual(mp3.audio, { format: 'mp3', sample_rate: 8000, bytes: (mp3.payload as Buffer).length });
            h.send({ payload: text, sis: { audio_format: 'pcm' } });
            const [, pcm] = await h.outputs(2);
            const pcmParts = seen.audio.slice(-seen.texts.length / 2);
            assert.deepEqual(pcm.payload, Buffer.concat(pcmParts));
            assert.deepEqual(pcm.audio, { format: 'pcm', sample_rate: 8000, bytes: (pcm.payload as Buffer).length });
        });

        it('splits SSML between elements and wraps every piece in <speak>', async () => {
            const sentence = '欢迎光临<break time="300ms"/>本单共计<say-as interpret-as="money">15.55 RMB</say-as>。';
            const doc = `<speak>${sentence.repeat(14)}</speak>`;
            const h = await harness(emu, 'sis-tts', { property: 'chinese_huaxiaomei_common', sample_rate: '8000' });
            h.send({ payload: doc });
            await h.outputs(1);
            const texts = ttsBodies().map((b) => b.text);
            assert.ok(texts.length >= 2);
            for (const t of texts) {
                assert.ok(cps(t) <= 500);
                assert.match(
                    t,
                    /^<speak>(欢迎光临<break time="300ms"\/>本单共计<say-as interpret-as="money">15\.55 RMB<\/say-as>。)+<\/speak>$/,
                );
            }
        });

        const invalid: [string, Record<string, unknown>, RegExp, Record<string, unknown>?][] = [
            ['a payload that is not a string', { payload: 42 }, /string/],
            ['an empty text', { payload: '  \n' }, /empty/],
            ['msg.sis that is not an object', { payload: 'hi', sis: 'fast' }, /msg\.sis/],
            ['an unknown voice', { payload: 'hi', sis: { property: 'klingon_worf_common' } }, /property/],
            ['an unknown format', { payload: 'hi', sis: { audio_format: 'ogg' } }, /audio_format/],
            ['an unknown sample rate', { payload: 'hi', sis: { sample_rate: 22050 } }, /sample_rate/],
            [
                '8 kHz for a 16 kHz-only voice',
                { payload: 'hi', sis: { property: 'chinese_huaxiaorui_common', sample_rate: '8000' } },
                /16000/,
            ],
            ['a speed out of range', { payload: 'hi', sis: { speed: 501 } }, /speed/],
            ['a volume out of range', { payload: 'hi', sis: { volume: -1 } }, /volume/],
            ['a pitch that is not a whole number', { payload: 'hi', sis: { pitch: 1.5 } }, /pitch/],
            [
                'pitch for a premium voice',
                { payload: 'hi', sis: { property: 'chinese_huaxiaoxia_common', pitch: 20 } },
                /pitch/,
            ],
            [
                'SSML for a voice without SSML',
                { payload: '<speak>hi</speak>', sis: { property: 'chinese_xiaoyan_common' } },
                /SSML/,
            ],
            [
                'SSML markup that is not closed',
                { payload: '<speak>a<say-as>b</speak>', sis: { property: 'chinese_huaxiaomei_common' } },
                /not closed/,
            ],
            [
                'a text longer than sisTtsMaxTextLength',
                { payload: 'x'.repeat(61) },
                /61 characters/,
                { sisTtsMaxTextLength: 60 },
            ],
        ];
        for (const [what, msg, pattern, settings] of invalid) {
            it(`refuses ${what} with INVALID_INPUT before sending, once`, async () => {
                if (settings) helper.settings(settings);
                const h = await harness(emu, 'sis-tts', { mode: 'rest' });
                h.send(msg);
                const [caught] = await h.errors(1);
                const error = caught.error as { message: string; code: string };
                assert.equal(error.code, 'INVALID_INPUT');
                assert.match(error.message, pattern);
                assert.equal((caught.sis_error as SisErrorInfo).code, 'INVALID_INPUT');
                await h.quiet(60);
                assert.equal(h.caught.length, 1);
                assert.equal(h.out[0].length, 0);
                assert.equal(routeLog(emu, 'tts').length + routeLog(emu, 'rtts').length, 0);
            });
        }

        it('a service error on one piece reaches Catch once and nothing is sent', async () => {
            emu.faults.add({
                route: 'tts',
                kind: 'status',
                status: 400,
                code: 'SIS.0411',
                message: "'property' is invalid",
            });
            const h = await harness(emu, 'sis-tts', { sample_rate: '8000', speed: '500' });
            h.send({ payload: chinese(1600), topic: 't' });
            const [caught] = await h.errors(1);
            const info = caught.sis_error as SisErrorInfo;
            assert.equal(info.code, 'SIS.0411');
            assert.equal(info.status, 400);
            assert.equal(info.retryable, false);
            assert.equal((caught.error as { code: string }).code, 'SIS.0411');
            assert.equal(caught.topic, 't');
            await h.quiet(150);
            assert.equal(h.caught.length, 1);
            assert.equal(h.out[0].length, 0);
            assert.equal(h.completed.length, 0);
            assert.equal(lastRed(h), 'service error (SIS.0411)');
        });

        it('503 and 429 are retried by the config node client, then the text is spoken', async () => {
            emu.faults.add({ route: 'tts', kind: 'status', status: 503, count: 1 });
            emu.faults.add({ route: 'tts', kind: 'status', status: 429, count: 1 });
            const h = await harness(emu, 'sis-tts', {}, { configExtra: { maxRetries: 3 } });
            h.send({ payload: '重试以后成功。' });
            await h.outputs(1);
            assert.equal(h.caught.length, 0);
            assert.deepEqual(
                routeLog(emu, 'tts').map((e) => e.status),
                [503, 429, 200],
            );
        });

        it('secrets never reach statuses, errors or messages', async () => {
            const h = await harness(emu, 'sis-tts', {}, { credentials: { sk: `${CANARY}x` } });
            h.send({ payload: '你好。' });
            const [caught] = await h.errors(1);
            assert.equal((caught.sis_error as SisErrorInfo).code, 'AUTH_FAILED');
            assert.ok(!JSON.stringify([h.caught, h.statuses, h.out, helper.log().args]).includes(CANARY));
        });

        it('answers a repeated alert from its phrase cache: no request, at once, and the status says so', async () => {
            const h = await harness(emu, 'sis-tts', { cache: 'yes', cacheSize: '1' });
            h.send({ payload: '三号车间温度过高。', topic: 'first' });
            const [first] = await h.outputs(1);
            assert.equal(routeLog(emu, 'tts').length, 1);
            h.send({ payload: '三号车间温度过高。', topic: 'again' });
            const [, again] = await h.outputs(2);
            assert.equal(routeLog(emu, 'tts').length, 1, 'no second request');
            assert.deepEqual(again.payload, first.payload);
            assert.deepEqual(again.audio, first.audio);
            assert.deepEqual(again.sis_result, { cached: true });
            assert.equal(again.topic, 'again');
            const last = h.statuses.map((s) => (s.status as { text: string }).text).at(-1);
            assert.match(String(last), /^\d+\.\d s of audio, from the cache$/);
            h.send({ payload: '三号车间温度过高。', sis: { speed: 100 } });
            await h.outputs(3);
            assert.equal(routeLog(emu, 'tts').length, 2, 'another speed is another phrase');
        });

        it('without the cache (the default), every input is a request', async () => {
            const h = await harness(emu, 'sis-tts', {});
            h.send({ payload: '你好。' });
            h.send({ payload: '你好。' });
            await h.outputs(2);
            assert.equal(routeLog(emu, 'tts').length, 2);
        });

        it('reads the text from another property and writes the audio to another one', async () => {
            const h = await harness(emu, 'sis-tts', {
                inputField: 'alert.text',
                inputFieldType: 'msg',
                outputField: 'speech',
            });
            h.send({ payload: 'kept', alert: { text: '你好。' } });
            const [msg] = await h.outputs(1);
            assert.equal(msg.payload, 'kept');
            assert.ok(Buffer.isBuffer(msg.speech));
            assert.equal(ttsBodies()[0].text, '你好。');
        });
    });

    describe('real-time stream (RTTS)', () => {
        it('sends parts as audio arrives; the last carries the count; the audio equals the file mode', async () => {
            const text = chinese(700);
            const props = { sample_rate: '8000', speed: '500', audio_format: 'pcm' };
            const file = await harness(emu, 'sis-tts', props);
            file.send({ payload: text });
            const [whole] = await file.outputs(1);
            await helper.unload();
            const h = await harness(emu, 'sis-tts', { ...props, mode: 'realtime' });
            h.send({ payload: text, topic: 'live', parts: { id: 'outer', index: 3, count: 5 } });
            await h.completions(1);
            const parts = h.out[0];
            assert.ok(parts.length > 10, `${parts.length} parts`);
            assert.equal(routeLog(emu, 'rtts').length, 2, 'one connection per 500 characters');
            const id = (parts[0].parts as Parts).id;
            parts.forEach((m, i) => {
                const p = m.parts as Parts;
                assert.equal(p.id, id);
                assert.equal(p.index, i);
                assert.equal(p.type, 'buffer');
                assert.deepEqual(p.parts, { id: 'outer', index: 3, count: 5 });
                assert.equal(p.count, i === parts.length - 1 ? parts.length : undefined);
                assert.equal(m.topic, 'live');
                assert.deepEqual(m.audio, { format: 'pcm', sample_rate: 8000, bytes: (m.payload as Buffer).length });
                assert.match(String((m.sis_result as { trace_id?: string }).trace_id), /\w/);
            });
            assert.deepEqual(Buffer.concat(parts.map((m) => m.payload as Buffer)), whole.payload);
            assert.equal(h.caught.length, 0);
        });

        it('a join node in automatic mode reassembles the parts into one Buffer', async () => {
            const h = await harness(
                emu,
                'sis-tts',
                { mode: 'realtime', sample_rate: '8000', speed: '500', audio_format: 'pcm' },
                {
                    wire0To: 'join',
                    extraModules: [CORE.join()],
                    extraNodes: [
                        { id: 'join', type: 'join', z: 'tab', mode: 'auto', wires: [['joined']] },
                        { id: 'joined', type: 'helper', z: 'tab' },
                    ],
                },
            );
            const joined: Record<string, unknown>[] = [];
            helper.getNode('joined').on('input', (m: Record<string, unknown>) => joined.push(m));
            h.send({ payload: chinese(600), topic: 'j' });
            await until(() => (joined.length > 0 ? true : undefined), 5000);
            await h.quiet(50);
            assert.equal(joined.length, 1);
            const bytes = joined[0].payload as Buffer;
            assert.ok(Buffer.isBuffer(bytes) && bytes.length > 16000);
            assert.equal(joined[0].parts, undefined);
            assert.equal(joined[0].topic, 'j');
        });

        it('WAV starts with a header of open size; MP3 parts continue frame by frame', async () => {
            const h = await harness(emu, 'sis-tts', { mode: 'realtime', sample_rate: '16000', speed: '500' });
            h.send({ payload: chinese(120) });
            await h.completions(1);
            const wav = Buffer.concat(h.out[0].map((m) => m.payload as Buffer));
            assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
            assert.equal(wav.readUInt32LE(40), 0xffffffff);
            assert.equal(wav.readUInt32LE(24), 16000);
            assert.equal((wav.length - 44) % 2, 0);
            h.send({ payload: chinese(700), sis: { audio_format: 'mp3', sample_rate: '8000' } });
            await h.completions(2);
            const first = h.out[0].findIndex((m) => (m.audio as { format: string }).format === 'mp3');
            const mp3 = Buffer.concat(h.out[0].slice(first).map((m) => m.payload as Buffer));
            assert.ok(mp3Frames(mp3) > 0);
        });

        it('a long-text voice takes up to 10000 characters on one connection', async () => {
            const h = await harness(emu, 'sis-tts', {
                mode: 'realtime',
                property: 'chinese_huaxiaomei_common',
                sample_rate: '8000',
                speed: '500',
                audio_format: 'mp3',
            });
            h.send({ payload: chinese(1200) });
            await h.completions(1);
            assert.equal(routeLog(emu, 'rtts').length, 1);
            assert.equal(routeLog(emu, 'tts').length, 0);
        });

        const faults: [string, Record<string, unknown>, string][] = [
            ['ws-error', { kind: 'ws-error', afterFrames: 3 }, 'SIS.0417'],
            ['ws-fatal', { kind: 'ws-fatal', afterFrames: 3 }, 'SIS.0413'],
            ['ws-close', { kind: 'ws-close', afterFrames: 3 }, 'NETWORK'],
        ];
        for (const [what, fault, code] of faults) {
            it(`${what} midway is reported once, and no part carries a count`, async () => {
                emu.faults.add({ route: 'rtts', ...fault } as Parameters<Emulator['faults']['add']>[0]);
                const h = await harness(emu, 'sis-tts', { mode: 'realtime', sample_rate: '8000' });
                h.send({ payload: chinese(100) });
                const [caught] = await h.errors(1);
                assert.equal((caught.sis_error as SisErrorInfo).code, code);
                await h.quiet(100);
                assert.equal(h.caught.length, 1);
                assert.ok(h.out[0].length <= 3);
                assert.ok(h.out[0].every((m) => (m.parts as Parts).count === undefined));
                assert.equal(lastRed(h), code === 'NETWORK' ? 'network error (NETWORK)' : `service error (${code})`);
                await until(() => (wsModule().openSocketCount() === 0 ? true : undefined), 2000);
            });
        }

        it('a refused handshake is retried (503), an authentication failure is not', async () => {
            emu.faults.add({ route: 'rtts', kind: 'status', status: 503, count: 1 });
            const h = await harness(emu, 'sis-tts', { mode: 'realtime', sample_rate: '8000' });
            h.send({ payload: '你好。' });
            await h.completions(1);
            assert.deepEqual(
                routeLog(emu, 'rtts').map((e) => e.status),
                [503, 101],
            );
            emu.log.clear();
            emu.faults.add({ route: 'rtts', kind: 'status', status: 401, count: 5 });
            h.send({ payload: '你好。' });
            const [caught] = await h.errors(1);
            assert.equal((caught.sis_error as SisErrorInfo).code, 'AUTH_FAILED');
            assert.equal((caught.sis_error as SisErrorInfo).service_code, 'APIG.0301');
            assert.equal(routeLog(emu, 'rtts').length, 1);
        });

        async function loadRealtime(extra: Record<string, unknown>) {
            const { node: cfg, credentials } = configFor(emu, 'aksk');
            const tts = {
                id: 'n1',
                type: 'sis-tts',
                z: 'tab',
                config: 'cfg',
                mode: 'realtime',
                wires: [['out']],
                ...extra,
            };
            const flow = [{ id: 'tab', type: 'tab' }, cfg, tts, { id: 'out', type: 'helper', z: 'tab' }];
            await helper.load([loadNode('sis-config'), loadNode('sis-tts')], asFlow(flow), { cfg: credentials });
            const out: Record<string, unknown>[] = [];
            helper.getNode('out').on('input', (m: Record<string, unknown>) => out.push(m));
            /** A "modified nodes" deploy of the sis-tts node alone (the config node stays). */
            const redeploy = () =>
                deploy(asFlow([...flow.slice(0, 2), { ...tts, speed: '100' }, flow[3]]), 'nodes', {
                    cfg: credentials,
                });
            return { out, redeploy };
        }

        async function afterRedeploy(out: Record<string, unknown>[]): Promise<void> {
            await until(() => (wsModule().openSocketCount() === 0 ? true : undefined), 1000);
            const count = out.length;
            await delay(150);
            assert.equal(out.length, count, 'nothing after the redeploy');
            assert.ok(
                out.every((m) => (m.parts as Parts).count === undefined),
                'no sequence was completed',
            );
            // The new node works on the same config node.
            const fresh: Record<string, unknown>[] = [];
            helper.getNode('out').on('input', (m: Record<string, unknown>) => fresh.push(m));
            helper.getNode('n1').receive({ payload: '你好。' });
            await until(() => (fresh.some((m) => (m.parts as Parts).count !== undefined) ? true : undefined), 5000);
        }

        it('a redeploy while audio is streaming in closes the socket at once and sends nothing more', async () => {
            const { out, redeploy } = await loadRealtime({
                property: 'chinese_huaxiaomei_common',
                sample_rate: '16000',
            });
            let openAtRedeploy = -1;
            let deployed: Promise<void> | undefined;
            helper.getNode('out').on('input', () => {
                if (deployed) return;
                openAtRedeploy = wsModule().openSocketCount();
                deployed = redeploy();
            });
            helper.getNode('n1').receive({ payload: chinese(1500) });
            await until(() => deployed, 5000);
            const started = Date.now();
            await deployed;
            assert.ok(Date.now() - started < 1000, 'the node closed promptly');
            assert.equal(openAtRedeploy, 1, 'the synthesis was still streaming');
            await afterRedeploy(out);
        });

        it('a redeploy while a handshake is pending aborts it', async () => {
            const { out, redeploy } = await loadRealtime({ sample_rate: '8000', concurrency: '1' });
            // Once the first connection is up, the next handshake hangs: the redeploy lands between two syntheses.
            const log = emu.ctx.log;
            const add = log.add.bind(log);
            let armed = false;
            log.add = (entry) => {
                add(entry);
                if (entry.route === 'rtts' && !armed) {
                    armed = true;
                    emu.faults.add({ route: 'rtts', kind: 'delay', delayMs: 3000, count: 1 });
                }
            };
            try {
                helper.getNode('n1').receive({ payload: chinese(900) });
                // The fault is taken when the second handshake arrives, after the first connection closed.
                await until(() => {
                    const pending = armed && emu.faults.list().length === 0 && wsModule().openSocketCount() === 1;
                    return pending ? true : undefined;
                }, 5000);
            } finally {
                log.add = add;
            }
            assert.ok(out.length > 0, 'the first text was spoken');
            const started = Date.now();
            await redeploy();
            assert.ok(Date.now() - started < 1000, 'the node closed promptly');
            await afterRedeploy(out);
        });
    });

    it('the example flow writes a WAV file and rebuilds the real-time recording', async () => {
        const dir = mkdtempSync(path.join(tmpdir(), 'sis-tts-'));
        try {
            const { nodes: flow, credentials } = exampleFlow('tts-spoken-alert.json', emu);
            // The flow writes to the OS temporary folder (examples.spec checks that); here, a folder of its own.
            const file = flow.find((n) => n.type === 'file') as Record<string, unknown>;
            const target = path.join(dir, 'sis-alert.wav');
            Object.assign(file, { filename: target, filenameType: 'str' });
            await helper.load(
                [
                    loadNode('sis-config'),
                    loadNode('sis-tts'),
                    coreNode('common/20-inject.js'),
                    coreNode('storage/10-file.js'),
                    coreNode('function/10-function.js'),
                    CORE.join(),
                    CORE.catch(),
                ],
                asFlow(flow),
                credentials,
            );
            const byName = (name: string) => flow.find((n) => n.name === name)?.id as string;
            const got: Record<string, Record<string, unknown>[]> = { info: [], recording: [], error: [] };
            helper.getNode(byName('audio info')).on('input', (m: Record<string, unknown>) => got.info.push(m));
            helper
                .getNode(byName('recording bytes'))
                .on('input', (m: Record<string, unknown>) => got.recording.push(m));
            helper.getNode(byName('error')).on('input', (m: Record<string, unknown>) => got.error.push(m));
            helper.getNode(byName('cold-room alert')).receive({});
            helper.getNode(byName('long announcement')).receive({});
            await until(() => (got.info.length && got.recording.length ? true : undefined), 8000);
            assert.equal(got.error.length, 0);
            assert.equal(got.info[0].topic, 'cold-room-3');
            await until(() => {
                try {
                    return readWav(readFileSync(target)).data.length > 0 ? true : undefined;
                } catch {
                    return undefined;
                }
            }, 3000);
            const recording = got.recording[0].payload as Buffer;
            assert.ok(Buffer.isBuffer(recording) && recording.length > 32000);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
