// sis-stream-asr in the Node-RED runtime against the emulator: sessions, modes, conversion, recovery.
// Over 500 lines because the cases share the node's flows and emulator set-up.
import * as assert from 'node:assert/strict';
import { CANARY, type Emulator, exampleFlow, routeLog, useEmulator } from '../helpers/emulator';
import { fixture, transcript } from '../helpers/fixtures';
import { type Harness, harness } from '../helpers/flow';
import { asFlow, CORE, coreNode, deploy, helper, loadNode, nodeRedVersion } from '../helpers/nr';
import { sendChunks, startStallableForwarder, wavOf } from '../helpers/stream';
import { delay, until } from '../helpers/wait';

interface SisErrorInfo {
    code: string;
    message: string;
    trace_id?: string;
    service_code?: string;
    retryable: boolean;
}

interface SentenceOut {
    text: string;
    start_time: number;
    end_time: number;
    score?: number;
    word_info?: { start_time: number; end_time: number; word: string }[];
}

const EN = ['Turn on the light', 'It is sunny today'];
/** Where the emulator's VAD puts the two English sentences (test/fixtures/README.md). */
const EN_TIMES = [
    [200, 960],
    [1660, 2650],
];
/** 16 kHz 16-bit: bytes per millisecond. */
const BPMS = 32;

function finals(h: Harness): Record<string, unknown>[] {
    return h.out[0].filter((m) => m.final === true);
}

function texts(list: Record<string, unknown>[]): string[] {
    return list.map((m) => String(m.payload));
}

function times(list: Record<string, unknown>[]): number[][] {
    return list.map((m) => {
        const s = m.sentence as SentenceOut;
        return [s.start_time, s.end_time];
    });
}

function events(h: Harness, session?: string): string[] {
    return h.out[1].filter((m) => session === undefined || m.session === session).map((m) => String(m.payload));
}

/** Waits for the `count`th END event of `session`. */
async function ended(h: Harness, session = 'default', count = 1, ms = 10_000): Promise<void> {
    await until(() => (events(h, session).filter((e) => e === 'END').length >= count ? true : undefined), ms);
}

/** Sets runtime settings (as in settings.js) for the flows loaded next. */
function runtimeSettings(values: Record<string, unknown>): void {
    helper.settings(values as Parameters<typeof helper.settings>[0]);
}

function lastReason(h: Harness): string | undefined {
    const event = h.out[1][h.out[1].length - 1]?.event as { reason?: string } | undefined;
    return event?.reason;
}

function sockets(): number {
    return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

function timers(): number {
    return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe(`sis-stream-asr on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(20_000);
    let emu: Emulator;
    const pcm = fixture('en_16k.pcm');
    const base = { mode: 'continue-stream', property: 'chinese_16k_common', audio_format: 'pcm16k16bit' };

    const getEmu = useEmulator({ limits: { wsIdleMs: 20_000, rasrShortMaxMs: 60_000 } }, ['en_16k.wav', 'zh_16k.wav']);

    before(() => {
        emu = getEmu();
        // A replay after a drop starts after the first sentence: its audio is known too.
        emu.transcripts.register(wavOf(pcm.subarray(EN_TIMES[0][1] * BPMS), 16000, 1), [EN[1]]);
    });

    async function stream(props: Record<string, unknown> = {}, opts: Parameters<typeof harness>[3] = {}) {
        return harness(emu, 'sis-stream-asr', { ...base, ...props }, { outputs: 2, ...opts });
    }

    it('takes its chunks from a configured input property, as the other nodes do', async () => {
        const h = await stream({ inputField: 'audio', inputFieldType: 'msg' });
        for (let i = 0; i < pcm.length; i += 1280) h.send({ audio: pcm.subarray(i, i + 1280), payload: 'not audio' });
        h.send({ control: 'end' });
        await ended(h);
        assert.deepEqual(texts(h.out[0]), EN);
        assert.equal(h.caught.length, 0);
    });

    it("gives each output its own copy of the first message's properties, nested or not", async () => {
        const h = await stream();
        const extras: Record<string, Record<string, unknown>> = {
            flat: { session: 'flat', topic: 'hall' },
            nested: { session: 'nested', topic: 'hall', meta: { room: 'hall', tags: ['a'] } },
        };
        for (const extra of Object.values(extras)) await sendChunks(h.send, pcm, 1280, extra);
        for (const session of Object.keys(extras)) h.send({ session, control: 'end' });
        await ended(h, 'flat');
        await ended(h, 'nested');
        for (const [session, extra] of Object.entries(extras)) {
            const all = [...h.out[0], ...h.out[1]].filter((m) => m.session === session);
            assert.equal(all.length, 4, 'two sentences, START and END');
            for (const m of all) {
                assert.equal(m.topic, 'hall');
                assert.deepEqual(m.meta, extra.meta);
            }
            assert.equal(new Set(all).size, all.length, 'four distinct messages');
            if (extra.meta) {
                (all[0].meta as { tags: string[] }).tags.push('changed');
                for (const m of all.slice(1))
                    assert.deepEqual(m.meta, { room: 'hall', tags: ['a'] }, 'a change to one is not seen by another');
            }
        }
        assert.equal(h.caught.length, 0);
    });

    it('continue-stream: sentences out of odd-sized chunks, events on the second output', async () => {
        const h = await stream();
        const chunks = await sendChunks(h.send, pcm, 777, { topic: 'kitchen', _keep: 1 });
        h.send({ control: 'end', payload: 1700000000000 });
        await ended(h);
        assert.deepEqual(texts(h.out[0]), EN);
        assert.deepEqual(times(h.out[0]), EN_TIMES);
        for (const m of h.out[0]) {
            assert.equal(m.final, true);
            assert.equal(m.session, 'default');
            assert.equal(m.topic, 'kitchen');
            assert.equal(m._keep, 1);
            assert.equal(m.parts, undefined);
            assert.equal(m.control, undefined);
            assert.equal(typeof (m.sentence as SentenceOut).score, 'number');
            assert.match(String((m.sis_result as { trace_id: string }).trace_id), /\w/);
        }
        assert.deepEqual(events(h), ['START', 'END']);
        const [start, end] = h.out[1];
        assert.deepEqual(Object.keys(start.event as object).sort(), ['resp_type', 'trace_id']);
        assert.deepEqual(end.event, {
            resp_type: 'END',
            trace_id: (start.event as { trace_id: string }).trace_id,
            reason: 'NORMAL',
        });
        assert.equal(end.session, 'default');
        assert.equal(h.caught.length, 0);
        await h.completions(chunks + 1);
        const [conn] = routeLog(emu, 'rasr');
        assert.equal((conn as { ws: { bytes: number } }).ws.bytes, pcm.length);
        assert.deepEqual((conn as { ws: { commands: string[] } }).ws.commands, ['START', 'END']);
    });

    it('short-stream: one utterance, recognised at END', async () => {
        const h = await stream({ mode: 'short-stream' });
        await sendChunks(h.send, pcm, 4000);
        h.send({ control: 'end' });
        await ended(h);
        assert.deepEqual(texts(finals(h)), [EN.join(' ')]);
        assert.deepEqual(events(h), ['START', 'END']);
    });

    it('sentence-stream: VOICE_START, VOICE_END, then the next sentence is a new recognition', async () => {
        const h = await stream({ mode: 'sentence-stream' });
        await sendChunks(h.send, pcm, 3200);
        h.send({ control: 'end' });
        await ended(h, 'default', 2);
        assert.deepEqual(events(h), [
            'START',
            'VOICE_START',
            'VOICE_END',
            'END',
            'START',
            'VOICE_START',
            'VOICE_END',
            'END',
        ]);
        assert.deepEqual(texts(finals(h)), EN);
        // The second recognition starts after the first sentence; times stay on the session's timeline.
        assert.deepEqual(times(finals(h)), EN_TIMES);
        assert.equal(routeLog(emu, 'rasr').length, 1, 'one connection for both recognitions');
    });

    it('interim results come first, each final sentence exactly once', async () => {
        const h = await stream({ interim_results: 'yes', need_word_info: 'yes' });
        await sendChunks(h.send, pcm, 1600);
        h.send({ control: 'end' });
        await ended(h);
        const interim = h.out[0].filter((m) => m.final === false);
        assert.ok(interim.length >= 2, `interim results: ${interim.length}`);
        assert.ok(interim.every((m) => m.session === 'default' && typeof m.payload === 'string'));
        assert.deepEqual(texts(finals(h)), EN);
        const words = (finals(h)[1].sentence as SentenceOut).word_info ?? [];
        assert.ok(words.length > 0 && words[0].start_time >= EN_TIMES[1][0]);
    });

    it('two sessions at once keep their own results and connections', async () => {
        const h = await stream();
        const zh = fixture('zh_16k.pcm');
        for (let i = 0; i < Math.max(pcm.length, zh.length); i += 2000) {
            if (i < pcm.length) h.send({ session: 'en', payload: pcm.subarray(i, i + 2000) });
            if (i < zh.length) h.send({ session: 'zh', payload: zh.subarray(i, i + 2000) });
        }
        h.send({ session: 'en', control: 'end' });
        h.send({ session: 'zh', control: 'end' });
        await ended(h, 'en');
        await ended(h, 'zh');
        assert.deepEqual(texts(finals(h).filter((m) => m.session === 'en')), EN);
        assert.deepEqual(
            texts(finals(h).filter((m) => m.session === 'zh')),
            transcript('zh_16k.wav').map((t) => t.replace(/。$/, '')),
        );
        assert.equal(routeLog(emu, 'rasr').length, 2);
    });

    it('cancel drops a session; end and cancel of an unknown session are ignored', async () => {
        const h = await stream();
        h.send({ control: 'end', session: 'nobody' });
        h.send({ control: 'cancel', session: 'nobody' });
        await sendChunks(h.send, pcm.subarray(0, 600 * BPMS), 3200);
        await until(() => (events(h).includes('START') ? true : undefined));
        h.send({ control: 'cancel' });
        await ended(h);
        assert.deepEqual(events(h), ['START', 'END']);
        assert.equal((h.out[1][1].event as { reason: string }).reason, 'CANCEL');
        assert.equal(h.out[0].length, 0);
        assert.equal(h.caught.length, 0);
    });

    it('reuses the open connection for the next session of the same key', async () => {
        const h = await stream();
        await sendChunks(h.send, pcm, 8000);
        h.send({ control: 'end' });
        await ended(h);
        await sendChunks(h.send, pcm, 8000);
        h.send({ control: 'end' });
        await ended(h, 'default', 2);
        assert.deepEqual(texts(finals(h)), [...EN, ...EN]);
        const log = routeLog(emu, 'rasr') as { ws: { commands: string[] } }[];
        assert.equal(log.length, 1);
        assert.deepEqual(log[0].ws.commands, ['START', 'END', 'START', 'END']);
    });

    it('a session without chunks for idleTimeout is ended as by end', async () => {
        const h = await stream({ idleTimeout: 1 });
        await sendChunks(h.send, pcm, 4000);
        await delay(400);
        assert.ok(!events(h).includes('END'));
        await ended(h, 'default', 1, 3000);
        assert.deepEqual(texts(finals(h)), EN);
        assert.equal(lastReason(h), 'NORMAL');
    });

    it('reads a WAV stream: header stripped, stereo mixed down, 8 kHz converted to 16 kHz', async () => {
        const h = await stream();
        await sendChunks(h.send, fixture('en_16k.wav'), 1000, { session: 'wav' });
        await sendChunks(h.send, fixture('en_8k.wav'), 1000, { session: '8k' });
        await sendChunks(h.send, fixture('stereo_16k.wav'), 1000, { session: 'stereo' });
        for (const session of ['wav', '8k', 'stereo']) h.send({ session, control: 'end' });
        for (const session of ['wav', '8k', 'stereo']) await ended(h, session);
        assert.deepEqual(texts(finals(h).filter((m) => m.session === 'wav')), EN);
        assert.deepEqual(times(finals(h).filter((m) => m.session === '8k')), EN_TIMES);
        assert.ok(finals(h).filter((m) => m.session === 'stereo').length >= 2);
        assert.equal(h.caught.length, 0);
        const bytes = (routeLog(emu, 'rasr') as { ws: { bytes: number } }[]).map((e) => e.ws.bytes);
        // en 16 kHz as is, en 8 kHz at twice the samples, the stereo file (3.1 s) as one channel.
        assert.deepEqual(bytes, [pcm.length, 2 * (fixture('en_8k.wav').length - 44), fixture('zh_16k.pcm').length]);
    });

    it('refuses a WAV it cannot take once, then drops that stream until it pauses', async () => {
        const h = await stream({ idleTimeout: 1 });
        const alaw = fixture('en_8k_alaw.wav');
        const chunks = await sendChunks(h.send, alaw, 4000);
        const [caught] = await h.errors(1);
        assert.equal((caught.sis_error as SisErrorInfo).code, 'INVALID_INPUT');
        assert.match((caught.error as { message: string }).message, /alaw/);
        await h.completions(chunks - 1);
        await h.quiet(100);
        assert.equal(h.caught.length, 1);
        assert.equal(routeLog(emu, 'rasr').length, 0);
        await delay(1100);
        h.send({ control: 'start' });
        await sendChunks(h.send, pcm, 4000);
        h.send({ control: 'end' });
        await ended(h);
        assert.deepEqual(texts(finals(h)), EN);
    });

    it('works with an IAM token (password auth) as well', async () => {
        const h = await stream({}, { authType: 'password' });
        await sendChunks(h.send, pcm, 6400);
        h.send({ control: 'end' });
        await ended(h);
        assert.deepEqual(texts(finals(h)), EN);
        assert.equal(routeLog(emu, 'rasr')[0].auth, 'token');
    });

    it('a refused handshake is reported once as AUTH_FAILED, without the secret, and not retried', async () => {
        // With the project id given, the WebSocket upgrade itself is what the gateway refuses.
        const h = await stream(
            {},
            { credentials: { sk: `${CANARY}x` }, configExtra: { projectId: emu.account.projectId } },
        );
        const chunks = await sendChunks(h.send, pcm.subarray(0, 20 * 3200), 3200, { session: 'bad' });
        const [caught] = await h.errors(1);
        const info = caught.sis_error as SisErrorInfo;
        assert.equal(info.code, 'AUTH_FAILED');
        assert.equal(info.service_code, 'APIG.0301');
        assert.equal(caught.session, 'bad');
        await until(() => (h.completed.length >= chunks ? true : undefined));
        // Later chunks of the same stream are dropped without another error until it pauses.
        await sendChunks(h.send, pcm.subarray(0, 5 * 3200), 3200, { session: 'bad' });
        await until(() => (h.completed.length >= chunks + 5 ? true : undefined));
        await h.quiet(100);
        assert.equal(h.caught.length, 1);
        const upgrades = routeLog(emu, 'rasr');
        assert.deepEqual(
            upgrades.map((e) => e.status),
            [401],
        );
        assert.ok(!JSON.stringify([h.caught, h.statuses]).includes(CANARY));
    });

    const invalid: [string, () => Record<string, unknown>, RegExp][] = [
        ['a string payload', () => ({ payload: 'hello' }), /Buffer/],
        ['an empty Buffer', () => ({ payload: Buffer.alloc(0) }), /empty/],
        ['an unknown control', () => ({ payload: pcm, control: 'pause' }), /control/],
        ['a session that is not a string', () => ({ payload: pcm, session: { id: 1 } }), /session/],
        ['msg.sis that is not an object', () => ({ payload: pcm, sis: 'fast' }), /msg\.sis/],
        ['an 8 kHz model for 16 kHz audio', () => ({ payload: pcm, sis: { property: 'chinese_8k_common' } }), /8000/],
        ['a vad_head out of range', () => ({ payload: pcm, sis: { vad_head: -1 } }), /vad_head/],
    ];
    for (const [what, make, pattern] of invalid) {
        it(`refuses ${what} with INVALID_INPUT before connecting`, async () => {
            const h = await stream();
            h.send(make());
            const [caught] = await h.errors(1);
            assert.equal((caught.error as { code: string }).code, 'INVALID_INPUT');
            assert.match((caught.error as { message: string }).message, pattern);
            assert.equal((caught.sis_error as SisErrorInfo).code, 'INVALID_INPUT');
            await h.quiet(80);
            assert.equal(h.caught.length, 1);
            assert.equal(routeLog(emu, 'rasr').length, 0);
        });
    }

    it('hands every byte of a chunk to the service at once, and pads only a short last frame', async () => {
        const h = await stream();
        h.send({ session: 'now', control: 'start' });
        await until(() => (events(h, 'now').includes('START') ? true : undefined));
        const received = (): number | undefined => (routeLog(emu, 'rasr') as { ws: { bytes: number } }[])[0]?.ws.bytes;
        // Each chunk's whole samples arrive before the next chunk is sent; 101 bytes (under the
        // 320-byte minimum frame) wait for the next chunk, and an odd byte for its other half.
        let sent = 0;
        let out = 0;
        let waiting = 0;
        for (const size of [1280, 101, 1000, 333, 1281, 3]) {
            h.send({ session: 'now', payload: pcm.subarray(sent, sent + size) });
            sent += size;
            waiting += size;
            const whole = waiting - (waiting % 2);
            if (whole >= 320) {
                out += whole;
                waiting -= whole;
            }
            await until(() => (received() === out ? true : undefined), 2000);
        }
        assert.deepEqual([out, waiting], [3994, 4]);
        h.send({ session: 'now', control: 'end' });
        await ended(h, 'now');
        // The last 4 bytes went out padded with silence to the 320-byte minimum frame.
        assert.equal(received(), 3994 + 320);
        assert.equal(h.caught.length, 0);
    });

    it('a service ERROR reaches Catch once via node.error, naming the session; the next chunk starts anew', async () => {
        emu.faults.add({
            route: 'rasr',
            kind: 'ws-error',
            afterFrames: 3,
            code: 'SIS.0305',
            message: 'engine exception',
        });
        const h = await stream();
        // Started first, so that every chunk goes out as its own frame.
        h.send({ session: 'mic1', control: 'start', topic: 't' });
        await until(() => (events(h).includes('START') ? true : undefined));
        const chunks = 1 + (await sendChunks(h.send, pcm.subarray(0, 10 * 3200), 3200, { session: 'mic1' }));
        const [caught] = await h.errors(1);
        const info = caught.sis_error as SisErrorInfo;
        assert.equal(info.code, 'SIS.0305');
        assert.equal(info.retryable, true);
        assert.match(String(info.trace_id), /\w/);
        assert.equal(caught.session, 'mic1');
        assert.equal(caught.topic, 't');
        assert.match((caught.error as { message: string }).message, /session "mic1".*engine exception/);
        await ended(h, 'mic1');
        assert.equal(lastReason(h), 'ERROR');
        await h.completions(chunks);
        assert.equal(h.caught.length, 1);
        assert.ok(h.statuses.some((s) => (s.status as { text?: string }).text === 'service error (SIS.0305)'));
        // A transient failure does not block the stream: the next chunk starts a new session.
        await sendChunks(h.send, pcm, 4000, { session: 'mic1' });
        h.send({ session: 'mic1', control: 'end' });
        await ended(h, 'mic1', 2);
        assert.deepEqual(texts(finals(h)), EN);
    });

    it('a FATAL_ERROR reaches Catch once; the connection is gone', async () => {
        emu.faults.add({ route: 'rasr', kind: 'ws-fatal', afterFrames: 2, code: 'SIS.0302', message: 'internal' });
        const h = await stream();
        h.send({ session: 'mic2', control: 'start' });
        await until(() => (events(h).includes('START') ? true : undefined));
        await sendChunks(h.send, pcm.subarray(0, 10 * 3200), 3200, { session: 'mic2' });
        const [caught] = await h.errors(1);
        assert.equal((caught.sis_error as SisErrorInfo).code, 'SIS.0302');
        assert.equal(caught.session, 'mic2');
        assert.match((caught.error as { message: string }).message, /session "mic2"/);
        await h.quiet(150);
        assert.equal(h.caught.length, 1);
        assert.equal(h.out[0].length, 0);
    });

    for (const compact of [false, true]) {
        const kept = compact ? 'kept coded (the default)' : 'kept as it is (sisStreamAsrCompactReplay: false)';
        it(`a dropped connection is reopened and the audio since the last final replayed, ${kept}: nothing lost, nothing twice`, async () => {
            runtimeSettings({ sisStreamAsrCompactReplay: compact ? undefined : false });
            try {
                // 40 ms chunks go out one frame each: the drop comes at 2 s, after the first sentence
                // (200–960 ms, final once 500 ms of silence followed) and inside the second.
                emu.faults.add({ route: 'rasr', kind: 'ws-close', afterFrames: 50 });
                const h = await stream();
                h.send({ control: 'start' });
                await until(() => (events(h).includes('START') ? true : undefined));
                // Paced a little, so the first final result is out before the drop.
                await sendChunks(h.send, pcm, 1280, {}, 2);
                h.send({ control: 'end' });
                await ended(h);
                assert.deepEqual(texts(h.out[0]), EN);
                assert.deepEqual(times(h.out[0]), EN_TIMES);
                assert.deepEqual(events(h), ['START', 'END']);
                assert.equal(h.caught.length, 0);
                const log = routeLog(emu, 'rasr') as { ws: { bytes: number; commands: string[] } }[];
                assert.equal(log.length, 2, 'reconnected once');
                // The second connection got the audio from the end of the first sentence on; its last
                // chunk (the rest of the 1280-byte cut) may have gone out alone, padded to 320 bytes.
                const audio = pcm.length - EN_TIMES[0][1] * BPMS;
                const tail = pcm.length % 1280;
                assert.ok([audio, audio - tail + 320].includes(log[1].ws.bytes), `${log[1].ws.bytes} bytes`);
                assert.deepEqual(log[1].ws.commands, ['START', 'END']);
                const colours = h.statuses.map((s) => (s.status as { text?: string }).text);
                assert.ok(colours.includes('reconnecting'));
            } finally {
                runtimeSettings({ sisStreamAsrCompactReplay: undefined });
            }
        });
    }

    it('audio beyond the queue bound cancels the session with QUEUE_FULL, reported once', async () => {
        runtimeSettings({ sisStreamAsrQueueSeconds: 1 });
        try {
            const h = await stream();
            // Two seconds at once, before START can be acknowledged.
            const chunks = await sendChunks(h.send, pcm.subarray(0, 2 * 32000), 3200, { session: 'burst' });
            const [caught] = await h.errors(1);
            assert.equal((caught.sis_error as SisErrorInfo).code, 'QUEUE_FULL');
            assert.equal(caught.session, 'burst');
            assert.match((caught.error as { message: string }).message, /session "burst".*1 s of audio/);
            // The chunk itself was taken; the chunks after it start a new session.
            await h.completions(chunks);
            await until(() => (events(h).includes('START') ? true : undefined));
            await h.quiet(100);
            assert.equal(h.caught.length, 1);
            assert.deepEqual(events(h), ['START']);
        } finally {
            runtimeSettings({ sisStreamAsrQueueSeconds: undefined });
        }
    });

    it('a stalled uplink fills the socket only up to a bound, then the queue bound cancels with QUEUE_FULL', async () => {
        const forwarder = await startStallableForwarder(emu.port);
        runtimeSettings({ sisStreamAsrQueueSeconds: 2 });
        try {
            const h = await stream({}, { configExtra: { endpoint: forwarder.url, projectId: emu.account.projectId } });
            h.send({ control: 'start', session: 'uplink' });
            await until(() => (events(h).includes('START') ? true : undefined));
            forwarder.stall();
            // Far more audio than the operating system's socket buffers hold, as fast as it comes.
            const second = Buffer.alloc(32000, 1);
            const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
            let sent = 0;
            while (h.caught.length === 0 && sent < 4000) {
                h.send({ session: 'uplink', payload: second });
                sent++;
                if (sent % 50 === 0) await delay(1);
            }
            const [caught] = await h.errors(1);
            assert.equal((caught.sis_error as SisErrorInfo).code, 'QUEUE_FULL');
            assert.ok(sent < 4000, 'the bound was reached');
            const grown = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heapBefore;
            assert.ok(grown < 64 * 1024 * 1024, `memory grew by ${grown} bytes`);
        } finally {
            runtimeSettings({ sisStreamAsrQueueSeconds: undefined });
            await forwarder.close();
        }
    });

    it('bounds the sessions per node, reporting a refused stream once', async () => {
        const h = await stream({ maxSessions: 2 });
        for (const session of ['a', 'b', 'c', 'c', 'c']) h.send({ session, payload: pcm.subarray(0, 3200) });
        const [caught] = await h.errors(1);
        assert.equal((caught.sis_error as SisErrorInfo).code, 'TOO_MANY_SESSIONS');
        assert.match((caught.error as { message: string }).message, /session "c"/);
        await h.completions(4);
        await until(() => (events(h).length === 2 ? true : undefined));
        await h.quiet(100);
        assert.equal(h.caught.length, 1);
        assert.deepEqual(events(h), ['START', 'START']);
        for (const session of ['a', 'b']) h.send({ session, control: 'cancel' });
        await ended(h, 'a');
        await ended(h, 'b');
    });

    it('the example flow: a phrase in a streamed recording triggers the action', async () => {
        const { nodes, credentials } = exampleFlow('stream-voice-trigger.json', emu);
        await helper.load(
            [
                loadNode('sis-config'),
                loadNode('sis-stream-asr'),
                coreNode('common/20-inject.js'),
                coreNode('storage/10-file.js'),
                coreNode('function/15-change.js'),
                coreNode('function/10-switch.js'),
                CORE.catch(),
            ],
            asFlow(nodes),
            credentials,
        );
        const byName = (name: string) => {
            const found = nodes.find((n) => n.name === name);
            return helper.getNode(String(found?.id));
        };
        const got: Record<string, Record<string, unknown>[]> = { action: [], events: [], error: [] };
        for (const name of Object.keys(got)) {
            byName(name).on('input', (msg: Record<string, unknown>) => got[name].push(msg));
        }
        byName('recording path').receive({});
        await until(() => (got.events.some((m) => m.payload === 'END') && got.action.length > 0 ? true : undefined));
        await delay(50);
        assert.deepEqual(
            got.action.map((m) => m.payload),
            ['fan: on'],
        );
        assert.equal(got.action[0].session, 'kitchen');
        assert.deepEqual(
            got.events.map((m) => m.payload),
            ['START', 'END'],
        );
        assert.equal(got.error.length, 0);
    });

    it('a redeploy mid-stream cancels every session and leaves no socket or timer behind', async () => {
        const beforeSockets = sockets();
        // With the project id given, nothing but the streams opens a socket.
        const h = await stream({ interim_results: 'yes' }, { configExtra: { projectId: emu.account.projectId } });
        const beforeTimers = timers();
        for (const session of ['x', 'y', 'z'])
            await sendChunks(h.send, pcm.subarray(0, 1200 * BPMS), 3200, { session });
        await until(() => (events(h).filter((e) => e === 'START').length === 3 ? true : undefined));
        assert.equal(sockets(), beforeSockets + 6, 'three connections, both ends in this process');
        assert.ok(timers() > beforeTimers);
        // A "modified nodes" deploy: the stream node is recreated, its config node stays.
        const flows = (helper as unknown as { _redNodes: { getFlows(): { flows: Record<string, unknown>[] } } })
            ._redNodes;
        const next = flows.getFlows().flows.map((n) => (n.id === 'n1' ? { ...n, name: 'redeployed' } : n));
        await deploy(asFlow(next), 'nodes');
        await until(() => (sockets() === beforeSockets && timers() <= beforeTimers ? true : undefined), 3000);
        const log = routeLog(emu, 'rasr') as { ws: { commands: string[] } }[];
        assert.equal(log.length, 3);
        assert.ok(
            log.every((e) => e.ws.commands.join() === 'START,END'),
            'each session was cancelled',
        );
        assert.equal(helper.getNode('n1').name, 'redeployed');
        assert.equal(h.caught.length, 0);
    });
});
