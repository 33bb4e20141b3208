// Text-to-speech voices and parameter ranges, as the service accepts them (docs/protocol/rest.md §4).

export type TtsSampleRate = '8000' | '16000';

export interface TtsVoice {
    /** the `config.property` value */
    readonly property: string;
    /** display name as the service documents it */
    readonly name: string;
    /** premium voices are billed per 50 characters */
    readonly premium: boolean;
    readonly sampleRates: readonly TtsSampleRate[];
    /** premium voices do not support `pitch` (docs/protocol/rest.md §4.1) */
    readonly pitch: boolean;
    /** accepts SSML in `text` (docs/protocol/rest.md §4.4) */
    readonly ssml: boolean;
}

const BOTH_RATES: readonly TtsSampleRate[] = ['8000', '16000'];
const ONLY_16K: readonly TtsSampleRate[] = ['16000'];

function commonVoice(property: string, name: string): TtsVoice {
    return { property, name, premium: false, sampleRates: BOTH_RATES, pitch: true, ssml: false };
}

function premiumVoice(property: string, name: string, opts: { only16k?: boolean; ssml?: boolean } = {}): TtsVoice {
    return {
        property,
        name,
        premium: true,
        sampleRates: opts.only16k ? ONLY_16K : BOTH_RATES,
        pitch: false,
        ssml: opts.ssml === true,
    };
}

/** docs/protocol/rest.md §4.3 (union of all sources, as the service accepts it). */
export const TTS_VOICES: readonly TtsVoice[] = [
    commonVoice('chinese_xiaoqi_common', '小琪'),
    commonVoice('chinese_xiaoyu_common', '小宇'),
    commonVoice('chinese_xiaoyan_common', '小燕'),
    commonVoice('chinese_xiaowang_common', '小王'),
    commonVoice('chinese_xiaowen_common', '小雯'),
    commonVoice('chinese_xiaojing_common', '小婧'),
    commonVoice('chinese_xiaosong_common', '小宋'),
    commonVoice('chinese_xiaoxia_common', '小夏'),
    commonVoice('chinese_xiaodai_common', '小呆'),
    commonVoice('chinese_xiaoqian_common', '小倩'),
    commonVoice('english_cameal_common', 'cameal'),
    premiumVoice('chinese_huaxiaoxia_common', '华小夏'),
    premiumVoice('chinese_huaxiaogang_common', '华晓刚'),
    premiumVoice('chinese_huaxiaolu_common', '华小璐'),
    premiumVoice('chinese_huaxiaoshu_common', '华小舒'),
    premiumVoice('chinese_huaxiaowei_common', '华小唯'),
    premiumVoice('chinese_huaxiaoliang_common', '华小靓'),
    premiumVoice('chinese_huaxiaodong_common', '华晓东'),
    premiumVoice('chinese_huaxiaoyan_common', '华小颜'),
    premiumVoice('chinese_huaxiaoxuan_common', '华小萱'),
    premiumVoice('chinese_huaxiaowen_common', '华小雯'),
    premiumVoice('chinese_huaxiaoyang_common', '华晓阳'),
    premiumVoice('chinese_huaxiaomin_common', '华小闽', { ssml: true }),
    premiumVoice('chinese_huanvxia_literature', '华女侠', { only16k: true }),
    premiumVoice('chinese_huaxiaoxuan_literature', '华晓悬', { only16k: true }),
    premiumVoice('chinese_huaxiaomei_common', '华小美', { ssml: true }),
    premiumVoice('chinese_huaxiaofei_common', '华小飞', { ssml: true }),
    premiumVoice('chinese_huaxiaolong_common', '华小龙', { only16k: true, ssml: true }),
    premiumVoice('chinese_huaxiaorui_common', '华小蕊', { only16k: true, ssml: true }),
    premiumVoice('chinese_huaxiaoru_common', '华小汝'),
    premiumVoice('chinese_huaxiaohan_common', '华小涵'),
    premiumVoice('chinese_huaxiaoning_common', '华小宁'),
    premiumVoice('chinese_huaxiaozhen_common', '华小珍'),
    premiumVoice('chinese_huaxiaoman_common', '华小曼'),
    premiumVoice('chinese_huaxiaofang_common', '华小芳'),
    premiumVoice('chinese_huaxiaojun_common', '华小筠'),
    premiumVoice('chinese_huaxiaohe_common', '华小荷', { ssml: true }),
    premiumVoice('chinese_huaxiaoye_common', '华小叶', { ssml: true }),
    premiumVoice('chinese_huaxiaoxue_common', '华小雪', { ssml: true }),
    premiumVoice('chinese_huaxiaojiao_common', '华小娇', { ssml: true }),
    premiumVoice('chinese_huaxiaohui_common', '华小辉', { ssml: true }),
    premiumVoice('chinese_huaxiaokang_common', '华小康', { ssml: true }),
    premiumVoice('chinese_huaxiaokun_common', '华小坤', { ssml: true }),
    premiumVoice('chinese_huaxiaoquan_common', '华小泉', { ssml: true }),
    premiumVoice('english_alvin_common', 'alvin'),
    premiumVoice('english_amy_common', 'amy'),
];

export const TTS_PROPERTIES: readonly string[] = TTS_VOICES.map((v) => v.property);
export const TTS_DEFAULT_VOICE = 'chinese_xiaoyan_common';
export const TTS_AUDIO_FORMATS = ['wav', 'mp3', 'pcm'] as const;
export const TTS_DEFAULT_AUDIO_FORMAT = 'wav';
export const TTS_SAMPLE_RATES: readonly TtsSampleRate[] = BOTH_RATES;
export const TTS_DEFAULT_SAMPLE_RATE: TtsSampleRate = '8000';

export interface IntRange {
    readonly min: number;
    readonly max: number;
    readonly default: number;
}

export const TTS_SPEED_RANGE: IntRange = { min: -500, max: 500, default: 0 };
export const TTS_PITCH_RANGE: IntRange = { min: -500, max: 500, default: 0 };
export const TTS_VOLUME_RANGE: IntRange = { min: 0, max: 100, default: 50 };

export function findTtsVoice(property: string): TtsVoice | undefined {
    return TTS_VOICES.find((v) => v.property === property);
}
