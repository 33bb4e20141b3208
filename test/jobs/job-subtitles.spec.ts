// sis-job-asr's subtitle outputs (srt, vtt) in the Node-RED runtime against the emulator. The
// files are read back with the `subtitle` parser (see test/red/subtitles.spec.ts for the choice).
import * as assert from 'node:assert/strict';
import { parseStoredJobs } from '../../nodes/lib/jobs/store';
import { type Emulator, useEmulator } from '../helpers/emulator';
import { fixture, transcript } from '../helpers/fixtures';
import { harness } from '../helpers/flow';
import { helper, nodeRedVersion } from '../helpers/nr';
import { cuesOf } from '../helpers/subtitle-parser';

describe(`sis-job-asr subtitles on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(20_000);
    const getEmu = useEmulator({ limits: { jobDelayMs: 100 } }, ['zh_16k.wav', 'en_16k.wav']);
    let emu: Emulator;
    before(() => {
        helper.settings({ sisJobAsrPollMs: 25 } as unknown as Parameters<typeof helper.settings>[0]);
    });
    after(() => {
        helper.settings({ sisJobAsrPollMs: undefined } as unknown as Parameters<typeof helper.settings>[0]);
    });
    beforeEach(() => {
        emu = getEmu();
    });

    const base = { property: 'chinese_16k_conversation', audio_format: 'auto', add_punc: 'yes' };

    it('srt: a recording in OBS gives one file named after its key, speakers labelled', async () => {
        emu.putObject(emu.account.bucket, 'meetings/2025/weekly meeting.wav', fixture('zh_16k.wav'), 'audio/wav');
        const h = await harness(emu, 'sis-job-asr', {
            ...base,
            need_word_info: 'yes',
            need_analysis_info: 'yes',
            output: 'srt',
        });
        h.send({ payload: `obs://${emu.account.bucket}/meetings/2025/weekly meeting.wav`, topic: 'weekly' });
        const [done] = await h.completions(1);
        const jobId = (done.sis_result as { job_id: string }).job_id;
        const [msg] = await h.outputs(1);
        await h.quiet();
        assert.equal(msg.filename, 'weekly meeting.srt');
        assert.equal(msg.topic, 'weekly');
        assert.equal((msg.sis_result as { job_id: string }).job_id, jobId);
        const srt = msg.payload as string;
        assert.doesNotMatch(srt, /(?<!\r)\n/, 'CRLF only');
        const [a, b] = transcript('zh_16k.wav');
        assert.deepEqual(
            cuesOf(srt).map((c) => [c.start, c.end, c.text]),
            [
                [200, 870, `AGENT: ${a}`],
                [1560, 2900, `USER: ${b}`],
            ],
        );
    });

    it('vtt: a Buffer gives the file beside msg.filename, with the set line width', async () => {
        const h = await harness(emu, 'sis-job-asr', { ...base, output: 'vtt', lineWidth: '8' });
        h.send({ payload: fixture('zh_16k.wav'), filename: '/srv/calls/call-7.wav' });
        const [msg] = await h.outputs(1);
        assert.equal(msg.filename, '/srv/calls/call-7.vtt');
        const vtt = msg.payload as string;
        assert.ok(vtt.startsWith('WEBVTT\n\n'));
        const cues = cuesOf(vtt);
        assert.equal(cues.map((c) => c.text.replace(/\n/g, '')).join(''), transcript('zh_16k.wav').join(''));
        assert.equal(cues[0].start, 200);
        assert.equal(cues[cues.length - 1].end, 2900);
        for (const c of cues) for (const l of c.text.split('\n')) assert.ok(Array.from(l).length <= 8, l);
    });

    it('keeps what the file is named after with the pending job, never a URL query', () => {
        const [job] = parseStoredJobs({
            jobs: [{ job_id: 'j', submitted_at: 1, msg: {}, source_name: 'weekly meeting.wav' }],
        });
        assert.equal(job.source_name, 'weekly meeting.wav');
        assert.equal(
            parseStoredJobs({ jobs: [{ job_id: 'j', submitted_at: 1, msg: {}, source_name: 3 }] })[0].source_name,
            undefined,
        );
    });
});
