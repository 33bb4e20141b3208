// POST /v1/{project_id}/tts — text to speech, ≤ 500 characters (docs/protocol/rest.md §4).

import { synthesize } from './audio';
import type { Call, Core } from './core';
import { type Reply, SisError, traceId } from './reply';
import { asSisError, intInRange, isObject, jsonBody } from './sis-common';

const FORMATS = ['wav', 'mp3', 'pcm'] as const;
const MAX_CHARS = 500;

const COMMON_VOICES = [
    'chinese_xiaoqi_common',
    'chinese_xiaoyu_common',
    'chinese_xiaoyan_common',
    'chinese_xiaowang_common',
    'chinese_xiaowen_common',
    'chinese_xiaojing_common',
    'chinese_xiaosong_common',
    'chinese_xiaoxia_common',
    'chinese_xiaodai_common',
    'chinese_xiaoqian_common',
    'english_cameal_common',
];

const PREMIUM_VOICES = [
    'huaxiaoxia',
    'huaxiaogang',
    'huaxiaolu',
    'huaxiaoshu',
    'huaxiaowei',
    'huaxiaoliang',
    'huaxiaodong',
    'huaxiaoyan',
    'huaxiaoxuan',
    'huaxiaowen',
    'huaxiaoyang',
    'huaxiaomin',
    'huaxiaomei',
    'huaxiaofei',
    'huaxiaolong',
    'huaxiaorui',
    'huaxiaoru',
    'huaxiaohan',
    'huaxiaoning',
    'huaxiaozhen',
    'huaxiaoman',
    'huaxiaofang',
    'huaxiaojun',
    'huaxiaohe',
    'huaxiaoye',
    'huaxiaoxue',
    'huaxiaojiao',
    'huaxiaohui',
    'huaxiaokang',
    'huaxiaokun',
    'huaxiaoquan',
].map((name) => `chinese_${name}_common`);

/** The union of the voice lists of docs/protocol/rest.md §4.3 (the list grew over time). */
export const TTS_VOICES: ReadonlySet<string> = new Set([
    ...COMMON_VOICES,
    ...PREMIUM_VOICES,
    'chinese_huanvxia_literature',
    'chinese_huaxiaoxuan_literature',
    'english_alvin_common',
    'english_amy_common',
]);

/** Voices that synthesise only at 16 kHz. */
export const TTS_16K_ONLY: ReadonlySet<string> = new Set([
    'chinese_huanvxia_literature',
    'chinese_huaxiaoxuan_literature',
    'chinese_huaxiaolong_common',
    'chinese_huaxiaorui_common',
]);

export function handleTts(core: Core, call: Call): Reply {
    const body = jsonBody(call, 'SIS.0415');
    const text = body.text;
    if (text === undefined || text === null || text === '') throw new SisError('SIS.0032', 'text cannot be empty');
    if (typeof text !== 'string') throw new SisError('SIS.0415', "'text' is invalid");
    // One Chinese character, Latin letter or punctuation mark counts as one character.
    if ([...text].length > MAX_CHARS) throw new SisError('SIS.0604', `text length is out of range (max ${MAX_CHARS})`);
    const config = body.config ?? {};
    if (!isObject(config)) throw new SisError('SIS.0415', "'config' is invalid");

    const format = config.audio_format ?? 'wav';
    if (!FORMATS.includes(format as (typeof FORMATS)[number]))
        throw new SisError('SIS.0410', "'audio_format' is invalid");
    const property = config.property ?? 'chinese_xiaoyan_common';
    if (typeof property !== 'string' || !TTS_VOICES.has(property))
        throw new SisError('SIS.0411', "'property' is invalid");
    const rateText = config.sample_rate ?? '8000';
    // sample_rate is a string ("8000"/"16000"), not a number.
    if (rateText !== '8000' && rateText !== '16000') throw new SisError('SIS.0402', "'sample_rate' is invalid");
    const sampleRate = Number(rateText);
    if (sampleRate === 8000 && TTS_16K_ONLY.has(property)) {
        throw new SisError('SIS.0402', `sample_rate 8000 is not supported by ${property}`);
    }
    const speed = intInRange(config.speed, 'speed', -500, 500, 0, 'SIS.0415');
    // Premium voices ignore pitch (docs: "not supported yet"); the value is still range-checked.
    const pitch = intInRange(config.pitch, 'pitch', -500, 500, 0, 'SIS.0415');
    const volume = intInRange(config.volume, 'volume', 0, 100, 50, 'SIS.0415');

    let audio: Buffer;
    try {
        audio = synthesize(core.ctx, text, {
            format: format as (typeof FORMATS)[number],
            sampleRate,
            speed,
            pitch,
            volume,
        });
    } catch (err) {
        throw asSisError(err);
    }
    return { status: 200, json: { trace_id: traceId(), result: { data: audio.toString('base64') } } };
}
