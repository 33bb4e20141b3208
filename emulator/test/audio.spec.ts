import * as assert from 'node:assert/strict';
import {
    AudioError,
    createTranscriptRegistry,
    decodeAudio,
    parseMp3,
    parseWav,
    recognize,
    sampleRateOfProperty,
    sha256Hex,
    synthesize,
} from '../audio';
import type { RecognizedSentence } from '../types';
import { FIXTURE_TRANSCRIPTS, fixture, testContext } from './audio-ws-helpers';

const EN = FIXTURE_TRANSCRIPTS['en_16k.wav'];
const ZH = FIXTURE_TRANSCRIPTS['zh_16k.wav'];

function texts(sentences: RecognizedSentence[]): string[] {
    return sentences.map((s) => s.text);
}

function assertTwoSegments(sentences: RecognizedSentence[], durationMs: number): void {
    assert.equal(sentences.length, 2);
    const [a, b] = sentences;
    assert.ok(a.start_time >= 100 && a.start_time <= 400, `start ${a.start_time}`);
    assert.ok(a.end_time > a.start_time + 300);
    // The 0.7 s pause separates them.
    assert.ok(b.start_time - a.end_time >= 550 && b.start_time - a.end_time <= 850, `gap ${b.start_time - a.end_time}`);
    assert.ok(b.end_time <= durationMs);
    for (const s of sentences) assert.ok(s.score > 0 && s.score <= 1);
}

describe('emulator audio', () => {
    describe('decoding', () => {
        const cases: [string, string, number, string][] = [
            ['en_16k.wav', 'wav', 16000, 'wav-pcm'],
            ['en_16k.pcm', 'pcm16k16bit', 16000, 'pcm'],
            ['en_8k.wav', 'wav', 8000, 'wav-pcm'],
            ['en_8k_alaw.wav', 'wav', 8000, 'wav-alaw'],
            ['en_8k_ulaw.wav', 'wav', 8000, 'wav-ulaw'],
            ['zh_8k_alaw.wav', 'auto', 8000, 'wav-alaw'],
            ['stereo_16k.wav', 'wav', 16000, 'wav-pcm'],
            ['silence_16k.wav', 'wav', 16000, 'wav-pcm'],
        ];
        for (const [file, format, rate, codec] of cases) {
            it(`decodes ${file} as ${format}`, () => {
                const d = decodeAudio(fixture(file), format);
                assert.equal(d.sampleRate, rate);
                assert.equal(d.codec, codec);
                assert.equal(d.channels.length, file.startsWith('stereo') ? 2 : 1);
                assert.ok(d.durationMs >= 1000 && d.durationMs <= 3200);
            });
        }

        it('decodes the raw PCM to the same samples as its WAV', () => {
            const wav = decodeAudio(fixture('en_16k.wav'), 'wav').channels[0];
            const pcm = decodeAudio(fixture('en_16k.pcm'), 'pcm16k16bit').channels[0];
            assert.deepEqual(pcm, wav);
        });

        it('decodes A-law and µ-law close to the 16-bit original', () => {
            const pcm = decodeAudio(fixture('zh_8k.wav'), 'wav').channels[0];
            for (const file of ['zh_8k_alaw.wav', 'zh_8k_ulaw.wav']) {
                const g711 = decodeAudio(fixture(file), 'wav').channels[0];
                assert.equal(g711.length, pcm.length);
                let err = 0;
                let sig = 0;
                for (let i = 0; i < pcm.length; i++) {
                    err += (g711[i] - pcm[i]) ** 2;
                    sig += pcm[i] ** 2;
                }
                assert.ok(10 * Math.log10(sig / err) > 25, `${file} SNR`);
            }
        });

        it('raw A-law/µ-law formats decode one byte per sample', () => {
            const alaw = fixture('en_8k_alaw.wav');
            const info = parseWav(alaw);
            const raw = alaw.subarray(info.dataOffset, info.dataOffset + info.dataLength);
            const d = decodeAudio(raw, 'alaw8k8bit');
            assert.equal(d.channels[0].length, raw.length);
            assert.deepEqual(d.channels[0], decodeAudio(alaw, 'wav').channels[0]);
        });

        it('reads MP3 frame headers for rate, channels and duration', () => {
            for (const file of ['en_16k.mp3', 'zh_16k.mp3']) {
                const d = decodeAudio(fixture(file), 'mp3');
                assert.equal(d.sampleRate, 16000);
                assert.equal(d.durationOnly, true);
                assert.ok(Math.abs(d.durationMs - (file.startsWith('en') ? 2916 : 3204)) < 40);
                assert.equal(decodeAudio(fixture(file), 'auto').codec, 'mp3');
            }
        });

        it('refuses bytes that are not the declared container with SIS.0602', () => {
            assert.throws(
                () => decodeAudio(Buffer.from('not audio at all'), 'wav'),
                (e: unknown) => {
                    return e instanceof AudioError && e.sisCode === 'SIS.0602';
                },
            );
            assert.throws(() => decodeAudio(Buffer.alloc(500, 7), 'mp3'), AudioError);
            assert.throws(() => decodeAudio(Buffer.from('hello world, plain text'), 'auto'), AudioError);
        });

        it('maps properties to sample rates', () => {
            assert.equal(sampleRateOfProperty('chinese_8k_common'), 8000);
            assert.equal(sampleRateOfProperty('chinese_16k_conversation'), 16000);
            assert.equal(sampleRateOfProperty('english_8k_common'), 8000);
        });
    });

    describe('recognize', () => {
        const ctx = testContext();
        before(() => {
            for (const [file, sentences] of Object.entries(FIXTURE_TRANSCRIPTS)) {
                if (sentences.length > 0) ctx.transcripts.register(fixture(file), sentences);
            }
        });

        const cases: [string, string, string, string[]][] = [
            ['en_16k.wav', 'wav', 'english_16k_common', EN],
            ['en_16k.pcm', 'pcm16k16bit', 'chinese_16k_common', EN],
            ['en_8k.wav', 'wav', 'chinese_8k_common', EN],
            ['en_8k_alaw.wav', 'wav', 'chinese_8k_common', EN],
            ['en_8k_ulaw.wav', 'auto', 'chinese_8k_common', EN],
            ['en_16k.mp3', 'mp3', 'chinese_16k_common', EN],
            ['zh_16k.wav', 'wav', 'chinese_16k_common', ZH],
            ['zh_16k.pcm', 'pcm16k16bit', 'chinese_16k_common', ZH],
            ['zh_8k_ulaw.wav', 'wav', 'chinese_8k_common', ZH],
            ['zh_16k.mp3', 'auto', 'chinese_16k_common', ZH],
        ];
        for (const [file, format, property, expected] of cases) {
            it(`finds two sentences with their transcript in ${file}`, () => {
                const r = recognize(ctx, fixture(file), { audio_format: format, property, add_punc: true });
                assert.equal(r.channels.length, 1);
                assertTwoSegments(r.channels[0], r.durationMs + 100);
                assert.deepEqual(texts(r.channels[0]), expected);
            });
        }

        it('gives one sentence list per channel of a stereo file', () => {
            const r = recognize(ctx, fixture('stereo_16k.wav'), {
                audio_format: 'wav',
                property: 'chinese_16k_common',
                add_punc: true,
            });
            assert.equal(r.channels.length, 2);
            assert.deepEqual(texts(r.channels[0]), EN);
            assert.deepEqual(texts(r.channels[1]), ZH);
            const first = recognize(ctx, fixture('stereo_16k.wav'), {
                audio_format: 'wav',
                property: 'chinese_16k_common',
                first_channel_only: true,
            });
            assert.equal(first.channels.length, 1);
        });

        it('finds nothing in silence', () => {
            const r = recognize(ctx, fixture('silence_16k.wav'), {
                audio_format: 'wav',
                property: 'chinese_16k_common',
            });
            assert.deepEqual(r.channels, [[]]);
            assert.equal(r.durationMs, 1000);
        });

        it('knows the bundled samples without registration, also as raw PCM', () => {
            const fresh = testContext();
            const wav = recognize(fresh, fixture('zh_16k.wav'), {
                audio_format: 'wav',
                property: 'chinese_16k_common',
            });
            assert.deepEqual(texts(wav.channels[0]), ['你好', '今天很热']);
            const pcm = recognize(fresh, fixture('en_16k.pcm'), {
                audio_format: 'pcm16k16bit',
                property: 'chinese_16k_common',
                add_punc: true,
            });
            assert.deepEqual(texts(pcm.channels[0]), EN);
        });

        it('generates deterministic readable text for unknown audio', () => {
            const fresh = { ...testContext(), transcripts: createTranscriptRegistry() };
            const audio = fixture('zh_8k.wav');
            const opts = { audio_format: 'wav', property: 'chinese_8k_common', add_punc: true };
            const a = recognize(fresh, audio, opts);
            const b = recognize(fresh, audio, opts);
            assert.deepEqual(a, b);
            assert.match(a.channels[0][0].text, /^第1句话，时长\d\.\d秒。$/);
            const words = recognize(fresh, audio, { ...opts, digit_norm: false, add_punc: false });
            assert.match(words.channels[0][1].text, /^第二句话时长[一二三四五六七八九零]点[一二三四五六七八九零]秒$/);
            const en = recognize(fresh, fixture('en_8k.wav'), { audio_format: 'wav', property: 'english_8k_common' });
            assert.match(en.channels[0][0].text, /^Sentence one \w+ point \w+ seconds$/);
        });

        it('adds word_info spread over the sentence when asked', () => {
            const r = recognize(ctx, fixture('zh_16k.wav'), {
                audio_format: 'wav',
                property: 'chinese_16k_common',
                need_word_info: true,
            });
            const s = r.channels[0][1];
            assert.deepEqual(
                s.word_info?.map((w) => w.word),
                ['今', '天', '很', '热'],
            );
            assert.equal(s.word_info?.[0].start_time, s.start_time);
            assert.equal(s.word_info?.at(-1)?.end_time, s.end_time);
            const en = recognize(ctx, fixture('en_16k.wav'), {
                audio_format: 'wav',
                property: 'chinese_16k_common',
                need_word_info: true,
            });
            assert.deepEqual(
                en.channels[0][0].word_info?.map((w) => w.word),
                ['Turn', 'on', 'the', 'light'],
            );
        });

        it('refuses a sample rate that does not match the property with SIS.0301', () => {
            const check = (e: unknown) => e instanceof AudioError && e.sisCode === 'SIS.0301';
            assert.throws(
                () => recognize(ctx, fixture('en_8k.wav'), { audio_format: 'wav', property: 'chinese_16k_common' }),
                check,
            );
            assert.throws(
                () =>
                    recognize(ctx, fixture('en_16k.pcm'), {
                        audio_format: 'pcm8k16bit',
                        property: 'chinese_16k_common',
                    }),
                check,
            );
            assert.throws(
                () => recognize(ctx, fixture('en_16k.wav'), { audio_format: 'wav', property: 'chinese_8k_common' }),
                check,
            );
        });
    });

    describe('synthesize', () => {
        for (const format of ['wav', 'pcm'] as const) {
            it(`round-trips ${format} through recognize`, () => {
                const ctx = testContext();
                const text = '今天天气很好，我们去公园散步吧。明天见！';
                const audio = synthesize(ctx, text, { format, sampleRate: 16000, speed: 0, pitch: 0, volume: 50 });
                if (format === 'wav') assert.equal(audio.toString('latin1', 0, 4), 'RIFF');
                const r = recognize(ctx, audio, {
                    audio_format: format === 'wav' ? 'wav' : 'pcm16k16bit',
                    property: 'chinese_16k_common',
                    add_punc: true,
                });
                assert.deepEqual(texts(r.channels[0]), ['今天天气很好，我们去公园散步吧。', '明天见！']);
                // Without the registry the segmentation still follows the sentences.
                const fresh = recognize(testContext(), audio, {
                    audio_format: format === 'wav' ? 'wav' : 'pcm16k16bit',
                    property: 'chinese_16k_common',
                });
                assert.equal(fresh.channels[0].length, 2);
            });
        }

        it('writes a valid 16-bit mono WAV at the asked rate', () => {
            const wav = synthesize(testContext(), 'Hello.', {
                format: 'wav',
                sampleRate: 8000,
                speed: 0,
                pitch: 0,
                volume: 50,
            });
            const info = parseWav(wav);
            assert.equal(info.sampleRate, 8000);
            assert.equal(info.channels, 1);
            assert.equal(info.bitsPerSample, 16);
            assert.equal(info.dataOffset + info.dataLength, wav.length);
        });

        it('grows with the text and shrinks with speed', () => {
            const ctx = testContext();
            const opts = { format: 'pcm' as const, sampleRate: 16000, speed: 0, pitch: 0, volume: 50 };
            const short = synthesize(ctx, '你好。', opts).length;
            const long = synthesize(ctx, '你好。今天天气很好。', opts).length;
            const fast = synthesize(ctx, '你好。今天天气很好。', { ...opts, speed: 500 }).length;
            assert.ok(long > short * 1.5);
            assert.ok(fast < long);
        });

        it('writes MP3 frames at the asked rate that recognise as the sentences', () => {
            for (const sampleRate of [8000, 16000]) {
                const ctx = testContext();
                const mp3 = synthesize(ctx, 'Good morning. See you later.', {
                    format: 'mp3',
                    sampleRate,
                    speed: 0,
                    pitch: 0,
                    volume: 50,
                });
                const info = parseMp3(mp3);
                assert.ok(info);
                assert.equal(info.sampleRate, sampleRate);
                assert.equal(info.channels, 1);
                assert.equal(info.layer, 3);
                assert.equal(info.frames * 144, mp3.length);
                const property = sampleRate === 8000 ? 'english_8k_common' : 'english_16k_common';
                const r = recognize(ctx, mp3, { audio_format: 'mp3', property, add_punc: true });
                assert.deepEqual(texts(r.channels[0]), ['Good morning.', 'See you later.']);
                const fresh = recognize(testContext(), mp3, { audio_format: 'mp3', property });
                assert.equal(fresh.channels[0].length, 2);
            }
        });

        it('registers the transcript under the SHA-256 of the output', () => {
            const ctx = testContext();
            const audio = synthesize(ctx, 'One. Two.', {
                format: 'wav',
                sampleRate: 16000,
                speed: 0,
                pitch: 0,
                volume: 50,
            });
            assert.deepEqual(ctx.transcripts.lookup(sha256Hex(audio)), ['One.', 'Two.']);
        });
    });
});
