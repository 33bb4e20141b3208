import * as assert from 'node:assert/strict';
import { CANARY, type Emulator, routeLog, useEmulator } from '../helpers/emulator';
import { fixture, transcript } from '../helpers/fixtures';
import { harness } from '../helpers/flow';
import { helper, nodeRedVersion } from '../helpers/nr';

interface SisErrorInfo {
    code: string;
    message: string;
    status?: number;
    service_code?: string;
    retryable: boolean;
}

describe(`sis-short-asr on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(20_000);
    const en = fixture('en_16k.wav');

    // English short-audio models are offered in cn-east-3 only.
    const getEmu = useEmulator({ account: { region: 'cn-east-3' } }, [
        'en_16k.wav',
        'en_16k.pcm',
        'en_16k.mp3',
        'en_8k.wav',
        'zh_16k.wav',
    ]);
    let emu: Emulator;
    beforeEach(() => {
        emu = getEmu();
    });

    function lastConfig(): Record<string, unknown> {
        const calls = routeLog(emu, 'short-audio');
        assert.ok(calls.length > 0, 'a request was sent');
        const body = calls[calls.length - 1].body as { config: Record<string, unknown> };
        return body.config;
    }

    it('recognises a WAV clip into one sentence message, keeping the input properties', async () => {
        const h = await harness(emu, 'sis-short-asr', {
            property: 'english_16k_common',
            audio_format: 'auto',
            add_punc: 'yes',
        });
        h.send({ payload: en, topic: 'door', _keep: 42 });
        const [msg] = await h.outputs(1);
        assert.equal(msg.payload, transcript('en_16k.wav').join(' '));
        assert.equal(msg.topic, 'door');
        assert.equal(msg._keep, 42);
        const sentence = msg.sentence as { text: string; score: number };
        assert.equal(sentence.text, msg.payload);
        assert.equal(typeof sentence.score, 'number');
        const parts = msg.parts as { index: number; count: number; type: string; len: number; id: string };
        assert.deepEqual(
            { ...parts, id: typeof parts.id },
            { id: 'string', index: 0, count: 1, type: 'array', len: 1 },
        );
        assert.match(String((msg.sis_result as { trace_id: string }).trace_id), /\w/);
        await h.completions(1);
        assert.equal(h.caught.length, 0);
        assert.equal(lastConfig().audio_format, 'wav');
    });

    it('sends every option, node settings overridden by msg.sis', async () => {
        const h = await harness(emu, 'sis-short-asr', {
            property: 'chinese_16k_common',
            audio_format: 'auto',
            add_punc: 'yes',
            digit_norm: 'no',
            need_word_info: 'yes',
            auto_language_detect: 'no',
        });
        h.send({ payload: en, sis: { property: 'english_16k_common', add_punc: false } });
        const [msg] = await h.outputs(1);
        const config = lastConfig();
        assert.deepEqual(config, {
            audio_format: 'wav',
            property: 'english_16k_common',
            add_punc: 'no',
            digit_norm: 'no',
            need_word_info: 'yes',
            auto_language_detect: 'no',
        });
        assert.ok(Array.isArray((msg.sentence as { word_info?: unknown[] }).word_info));
    });

    it('takes MP3 and raw PCM (with its format named)', async () => {
        const h = await harness(emu, 'sis-short-asr', { property: 'chinese_16k_common' });
        h.send({ payload: fixture('en_16k.mp3') });
        h.send({
            payload: fixture('en_16k.pcm'),
            sis: { audio_format: 'pcm16k16bit', property: 'chinese_16k_common' },
        });
        await h.outputs(2);
        const formats = routeLog(emu, 'short-audio').map(
            (c) => (c.body as { config: { audio_format: string } }).config.audio_format,
        );
        assert.deepEqual(formats.sort(), ['mp3', 'pcm16k16bit']);
    });

    it('single mode gives one message with the text and the sentence array', async () => {
        const h = await harness(emu, 'sis-short-asr', {
            property: 'english_16k_common',
            output: 'single',
            add_punc: 'yes',
        });
        h.send({ payload: en });
        const [msg] = await h.outputs(1);
        assert.equal(msg.payload, transcript('en_16k.wav').join(' '));
        assert.equal((msg.sentences as unknown[]).length, 1);
        assert.equal(msg.parts, undefined);
    });

    it('silence: no sentence message (sentence mode), an empty text (single mode)', async () => {
        const h = await harness(emu, 'sis-short-asr', { property: 'chinese_16k_common' });
        h.send({ payload: fixture('silence_16k.wav') });
        await h.completions(1);
        await h.quiet();
        assert.equal(h.out[0].length, 0);
        await helper.unload();
        const s = await harness(emu, 'sis-short-asr', { property: 'chinese_16k_common', output: 'single' });
        s.send({ payload: fixture('silence_16k.wav') });
        const [msg] = await s.outputs(1);
        assert.equal(msg.payload, '');
        assert.deepEqual(msg.sentences, []);
    });

    const invalid: [string, () => Record<string, unknown>, RegExp][] = [
        ['a string payload', () => ({ payload: 'hello' }), /Buffer/],
        ['no payload', () => ({}), /Buffer/],
        ['an empty Buffer', () => ({ payload: Buffer.alloc(0) }), /empty/],
        ['msg.sis that is not an object', () => ({ payload: en, sis: 'fast' }), /msg\.sis/],
        ['an unknown property', () => ({ payload: en, sis: { property: 'klingon_16k' } }), /property/],
        ['a bad flag', () => ({ payload: en, sis: { add_punc: 'maybe' } }), /add_punc/],
        [
            'a 16 kHz clip with an 8 kHz model',
            () => ({ payload: en, sis: { property: 'chinese_8k_common' } }),
            /16000.*8000|8000.*16000/,
        ],
        ['stereo audio', () => ({ payload: fixture('stereo_16k.wav') }), /mono|channel/],
        [
            'bytes that are not audio',
            () => ({ payload: Buffer.from('definitely not audio at all') }),
            /audio_format|recognis/,
        ],
        [
            'raw PCM longer than 60 s',
            () => ({
                payload: Buffer.alloc(16000 * 2 * 61),
                sis: { audio_format: 'pcm16k16bit', property: 'chinese_16k_common' },
            }),
            /60/,
        ],
    ];
    for (const [what, make, pattern] of invalid) {
        it(`refuses ${what} with INVALID_INPUT before sending, once`, async () => {
            const h = await harness(emu, 'sis-short-asr', { property: 'english_16k_common' });
            h.send(make());
            const [caught] = await h.errors(1);
            const error = caught.error as { message: string; code: string };
            assert.equal(error.code, 'INVALID_INPUT');
            assert.match(error.message, pattern);
            const info = caught.sis_error as SisErrorInfo;
            assert.equal(info.code, 'INVALID_INPUT');
            assert.equal(info.retryable, false);
            await h.quiet();
            assert.equal(h.caught.length, 1);
            assert.equal(h.out[0].length, 0);
            assert.equal(routeLog(emu, 'short-audio').length, 0);
        });
    }

    it('a service error reaches Catch once with its SIS code', async () => {
        emu.faults.add({
            route: 'short-audio',
            kind: 'status',
            status: 400,
            code: 'SIS.0602',
            message: 'audio encoding not supported',
        });
        const h = await harness(emu, 'sis-short-asr', { property: 'english_16k_common' });
        h.send({ payload: en });
        const [caught] = await h.errors(1);
        const info = caught.sis_error as SisErrorInfo;
        assert.equal(info.code, 'SIS.0602');
        assert.equal(info.status, 400);
        assert.equal((caught.error as { code: string }).code, 'SIS.0602');
        await h.quiet();
        assert.equal(h.caught.length, 1);
        const red = h.statuses.map((s) => s.status as { fill?: string; text?: string }).find((s) => s.fill === 'red');
        assert.equal(red?.text, 'service error (SIS.0602)');
    });

    it('reads the audio from flow context and writes the text to another msg property', async () => {
        const h = await harness(emu, 'sis-short-asr', {
            property: 'english_16k_common',
            inputField: 'clip',
            inputFieldType: 'flow',
            outputField: 'text',
        });
        h.node.context().flow.set('clip', en);
        h.send({ payload: 'kept', topic: 't' });
        const [msg] = await h.outputs(1);
        assert.equal(msg.payload, 'kept');
        assert.match(String(msg.text), /^Turn on the light/);
        assert.equal(msg.topic, 't');
    });

    it('a retryable failure is retried and then succeeds', async () => {
        emu.faults.add({ route: 'short-audio', kind: 'status', status: 503, count: 2 });
        const h = await harness(
            emu,
            'sis-short-asr',
            { property: 'english_16k_common' },
            { configExtra: { maxRetries: 3 } },
        );
        h.send({ payload: en });
        await h.outputs(1);
        assert.equal(h.caught.length, 0);
        assert.deepEqual(
            routeLog(emu, 'short-audio').map((c) => c.status),
            [503, 503, 200],
        );
    });

    it('without a usable config node every input ends in NOT_CONFIGURED', async () => {
        const h = await harness(
            emu,
            'sis-short-asr',
            { property: 'english_16k_common' },
            { configExtra: { region: '' } },
        );
        h.send({ payload: en });
        const [caught] = await h.errors(1);
        assert.equal((caught.sis_error as SisErrorInfo).code, 'NOT_CONFIGURED');
    });

    it('statuses, errors and messages never carry the secret', async () => {
        const h = await harness(
            emu,
            'sis-short-asr',
            { property: 'english_16k_common' },
            { credentials: { sk: `${CANARY}x` } },
        );
        h.send({ payload: en });
        const [caught] = await h.errors(1);
        assert.equal((caught.sis_error as SisErrorInfo).code, 'AUTH_FAILED');
        const everything = JSON.stringify([h.caught, h.statuses, h.out, helper.log().args]);
        assert.ok(!everything.includes(CANARY));
    });
});
