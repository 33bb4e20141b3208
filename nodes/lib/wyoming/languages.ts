// Home Assistant's language codes and the service's real-time models and voices, and the `info`
// answer built from them: every program, model and voice with `name`, `attribution`, `installed`
// and `languages`, which Home Assistant's set-up requires.
import { invalidInput } from '../core/errors';
import { RASR_PROPERTIES, sampleRateOfProperty } from '../service/formats';
import { findTtsVoice, TTS_DEFAULT_VOICE, TTS_VOICES, type TtsVoice } from '../service/voices';
import { PROTOCOL_VERSION } from './protocol';

/**
 * English real-time recognition: the service's current model table has a 16 kHz English entry
 * whose name could not be read in full (docs/protocol/websocket.md §1.4). `english_16k_common` is
 * the name of the service's English short-audio model, which the emulator also takes in real
 * time; the language list of the node changes it where a region names it differently.
 */
export const ENGLISH_RASR_MODEL = 'english_16k_common';

/** The models a language may use: the real-time table and the English model. */
const WYOMING_ASR_MODELS: readonly string[] = [...RASR_PROPERTIES, ENGLISH_RASR_MODEL];

const MODEL_DESCRIPTIONS: Readonly<Record<string, string>> = {
    chinese_8k_common: 'Mandarin, 8 kHz',
    chinese_16k_common: 'Mandarin, 16 kHz',
    chinese_8k_general: 'Mandarin, 8 kHz, end-to-end model',
    chinese_16k_general: 'Mandarin, 16 kHz, end-to-end model',
    sichuan_16k_common: 'Mandarin and Sichuanese, 16 kHz',
    cantonese_16k_common: 'Cantonese, 16 kHz',
    shanghai_16k_common: 'Shanghainese, 16 kHz',
    chinese_16k_court: 'Mandarin for court hearings, 16 kHz',
    chinese_16k_it: 'Mandarin for IT meetings, 16 kHz',
    english_16k_common: 'English, 16 kHz',
};

/** Home Assistant language → SIS real-time model; Cantonese and Shanghainese are models of their own. */
export const DEFAULT_LANGUAGES: Readonly<Record<string, string>> = {
    'zh-CN': 'chinese_16k_general',
    'en-US': ENGLISH_RASR_MODEL,
    'zh-HK': 'cantonese_16k_common',
    wuu: 'shanghai_16k_common',
};

const LANGUAGE_TAG = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;

/** `zh-CN=chinese_16k_general, en-US=english_16k_common`: empty means the default table. */
export function parseLanguages(setting: unknown): Map<string, string> {
    const text = typeof setting === 'string' ? setting.trim() : '';
    const map = new Map<string, string>();
    if (text === '') {
        for (const [l, m] of Object.entries(DEFAULT_LANGUAGES)) map.set(l, m);
        return map;
    }
    for (const entry of text.split(/[\s,;]+/).filter((e) => e !== '')) {
        const [language, model, extra] = entry.split('=');
        if (!language || !model || extra !== undefined || !LANGUAGE_TAG.test(language)) {
            throw invalidInput(`languages: "${entry}" is not language=model`);
        }
        if (!WYOMING_ASR_MODELS.includes(model)) {
            throw invalidInput(`languages: ${model} is not a real-time model (${WYOMING_ASR_MODELS.join(', ')})`);
        }
        if (sampleRateOfProperty(model) !== 16000 && sampleRateOfProperty(model) !== 8000) {
            throw invalidInput(`languages: ${model} has no known sample rate`);
        }
        map.set(language, model);
    }
    if (map.size === 0) throw invalidInput('languages: no language is set');
    return map;
}

/** The base of a tag, lower-cased (`zh-Hant-HK` → `zh`). */
function base(tag: string): string {
    return tag.split(/[-_]/)[0].toLowerCase();
}

function parts(tag: string): string[] {
    return tag.split(/[-_]/).map((p) => p.toLowerCase());
}

/**
 * The configured language that serves `requested`: the same tag, else the same language and
 * region, else (for `zh-Hant`) Hong Kong or Taiwan, else the first of the same base language.
 */
export function matchLanguage(requested: unknown, available: Iterable<string>): string | undefined {
    const list = [...available];
    if (typeof requested !== 'string' || requested.trim() === '') return list[0];
    const want = parts(requested.trim());
    const exact = list.find((l) => parts(l).join('-') === want.join('-'));
    if (exact) return exact;
    const region = want.find((p, i) => i > 0 && (p.length === 2 || /^\d{3}$/.test(p)));
    const same = list.filter((l) => base(l) === want[0]);
    if (region) {
        const byRegion = same.find((l) => parts(l).slice(1).includes(region));
        if (byRegion) return byRegion;
    }
    if (want[0] === 'zh' && want.includes('hant')) {
        const trad = same.find((l) => ['hk', 'tw', 'mo'].some((r) => parts(l).includes(r)));
        if (trad) return trad;
    }
    if (want[0] === 'zh' && (want.includes('hans') || want.length === 1)) {
        const cn = same.find((l) => parts(l).includes('cn'));
        if (cn) return cn;
    }
    return same[0];
}

// ---------------------------------------------------------------------------------------------
// Voices
// ---------------------------------------------------------------------------------------------

const TIMBRES: Readonly<Record<string, string>> = {
    chinese_xiaoqi_common: 'standard female',
    chinese_xiaoyu_common: 'standard male',
    chinese_xiaoyan_common: 'gentle female',
    chinese_xiaowang_common: 'child',
    chinese_xiaowen_common: 'soft female',
    chinese_xiaojing_common: 'lively female',
    chinese_xiaosong_common: 'energetic male',
    chinese_xiaoxia_common: 'warm female',
    chinese_xiaodai_common: 'cute child',
    chinese_xiaoqian_common: 'mature female',
    english_cameal_common: 'soft female',
    chinese_huaxiaoxia_common: 'warm female',
    chinese_huaxiaogang_common: 'crisp male',
    chinese_huaxiaolu_common: 'intellectual female',
    chinese_huaxiaoshu_common: 'calm female',
    chinese_huaxiaowei_common: 'sweet female',
    chinese_huaxiaoliang_common: 'bright female',
    chinese_huaxiaodong_common: 'mature male',
    chinese_huaxiaoyan_common: 'stern female',
    chinese_huaxiaoxuan_common: 'Taiwanese female',
    chinese_huaxiaowen_common: 'soft female',
    chinese_huaxiaoyang_common: 'energetic male',
    chinese_huaxiaomin_common: 'Minnan accent, female',
    chinese_huanvxia_literature: 'martial-arts storytelling, female',
    chinese_huaxiaoxuan_literature: 'suspense storytelling, male',
    chinese_huaxiaomei_common: 'gentle female',
    chinese_huaxiaofei_common: 'energetic male',
    chinese_huaxiaolong_common: 'energetic male',
    chinese_huaxiaorui_common: 'intellectual female',
    english_alvin_common: 'mature male',
    english_amy_common: 'mature female',
};

const MIXED = new Set([
    'huaxiaoru',
    'huaxiaohan',
    'huaxiaoning',
    'huaxiaozhen',
    'huaxiaoman',
    'huaxiaofang',
    'huaxiaojun',
]);

/** The languages a voice speaks, as Home Assistant codes. */
export function voiceLanguages(voice: TtsVoice): string[] {
    if (voice.property.startsWith('english_')) return ['en-US'];
    const name = voice.property.split('_')[1];
    return MIXED.has(name) ? ['zh-CN', 'en-US'] : ['zh-CN'];
}

export function voiceDescription(voice: TtsVoice): string {
    const timbre = TIMBRES[voice.property] ?? (MIXED.has(voice.property.split('_')[1]) ? 'Chinese-English' : 'voice');
    return `${voice.name} — ${timbre}${voice.premium ? ', premium' : ''}`;
}

/**
 * The voices of a setting (voice names separated by commas or spaces); empty means every voice,
 * the service's default voice first.
 */
export function parseVoices(setting: unknown): TtsVoice[] {
    const text = typeof setting === 'string' ? setting.trim() : '';
    if (text === '') {
        const first = findTtsVoice(TTS_DEFAULT_VOICE) as TtsVoice;
        return [first, ...TTS_VOICES.filter((v) => v !== first)];
    }
    const out: TtsVoice[] = [];
    for (const name of text.split(/[\s,;]+/).filter((e) => e !== '')) {
        const voice = findTtsVoice(name);
        if (!voice) throw invalidInput(`voices: ${name} is not a voice of the service`);
        if (!voice.sampleRates.includes('16000')) throw invalidInput(`voices: ${name} has no 16 kHz audio`);
        if (!out.includes(voice)) out.push(voice);
    }
    return out;
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]/;

/**
 * The voice for a request: the named one when it is offered, else the first voice of the asked
 * language, else — Home Assistant names no voice unless the user chose one — the first voice
 * that speaks the text's script (English text gets an English voice), else the first voice.
 */
export function chooseVoice(voices: readonly TtsVoice[], name: unknown, language: unknown, text: string): TtsVoice {
    if (typeof name === 'string') {
        const named = voices.find((v) => v.property === name);
        if (named) return named;
    }
    if (typeof language === 'string' && language !== '') {
        const codes = new Set(voices.flatMap(voiceLanguages));
        const lang = matchLanguage(language, codes);
        const byLanguage = lang ? voices.find((v) => voiceLanguages(v)[0] === lang) : undefined;
        if (byLanguage) return byLanguage;
        const speaking = lang ? voices.find((v) => voiceLanguages(v).includes(lang)) : undefined;
        if (speaking) return speaking;
    }
    if (text !== '' && !CJK.test(text)) {
        const english = voices.find((v) => voiceLanguages(v)[0] === 'en-US');
        if (english) return english;
    }
    return voices[0];
}

// ---------------------------------------------------------------------------------------------
// info
// ---------------------------------------------------------------------------------------------

const ATTRIBUTION = { name: 'Huawei Cloud SIS', url: 'https://www.huaweicloud.com/product/sis.html' };

export interface InfoOptions {
    stt: boolean;
    tts: boolean;
    languages: ReadonlyMap<string, string>;
    voices: readonly TtsVoice[];
    version: string;
}

/** The `info` data: what Home Assistant's Wyoming integration reads to set up STT and TTS. */
export function buildInfo(opts: InfoOptions): Record<string, unknown> {
    const info: Record<string, unknown> = { asr: [], tts: [], handle: [], intent: [], wake: [], mic: [], snd: [] };
    if (opts.stt) {
        // One model per language: Home Assistant sends only a language, which picks the model.
        const models = [...opts.languages].map(([language, model]) => ({
            name: model,
            attribution: ATTRIBUTION,
            installed: true,
            description: `${MODEL_DESCRIPTIONS[model] ?? model} (${language})`,
            version: null,
            languages: [language],
        }));
        info.asr = [
            {
                name: 'huaweicloud-sis-asr',
                attribution: ATTRIBUTION,
                installed: true,
                description: 'Huawei Cloud SIS real-time speech recognition',
                version: opts.version,
                models,
                supports_transcript_streaming: true,
            },
        ];
    }
    if (opts.tts && opts.voices.length > 0) {
        info.tts = [
            {
                name: 'huaweicloud-sis-tts',
                attribution: ATTRIBUTION,
                installed: true,
                description: 'Huawei Cloud SIS real-time speech synthesis',
                version: opts.version,
                voices: opts.voices.map((v) => ({
                    name: v.property,
                    attribution: ATTRIBUTION,
                    installed: true,
                    description: voiceDescription(v),
                    version: null,
                    languages: voiceLanguages(v),
                })),
                supports_synthesize_streaming: true,
            },
        ];
    }
    return info;
}

export { PROTOCOL_VERSION };
