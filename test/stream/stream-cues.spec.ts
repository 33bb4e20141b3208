// sis-stream-asr's WebVTT cues on final sentences (msg.cue) in the Node-RED runtime against the
// emulator. The cues are read back with the `subtitle` parser (see test/red/subtitles.spec.ts).
import * as assert from 'node:assert/strict';
import { type Emulator, useEmulator } from '../helpers/emulator';
import { fixture } from '../helpers/fixtures';
import { type Harness, harness } from '../helpers/flow';
import { nodeRedVersion } from '../helpers/nr';
import { sendChunks, wavOf } from '../helpers/stream';
import { cuesOf } from '../helpers/subtitle-parser';
import { until } from '../helpers/wait';

const EN = ['Turn on the light', 'It is sunny today'];
const EN_TIMES = [
    [200, 960],
    [1660, 2650],
];
/** 16 kHz 16-bit: bytes per millisecond. */
const BPMS = 32;
const LONG =
    'Welcome everyone to the quarterly review of the infrastructure team where we look back at the outages and plan the next steps';

/** The cues of a live session as a WebVTT file: the header, then every msg.cue in order. */
function vttOf(msgs: Record<string, unknown>[]): string {
    return `WEBVTT\n\n${msgs.map((m) => m.cue as string).join('')}`;
}

function finals(h: Harness): Record<string, unknown>[] {
    return h.out[0].filter((m) => m.final === true);
}

async function ended(h: Harness, count = 1): Promise<void> {
    await until(() => (h.out[1].filter((m) => m.payload === 'END').length >= count ? true : undefined), 10_000);
}

describe(`sis-stream-asr WebVTT cues on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(20_000);
    let emu: Emulator;
    const pcm = fixture('en_16k.pcm');
    /** The English speech with one sample 100 ms into it changed by one step: other audio, same speech. */
    const variant = Buffer.from(pcm);
    variant[300 * BPMS] ^= 1;
    const base = { mode: 'continue-stream', property: 'chinese_16k_common', audio_format: 'pcm16k16bit' };

    const getEmu = useEmulator({ limits: { wsIdleMs: 20_000 } }, ['en_16k.wav']);

    before(() => {
        emu = getEmu();
        // Sentence-stream's second recognition hears the audio after the first sentence.
        emu.transcripts.register(wavOf(pcm.subarray(EN_TIMES[0][1] * BPMS), 16000, 1), [EN[1]]);
        emu.transcripts.register(wavOf(variant, 16000, 1), [EN[0], LONG]);
    });

    function stream(props: Record<string, unknown>): Promise<Harness> {
        return harness(emu, 'sis-stream-asr', { ...base, ...props }, { outputs: 2 });
    }

    it('adds a WebVTT cue to each final sentence, none to interim results', async () => {
        const h = await stream({ cue: 'yes', interim_results: 'yes' });
        await sendChunks(h.send, pcm, 1600);
        h.send({ control: 'end' });
        await ended(h);
        const interim = h.out[0].filter((m) => m.final === false);
        assert.ok(interim.length > 0);
        assert.ok(interim.every((m) => m.cue === undefined));
        const done = finals(h);
        assert.equal(done[0].cue, '00:00:00.200 --> 00:00:00.960\nTurn on the light\n\n');
        assert.deepEqual(
            cuesOf(vttOf(done)).map((c) => [c.start, c.end, c.text]),
            EN.map((text, i) => [...EN_TIMES[i], text]),
        );
    });

    it('keeps the session timeline across the recognitions of sentence-stream', async () => {
        const h = await stream({ cue: 'yes', mode: 'sentence-stream' });
        await sendChunks(h.send, pcm, 3200);
        h.send({ control: 'end' });
        await ended(h, 2);
        assert.deepEqual(
            cuesOf(vttOf(finals(h))).map((c) => [c.start, c.end]),
            EN_TIMES,
        );
    });

    it('splits a long sentence into cue blocks of the set width, within its times', async () => {
        const h = await stream({ cue: 'yes', lineWidth: '24', need_word_info: 'yes' });
        await sendChunks(h.send, variant, 3200);
        h.send({ control: 'end' });
        await ended(h);
        const long = finals(h)[1];
        const sentence = long.sentence as { start_time: number; end_time: number };
        const cues = cuesOf(`WEBVTT\n\n${long.cue as string}`);
        assert.ok(cues.length >= 2, String(long.cue));
        assert.equal(cues[0].start, sentence.start_time);
        assert.equal(cues[cues.length - 1].end, sentence.end_time);
        for (let i = 1; i < cues.length; i++) assert.equal(cues[i - 1].end, cues[i].start);
        for (const c of cues) for (const l of c.text.split('\n')) assert.ok(Array.from(l).length <= 24, l);
        assert.equal(cues.map((c) => c.text.replace(/\n/g, ' ')).join(' '), LONG);
    });

    it('adds no cue when the option is off (the default)', async () => {
        const h = await stream({});
        await sendChunks(h.send, pcm, 3200);
        h.send({ control: 'end' });
        await ended(h);
        assert.equal(finals(h).length, 2);
        assert.ok(finals(h).every((m) => !('cue' in m)));
    });
});
