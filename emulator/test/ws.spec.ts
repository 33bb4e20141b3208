// The emulator's WebSocket APIs: real-time recognition in its three modes, short audio and RTTS.
// Over 500 lines because every state of the three protocols is driven through one server set-up.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { recognize } from '../audio';
import type { EmulatorContext, EmulatorLimits, Principal } from '../types';
import { handleRasrUpgrade, handleRttsUpgrade, handleShortAudioWsUpgrade } from '../ws';
import { FIXTURE_TRANSCRIPTS, fixture, testContext } from './audio-ws-helpers';

type Frame = { text?: Record<string, unknown>; binary?: Buffer };

const PRINCIPAL: Principal = { kind: 'token', projectId: '0123456789abcdef0123456789abcdef' };
const EN_PCM = fixture('en_16k.pcm');
const ZH_PCM = fixture('zh_16k.pcm');

/** A loopback server that hands upgrades to the handlers, as the core does after auth. */
async function startServer(ctx: EmulatorContext): Promise<{ url: string; close: () => Promise<void> }> {
    const server = http.createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (req, socket, head) => {
        const url = req.url ?? '';
        if (url.includes('/rasr/')) handleRasrUpgrade(ctx, req, socket, head, PRINCIPAL);
        else if (url.endsWith('/rtts')) handleRttsUpgrade(ctx, req, socket, head, PRINCIPAL);
        else if (url.endsWith('/asr/short-audio')) handleShortAudioWsUpgrade(ctx, req, socket, head, PRINCIPAL);
        else socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `ws://127.0.0.1:${port}/v1/${PRINCIPAL.projectId}`,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

class Client {
    readonly ws: WebSocket;
    private frames: Frame[] = [];
    private waiters: (() => void)[] = [];
    closeCode: number | undefined;
    readonly closed: Promise<number>;

    constructor(url: string) {
        this.ws = new WebSocket(url, { headers: { 'X-Auth-Token': 'MIIsecret-token-value' } });
        this.ws.on('message', (data: Buffer, isBinary) => {
            this.frames.push(isBinary ? { binary: data } : { text: JSON.parse(data.toString()) });
            this.wake();
        });
        this.closed = new Promise((resolve) =>
            this.ws.on('close', (code) => {
                this.closeCode = code;
                this.wake();
                resolve(code);
            }),
        );
    }

    private wake(): void {
        for (const w of this.waiters.splice(0)) w();
    }

    open(): Promise<void> {
        return new Promise((resolve, reject) => {
            this.ws.once('open', () => resolve());
            this.ws.once('error', reject);
        });
    }

    send(obj: unknown): void {
        this.ws.send(JSON.stringify(obj));
    }

    /** Sends audio in frames of `size` bytes. */
    audio(buf: Buffer, size = 3200): void {
        for (let i = 0; i < buf.length; i += size) this.ws.send(buf.subarray(i, Math.min(buf.length, i + size)));
    }

    /** Next text message (binary frames are skipped and kept in `binaries`). */
    async next(timeoutMs = 3000): Promise<Record<string, unknown>> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const i = this.frames.findIndex((f) => f.text);
            if (i >= 0) return this.frames.splice(i, 1)[0].text as Record<string, unknown>;
            if (this.closeCode !== undefined) throw new Error(`closed (${this.closeCode}) while waiting`);
            const left = deadline - Date.now();
            if (left <= 0) throw new Error('timed out waiting for a message');
            await new Promise<void>((resolve) => {
                const t = setTimeout(resolve, left);
                this.waiters.push(() => {
                    clearTimeout(t);
                    resolve();
                });
            });
        }
    }

    /** Text messages up to and including the first with `resp_type` in `until`. */
    async until(...types: string[]): Promise<Record<string, unknown>[]> {
        const out: Record<string, unknown>[] = [];
        for (;;) {
            const m = await this.next();
            out.push(m);
            if (types.includes(String(m.resp_type))) return out;
        }
    }

    binaries(): Buffer[] {
        return this.frames.filter((f) => f.binary).map((f) => f.binary as Buffer);
    }

    close(): void {
        this.ws.close();
    }
}

interface Seg {
    start_time: number;
    end_time: number;
    is_final: boolean;
    result: { text: string; score: number; word_info?: unknown[] };
}

function segments(messages: Record<string, unknown>[], final?: boolean): Seg[] {
    return messages
        .filter((m) => m.resp_type === 'RESULT')
        .flatMap((m) => m.segments as Seg[])
        .filter((s) => final === undefined || s.is_final === final);
}

const START_16K = { audio_format: 'pcm16k16bit', property: 'chinese_16k_common', add_punc: 'yes' };

describe('emulator WebSocket APIs', function () {
    this.timeout(10000);
    let ctx: EmulatorContext;
    let server: { url: string; close: () => Promise<void> };
    const clients: Client[] = [];

    async function connect(path: string): Promise<Client> {
        const c = new Client(`${server.url}${path}`);
        clients.push(c);
        await c.open();
        return c;
    }

    async function setup(limits: Partial<EmulatorLimits> = {}): Promise<void> {
        ctx = testContext(limits);
        server = await startServer(ctx);
    }

    beforeEach(() => setup());
    afterEach(async () => {
        for (const c of clients.splice(0)) c.ws.terminate();
        await server.close();
    });

    describe('RASR', () => {
        it('short-stream: one final result for the whole utterance at END, one trace_id', async () => {
            const c = await connect('/rasr/short-stream');
            c.send({ command: 'START', config: START_16K });
            const start = await c.next();
            assert.equal(start.resp_type, 'START');
            assert.match(String(start.trace_id), /^[0-9a-f-]{36}$/);
            c.audio(EN_PCM);
            c.send({ command: 'END', cancel: false });
            const messages = await c.until('END');
            const finals = segments(messages, true);
            assert.equal(finals.length, 1);
            assert.equal(finals[0].result.text, 'Turn on the light. It is sunny today.');
            assert.ok(finals[0].start_time >= 150 && finals[0].end_time <= 2843);
            assert.deepEqual(messages.at(-1), { resp_type: 'END', trace_id: start.trace_id, reason: 'NORMAL' });
            for (const m of messages) assert.equal(m.trace_id, start.trace_id);
            assert.ok(!messages.some((m) => m.resp_type === 'EVENT'));
        });

        it('continue-stream: finalises each sentence as silence closes it, with interim results', async () => {
            const c = await connect('/rasr/continue-stream');
            c.send({ command: 'START', config: { ...START_16K, interim_results: 'yes', need_word_info: 'yes' } });
            await c.next();
            // Stream up to just past the first pause: the first sentence must be final before END.
            c.audio(ZH_PCM.subarray(0, 32000 * 1.5));
            const before = await c.until('RESULT');
            let seen = before;
            while (segments(seen, true).length === 0) seen = seen.concat(await c.until('RESULT'));
            const first = segments(seen, true)[0];
            assert.equal(first.result.text, '你好。');
            assert.ok(first.start_time >= 150 && first.start_time <= 300);
            assert.deepEqual(
                (first.result.word_info as { word: string }[]).map((w) => w.word),
                ['你', '好'],
            );
            c.audio(ZH_PCM.subarray(32000 * 1.5));
            c.send({ command: 'END', cancel: 'false' });
            const rest = seen.concat(await c.until('END'));
            const finals = segments(rest, true);
            assert.deepEqual(
                finals.map((s) => s.result.text),
                ['你好。', '今天很热。'],
            );
            assert.ok(finals[1].start_time > finals[0].end_time + 500);
            const interim = segments(rest, false);
            assert.ok(interim.length >= 2, 'interim results');
            for (const s of interim) assert.equal(s.result.score, 0);
            assert.ok(!rest.some((m) => m.resp_type === 'EVENT'));
            assert.equal(rest.at(-1)?.reason, 'NORMAL');
        });

        it('sentence-stream: VOICE_START, one final, VOICE_END, then later audio is ignored', async () => {
            const c = await connect('/rasr/sentence-stream');
            c.send({ command: 'START', config: { ...START_16K, vad_tail: 400 } });
            await c.next();
            c.audio(EN_PCM, 4000);
            c.send({ command: 'END' });
            const messages = await c.until('END');
            const kinds = messages.map((m) => (m.resp_type === 'EVENT' ? m.event : m.resp_type));
            assert.deepEqual(kinds, ['VOICE_START', 'RESULT', 'VOICE_END', 'END']);
            assert.equal(segments(messages, true)[0].result.text, 'Turn on the light.');
            const end = messages.find((m) => m.event === 'VOICE_END');
            assert.ok(Number(end?.timestamp) >= 960 + 400 - 20);
            assert.equal(messages.at(-1)?.reason, 'NORMAL');
        });

        it('sentence-stream: EXCEEDED_SILENCE after vad_head of silence', async () => {
            const c = await connect('/rasr/sentence-stream');
            c.send({ command: 'START', config: { ...START_16K, vad_head: 500 } });
            await c.next();
            c.audio(Buffer.alloc(32000));
            const event = await c.next();
            assert.equal(event.event, 'EXCEEDED_SILENCE');
            assert.equal(event.timestamp, 500);
            c.send({ command: 'END', cancel: false });
            assert.equal((await c.next()).reason, 'NORMAL');
        });

        it('runs two recognitions on one connection; cancel drops pending results', async () => {
            const c = await connect('/rasr/short-stream');
            c.send({ command: 'START', config: START_16K });
            const a = await c.next();
            c.audio(EN_PCM.subarray(0, 32000));
            c.send({ command: 'END', cancel: false });
            const first = await c.until('END');
            assert.equal(first.at(-1)?.reason, 'NORMAL');
            c.send({ command: 'START', config: START_16K });
            const b = await c.next();
            assert.equal(b.resp_type, 'START');
            assert.notEqual(b.trace_id, a.trace_id);
            c.audio(EN_PCM);
            c.send({ command: 'END', cancel: true });
            const second = await c.until('END');
            assert.deepEqual(second, [{ resp_type: 'END', trace_id: b.trace_id, reason: 'CANCEL' }]);
        });

        it('validates START config: ERROR only, the connection stays usable', async () => {
            const c = await connect('/rasr/continue-stream');
            const bad: [Record<string, unknown>, string][] = [
                [{ ...START_16K, colour: 'red' }, 'SIS.0031'],
                [{ ...START_16K, vad_tail: 5000 }, 'SIS.0031'],
                [{ ...START_16K, vad_head: '100' }, 'SIS.0031'],
                [{ ...START_16K, max_seconds: 0 }, 'SIS.0031'],
                [{ ...START_16K, interim_results: true }, 'SIS.0031'],
                [{ ...START_16K, audio_format: 'mp3' }, 'SIS.0032'],
                [{ ...START_16K, property: 'klingon_16k_common' }, 'SIS.0031'],
                [{ ...START_16K, audio_format: 'pcm8k16bit' }, 'SIS.0301'],
                [{ property: 'chinese_16k_common' }, 'SIS.0032'],
            ];
            for (const [config, code] of bad) {
                c.send({ command: 'START', config });
                const m = await c.next();
                assert.equal(m.resp_type, 'ERROR', JSON.stringify(config));
                assert.equal(m.error_code, code, JSON.stringify(config));
            }
            c.send({ command: 'END' });
            assert.equal((await c.next()).error_code, 'SIS.0031');
            c.ws.send('not json');
            assert.equal((await c.next()).error_code, 'SIS.0032');
            c.send({ command: 'START', config: { ...START_16K, vad_threshold: 0, user_words: ['x'] } });
            assert.equal((await c.next()).resp_type, 'START');
            c.send({ command: 'START', config: START_16K });
            const wrongOrder = await c.until('END');
            assert.deepEqual(
                wrongOrder.map((m) => m.resp_type),
                ['ERROR', 'END'],
            );
            assert.equal(wrongOrder[1].reason, 'ERROR');
        });

        it('refuses frames outside the size limits with ERROR + END ERROR', async () => {
            const c = await connect('/rasr/short-stream');
            for (const size of [100, 65537]) {
                c.send({ command: 'START', config: START_16K });
                await c.next();
                c.ws.send(Buffer.alloc(size));
                const [error, end] = await c.until('END');
                assert.equal(error.error_code, 'SIS.0032');
                assert.equal(end.reason, 'ERROR');
            }
            // 8 kHz: 160 bytes is the minimum and fine.
            c.send({ command: 'START', config: { audio_format: 'alaw8k8bit', property: 'chinese_8k_common' } });
            await c.next();
            c.ws.send(Buffer.alloc(160, 0xd5));
            c.send({ command: 'END' });
            assert.deepEqual(
                (await c.until('END')).map((m) => m.reason),
                ['NORMAL'],
            );
        });

        it('closes an idle connection with FATAL_ERROR SIS.0304', async () => {
            await server.close();
            await setup({ wsIdleMs: 150 });
            const c = await connect('/rasr/short-stream');
            const fatal = await c.next(2000);
            assert.equal(fatal.resp_type, 'FATAL_ERROR');
            assert.equal(fatal.error_code, 'SIS.0304');
            assert.equal(fatal.error_msg, 'wait voice timeout');
            assert.equal(await c.closed, 1011);
        });

        it('stops audio past the cap with SIS.0309 + END ERROR', async () => {
            await server.close();
            await setup({ rasrShortMaxMs: 500 });
            const c = await connect('/rasr/sentence-stream');
            c.send({ command: 'START', config: START_16K });
            await c.next();
            c.audio(Buffer.alloc(32000), 3200);
            const messages = await c.until('END');
            const error = messages.find((m) => m.resp_type === 'ERROR');
            assert.equal(error?.error_code, 'SIS.0309');
            assert.equal(messages.at(-1)?.reason, 'ERROR');
        });

        it('honours injected faults: ws-error, ws-fatal, ws-close after N frames', async () => {
            ctx.faults.add({ route: 'rasr', kind: 'ws-error', afterFrames: 2 });
            let c = await connect('/rasr/short-stream');
            c.send({ command: 'START', config: START_16K });
            await c.next();
            c.audio(EN_PCM.subarray(0, 3200 * 2));
            const [error, end] = await c.until('END');
            assert.equal(error.error_code, 'SIS.0305');
            assert.equal(end.reason, 'ERROR');

            ctx.faults.add({ route: 'rasr', kind: 'ws-fatal', code: 'SIS.0303' });
            c = await connect('/rasr/continue-stream');
            c.send({ command: 'START', config: START_16K });
            assert.equal((await c.next()).resp_type, 'START');
            const fatal = await c.next();
            assert.equal(fatal.resp_type, 'FATAL_ERROR');
            assert.equal(fatal.error_code, 'SIS.0303');
            await c.closed;

            ctx.faults.add({ route: 'rasr', kind: 'ws-close', afterFrames: 1 });
            c = await connect('/rasr/short-stream');
            c.send({ command: 'START', config: START_16K });
            await c.next();
            c.audio(EN_PCM.subarray(0, 3200));
            const code = await c.closed;
            assert.equal(code, 1006); // no close frame
        });

        it('logs the connection with masked headers and counters', async () => {
            const c = await connect('/rasr/short-stream');
            c.send({ command: 'START', config: START_16K });
            await c.next();
            c.audio(EN_PCM.subarray(0, 6400));
            c.send({ command: 'END' });
            await c.until('END');
            const entry = ctx.log.entries().find((e) => e.route === 'rasr');
            assert.ok(entry);
            assert.equal(entry.headers['x-auth-token'], '****');
            assert.equal(entry.path, `/v1/${PRINCIPAL.projectId}/rasr/short-stream`);
            assert.deepEqual(entry.ws, { frames: 2, bytes: 6400, commands: ['START', 'END'] });
            assert.ok(!JSON.stringify(ctx.log.entries()).includes('secret-token'));
        });
    });

    describe('short-audio over WebSocket', () => {
        it('recognises one utterance; VAD settings are not part of its config', async () => {
            const c = await connect('/asr/short-audio');
            c.send({ command: 'START', config: { ...START_16K, vad_tail: 500 } });
            assert.equal((await c.next()).error_code, 'SIS.0031');
            c.send({ command: 'START', config: { ...START_16K, property: 'chinese_16k_common' } });
            await c.next();
            c.audio(ZH_PCM);
            c.send({ command: 'END' });
            const messages = await c.until('END');
            assert.deepEqual(
                segments(messages, true).map((s) => s.result.text),
                ['你好。今天很热。'],
            );
        });

        it('sends EXCEEDED_AUDIO past the cap and ignores the rest', async () => {
            await server.close();
            await setup({ rasrShortMaxMs: 1000 });
            const c = await connect('/asr/short-audio');
            c.send({ command: 'START', config: START_16K });
            await c.next();
            c.audio(EN_PCM);
            const event = await c.next();
            assert.equal(event.event, 'EXCEEDED_AUDIO');
            c.send({ command: 'END' });
            assert.equal((await c.until('END')).at(-1)?.reason, 'NORMAL');
        });
    });

    describe('RTTS', () => {
        const START = {
            command: 'START',
            text: '今天天气很好。我们去散步吧。',
            config: { audio_format: 'pcm', sample_rate: '16000', property: 'chinese_huaxiaomei_common' },
        };

        it('streams the audio in chunks then END; the audio recognises as the text', async () => {
            const c = await connect('/rtts');
            c.send(START);
            const start = await c.next();
            assert.equal(start.resp_type, 'START');
            const end = await c.next();
            assert.deepEqual(end, { resp_type: 'END', trace_id: start.trace_id, reason: 'NORMAL' });
            const chunks = c.binaries();
            assert.ok(chunks.length > 10);
            assert.ok(chunks.slice(0, -1).every((b) => b.length === 3200));
            const pcm = Buffer.concat(chunks);
            const r = recognize(ctx, pcm, {
                audio_format: 'pcm16k16bit',
                property: 'chinese_16k_common',
                add_punc: true,
            });
            assert.deepEqual(
                r.channels[0].map((s) => s.text),
                ['今天天气很好。', '我们去散步吧。'],
            );
            c.send(START);
            const again = await c.next();
            assert.equal(again.error_code, 'SIS.0418');
        });

        it('sends word-level subtitles after each sentence when asked', async () => {
            const c = await connect('/rtts');
            c.send({ ...START, config: { ...START.config, subtitle: 'phoneme_level' } });
            const messages = await c.until('END');
            const results = messages.filter((m) => m.resp_type === 'RESULT');
            assert.equal(results.length, 2);
            const items = results.flatMap(
                (m) => m.result as { text: string; word_index: number; phonemes: unknown[] }[],
            );
            assert.equal(items.map((i) => i.text).join(''), '今天天气很好我们去散步吧');
            assert.deepEqual(
                items.map((i) => i.word_index),
                [...items.keys()],
            );
            assert.ok(items.every((i) => i.phonemes.length > 0));
        });

        it('validates the request and encodes alaw, ulaw and mp3', async () => {
            const bad: [Record<string, unknown>, string][] = [
                [{ audio_format: 'wav' }, 'SIS.0410'],
                [{ property: 'chinese_nobody_common' }, 'SIS.0411'],
                [{ sample_rate: 16000 }, 'SIS.0402'],
                [{ property: 'chinese_huaxiaolong_common', sample_rate: '8000' }, 'SIS.0402'],
                [{ speed: 900 }, 'SIS.0415'],
            ];
            const c = await connect('/rtts');
            for (const [config, code] of bad) {
                c.send({ command: 'START', text: '你好', config });
                assert.equal((await c.next()).error_code, code, JSON.stringify(config));
            }
            for (const format of ['alaw', 'ulaw', 'mp3']) {
                const d = await connect('/rtts');
                d.send({ command: 'START', text: 'Hello there.', config: { audio_format: format } });
                await d.until('END');
                const audio = Buffer.concat(d.binaries());
                if (format === 'mp3') assert.equal(audio[0], 0xff);
                else assert.ok(audio.length > 8000 * 0.5, format);
            }
        });

        it('closes with FATAL_ERROR SIS.0416 when no START arrives in time', async () => {
            await server.close();
            await setup({ wsIdleMs: 100 });
            const c = await connect('/rtts');
            assert.equal((await c.next(2000)).error_code, 'SIS.0416');
            await c.closed;
        });

        it('honours ws-error and ws-close faults while streaming', async () => {
            ctx.faults.add({ route: 'rtts', kind: 'ws-error', afterFrames: 3 });
            const c = await connect('/rtts');
            c.send(START);
            const messages = await c.until('END');
            assert.equal(messages.at(-1)?.reason, 'ERROR');
            assert.equal(c.binaries().length, 3);
            ctx.faults.add({ route: 'rtts', kind: 'ws-close' });
            const d = await connect('/rtts');
            d.send(START);
            assert.equal(await d.closed, 1006);
        });
    });

    it('never throws on garbage input', async () => {
        const c = await connect('/rasr/continue-stream');
        for (const frame of ['[]', 'null', '{"command":5}', '{"command":"START","config":[]}', '{"command":"PAUSE"}']) {
            c.ws.send(frame);
            assert.equal((await c.next()).resp_type, 'ERROR', frame);
        }
        c.ws.send(Buffer.alloc(10)); // audio outside a recognition: ignored
        c.send({ command: 'START', config: START_16K });
        assert.equal((await c.next()).resp_type, 'START');
        assert.ok(FIXTURE_TRANSCRIPTS['en_16k.pcm']);
    });
});
