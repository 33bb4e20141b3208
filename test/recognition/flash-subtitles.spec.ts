// sis-flash-asr's subtitle outputs (srt, vtt) in the Node-RED runtime against the emulator. The
// files are read back with the `subtitle` parser (see test/red/subtitles.spec.ts for the choice).
import * as assert from 'node:assert/strict';
import { spreadWords, wordsOf } from '../../emulator/audio/text';
import { type Emulator, useEmulator } from '../helpers/emulator';
import { fixture, transcript } from '../helpers/fixtures';
import { harness } from '../helpers/flow';
import { nodeRedVersion } from '../helpers/nr';
import { cuesOf } from '../helpers/subtitle-parser';

/** The English fixture with one sample 100 ms into the speech changed by one step: other audio, same speech. */
function variant(): Buffer {
    const audio = Buffer.from(fixture('en_16k.wav'));
    audio[44 + 300 * 32] ^= 1;
    return audio;
}

const LONG =
    'Welcome everyone to the quarterly review of the infrastructure team, where we look back at the outages and plan the next steps.';

describe(`sis-flash-asr subtitles on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(20_000);
    const getEmu = useEmulator({}, ['zh_16k.wav', 'en_16k.wav', 'stereo_16k.wav']);
    let emu: Emulator;
    before(() => {
        getEmu().transcripts.register(variant(), ['Turn on the light.', LONG]);
    });
    beforeEach(() => {
        emu = getEmu();
    });

    const base = { property: 'chinese_16k_conversation', audio_format: 'auto', add_punc: 'yes' };

    it('srt: one message with the whole file named after msg.filename, cues at the sentence times', async () => {
        const h = await harness(emu, 'sis-flash-asr', { ...base, output: 'srt' });
        h.send({ payload: fixture('zh_16k.wav'), filename: '/recordings/call 1.wav', topic: 't' });
        const [msg] = await h.outputs(1);
        await h.completions(1);
        await h.quiet();
        assert.equal(msg.filename, '/recordings/call 1.srt');
        assert.equal(msg.topic, 't');
        assert.equal(typeof (msg.sis_result as { trace_id?: string }).trace_id, 'string');
        const srt = msg.payload as string;
        assert.doesNotMatch(srt, /(?<!\r)\n/, 'CRLF only');
        assert.match(srt, /^1\r\n00:00:00,200 --> 00:00:00,870\r\n/);
        assert.deepEqual(
            cuesOf(srt).map((c) => [c.start, c.end, c.text]),
            [
                [200, 870, transcript('zh_16k.wav')[0]],
                [1560, 2900, transcript('zh_16k.wav')[1]],
            ],
        );
    });

    it('vtt: a long sentence becomes cues of two lines at most, split at its word times', async () => {
        const audio = variant();
        const h = await harness(emu, 'sis-flash-asr', {
            ...base,
            need_word_info: 'yes',
            output: 'vtt',
            lineWidth: '30',
        });
        h.send({ payload: audio });
        const [msg] = await h.outputs(1);
        assert.equal(msg.filename, 'subtitles.vtt', 'a Buffer without msg.filename');
        const vtt = msg.payload as string;
        assert.ok(vtt.startsWith('WEBVTT\n\n'));
        const cues = cuesOf(vtt);
        assert.ok(cues.length >= 3, vtt);
        // The second sentence is where the emulator's VAD puts it; its word times are the
        // emulator's (spread over the sentence by length), as word_info would give them.
        const [start, end] = [1660, 2650];
        const starts = new Set(spreadWords(wordsOf(LONG), start, end).map((w) => w.start_time));
        const inLong = cues.filter((c) => c.start >= start);
        assert.ok(inLong.length >= 3);
        assert.equal(inLong[0].start, start);
        assert.equal(inLong[inLong.length - 1].end, end);
        for (const c of inLong.slice(1)) assert.ok(starts.has(c.start), `cue at ${c.start} starts at a word`);
        for (let i = 1; i < cues.length; i++) assert.ok(cues[i - 1].end <= cues[i].start);
        for (const c of cues) {
            const lines = c.text.split('\n');
            assert.ok(lines.length <= 2);
            for (const l of lines) assert.ok(Array.from(l).length <= 30, l);
        }
        assert.equal(
            inLong
                .map((c) => c.text)
                .join(' ')
                .replace(/\n/g, ' '),
            LONG,
        );
    });

    it('an OBS object names the file after its key; each channel of stereo audio is labelled', async () => {
        emu.putObject(emu.account.bucket, 'calls/2025/support call.wav', fixture('stereo_16k.wav'), 'audio/wav');
        const h = await harness(emu, 'sis-flash-asr', { ...base, output: 'srt' });
        h.send({ payload: { bucket: emu.account.bucket, key: 'calls/2025/support call.wav' } });
        const [msg] = await h.outputs(1);
        assert.equal(msg.filename, 'support call.srt');
        const texts = cuesOf(msg.payload).map((c) => c.text);
        assert.ok(
            texts.some((t) => t.startsWith('CH1: ')),
            texts.join(' | '),
        );
        assert.ok(texts.some((t) => t.startsWith('CH2: ')));
        assert.ok(texts.every((t) => /^CH[12]: /.test(t)));
    });

    it('audio without speech gives an empty file', async () => {
        const h = await harness(emu, 'sis-flash-asr', { ...base, output: 'vtt' });
        h.send({ payload: fixture('silence_16k.wav'), filename: 'quiet.wav' });
        const [msg] = await h.outputs(1);
        assert.equal(msg.payload, 'WEBVTT\n\n');
        assert.equal(msg.filename, 'quiet.vtt');
    });
});
