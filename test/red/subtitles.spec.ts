// Subtitle building (nodes/lib/red/subtitles.ts): cue splitting, time formatting, SRT and WebVTT.
//
// The files are read back with `subtitle` (npm, by gsantiago; a dev dependency only), which parses
// both SubRip and WebVTT into cues with millisecond times. Chosen over the others looked at with
// `npm view`: `srt-parser-2` reads SRT only and `webvtt-parser` (the W3C validator's parser)
// WebVTT only; `media-captions` is ESM-only (this suite runs as CommonJS) and refuses SRT hours
// past 99, which jobs and streams of 5 h do not reach but long-running sessions can. `subtitle`
// 4.2.2 is the current release of a long-maintained MIT package with a CommonJS build; it is lenient
// about layout, so the tests below also check the exact timestamp syntax, CRLF and the header.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Sentence } from '../../nodes/lib/red/sentences';
import {
    buildCues,
    type Cue,
    formatTimestamp,
    lineWidthSetting,
    sentenceCues,
    sentenceVttCue,
    subtitleFilename,
    subtitleMessage,
    subtitleText,
    toSrt,
    toVtt,
} from '../../nodes/lib/red/subtitles';
import { cuesOf } from '../helpers/subtitle-parser';

const cps = (s: string): number => Array.from(s).length;
const LABEL = /^(AGENT|USER|CH\d+):$/;

const SRT_TIMING = /^\d{2,}:[0-5]\d:[0-5]\d,\d{3} --> \d{2,}:[0-5]\d:[0-5]\d,\d{3}$/;
const VTT_TIMING = /^\d{2,}:[0-5]\d:[0-5]\d\.\d{3} --> \d{2,}:[0-5]\d:[0-5]\d\.\d{3}$/;

describe('subtitles', () => {
    describe('timestamps', () => {
        const cases: [number, string][] = [
            [0, '00:00:00,000'],
            [1.4, '00:00:00,001'],
            [59_999, '00:00:59,999'],
            [3_599_999, '00:59:59,999'],
            [3_600_000, '01:00:00,000'],
            [3_600_001, '01:00:00,001'],
            [5 * 3_600_000 + 12_345, '05:00:12,345'],
            [99 * 3_600_000 + 3_599_999, '99:59:59,999'],
            [100 * 3_600_000, '100:00:00,000'],
            [1234 * 3_600_000 + 61_001, '1234:01:01,001'],
        ];
        for (const [ms, srt] of cases) {
            it(`formats ${ms} ms as ${srt} (SRT) and with a dot (WebVTT)`, () => {
                assert.equal(formatTimestamp(ms, 'srt'), srt);
                assert.equal(formatTimestamp(ms, 'vtt'), srt.replace(',', '.'));
            });
        }

        it('reads back the same times across the hour boundary and past 99 hours, in both formats', () => {
            const cues: Cue[] = [
                { start: 3_599_500, end: 3_600_250, lines: ['across the hour'] },
                { start: 5 * 3_600_000 - 1, end: 5 * 3_600_000 + 1, lines: ['five hours'] },
                { start: 99 * 3_600_000 + 3_599_000, end: 100 * 3_600_000 + 500, lines: ['past 99 hours'] },
                { start: 250 * 3_600_000, end: 250 * 3_600_000 + 1, lines: ['far away'] },
            ];
            for (const text of [toSrt(cues), toVtt(cues)]) {
                assert.deepEqual(
                    cuesOf(text).map((c) => [c.start, c.end, c.text]),
                    cues.map((c) => [c.start, c.end, c.lines.join('\n')]),
                );
            }
        });
    });

    describe('files', () => {
        const sentences: Sentence[] = [
            { text: 'Turn on the light.', start_time: 200, end_time: 960, role: 'AGENT' },
            { text: 'It is sunny today.', start_time: 3_599_000, end_time: 3_601_000, role: 'USER' },
        ];

        it('writes SRT with numbered cues, CRLF line ends only and a blank line after each cue', () => {
            const srt = subtitleText(sentences, 'srt');
            assert.equal(
                srt,
                '1\r\n00:00:00,200 --> 00:00:00,960\r\nAGENT: Turn on the light.\r\n\r\n' +
                    '2\r\n00:59:59,000 --> 01:00:01,000\r\nUSER: It is sunny today.\r\n\r\n',
            );
            assert.doesNotMatch(srt, /(?<!\r)\n/);
            assert.deepEqual(
                cuesOf(srt).map((c) => c.text),
                ['AGENT: Turn on the light.', 'USER: It is sunny today.'],
            );
        });

        it('writes WebVTT with the header and escapes what would be markup', () => {
            const vtt = subtitleText(
                [...sentences, { text: 'a <b> & c --> d', start_time: 5000, end_time: 6000 }],
                'vtt',
            );
            assert.ok(vtt.startsWith('WEBVTT\n\n'));
            assert.match(vtt, /\na &lt;b&gt; &amp; c --&gt; d\n/);
            assert.equal(cuesOf(vtt).length, 3);
            for (const line of vtt.split('\n').filter((l) => l.includes('-->') && /^\d/.test(l))) {
                assert.match(line, VTT_TIMING);
            }
        });

        it('gives an empty SRT and a bare WebVTT header when nothing was said', () => {
            assert.equal(subtitleText([], 'srt'), '');
            assert.equal(subtitleText([], 'vtt'), 'WEBVTT\n\n');
            assert.equal(subtitleText([{ text: '' }], 'srt'), '');
        });

        it('labels the speaker by role, else by channel, and can leave labels out', () => {
            const s: Sentence = { text: 'Hello.', start_time: 0, end_time: 500, channel_id: 0 };
            assert.deepEqual(sentenceCues(s)[0].lines, ['CH1: Hello.']);
            assert.deepEqual(sentenceCues({ ...s, role: 'AGENT' })[0].lines, ['AGENT: Hello.']);
            assert.deepEqual(sentenceCues(s, { speakers: false })[0].lines, ['Hello.']);
        });

        it('gives one WebVTT cue block per cue of a live sentence, on its own timeline', () => {
            assert.equal(
                sentenceVttCue({ text: 'Hello there.', start_time: 3_600_000 * 2 + 5, end_time: 3_600_000 * 2 + 900 }),
                '02:00:00.005 --> 02:00:00.900\nHello there.\n\n',
            );
            assert.equal(sentenceVttCue({ text: '  ', start_time: 0, end_time: 1 }), '');
        });

        it('shapes one message with the file, a file name and the result', () => {
            const msg = subtitleMessage(
                { _msgid: 'x', topic: 't', payload: Buffer.alloc(1) },
                sentences,
                { job_id: 'j' },
                'srt',
                'a.srt',
            );
            assert.equal(msg.payload, subtitleText(sentences, 'srt'));
            assert.equal((msg as { filename?: string }).filename, 'a.srt');
            assert.deepEqual(msg.sis_result, { job_id: 'j' });
            assert.equal(msg.topic, 't');
        });
    });

    describe('file names', () => {
        const cases: [Parameters<typeof subtitleFilename>[0], string, string][] = [
            [{ filename: '/data/rec/meeting.wav' }, 'srt', '/data/rec/meeting.srt'],
            [{ filename: 'C:\\rec\\call.mp3' }, 'vtt', 'C:\\rec\\call.vtt'],
            [{ filename: 'notes' }, 'srt', 'notes.srt'],
            [{ filename: 'archive.tar.wav' }, 'srt', 'archive.tar.srt'],
            [{ filename: '.hidden' }, 'srt', '.hidden.srt'],
            [{ filename: 42 }, 'srt', 'subtitles.srt'],
            [{}, 'vtt', 'subtitles.vtt'],
            [{ obsKey: 'meetings/2024/weekly.m4a' }, 'srt', 'weekly.srt'],
            [{ obsKey: 'folder/' }, 'srt', 'subtitles.srt'],
            [{ url: 'https://example.com/a/b%20c.wav?X-Amz=1' }, 'vtt', 'b c.vtt'],
            [{ url: 'not a url' }, 'srt', 'subtitles.srt'],
            [undefined, 'srt', 'subtitles.srt'],
        ];
        for (const [source, format, name] of cases) {
            it(`${JSON.stringify(source)} → ${name}`, () => {
                assert.equal(subtitleFilename(source, format as 'srt' | 'vtt'), name);
            });
        }

        it('reads the line width setting: blank is the default by script, numbers are kept in range', () => {
            assert.equal(lineWidthSetting(''), undefined);
            assert.equal(lineWidthSetting(undefined), undefined);
            assert.equal(lineWidthSetting('32'), 32);
            assert.equal(lineWidthSetting(2), 8);
            assert.equal(lineWidthSetting('9999'), 200);
        });
    });

    describe('cue splitting', () => {
        const words =
            'Good morning everyone, and welcome to the weekly meeting of the infrastructure team where we discuss the roadmap for next year.'.split(
                ' ',
            );
        let t = 10_000;
        const wordInfo = words.map((w) => {
            const start = t;
            t += 120 + 45 * w.length;
            return { start_time: start, end_time: t - 40, word: w.replace(/[,.]/g, '') };
        });
        const long: Sentence = { text: words.join(' '), start_time: 10_000, end_time: t, word_info: wordInfo };

        it('splits a long sentence into cues of at most two lines of 42 characters, at word times', () => {
            const cues = sentenceCues(long);
            assert.ok(cues.length >= 2);
            for (const c of cues) {
                assert.ok(c.lines.length <= 2);
                for (const l of c.lines) assert.ok(cps(l) <= 42, l);
            }
            assert.equal(cues[0].start, 10_000);
            assert.equal(cues[cues.length - 1].end, t);
            for (const c of cues.slice(1)) {
                const first = c.lines[0].split(' ')[0].replace(/[,.]/g, '');
                const w = wordInfo.find((x) => x.word === first);
                assert.equal(c.start, w?.start_time, `cue "${c.lines.join(' ')}" starts with its first word`);
            }
            // Each cue lasts until the next one starts.
            for (let i = 1; i < cues.length; i++) assert.equal(cues[i - 1].end, cues[i].start);
            assert.deepEqual(
                cues.flatMap((c) => c.lines.join(' ').split(' ')),
                words,
            );
        });

        it('interpolates by characters when there are no word times', () => {
            const cues = sentenceCues({ ...long, word_info: undefined }, { lineWidth: 20 });
            assert.ok(cues.length >= 3);
            const letters = cps(long.text.replace(/[^\p{L}\p{N}]/gu, ''));
            for (const c of cues.slice(1)) {
                const before = cps(
                    cues
                        .slice(0, cues.indexOf(c))
                        .flatMap((x) => x.lines)
                        .join('')
                        .replace(/[^\p{L}\p{N}]/gu, ''),
                );
                const expected = 10_000 + ((t - 10_000) * before) / letters;
                assert.ok(Math.abs(c.start - expected) <= 1, `${c.start} vs ${expected}`);
            }
        });

        it('uses 16 characters a line for Chinese, keeps words the service gave whole, breaks after punctuation', () => {
            const text = '今天我们讨论一下明年的计划，包括预算、人员和时间安排。请大家积极发言。';
            const cjkWords = [
                '今天',
                '我们',
                '讨论',
                '一下',
                '明年',
                '的',
                '计划',
                '包括',
                '预算',
                '人员',
                '和',
                '时间',
                '安排',
                '请',
                '大家',
                '积极',
                '发言',
            ];
            let at = 0;
            const info = cjkWords.map((w) => {
                const s = at;
                at += 250 * w.length;
                return { start_time: s, end_time: at, word: w };
            });
            const cues = sentenceCues({ text, start_time: 0, end_time: at, word_info: info });
            const lines = cues.flatMap((c) => c.lines);
            for (const l of lines) assert.ok(cps(l) <= 16, l);
            assert.equal(lines.join(''), text);
            // No line starts inside a word of word_info.
            let pos = 0;
            const starts = new Set<number>();
            for (const w of cjkWords) {
                starts.add(text.indexOf(w, pos));
                pos = text.indexOf(w, pos) + w.length;
            }
            let offset = 0;
            for (const l of lines) {
                assert.ok(starts.has(offset), `line "${l}" starts mid-word`);
                offset += l.length;
            }
        });

        it('keeps a word longer than the line on a line of its own', () => {
            const word = 'Pneumonoultramicroscopicsilicovolcanoconiosis';
            const cues = sentenceCues({ text: `a ${word} b`, start_time: 0, end_time: 3000 }, { lineWidth: 10 });
            assert.deepEqual(
                cues.flatMap((c) => c.lines),
                ['a', word, 'b'],
            );
        });
    });

    describe('properties', () => {
        const latinWord = fc.oneof(
            { weight: 8, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9']{0,11}[,.!?;]?$/) },
            { weight: 1, arbitrary: fc.stringMatching(/^[a-z]{13,70}$/) },
        );
        const cjkWord = fc
            .array(fc.constantFrom('今', '天', '很', '热', '你', '好', '我', '们', '明', '年', '計', 'か', 'ナ'), {
                minLength: 1,
                maxLength: 4,
            })
            .chain((cs) => fc.constantFrom(cs.join(''), `${cs.join('')}，`, `${cs.join('')}。`));
        const wordsArb = fc.oneof(
            fc.array(latinWord, { minLength: 1, maxLength: 50 }),
            fc.array(cjkWord, { minLength: 1, maxLength: 40 }),
        );

        interface Gen {
            words: string[];
            cjk: boolean;
            sentence: Sentence;
        }

        /** A sentence after `from`: times, and word times for all, some or none of its words. */
        const sentenceArb = (from: number): fc.Arbitrary<Gen> =>
            fc
                .record({
                    words: wordsArb,
                    gap: fc.integer({ min: 0, max: 20_000 }),
                    perWord: fc.integer({ min: 0, max: 900 }),
                    timing: fc.constantFrom('all', 'some', 'none'),
                    drop: fc.integer({ min: 2, max: 5 }),
                    role: fc.constantFrom(undefined, 'AGENT', 'USER'),
                    channel: fc.constantFrom(undefined, 0, 1),
                })
                .map(({ words, gap, perWord, timing, drop, role, channel }) => {
                    const cjk = /[\u3040-\u9fff]/.test(words[0]);
                    const start = from + gap;
                    let at = start;
                    const info = words.map((w) => {
                        const s = at;
                        at += perWord;
                        return { start_time: s, end_time: at, word: w.replace(/[^\p{L}\p{N}']/gu, '') };
                    });
                    const sentence: Sentence = {
                        text: words.join(cjk ? '' : ' '),
                        start_time: start,
                        end_time: at,
                    };
                    if (timing === 'all') sentence.word_info = info;
                    if (timing === 'some') sentence.word_info = info.filter((_, i) => i % drop !== 0);
                    if (role) sentence.role = role;
                    if (channel !== undefined) sentence.channel_id = channel;
                    return { words, cjk, sentence };
                });

        const filesArb = fc
            .record({
                count: fc.integer({ min: 1, max: 5 }),
                origin: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 400 * 3_600_000 })),
                lineWidth: fc.integer({ min: 8, max: 60 }),
                maxLines: fc.integer({ min: 1, max: 3 }),
            })
            .chain(({ count, origin, lineWidth, maxLines }) => {
                // Sentences one after another.
                let chain: fc.Arbitrary<Gen[]> = sentenceArb(origin).map((g) => [g]);
                for (let i = 1; i < count; i++) {
                    chain = chain.chain((gens) => {
                        const last = gens[gens.length - 1].sentence;
                        return sentenceArb(last.end_time as number).map((g) => [...gens, g]);
                    });
                }
                return chain.map((gens) => ({ gens, lineWidth, maxLines }));
            });

        const textOf = (lines: string[]): string[] =>
            lines
                .join(' ')
                .split(' ')
                .filter((w) => w !== '' && !LABEL.test(w));

        it('cues cover every word in order, within the line width unless a word is longer, times monotonic', () => {
            fc.assert(
                fc.property(filesArb, ({ gens, lineWidth, maxLines }) => {
                    const opts = { lineWidth, maxLines };
                    const cues = buildCues(
                        gens.map((g) => g.sentence),
                        opts,
                    );
                    const allWords = gens.flatMap((g) => g.words);
                    // Every word, in order (Chinese/Japanese: every character).
                    const got = textOf(cues.flatMap((c) => c.lines));
                    const want = gens.flatMap((g) => (g.cjk ? [g.words.join('')] : g.words));
                    assert.equal(got.join(''), want.join(''));
                    for (const g of gens.filter((x) => !x.cjk)) {
                        const cs = sentenceCues(g.sentence, opts);
                        assert.deepEqual(textOf(cs.flatMap((c) => c.lines)), g.words);
                    }
                    for (const c of cues) {
                        assert.ok(c.lines.length >= 1 && c.lines.length <= maxLines, JSON.stringify(c));
                        for (const line of c.lines) {
                            assert.ok(line !== '' && line === line.trim());
                            if (cps(line) > lineWidth) {
                                assert.ok(allWords.includes(line), `"${line}" is over ${lineWidth} and not one word`);
                            }
                        }
                    }
                    // Whole milliseconds, never overlapping, never going back, within the sentences' span.
                    for (const [i, c] of cues.entries()) {
                        assert.ok(Number.isInteger(c.start) && Number.isInteger(c.end));
                        assert.ok(c.start < c.end, JSON.stringify(c));
                        if (i > 0) assert.ok(cues[i - 1].end <= c.start, 'cues overlap');
                    }
                    const first = gens[0].sentence;
                    const last = gens[gens.length - 1].sentence;
                    assert.equal(cues[0].start, first.start_time);
                    assert.ok(cues[cues.length - 1].end >= (last.end_time as number));
                    // Read back the same from both formats.
                    const srt = toSrt(cues);
                    assert.doesNotMatch(srt, /(?<!\r)\n/);
                    for (const line of srt.split('\r\n').filter((l) => l.includes(' --> ')))
                        assert.match(line, SRT_TIMING);
                    const expected = cues.map((c) => [c.start, c.end, c.lines.join('\n')]);
                    assert.deepEqual(
                        cuesOf(srt).map((c) => [c.start, c.end, c.text]),
                        expected,
                    );
                    assert.deepEqual(
                        cuesOf(toVtt(cues)).map((c) => [c.start, c.end, c.text]),
                        expected,
                    );
                }),
                { numRuns: 300 },
            );
        });

        it('never overlaps, even when sentences of two channels overlap or have no times', () => {
            const loose = fc.array(
                fc.record({
                    text: fc.constantFrom(
                        'Hello there.',
                        '你好。',
                        'one two three four five six seven eight nine ten',
                        '',
                    ),
                    start_time: fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }),
                    length: fc.integer({ min: 0, max: 5000 }),
                    channel_id: fc.constantFrom(0, 1),
                }),
                { maxLength: 12 },
            );
            fc.assert(
                fc.property(loose, (list) => {
                    const sentences = list
                        .map(({ length, ...s }) => ({
                            ...s,
                            end_time: s.start_time === undefined ? undefined : s.start_time + length,
                        }))
                        .sort((a, b) => (a.start_time ?? 0) - (b.start_time ?? 0));
                    const cues = buildCues(sentences, { lineWidth: 12 });
                    for (const [i, c] of cues.entries()) {
                        assert.ok(c.start < c.end);
                        if (i > 0) {
                            assert.ok(cues[i - 1].end <= c.start, 'cues overlap');
                            assert.ok(cues[i - 1].start <= c.start, 'starts go back');
                        }
                    }
                }),
                { numRuns: 300 },
            );
        });
    });
});
