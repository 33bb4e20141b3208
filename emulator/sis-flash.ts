// POST /v1/{project_id}/asr/flash — synchronous recognition of an OBS object; every parameter is
// in the query string, there is no body (docs/protocol/rest.md §3).

import { recognize } from './audio';
import type { Call, Core } from './core';
import { queryValue } from './core';
import { isBucketName, sisReadObject } from './obs';
import { type Reply, SisError, traceId } from './reply';
import { asSisError, checkVocabulary, enumValue, yesNo } from './sis-common';
import { checkFormatRate } from './sis-short-audio';
import type { RecognizedSentence } from './types';

const FORMATS = ['wav', 'mp3', 'm4a', 'aac', 'opus'] as const;
const PROPERTIES = ['chinese_8k_common', 'chinese_16k_conversation'] as const;
const MAX_BYTES = 100 * 1024 * 1024;
const MAX_DURATION_MS = 120 * 60 * 1000;

function required(call: Call, name: string): string {
    const value = queryValue(call, name);
    if (value === undefined || value === '') throw new SisError('SIS.0032', `${name} cannot be empty`);
    return value;
}

export function sentenceJson(sentence: RecognizedSentence, wordInfo: boolean): Record<string, unknown> {
    const result: Record<string, unknown> = { text: sentence.text, score: sentence.score };
    if (wordInfo) result.word_info = sentence.word_info ?? [];
    return { start_time: sentence.start_time, end_time: sentence.end_time, result };
}

export function handleFlash(core: Core, call: Call): Reply {
    const format = enumValue(required(call, 'audio_format'), FORMATS, 'audio_format', 'SIS.0032');
    const property = enumValue(required(call, 'property'), PROPERTIES, 'property', 'SIS.0032');
    const bucket = required(call, 'obs_bucket_name');
    const key = required(call, 'obs_object_key');
    if (!isBucketName(bucket)) throw new SisError('SIS.0032', "'obs_bucket_name' is invalid");
    if (Buffer.byteLength(key) >= 1024) throw new SisError('SIS.0032', "'obs_object_key' is invalid");
    const addPunc = yesNo(queryValue(call, 'add_punc'), 'add_punc', false);
    const digitNorm = yesNo(queryValue(call, 'digit_norm'), 'digit_norm', true);
    const wordInfo = yesNo(queryValue(call, 'need_word_info'), 'need_word_info', false);
    const firstOnly = yesNo(queryValue(call, 'first_channel_only'), 'first_channel_only', false);
    checkVocabulary(core, queryValue(call, 'vocabulary_id'));
    checkFormatRate(format, property === 'chinese_8k_common' ? 8000 : 16000);

    // SIS reads the object with the account's authorisation: the bucket must be granted to SIS or
    // public-read (docs/protocol/obs.md §1); a private bucket fails like a missing object.
    const read = sisReadObject(core, bucket, key);
    if (!read.ok) throw new SisError('SIS.0609', `download audio from obs failed: ${read.code}`);
    const audio = read.bytes;
    if (audio.length > MAX_BYTES) throw new SisError('SIS.0604', 'audio file size is out of range');
    let recognized: ReturnType<typeof recognize>;
    try {
        recognized = recognize(core.ctx, audio, {
            audio_format: format,
            property,
            need_word_info: wordInfo,
            add_punc: addPunc,
            digit_norm: digitNorm,
            first_channel_only: firstOnly,
        });
    } catch (err) {
        throw asSisError(err);
    }
    if (recognized.durationMs > MAX_DURATION_MS) throw new SisError('SIS.0604', 'audio duration is out of range');
    const channels = firstOnly ? recognized.channels.slice(0, 1) : recognized.channels;
    return {
        status: 200,
        json: {
            trace_id: traceId(),
            audio_duration: Math.round(recognized.durationMs),
            flash_result: channels.map((sentences, channel_id) => ({
                channel_id,
                sentences: sentences.map((s) => sentenceJson(s, wordInfo)),
            })),
        },
    };
}
