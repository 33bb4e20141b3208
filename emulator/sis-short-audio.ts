// POST /v1/{project_id}/asr/short-audio — synchronous recognition of ≤ 60 s of base64 audio (docs/protocol/rest.md §1).

import { recognize } from './audio';
import { joinSentences as joinTexts } from './audio/text';
import type { Call, Core } from './core';
import { type Reply, SisError, traceId } from './reply';
import {
    asSisError,
    checkVocabulary,
    decodeBase64,
    enumValue,
    isObject,
    jsonBody,
    rateOfName,
    requiredString,
    yesNo,
} from './sis-common';
import type { RecognizedSentence } from './types';

export const SHORT_AUDIO_FORMATS = [
    'pcm16k16bit',
    'pcm8k16bit',
    'ulaw16k8bit',
    'ulaw8k8bit',
    'alaw16k8bit',
    'alaw8k8bit',
    'mp3',
    'aac',
    'wav',
    'amr',
    'amrwb',
    'auto',
] as const;

interface PropertyRule {
    rate: 8000 | 16000;
    formats?: readonly string[];
    regions?: readonly string[];
}

const CN_REGIONS = ['cn-north-4', 'cn-east-3'];

/** docs/protocol/rest.md table 1.3: models, their sample rate, allowed formats and regions. */
export const SHORT_AUDIO_PROPERTIES: Record<string, PropertyRule> = {
    chinese_8k_common: { rate: 8000 },
    chinese_16k_common: { rate: 16000 },
    chinese_16k_general: { rate: 16000, formats: ['pcm16k16bit', 'mp3', 'wav'], regions: ['cn-north-4'] },
    chinese_16k_travel: { rate: 16000, formats: ['pcm16k16bit', 'mp3', 'wav', 'aac'] },
    sichuan_16k_common: { rate: 16000, regions: ['cn-north-4'] },
    cantonese_16k_common: { rate: 16000, regions: ['cn-north-4'] },
    shanghai_16k_common: { rate: 16000, regions: ['cn-north-4'] },
    english_8k_common: { rate: 8000, formats: ['wav'], regions: ['cn-east-3'] },
    english_16k_common: { rate: 16000, formats: ['wav'], regions: ['cn-east-3'] },
};

const FIXED_RATE_FORMATS: Record<string, number> = { amr: 8000, amrwb: 16000 };

const MAX_BASE64_CHARS = 4 * 1024 * 1024;
const MAX_DURATION_MS = 60_000;

/** Region rules are known only for the two Chinese regions; elsewhere they are not enforced. */
export function checkPropertyRegion(core: Core, property: string, regions: readonly string[] | undefined): void {
    const region = core.ctx.account.region;
    if (regions && CN_REGIONS.includes(region) && !regions.includes(region)) {
        throw new SisError('SIS.0031', `property ${property} is not supported in region ${region}`);
    }
}

/** The format's own sample rate (raw formats, AMR) must be the model's (SIS.0301). */
export function checkFormatRate(format: string, modelRate: number): void {
    const formatRate = FIXED_RATE_FORMATS[format] ?? rateOfName(format);
    if (formatRate !== undefined && formatRate !== modelRate) {
        throw new SisError('SIS.0301', "'audio_format' is not match model");
    }
}

export function joinSentences(
    sentences: RecognizedSentence[],
    wordInfo: boolean,
): {
    text: string;
    score: number;
    word_info?: RecognizedSentence['word_info'];
} {
    const text = joinTexts(sentences.map((s) => s.text));
    const score =
        sentences.length === 0
            ? 0
            : Math.round((sentences.reduce((a, s) => a + s.score, 0) / sentences.length) * 100) / 100;
    if (!wordInfo) return { text, score };
    return { text, score, word_info: sentences.flatMap((s) => s.word_info ?? []) };
}

export function handleShortAudio(core: Core, call: Call): Reply {
    const body = jsonBody(call, 'SIS.0032');
    if (body.config === undefined || body.config === null) throw new SisError('SIS.0032', 'config cannot be empty');
    if (!isObject(body.config)) throw new SisError('SIS.0032', "'config' is invalid");
    const config = body.config;
    if (config.audio_format === undefined || config.audio_format === '') {
        throw new SisError('SIS.0032', 'audio_format cannot be empty');
    }
    const format = enumValue(config.audio_format, SHORT_AUDIO_FORMATS, 'audio_format', 'SIS.0032');
    const property = requiredString(config, 'property');
    const rule = SHORT_AUDIO_PROPERTIES[property];
    if (!rule) throw new SisError('SIS.0032', "'property' is invalid");
    checkPropertyRegion(core, property, rule.regions);
    if (rule.formats && format !== 'auto' && !rule.formats.includes(format)) {
        throw new SisError('SIS.0301', "'audio_format' is not match model");
    }
    checkFormatRate(format, rule.rate);
    const addPunc = yesNo(config.add_punc, 'add_punc', false);
    const digitNorm = yesNo(config.digit_norm, 'digit_norm', true);
    const wordInfo = yesNo(config.need_word_info, 'need_word_info', false);
    yesNo(config.auto_language_detect, 'auto_language_detect', false);
    checkVocabulary(core, config.vocabulary_id);

    const data = requiredString(body, 'data');
    if (data.length > MAX_BASE64_CHARS) throw new SisError('SIS.0604', 'audio file size is out of range');
    const audio = decodeBase64(data);
    if (audio.length === 0) throw new SisError('SIS.0032', 'data cannot be empty');
    let recognized: ReturnType<typeof recognize>;
    try {
        recognized = recognize(core.ctx, audio, {
            audio_format: format,
            property,
            need_word_info: wordInfo,
            add_punc: addPunc,
            digit_norm: digitNorm,
        });
    } catch (err) {
        throw asSisError(err);
    }
    if (recognized.durationMs > MAX_DURATION_MS) throw new SisError('SIS.0604', 'audio duration is out of range');
    if (recognized.channels.length > 1) throw new SisError('SIS.0602', 'only mono audio is supported');
    return {
        status: 200,
        json: { trace_id: traceId(), result: joinSentences(recognized.channels[0] ?? [], wordInfo) },
    };
}
