// The service's formats, models, voices and the choice of audio_format from sniffed bytes.
import * as assert from 'node:assert/strict';
import { describeAudio, fileExtensionFor, sniffAudio } from '../../nodes/lib/audio/sniff';
import type { AudioInfo } from '../../nodes/lib/audio/types';
import {
    ASR_PROPERTIES,
    type AsrApi,
    AUDIO_FORMATS,
    bytesPerSecond,
    checkPropertyFormat,
    checkRate,
    chooseAudioFormat,
    FLASH_FORMATS,
    FLASH_PROPERTIES,
    RASR_FORMATS,
    RASR_PROPERTIES,
    rateOfAudioFormat,
    SHORT_AUDIO_FORMATS,
    SHORT_AUDIO_PROPERTIES,
    sampleRateOfProperty,
    TRANSCRIBER_FORMATS,
    TRANSCRIBER_PROPERTIES,
} from '../../nodes/lib/service/formats';
import {
    findTtsVoice,
    TTS_AUDIO_FORMATS,
    TTS_DEFAULT_VOICE,
    TTS_PITCH_RANGE,
    TTS_SAMPLE_RATES,
    TTS_SPEED_RANGE,
    TTS_VOICES,
    TTS_VOLUME_RANGE,
} from '../../nodes/lib/service/voices';
import { refusal, wav } from '../helpers/audio-bytes';

describe('service tables', () => {
    describe('chooseAudioFormat', () => {
        const pcm16 = sniffAudio(wav());
        const pcm8 = sniffAudio(wav({ rate: 8000 }));
        const alaw8 = sniffAudio(wav({ formatTag: 6, bits: 8, rate: 8000 }));
        const ulaw16 = sniffAudio(wav({ formatTag: 7, bits: 8, rate: 16000 }));
        const stereo = sniffAudio(wav({ channels: 2 }));
        const wav44 = sniffAudio(wav({ rate: 44100 }));
        const wav8bit = sniffAudio(wav({ bits: 8 }));
        const float = sniffAudio(wav({ formatTag: 3, bits: 32 }));
        const adpcm: AudioInfo = { container: 'wav', codec: 'ima-adpcm', sampleRate: 8000, channels: 1 };
        const mp3: AudioInfo = { container: 'mp3', codec: 'mp3', sampleRate: 16000, channels: 1 };
        const mp3Stereo: AudioInfo = { ...mp3, channels: 2 };
        const aac: AudioInfo = { container: 'aac', codec: 'aac', sampleRate: 16000, channels: 1 };
        const m4aInfo: AudioInfo = { container: 'mp4', codec: 'aac', sampleRate: 16000, channels: 1 };
        const opus: AudioInfo = { container: 'ogg', codec: 'opus', sampleRate: 16000, channels: 1 };
        const speex: AudioInfo = { container: 'ogg', codec: 'speex', sampleRate: 16000, channels: 1 };
        const vorbis: AudioInfo = { container: 'ogg', codec: 'vorbis', sampleRate: 16000, channels: 1 };
        const amrNb: AudioInfo = { container: 'amr', codec: 'amr-nb', sampleRate: 8000, channels: 1 };
        const amrWb: AudioInfo = { container: 'amr', codec: 'amr-wb', sampleRate: 16000, channels: 1 };
        const flac: AudioInfo = { container: 'flac', codec: 'flac', sampleRate: 16000, channels: 1 };
        const wma: AudioInfo = { container: 'asf', codec: 'wma', sampleRate: 16000, channels: 1 };
        const unknown: AudioInfo = { container: 'unknown', codec: 'unknown' };

        function table(api: AsrApi, cases: [AudioInfo, string | null][]): void {
            for (const [a, expected] of cases) {
                if (expected === null) {
                    const e = refusal(() => chooseAudioFormat(api, a));
                    assert.ok(e.message.length > 20);
                } else {
                    const got = chooseAudioFormat(api, a);
                    assert.equal(got, expected, `${api} ${describeAudio(a)}`);
                    assert.ok(AUDIO_FORMATS[api].includes(got), `${got} is a ${api} format`);
                }
            }
        }

        it('short-audio', () => {
            table('short-audio', [
                [pcm16, 'wav'],
                [pcm8, 'wav'],
                [alaw8, 'wav'],
                [ulaw16, 'wav'],
                [stereo, null],
                [wav44, null],
                [wav8bit, null],
                [float, null],
                [adpcm, null],
                [mp3, 'mp3'],
                [mp3Stereo, null],
                [aac, 'aac'],
                [m4aInfo, 'auto'],
                [wma, 'auto'],
                [amrNb, 'amr'],
                [amrWb, 'amrwb'],
                [opus, null],
                [flac, null],
                [unknown, null],
            ]);
        });

        it('flash', () => {
            table('flash', [
                [pcm16, 'wav'],
                [stereo, 'wav'],
                [alaw8, 'wav'],
                [float, null],
                [mp3Stereo, 'mp3'],
                [aac, 'aac'],
                [m4aInfo, 'm4a'],
                [opus, 'opus'],
                [vorbis, null],
                [speex, null],
                [amrWb, null],
                [flac, null],
                [wma, null],
                [unknown, null],
            ]);
        });

        it('transcriber', () => {
            table('transcriber', [
                [pcm16, 'auto'],
                [stereo, 'auto'],
                [adpcm, 'auto'],
                [float, null],
                [mp3, 'auto'],
                [m4aInfo, 'auto'],
                [opus, 'auto'],
                [speex, 'auto'],
                [vorbis, null],
                [amrNb, 'auto'],
                [wma, 'auto'],
                [aac, null],
                [flac, null],
                [unknown, null],
            ]);
        });

        it('rasr (WAV whose header the stream node strips)', () => {
            table('rasr', [
                [pcm16, 'pcm16k16bit'],
                [pcm8, 'pcm8k16bit'],
                [alaw8, 'alaw8k8bit'],
                [ulaw16, 'ulaw16k8bit'],
                [stereo, null],
                [wav44, null],
                [mp3, null],
                [amrWb, null],
                [unknown, null],
            ]);
        });

        it('says what is wrong and what is accepted', () => {
            const e = refusal(() => chooseAudioFormat('short-audio', stereo));
            assert.match(e.message, /short-audio/);
            assert.match(e.message, /mono/);
            const u = refusal(() => chooseAudioFormat('flash', unknown));
            assert.match(u.message, /audio_format/);
            assert.equal(u.name, 'AudioFormatError');
        });

        it('gives the transcriber a file extension its detection understands', () => {
            assert.equal(fileExtensionFor(pcm16), 'wav');
            assert.equal(fileExtensionFor(m4aInfo), 'm4a');
            assert.equal(fileExtensionFor(opus), 'opus');
            assert.equal(fileExtensionFor(speex), 'spx');
            assert.equal(fileExtensionFor(wma), 'wma');
            assert.equal(fileExtensionFor(amrWb), 'amr');
            assert.equal(fileExtensionFor(unknown), 'bin');
        });
    });

    describe('rates', () => {
        it('sampleRateOfProperty', () => {
            assert.equal(sampleRateOfProperty('chinese_8k_common'), 8000);
            assert.equal(sampleRateOfProperty('chinese_16k_conversation'), 16000);
            assert.equal(sampleRateOfProperty('english_8k_common'), 8000);
            assert.equal(sampleRateOfProperty('chinese_xiaoyan_common'), undefined);
            assert.equal(sampleRateOfProperty('chinese_18k_common'), undefined);
            assert.equal(sampleRateOfProperty(''), undefined);
        });

        it('every ASR property names its rate', () => {
            for (const api of Object.keys(ASR_PROPERTIES) as AsrApi[]) {
                for (const p of ASR_PROPERTIES[api]) assert.ok(sampleRateOfProperty(p), p);
            }
        });

        it('checkRate names both rates when they disagree', () => {
            const e = refusal(() => checkRate('chinese_8k_common', { sampleRate: 16000 }));
            assert.equal(e.message, 'audio is 16000 Hz but property chinese_8k_common expects 8000 Hz');
            checkRate('chinese_16k_common', sniffAudio(wav()));
            checkRate('chinese_16k_common', {});
            checkRate('unknown_model', { sampleRate: 44100 });
            refusal(() => checkRate('chinese_16k_common', { sampleRate: 44100 }));
        });

        it('rateOfAudioFormat and bytesPerSecond', () => {
            assert.equal(rateOfAudioFormat('pcm16k16bit'), 16000);
            assert.equal(rateOfAudioFormat('pcm8k16bit'), 8000);
            assert.equal(rateOfAudioFormat('alaw16k8bit'), 16000);
            assert.equal(rateOfAudioFormat('v3_8k4bit'), 8000);
            assert.equal(rateOfAudioFormat('amr'), 8000);
            assert.equal(rateOfAudioFormat('amrwb'), 16000);
            assert.equal(rateOfAudioFormat('mp3'), undefined);
            assert.equal(rateOfAudioFormat('toString'), undefined);
            assert.equal(bytesPerSecond('pcm16k16bit'), 32000);
            assert.equal(bytesPerSecond('pcm8k16bit'), 16000);
            assert.equal(bytesPerSecond('ulaw16k8bit'), 16000);
            assert.equal(bytesPerSecond('alaw8k8bit'), 8000);
            assert.equal(bytesPerSecond('vox8k4bit'), 4000);
            assert.equal(bytesPerSecond('wav'), undefined);
            assert.equal(bytesPerSecond('__proto__'), undefined);
        });

        it('checkPropertyFormat', () => {
            checkPropertyFormat('short-audio', 'chinese_16k_general', 'wav');
            checkPropertyFormat('short-audio', 'chinese_16k_general', 'auto');
            checkPropertyFormat('rasr', 'chinese_8k_general', 'alaw8k8bit');
            checkPropertyFormat('flash', 'chinese_8k_common', 'm4a');
            assert.match(
                refusal(() => checkPropertyFormat('short-audio', 'chinese_16k_general', 'aac')).message,
                /accepts/,
            );
            assert.match(refusal(() => checkPropertyFormat('short-audio', 'english_16k_common', 'mp3')).message, /wav/);
            assert.match(
                refusal(() => checkPropertyFormat('flash', 'chinese_16k_common', 'wav')).message,
                /not available/,
            );
            assert.match(
                refusal(() => checkPropertyFormat('rasr', 'chinese_16k_common', 'mp3')).message,
                /not available/,
            );
            assert.match(
                refusal(() => checkPropertyFormat('rasr', 'chinese_16k_common', 'pcm8k16bit')).message,
                /8000 Hz/,
            );
            refusal(() => checkPropertyFormat('short-audio', 'chinese_8k_common', 'amrwb'));
        });
    });

    describe('tables', () => {
        it('lists the documented formats per API', () => {
            assert.equal(SHORT_AUDIO_FORMATS.length, 12);
            assert.deepEqual([...FLASH_FORMATS], ['wav', 'mp3', 'm4a', 'aac', 'opus']);
            assert.ok(TRANSCRIBER_FORMATS.includes('auto'));
            assert.ok(TRANSCRIBER_FORMATS.includes('vox8k4bit'));
            assert.equal(RASR_FORMATS.length, 6);
            for (const f of RASR_FORMATS) assert.ok(rateOfAudioFormat(f));
        });

        it('lists the documented properties per API, without duplicates', () => {
            assert.ok(SHORT_AUDIO_PROPERTIES.includes('chinese_16k_travel'));
            assert.deepEqual([...FLASH_PROPERTIES], ['chinese_8k_common', 'chinese_16k_conversation']);
            assert.ok(TRANSCRIBER_PROPERTIES.includes('chinese_8k_general'));
            assert.ok(RASR_PROPERTIES.includes('chinese_16k_court'));
            for (const list of [...Object.values(ASR_PROPERTIES), ...Object.values(AUDIO_FORMATS)]) {
                assert.equal(new Set(list).size, list.length);
            }
        });

        it('lists TTS voices with their constraints', () => {
            assert.deepEqual([...TTS_AUDIO_FORMATS], ['wav', 'mp3', 'pcm']);
            assert.deepEqual([...TTS_SAMPLE_RATES], ['8000', '16000']);
            assert.deepEqual(TTS_SPEED_RANGE, { min: -500, max: 500, default: 0 });
            assert.deepEqual(TTS_PITCH_RANGE, { min: -500, max: 500, default: 0 });
            assert.deepEqual(TTS_VOLUME_RANGE, { min: 0, max: 100, default: 50 });
            assert.equal(new Set(TTS_VOICES.map((v) => v.property)).size, TTS_VOICES.length);
            assert.equal(findTtsVoice(TTS_DEFAULT_VOICE)?.premium, false);
            assert.deepEqual(findTtsVoice('chinese_huaxiaolong_common')?.sampleRates, ['16000']);
            assert.deepEqual(findTtsVoice('chinese_huanvxia_literature')?.sampleRates, ['16000']);
            assert.equal(findTtsVoice('chinese_huaxiaofei_common')?.ssml, true);
            assert.equal(findTtsVoice('chinese_huaxiaoxia_common')?.pitch, false);
            assert.equal(findTtsVoice('chinese_xiaoqi_common')?.pitch, true);
            assert.equal(findTtsVoice('nope'), undefined);
        });
    });
});
