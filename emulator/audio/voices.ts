// TTS voices (`property`) and what each allows (docs/protocol/rest.md §4.3, docs/protocol/websocket.md §3.1).

const COMMON = [
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
const PREMIUM = [
    'chinese_huaxiaoxia_common',
    'chinese_huaxiaogang_common',
    'chinese_huaxiaolu_common',
    'chinese_huaxiaoshu_common',
    'chinese_huaxiaowei_common',
    'chinese_huaxiaoliang_common',
    'chinese_huaxiaodong_common',
    'chinese_huaxiaoyan_common',
    'chinese_huaxiaoxuan_common',
    'chinese_huaxiaowen_common',
    'chinese_huaxiaoyang_common',
    'chinese_huaxiaomin_common',
    'chinese_huanvxia_literature',
    'chinese_huaxiaoxuan_literature',
    'chinese_huaxiaomei_common',
    'chinese_huaxiaofei_common',
    'chinese_huaxiaolong_common',
    'chinese_huaxiaorui_common',
    'chinese_huaxiaoru_common',
    'chinese_huaxiaohan_common',
    'chinese_huaxiaoning_common',
    'chinese_huaxiaozhen_common',
    'chinese_huaxiaoman_common',
    'chinese_huaxiaofang_common',
    'chinese_huaxiaojun_common',
    'chinese_huaxiaohe_common',
    'chinese_huaxiaoye_common',
    'chinese_huaxiaoxue_common',
    'chinese_huaxiaojiao_common',
    'chinese_huaxiaohui_common',
    'chinese_huaxiaokang_common',
    'chinese_huaxiaokun_common',
    'chinese_huaxiaoquan_common',
    'english_alvin_common',
    'english_amy_common',
];
const ONLY_16K = new Set([
    'chinese_huanvxia_literature',
    'chinese_huaxiaoxuan_literature',
    'chinese_huaxiaolong_common',
    'chinese_huaxiaorui_common',
]);
/** RTTS: voices that take up to 10000 characters. */
const LONG_TEXT = new Set([
    'chinese_huaxiaomei_common',
    'chinese_huaxiaofei_common',
    'chinese_huaxiaolong_common',
    'chinese_huaxiaorui_common',
    'chinese_huaxiaohe_common',
    'chinese_huaxiaoye_common',
    'chinese_huaxiaoxue_common',
    'chinese_huaxiaojiao_common',
    'chinese_huaxiaohui_common',
    'chinese_huaxiaokang_common',
    'chinese_huaxiaokun_common',
    'chinese_huaxiaoquan_common',
    'english_amy_common',
    'english_alvin_common',
]);
/** RTTS: voices that can return subtitles (timestamps). */
const SUBTITLES = new Set([
    'chinese_huaxiaomei_common',
    'chinese_huaxiaofei_common',
    'chinese_huaxiaohe_common',
    'chinese_huaxiaoye_common',
    'chinese_huaxiaoxue_common',
    'chinese_huaxiaojiao_common',
    'chinese_huaxiaohui_common',
    'chinese_huaxiaokang_common',
    'chinese_huaxiaokun_common',
    'chinese_huaxiaoquan_common',
]);
const ALL = new Set([...COMMON, ...PREMIUM]);

export const DEFAULT_VOICE = 'chinese_xiaoyan_common';

export function isVoice(property: string): boolean {
    return ALL.has(property);
}
export function voiceRates(property: string): readonly number[] {
    return ONLY_16K.has(property) ? [16000] : [8000, 16000];
}
export function rttsTextLimit(property: string): number {
    return LONG_TEXT.has(property) ? 10000 : 500;
}
export function voiceHasSubtitles(property: string): boolean {
    return SUBTITLES.has(property);
}
