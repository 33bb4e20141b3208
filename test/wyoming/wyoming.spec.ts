// sis-wyoming in the Node-RED runtime against the emulator, driven by the suite's own Wyoming
// client replaying Home Assistant's sequences: describe, STT at 16 kHz and at 48 kHz stereo,
// plain and streamed TTS, garbage, a client vanishing mid-stream, the allow list and the bound.
// Over 500 lines because the cases share the node's flows and the emulator set-up.
import * as assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { frameSpec } from '../../nodes/lib/stream/frames';
import { AudioIntake } from '../../nodes/lib/stream/intake';
import { decodeMessage, encodeQuery, TYPE } from '../../nodes/lib/wyoming/mdns';
import { type Emulator, startCanaryEmulator } from '../helpers/emulator';
import { fixture, transcript } from '../helpers/fixtures';
import { type Harness, harness } from '../helpers/flow';
import { helper, nodeRedVersion } from '../helpers/nr';
import { wavOf } from '../helpers/stream';
import { delay, until } from '../helpers/wait';
import { audioOf, haTranscribe, renderCatalog, type WyomingClient, wyomingClient } from '../helpers/wyoming';

const EN = transcript('en_16k.wav');
const ZH = transcript('zh_16k.wav');

/** The port the node listens on, read from its status text ("listening on port N"). */
async function portOf(h: Harness): Promise<number> {
    return until(() => {
        for (const s of h.statuses) {
            const text = String((s.status as { text?: string }).text ?? '');
            const m = /^listening on port (\d+)$/.exec(text);
            if (m) return Number(m[1]);
        }
        return undefined;
    }, 5000);
}

/** 16-bit mono PCM at 16 kHz → 48 kHz stereo (each sample three times, on both channels). */
function to48kStereo(pcm: Buffer): Buffer {
    const n = pcm.length >> 1;
    const out = Buffer.alloc(n * 3 * 2 * 2);
    for (let i = 0; i < n; i++) {
        const v = pcm.readInt16LE(i * 2);
        for (let k = 0; k < 3; k++) {
            out.writeInt16LE(v, (i * 3 + k) * 4);
            out.writeInt16LE(v, (i * 3 + k) * 4 + 2);
        }
    }
    return out;
}

/** What the node's intake makes of 48 kHz stereo audio (the stream node's own conversion). */
function converted(pcm48: Buffer): Buffer {
    const intake = new AudioIntake(frameSpec('pcm16k16bit'));
    const wav = wavOf(pcm48, 48000, 2);
    return Buffer.concat([intake.push(wav), intake.flush()]);
}

function handles(kind: string): number {
    return process.getActiveResourcesInfo().filter((r) => r === kind).length;
}

describe(`sis-wyoming on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(30_000);
    let emu: Emulator;
    const pcm = fixture('en_16k.pcm');
    const zhPcm = fixture('zh_16k.pcm');
    const clients: WyomingClient[] = [];

    before(async () => {
        renderCatalog('sis-wyoming');
        emu = await startCanaryEmulator({ limits: { wsIdleMs: 20_000 } });
        for (const name of ['en_16k.wav', 'zh_16k.wav']) emu.transcripts.register(fixture(name), transcript(name));
        emu.transcripts.register(wavOf(converted(to48kStereo(pcm)), 16000, 1), EN);
    });
    after(async () => {
        await emu.close();
    });
    beforeEach((done) => {
        emu.faults.clear();
        emu.log.clear();
        helper.startServer(done);
    });
    afterEach(async () => {
        for (const c of clients.splice(0)) c.close();
        await helper.unload();
        await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    });

    async function server(props: Record<string, unknown> = {}): Promise<{ h: Harness; port: number }> {
        const h = await harness(emu, 'sis-wyoming', { host: '127.0.0.1', port: 0, zeroconf: 'no', ...props });
        return { h, port: await portOf(h) };
    }

    async function client(port: number): Promise<WyomingClient> {
        const c = await wyomingClient(port);
        clients.push(c);
        return c;
    }

    describe('describe', () => {
        it('answers from memory with an info Home Assistant accepts, well within its 1 s', async () => {
            const { port } = await server();
            emu.log.clear();
            const c = await client(port);
            const sent = Date.now();
            c.send('describe');
            const info = await c.next('info', 1000);
            assert.ok(info.at - sent < 500, `info after ${info.at - sent} ms`);
            assert.equal(emu.log.entries().length, 0, 'no call to the service');
            const asr = info.data.asr as Record<string, unknown>[];
            const tts = info.data.tts as Record<string, unknown>[];
            assert.equal(asr.length, 1);
            assert.equal(tts.length, 1);
            assert.equal(asr[0].supports_transcript_streaming, true);
            assert.equal(tts[0].supports_synthesize_streaming, true);
            const artifacts = [
                ...asr,
                ...tts,
                ...(asr[0].models as Record<string, unknown>[]),
                ...(tts[0].voices as Record<string, unknown>[]),
            ];
            for (const a of artifacts) {
                assert.equal(typeof a.name, 'string');
                assert.equal(typeof (a.attribution as { name: string }).name, 'string');
                assert.equal(typeof (a.attribution as { url: string }).url, 'string');
                assert.equal(a.installed, true);
                assert.ok('description' in a && 'version' in a);
            }
            const models = asr[0].models as { name: string; languages: string[] }[];
            assert.deepEqual(
                models.map((m) => [m.languages, m.name]),
                [
                    [['zh-CN'], 'chinese_16k_general'],
                    [['en-US'], 'english_16k_common'],
                    [['zh-HK'], 'cantonese_16k_common'],
                    [['wuu'], 'shanghai_16k_common'],
                ],
            );
            const voices = tts[0].voices as { name: string; languages: string[]; description: string }[];
            assert.equal(voices[0].name, 'chinese_xiaoyan_common');
            assert.deepEqual(voices.find((v) => v.name === 'english_amy_common')?.languages, ['en-US']);
            assert.match(voices[0].description, /小燕/);
            for (const v of voices) assert.ok(Array.isArray(v.languages) && v.languages.length > 0);
            // A second describe on the same connection is answered too.
            c.send('describe', {}, undefined, { dataBlock: true });
            await c.next('info', 1000);
        });

        it('leaves a program out when it is switched off, and follows the languages and voices set', async () => {
            const { port } = await server({
                stt: 'no',
                voices: 'english_amy_common chinese_xiaoqi_common',
                languages: 'zh-CN=sichuan_16k_common',
            });
            const c = await client(port);
            c.send('describe');
            const info = await c.next('info');
            assert.deepEqual(info.data.asr, []);
            const voices = (info.data.tts as { voices: { name: string }[] }[])[0].voices.map((v) => v.name);
            assert.deepEqual(voices, ['english_amy_common', 'chinese_xiaoqi_common']);
            c.send('transcribe', { language: 'zh-CN' });
            const err = await c.next('error');
            assert.equal(err.data.code, 'INVALID_INPUT');
            assert.match(String(err.data.text), /speech-to-text is switched off/);
        });

        it('refuses settings it cannot use, with a status and one error', async () => {
            const h = await harness(emu, 'sis-wyoming', { port: 0, zeroconf: 'no', languages: 'zh-CN=nope_16k' });
            await until(() => (h.statuses.length > 0 ? true : undefined));
            assert.equal((h.statuses[0].status as { text: string }).text, 'stopped: INVALID_INPUT');
            const caught = await h.errors(1);
            assert.match((caught[0].sis_error as { message: string }).message, /nope_16k is not a real-time model/);
        });
    });

    describe('speech to text', () => {
        it('streams 16 kHz audio as Home Assistant sends it: chunks as sentences close, then the transcript', async () => {
            const { h, port } = await server();
            const c = await client(port);
            await haTranscribe(c, pcm, { language: 'en' });
            const start = await c.next('transcript-start');
            assert.equal(start.data.language, 'en-US');
            const chunks = [await c.next('transcript-chunk'), await c.next('transcript-chunk')];
            const done = await c.next('transcript');
            await c.next('transcript-stop');
            assert.deepEqual(
                chunks.map((e) => e.data.text),
                EN,
            );
            assert.equal(done.data.text, EN.join(' '));
            assert.equal(done.data.language, 'en-US');
            const out = await h.outputs(1);
            assert.equal(out[0].payload, EN.join(' '));
            const w = out[0].wyoming as { client: string; language: string };
            assert.equal(w.language, 'en-US');
            assert.match(w.client, /^127\.0\.0\.1:\d+$/);
            const rasr = emu.log.entries().filter((e) => e.route === 'rasr');
            assert.equal(rasr.length, 1);
            assert.match(String(rasr[0].path), /continue-stream/);
        });

        it('takes data in a data block, and Chinese joins without spaces', async () => {
            const { port } = await server();
            const c = await client(port);
            c.send('transcribe', { language: 'zh' }, undefined, { dataBlock: true });
            c.send('audio-start', { rate: 16000, width: 2, channels: 1 }, undefined, { dataBlock: true });
            for (let i = 0; i < zhPcm.length; i += 2048) {
                c.send('audio-chunk', { rate: 16000, width: 2, channels: 1 }, zhPcm.subarray(i, i + 2048), {
                    dataBlock: true,
                });
            }
            c.send('audio-stop', {}, undefined, { dataBlock: true });
            const done = await c.next('transcript');
            assert.equal(done.data.text, ZH.join(''));
            assert.equal(done.data.language, 'zh-CN');
        });

        it('converts 48 kHz stereo as the stream node does, sending while the audio arrives', async () => {
            const { port } = await server();
            const c = await client(port);
            const audio = to48kStereo(pcm);
            c.send('transcribe', { language: 'en-US' });
            c.send('audio-start', { rate: 48000, width: 2, channels: 2 });
            // 2 s: past the first sentence and the 500 ms of silence that closes it.
            const half = 2 * 48000 * 4;
            for (let i = 0; i < half; i += 4096) {
                c.send(
                    'audio-chunk',
                    { rate: 48000, width: 2, channels: 2 },
                    audio.subarray(i, Math.min(half, i + 4096)),
                );
            }
            // Audio reaches the service before audio-stop: the first sentence is final already.
            const first = await c.next('transcript-chunk');
            assert.equal(first.data.text, EN[0]);
            for (let i = half; i < audio.length; i += 4096) {
                c.send('audio-chunk', { rate: 48000, width: 2, channels: 2 }, audio.subarray(i, i + 4096));
            }
            const stopAt = Date.now();
            c.send('audio-stop');
            const done = await c.next('transcript');
            assert.equal(done.data.text, EN.join(' '));
            assert.ok(done.at - stopAt < 1000, `transcript ${done.at - stopAt} ms after audio-stop`);
        });

        it('takes 8-bit, 24-bit and 32-bit samples', async () => {
            const { port } = await server();
            for (const width of [1, 3, 4]) {
                const wide = Buffer.alloc((pcm.length / 2) * width);
                for (let i = 0; i < pcm.length / 2; i++) {
                    const v = pcm.readInt16LE(i * 2);
                    if (width === 1) wide.writeInt8(v >> 8, i);
                    else if (width === 3) wide.writeIntLE(v * 256, i * 3, 3);
                    else wide.writeInt32LE(v * 65536, i * 4);
                }
                const c = await client(port);
                await haTranscribe(c, wide, { language: 'en-US', width });
                const done = await c.next('transcript');
                // 24 and 32 bits keep every bit of the 16-bit source: the very audio, the very text.
                if (width > 1) assert.equal(done.data.text, EN.join(' '));
                else assert.equal(typeof done.data.text, 'string');
            }
        });

        it('zh-Hant is Cantonese, an unserved language is an error event and one caught error', async () => {
            const { h, port } = await server();
            const c = await client(port);
            await haTranscribe(c, zhPcm, { language: 'zh-Hant' });
            const start = await c.next('transcript-start');
            assert.equal(start.data.language, 'zh-HK');
            await c.next('transcript');
            const rasr = emu.log.entries().find((e) => e.route === 'rasr');
            assert.ok(rasr);
            const c2 = await client(port);
            c2.send('transcribe', { language: 'fr-FR' });
            const err = await c2.next('error');
            assert.equal(err.data.code, 'INVALID_INPUT');
            assert.match(String(err.data.text), /fr-FR is not served here/);
            const caught = await h.errors(1);
            const info = caught[0].sis_error as { code: string; retryable: boolean };
            assert.equal(info.code, 'INVALID_INPUT');
            assert.equal(info.retryable, false);
            await h.quiet(100);
        });

        it('a transcribe without audio still gets its transcript', async () => {
            const { port } = await server();
            const c = await client(port);
            c.send('transcribe', { language: 'zh-CN' });
            c.send('audio-stop');
            const done = await c.next('transcript');
            assert.equal(done.data.text, '');
            await c.next('transcript-stop');
        });

        it('a service failure is an error event with the service code, reported once', async () => {
            const { h, port } = await server();
            emu.faults.add({ route: 'rasr', kind: 'ws-fatal', afterFrames: 1, code: 'SIS.0304' });
            const c = await client(port);
            await haTranscribe(c, pcm, { language: 'en-US' });
            const err = await c.next('error');
            assert.equal(err.data.code, 'SIS.0304');
            const caught = await h.errors(1);
            assert.equal((caught[0].sis_error as { code: string }).code, 'SIS.0304');
            assert.deepEqual(caught[0].wyoming, { client: (caught[0].wyoming as { client: string }).client });
            await h.quiet(200);
            assert.equal(h.caught.length, 1);
        });

        it('a client vanishing mid-stream releases its recognition; the server goes on', async () => {
            const { h, port } = await server();
            const c = await client(port);
            c.send('transcribe', { language: 'en-US' });
            c.send('audio-start', { rate: 16000, width: 2, channels: 1 });
            c.send('audio-chunk', { rate: 16000, width: 2, channels: 1 }, pcm.subarray(0, 32000));
            await until(() => (emu.log.entries().some((e) => e.route === 'rasr') ? true : undefined));
            await delay(100);
            c.close();
            await until(() => {
                const last = h.statuses.at(-1)?.status as { text?: string } | undefined;
                return last?.text?.startsWith('listening') ? true : undefined;
            });
            const c2 = await client(port);
            await haTranscribe(c2, pcm, { language: 'en-US' });
            assert.equal((await c2.next('transcript')).data.text, EN.join(' '));
            assert.equal(h.caught.length, 0);
        });
    });

    describe('text to speech', () => {
        const FORMAT = { rate: 16000, width: 2, channels: 1 };

        it('plain synthesize: ONE audio group for the whole text, its first audio out before the last sentence is made', async () => {
            const { h, port } = await server();
            // Each real-time synthesis takes 300 ms to start, as a service would.
            emu.faults.add({ route: 'rtts', kind: 'delay', delayMs: 300, count: 100 });
            const c = await client(port);
            const text = '今天天气很好。我们去公园散步吧。晚上回家吃饭。';
            c.send('synthesize', { text, voice: { name: 'chinese_xiaoyan_common' } });
            const stop = await c.next('audio-stop');
            const types = c.events.map((e) => e.type);
            assert.equal(types.filter((t) => t === 'audio-start').length, 1);
            assert.equal(types.filter((t) => t === 'audio-stop').length, 1);
            assert.equal(types[0], 'audio-start');
            const start = c.events[0];
            assert.deepEqual({ rate: start.data.rate, width: start.data.width, channels: start.data.channels }, FORMAT);
            const firstChunk = c.events.find((e) => e.type === 'audio-chunk');
            assert.ok(firstChunk);
            assert.ok(stop.at - firstChunk.at >= 250, `first audio ${stop.at - firstChunk.at} ms before the end`);
            const audio = audioOf(c.events);
            assert.ok(audio.length > 16000, 'audio');
            assert.equal(emu.log.entries().filter((e) => e.route === 'rtts').length, 3);
            const out = await h.outputs(1);
            assert.deepEqual([out[0].payload, out[0].topic], [text, 'tts']);
            // Home Assistant stops reading at audio-stop: nothing follows it.
            await delay(100);
            assert.equal(c.events.at(-1)?.type, 'audio-stop');
        });

        it('picks an English voice for English text when Home Assistant names none', async () => {
            const { port } = await server();
            const c = await client(port);
            c.send('synthesize', { text: 'Turn on the light. It is sunny today.' });
            await c.next('audio-stop');
            const props = emu.log
                .entries()
                .filter((e) => e.route === 'rtts')
                .map((e) => JSON.stringify(e));
            assert.ok(props.length >= 1);
            const c2 = await client(port);
            c2.send('synthesize', { text: '你好', voice: { language: 'en-US' } });
            await c2.next('audio-stop');
        });

        it('streamed synthesis: a group per sentence as the text arrives, the repeated synthesize ignored', async () => {
            const { h, port } = await server();
            const c = await client(port);
            c.send('synthesize-start', { voice: { name: 'chinese_xiaoyan_common' } });
            c.send('synthesize-chunk', { text: '今天天气' });
            c.send('synthesize-chunk', { text: '很好。我们去' });
            // The first sentence is complete: its audio comes before the text is.
            const firstStop = await c.next('audio-stop');
            c.send('synthesize-chunk', { text: '公园散步吧。' });
            c.send('synthesize', { text: '今天天气很好。我们去公园散步吧。' });
            c.send('synthesize-stop');
            const stopped = await c.next('synthesize-stopped');
            assert.ok(firstStop.at < stopped.at);
            const types = c.events.map((e) => e.type).filter((t) => t !== 'audio-chunk');
            assert.deepEqual(types, ['audio-start', 'audio-stop', 'audio-start', 'audio-stop', 'synthesize-stopped']);
            for (const e of c.events.filter((x) => x.type === 'audio-start' || x.type === 'audio-chunk')) {
                assert.deepEqual({ rate: e.data.rate, width: e.data.width, channels: e.data.channels }, FORMAT);
            }
            assert.equal(emu.log.entries().filter((e) => e.route === 'rtts').length, 2, 'the repeat was not spoken');
            const out = await h.outputs(1);
            assert.equal(out[0].payload, '今天天气很好。我们去公园散步吧。');
            assert.equal(out[0].topic, 'tts');
        });

        it('a synthesis failure is an error event with the service code, reported once', async () => {
            const { h, port } = await server();
            emu.faults.add({ route: 'rtts', kind: 'ws-error', afterFrames: 0, code: 'SIS.0417' });
            const c = await client(port);
            c.send('synthesize', { text: '你好。' });
            const err = await c.next('error');
            assert.equal(err.data.code, 'SIS.0417');
            assert.equal((await h.errors(1))[0].sis_error && true, true);
            await h.quiet(200);
            assert.equal(h.caught.length, 1);
        });
    });

    describe('garbage, allow list and bound', () => {
        for (const [what, bytes] of [
            ['a broken JSON line', '{"type": "describe"\n'],
            ['a header that is not an object', '[1,2]\n'],
            ['a negative length', '{"type":"audio-chunk","payload_length":-4}\n'],
            ['a huge length', '{"type":"audio-chunk","payload_length":99999999999}\n'],
            ['a header over 64 KiB', `{"type":"${'x'.repeat(70_000)}`],
            ['data that is not JSON', '{"type":"describe","data_length":3}\nabc'],
        ] as const) {
            it(`${what}: an error event, that connection closed, the server unharmed`, async () => {
                const { h, port } = await server();
                const c = await client(port);
                c.raw(bytes);
                const err = await c.next('error');
                assert.equal(err.data.code, 'PROTOCOL');
                await c.closedBy();
                const c2 = await client(port);
                c2.send('describe');
                await c2.next('info');
                assert.equal((await h.errors(1))[0].sis_error && true, true);
            });
        }

        it('closes clients outside the allow list at once, and says so once', async () => {
            const { h, port } = await server({ allow: '10.0.0.0/8, fd00::/8' });
            for (let i = 0; i < 3; i++) {
                const c = await client(port);
                c.send('describe');
                await c.closedBy();
                assert.equal(c.events.length, 0);
            }
            const warns = (helper.log() as { args: unknown[][] }).args
                .map((a) => a[0] as { level?: number; msg?: string })
                .filter((m) => typeof m?.msg === 'string' && m.msg.includes('not in the allow list'));
            assert.equal(warns.length, 1);
            assert.equal(h.caught.length, 0);
        });

        it('refuses connections beyond its bound with an error event', async () => {
            const { port } = await server({ maxConnections: 1 });
            const c1 = await client(port);
            c1.send('describe');
            await c1.next('info');
            const c2 = await client(port);
            const err = await c2.next('error');
            assert.equal(err.data.code, 'TOO_MANY_CONNECTIONS');
            await c2.closedBy();
        });
    });

    describe('zeroconf', () => {
        it('announces _wyoming._tcp with the node name and its port, and answers queries', async () => {
            const mdnsPort = 27353 + Math.floor(Math.random() * 1000);
            helper.settings({ sisWyomingMdnsPort: mdnsPort } as unknown as Parameters<typeof helper.settings>[0]);
            try {
                const { port } = await server({ zeroconf: 'yes', name: 'Living room' });
                const q = createSocket('udp4');
                await new Promise<void>((resolve) => q.bind(0, '127.0.0.1', () => resolve()));
                try {
                    const answer = new Promise<Buffer>((resolve) => q.once('message', (m) => resolve(m)));
                    // The responder starts once the server listens: ask until it answers.
                    const query = encodeQuery(7, ['Living room', '_wyoming', '_tcp', 'local'], TYPE.SRV);
                    const ask = setInterval(() => q.send(query, mdnsPort, '127.0.0.1'), 100);
                    q.send(query, mdnsPort, '127.0.0.1');
                    const msg = await answer.finally(() => clearInterval(ask));
                    const srv = decodeMessage(msg).answers.find((a) => a.type === TYPE.SRV);
                    assert.ok(srv);
                    assert.equal(srv.data.readUInt16BE(4), port);
                } finally {
                    q.close();
                }
            } finally {
                helper.settings({ sisWyomingMdnsPort: undefined } as unknown as Parameters<typeof helper.settings>[0]);
            }
        });
    });

    describe('close and redeploy', () => {
        it('shows readable statuses with numbers', async () => {
            const { h, port } = await server();
            emu.faults.add({ route: 'rtts', kind: 'delay', delayMs: 300, count: 10 });
            const c = await client(port);
            c.send('synthesize', { text: '你好。' });
            await until(() =>
                h.statuses.some((s) => (s.status as { text: string }).text === `1 request(s) on port ${port}`)
                    ? true
                    : undefined,
            );
            await c.next('audio-stop');
            await until(() =>
                (h.statuses.at(-1)?.status as { text?: string } | undefined)?.text === `listening on port ${port}`
                    ? true
                    : undefined,
            );
        });

        it('redeploys mid-answer without leaking sockets, timers or servers', async () => {
            emu.faults.add({ route: 'rtts', kind: 'delay', delayMs: 100, count: 1000 });
            const base = { sockets: 0, servers: 0, timers: 0 };
            for (let i = 0; i < 12; i++) {
                const { port } = await server({ port: 0 });
                if (i === 2) {
                    base.sockets = handles('TCPSocketWrap');
                    base.servers = handles('TCPServerWrap');
                    base.timers = handles('Timeout');
                }
                const a = await client(port);
                const b = await client(port);
                a.send('synthesize', { text: '今天天气很好。我们去公园散步吧。' });
                b.send('transcribe', { language: 'en-US' });
                b.send('audio-start', { rate: 16000, width: 2, channels: 1 });
                b.send('audio-chunk', { rate: 16000, width: 2, channels: 1 }, pcm.subarray(0, 16000));
                await delay(60);
                await helper.unload();
                for (const c of clients.splice(0)) c.close();
                await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
                await new Promise<void>((resolve) => helper.startServer(() => resolve()));
            }
            await delay(300);
            assert.ok(handles('TCPServerWrap') <= base.servers, 'servers');
            assert.ok(
                handles('TCPSocketWrap') <= base.sockets + 2,
                `sockets ${handles('TCPSocketWrap')} > ${base.sockets}`,
            );
            assert.ok(handles('Timeout') <= base.timers + 2, `timers ${handles('Timeout')} > ${base.timers}`);
        });
    });
});
