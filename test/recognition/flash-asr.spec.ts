import * as assert from 'node:assert/strict';
import type { SisClient } from '../../nodes/lib/cloud/sis-client';
import type { SisConfigNode } from '../../nodes/lib/red/types';
import { type Emulator, routeLog, useEmulator } from '../helpers/emulator';
import { fixture, transcript } from '../helpers/fixtures';
import { type Harness, harness } from '../helpers/flow';
import { CORE, helper, nodeRedVersion } from '../helpers/nr';
import { delay, until } from '../helpers/wait';

interface SisErrorInfo {
    code: string;
    status?: number;
    service_code?: string;
    retryable: boolean;
}

describe(`sis-flash-asr on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(20_000);
    const zh = fixture('zh_16k.wav');

    const getEmu = useEmulator({}, ['zh_16k.wav', 'zh_16k.mp3', 'en_16k.wav']);

    let emu: Emulator;
    beforeEach(() => {
        emu = getEmu();
    });

    /** Objects left in the staging bucket under the node's prefix. */
    function staged(): string[] {
        return [...(emu.ctx.obs.get(emu.account.bucket)?.keys() ?? [])].filter((k) => k.startsWith('node-red/'));
    }

    function flashQuery(): Record<string, string | string[]> {
        const calls = routeLog(emu, 'flash');
        assert.ok(calls.length > 0, 'flash was called');
        return calls[calls.length - 1].query;
    }

    const base = {
        property: 'chinese_16k_conversation',
        audio_format: 'auto',
        add_punc: 'yes',
        stagingPrefix: 'node-red/sis/',
    };

    it('stages a Buffer, recognises it sentence by sentence with times, then deletes the staged object', async () => {
        const h = await harness(emu, 'sis-flash-asr', base);
        h.send({ payload: zh, topic: 'call-1' });
        const msgs = await h.outputs(2);
        assert.deepEqual(
            msgs.map((m) => m.payload),
            transcript('zh_16k.wav'),
        );
        const [a, b] = msgs.map(
            (m) => m.sentence as { start_time: number; end_time: number; score: number; channel_id?: number },
        );
        assert.ok(a.start_time < a.end_time && a.end_time <= b.start_time && b.start_time < b.end_time);
        assert.equal(a.channel_id, undefined, 'mono audio has no channel_id');
        assert.deepEqual(
            msgs.map((m) => (m.parts as { index: number; count: number }).index),
            [0, 1],
        );
        assert.ok(msgs.every((m) => m.topic === 'call-1' && (m.parts as { count: number }).count === 2));
        assert.equal(typeof (msgs[0].sis_result as { audio_duration: number }).audio_duration, 'number');
        await h.completions(1);
        const routes = emu.log
            .entries()
            .map((e) => e.route)
            .filter((r) => r.startsWith('obs.') || r === 'flash');
        assert.deepEqual(routes, ['obs.put', 'flash', 'obs.delete']);
        const query = flashQuery();
        assert.equal(query.obs_bucket_name, emu.account.bucket);
        assert.match(String(query.obs_object_key), /^node-red\/sis\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.wav$/);
        assert.deepEqual(staged(), []);
    });

    it('sends every query parameter, msg.sis overriding the node', async () => {
        const cfgClient = async (): Promise<SisClient> => (helper.getNode('cfg') as unknown as SisConfigNode).client!;
        const h = await harness(emu, 'sis-flash-asr', {
            ...base,
            digit_norm: 'no',
            need_word_info: 'yes',
            first_channel_only: 'no',
        });
        const created = await (await cfgClient()).call<{ vocabulary_id: string }>({
            method: 'POST',
            path: '/asr/vocabularies',
            json: { name: 'flash-test', language: 'chinese_mandarin', contents: ['热'] },
            idempotent: false,
            what: 'vocabulary creation',
        });
        h.send({
            payload: zh,
            sis: { add_punc: 'no', vocabulary_id: created.body.vocabulary_id, first_channel_only: true },
        });
        const [msg] = await h.outputs(2);
        const q = flashQuery();
        assert.equal(q.property, 'chinese_16k_conversation');
        assert.equal(q.audio_format, 'wav');
        assert.equal(q.add_punc, 'no');
        assert.equal(q.digit_norm, 'no');
        assert.equal(q.need_word_info, 'yes');
        assert.equal(q.first_channel_only, 'yes');
        assert.equal(q.vocabulary_id, created.body.vocabulary_id);
        assert.ok(Array.isArray((msg.sentence as { word_info?: unknown[] }).word_info));
    });

    it('takes an object already in OBS, as { bucket, key } or obs://, and leaves it there', async () => {
        emu.putObject(emu.account.bucket, 'calls/2025/一号 录音.mp3', fixture('zh_16k.mp3'), 'audio/mpeg');
        const h = await harness(emu, 'sis-flash-asr', base);
        h.send({ payload: { bucket: emu.account.bucket, key: 'calls/2025/一号 录音.mp3' } });
        h.send({ payload: `obs://${emu.account.bucket}/calls/2025/一号 录音.mp3` });
        const msgs = await h.outputs(4);
        assert.equal(msgs.length, 4);
        assert.equal(routeLog(emu, 'obs.put').length, 0);
        assert.equal(routeLog(emu, 'obs.delete').length, 0);
        assert.ok(emu.ctx.obs.get(emu.account.bucket)?.has('calls/2025/一号 录音.mp3'));
        assert.equal(flashQuery().audio_format, 'mp3');
    });

    it('recognises each channel of stereo audio, with channel_id; first_channel_only keeps channel 0', async () => {
        const stereo = fixture('stereo_16k.wav');
        const h = await harness(emu, 'sis-flash-asr', base);
        h.send({ payload: stereo });
        await h.completions(1);
        const channels = new Set(h.out[0].map((m) => (m.sentence as { channel_id: number }).channel_id));
        assert.deepEqual([...channels].sort(), [0, 1]);
        const starts = h.out[0].map((m) => (m.sentence as { start_time: number }).start_time);
        assert.deepEqual(
            starts,
            [...starts].sort((x, y) => x - y),
            'time order',
        );
        h.out[0].length = 0;
        h.send({ payload: stereo, sis: { first_channel_only: 'yes' } });
        await h.completions(2);
        assert.ok(h.out[0].length > 0);
        assert.ok(h.out[0].every((m) => (m.sentence as { channel_id: number }).channel_id === 0));
    });

    it('a core join node reassembles the sentences of one input', async () => {
        const h = await harness(emu, 'sis-flash-asr', base, {
            wire0To: 'join',
            extraModules: [CORE.join()],
            extraNodes: [{ id: 'join', type: 'join', z: 'tab', mode: 'auto', wires: [['out0']] }],
        });
        h.send({ payload: zh });
        const [joined] = await h.outputs(1);
        assert.deepEqual(joined.payload, transcript('zh_16k.wav'));
    });

    it('single mode: one message with the whole text', async () => {
        const h = await harness(emu, 'sis-flash-asr', { ...base, output: 'single' });
        h.send({ payload: zh });
        const [msg] = await h.outputs(1);
        assert.equal(msg.payload, transcript('zh_16k.wav').join(''));
        assert.equal((msg.sentences as unknown[]).length, 2);
    });

    async function expectError(h: Harness, code: string): Promise<SisErrorInfo> {
        const [caught] = await h.errors(1);
        const info = caught.sis_error as SisErrorInfo;
        assert.equal(info.code, code);
        assert.equal((caught.error as { code: string }).code, code);
        await h.quiet();
        assert.equal(h.caught.length, 1, 'reported once');
        assert.equal(h.out[0].length, 0);
        return info;
    }

    const invalid: [string, Record<string, unknown>, Record<string, unknown>?][] = [
        ['a number', { payload: 42 }],
        ['an empty Buffer', { payload: Buffer.alloc(0) }],
        ['an OBS address without a key', { payload: 'obs://bucket-only' }],
        ['a bad bucket name', { payload: { bucket: 'A', key: 'x.wav' } }],
        ['an object whose format cannot be told', { payload: { bucket: 'sis-audio-stage', key: 'noext' } }],
        ['a 16 kHz recording with the 8 kHz model', { payload: zh, sis: { property: 'chinese_8k_common' } }],
        ['a format the API does not take', { payload: zh, sis: { audio_format: 'amr' } }],
        ['bytes that are not audio', { payload: Buffer.from('not audio, just text') }],
    ];
    for (const [what, msg] of invalid) {
        it(`refuses ${what} with INVALID_INPUT before any request`, async () => {
            const h = await harness(emu, 'sis-flash-asr', base);
            h.send(msg);
            await expectError(h, 'INVALID_INPUT');
            assert.equal(emu.log.entries().filter((e) => e.route === 'flash' || e.route.startsWith('obs.')).length, 0);
        });
    }

    it('refuses a Buffer when no staging bucket is configured', async () => {
        const h = await harness(emu, 'sis-flash-asr', base, { configExtra: { obsBucket: '' } });
        h.send({ payload: zh });
        await expectError(h, 'INVALID_INPUT');
    });

    it('a service error reaches Catch once, and the staged object is still deleted', async () => {
        emu.faults.add({ route: 'flash', kind: 'status', status: 500, code: 'SIS.0100', count: 10 });
        const h = await harness(emu, 'sis-flash-asr', base, { configExtra: { maxRetries: 1 } });
        h.send({ payload: zh });
        const info = await expectError(h, 'SIS.0100');
        assert.equal(info.retryable, true);
        await until(() => (routeLog(emu, 'obs.delete').length === 1 ? true : undefined));
        assert.deepEqual(staged(), []);
    });

    it('an object missing in OBS gives the service error', async () => {
        const h = await harness(emu, 'sis-flash-asr', base);
        h.send({ payload: `obs://${emu.account.bucket}/missing.wav` });
        const info = await expectError(h, 'SIS.0609');
        assert.equal(info.status, 400);
    });

    it('an OBS refusal while staging is AUTH_FAILED with the OBS code; no clean-up of an object never stored', async () => {
        // Refused for good (the delete would be refused too, as a bucket without write access does).
        emu.faults.add({ route: 'obs.put', kind: 'status', status: 403, code: 'AccessDenied', count: 10 });
        emu.faults.add({ route: 'obs.delete', kind: 'status', status: 403, code: 'AccessDenied', count: 10 });
        const h = await harness(emu, 'sis-flash-asr', base);
        h.send({ payload: zh });
        const info = await expectError(h, 'AUTH_FAILED');
        assert.equal(info.service_code, 'AccessDenied');
        assert.equal(routeLog(emu, 'flash').length, 0);
        await h.quiet(300);
        assert.equal(routeLog(emu, 'obs.delete').length, 0, 'nothing to delete');
        assert.deepEqual(staged(), []);
        const warnings = (helper.log().args as { level: number; type?: string; msg?: unknown }[][])
            .map(([e]) => e)
            .filter((e) => e.level === 30 && e.type === 'sis-flash-asr');
        assert.deepEqual(warnings, [], 'no warning about a staged object');
    });

    it('an upload cut off by a timeout may have been stored, so it is deleted', async () => {
        emu.faults.add({ route: 'obs.put', kind: 'slow-headers', delayMs: 3000, count: 10 });
        const h = await harness(emu, 'sis-flash-asr', base, { configExtra: { timeout: 0.3, maxRetries: 0 } });
        h.send({ payload: zh });
        await expectError(h, 'TIMEOUT');
        await until(() => (routeLog(emu, 'obs.delete').length === 1 ? true : undefined));
    });

    it('a timeout is reported and the staged object deleted', async () => {
        emu.faults.add({ route: 'flash', kind: 'slow-headers', delayMs: 3000, count: 1 });
        const h = await harness(emu, 'sis-flash-asr', base, { configExtra: { timeout: 0.3, maxRetries: 0 } });
        h.send({ payload: zh });
        await expectError(h, 'TIMEOUT');
        await until(() => (staged().length === 0 ? true : undefined));
    });

    it('a redeploy while recognising deletes the staged object before the client closes', async () => {
        emu.faults.add({ route: 'flash', kind: 'delay', delayMs: 3000, count: 1 });
        const h = await harness(emu, 'sis-flash-asr', base);
        h.send({ payload: zh });
        await until(() => (routeLog(emu, 'obs.put').length === 1 && staged().length === 1 ? true : undefined));
        await delay(50);
        await helper.unload();
        assert.deepEqual(staged(), []);
        assert.equal(routeLog(emu, 'obs.delete').length, 1);
        assert.equal(h.out[0].length, 0);
    });

    it('many inputs in flight: no listener warning, and a redeploy deletes every staged object', async () => {
        const inFlight = 24;
        emu.faults.add({ route: 'flash', kind: 'delay', delayMs: 3000, count: inFlight });
        const warnings: string[] = [];
        const onWarning = (w: Error): void => {
            warnings.push(`${w.name}: ${w.message}`);
        };
        process.on('warning', onWarning);
        try {
            const h = await harness(emu, 'sis-flash-asr', base);
            for (let i = 0; i < inFlight; i++) h.send({ payload: zh });
            // Some recognising, the others waiting for a connection slot: all listening for the close.
            await until(() => (staged().length >= 4 ? true : undefined));
            await delay(300);
            const deletesBefore = routeLog(emu, 'obs.delete').length;
            const stagedBefore = staged().length;
            await helper.unload();
            assert.deepEqual(staged(), []);
            assert.ok(routeLog(emu, 'obs.delete').length - deletesBefore >= stagedBefore);
            assert.equal(h.out[0].length, 0);
            // Listeners on the node's abort signal, one or more per input, are not a leak.
            await delay(20);
            assert.deepEqual(
                warnings.filter((w) => /MaxListeners|memory leak/i.test(w)),
                [],
            );
        } finally {
            process.off('warning', onWarning);
        }
    });

    it('with IAM password auth, stages with temporary keys obtained from the token', async () => {
        const h = await harness(emu, 'sis-flash-asr', base, { authType: 'password' });
        h.send({ payload: zh });
        await h.outputs(2);
        assert.equal(routeLog(emu, 'iam.securitytokens').length, 1);
        const put = routeLog(emu, 'obs.put')[0];
        assert.ok(put.headers['x-obs-security-token']);
        // The staged object is deleted right after the sentences are sent.
        await until(() => (staged().length === 0 ? true : undefined));
    });
});
