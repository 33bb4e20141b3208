// sis-short-asr: one clip (≤ 60 s) sent inline as base64 to POST /v1/{project_id}/asr/short-audio.

import { sniffAudio } from '../audio/sniff';
import { AudioFormatError } from '../audio/types';
import { base64Length, writeBase64 } from '../cloud/base64';
import { invalidInput, SisError } from '../core/errors';
import {
    defined,
    type OptionSpecs,
    resolveOptions,
    resolveVocabularyOption,
    VOCABULARY_ID_OPTION,
} from '../red/options';
import type { OutputMode, Sentence } from '../red/sentences';
import type { NodeAPI } from '../red/types';
import type { InputContext, UserNode } from '../red/user-node';
import {
    bytesPerSecond,
    checkPropertyFormat,
    checkRate,
    chooseAudioFormat,
    isRawAudioFormat,
    rateOfAudioFormat,
    SHORT_AUDIO_FORMATS,
    SHORT_AUDIO_PROPERTIES,
} from '../service/formats';
import { SHORT_AUDIO_MAX_BASE64_CHARS, SHORT_AUDIO_MAX_DURATION_MS } from '../service/limits';
import { deliver } from './output';

export const SHORT_AUDIO_OPTIONS: OptionSpecs = {
    property: { kind: 'enum', values: SHORT_AUDIO_PROPERTIES },
    audio_format: { kind: 'enum', values: [...SHORT_AUDIO_FORMATS] },
    add_punc: { kind: 'flag' },
    digit_norm: { kind: 'flag' },
    vocabulary_id: VOCABULARY_ID_OPTION,
    need_word_info: { kind: 'flag' },
    auto_language_detect: { kind: 'flag' },
};

interface ShortAudioResponse {
    trace_id?: string;
    result?: { text?: unknown; score?: unknown; word_info?: unknown };
}

/** Checks the audio against the API before sending; returns the audio_format to send. */
export function prepareShortAudio(audio: Buffer, property: string, requested: string): string {
    const info = sniffAudio(audio);
    let format = requested;
    if (format === 'auto') {
        // Raw PCM has no header to recognise; the model's rate tells the 16-bit PCM format to use.
        if (info.container === 'unknown') {
            throw invalidInput(
                'audio_format "auto" cannot recognise these bytes; for raw samples set audio_format (e.g. pcm16k16bit)',
            );
        }
        format = chooseAudioFormat('short-audio', info);
    }
    checkPropertyFormat('short-audio', property, format);
    if (isRawAudioFormat(format)) {
        if (info.container !== 'unknown') {
            throw invalidInput(`audio_format ${format} expects raw samples, but the audio is ${info.container}`);
        }
        const bps = bytesPerSecond(format) ?? 1;
        if ((audio.length / bps) * 1000 > SHORT_AUDIO_MAX_DURATION_MS) {
            throw invalidInput(`the audio lasts more than ${SHORT_AUDIO_MAX_DURATION_MS / 1000} s`);
        }
        const rate = rateOfAudioFormat(format);
        if (rate) checkRate(property, { sampleRate: rate });
    } else {
        if (info.channels !== undefined && info.channels > 1) {
            throw invalidInput(
                `short-audio recognition takes mono audio only; this audio has ${info.channels} channels`,
            );
        }
        if (info.durationMs !== undefined && info.durationMs > SHORT_AUDIO_MAX_DURATION_MS) {
            throw invalidInput(`the audio lasts ${Math.round(info.durationMs / 1000)} s; at most 60 s are allowed`);
        }
        checkRate(property, info);
    }
    return format;
}

/**
 * `{"config":{…},"data":"<base64>"}` as bytes, encoded once: the base64 text needs no JSON
 * escaping, so it is written into the body as it is (a piece at a time, see base64.ts) instead
 * of going through JSON.stringify (which would scan and copy it once more, and leave a string to
 * convert again for the hash and the socket).
 */
export function shortAudioBody(config: Record<string, string | number>, audio: Buffer): Buffer {
    const head = `{"config":${JSON.stringify(config)},"data":"`;
    const headBytes = Buffer.byteLength(head);
    const body = Buffer.allocUnsafe(headBytes + base64Length(audio.length) + 2);
    body.write(head, 0, 'utf8');
    const end = headBytes + writeBase64(body, headBytes, audio);
    body.write('"}', end, 'latin1');
    return body;
}

export function attachShortAsr(RED: NodeAPI, user: UserNode, settings: Record<string, unknown>): void {
    const output: OutputMode = settings.output === 'single' ? 'single' : 'sentences';
    user.onInput(async ({ msg, send, signal, client }: InputContext) => {
        const audio = msg.payload;
        if (!Buffer.isBuffer(audio)) throw invalidInput('msg.payload must be a Buffer of audio bytes');
        if (audio.length === 0) throw invalidInput('msg.payload is an empty Buffer');
        const opts = resolveOptions(SHORT_AUDIO_OPTIONS, settings, msg.sis);
        const property = String(opts.property ?? 'chinese_16k_general');
        let format: string;
        try {
            format = prepareShortAudio(audio, property, String(opts.audio_format ?? 'auto'));
        } catch (err) {
            if (err instanceof AudioFormatError) throw invalidInput(err.message);
            throw err;
        }
        const encoded = base64Length(audio.length);
        if (encoded > SHORT_AUDIO_MAX_BASE64_CHARS) {
            throw invalidInput(
                `the audio is ${encoded} characters once encoded; at most ${SHORT_AUDIO_MAX_BASE64_CHARS} are allowed`,
            );
        }
        user.status.begin();
        await resolveVocabularyOption(client, opts, signal);
        const { property: _p, audio_format: _f, ...rest } = defined(opts);
        const res = await client.call<ShortAudioResponse>({
            method: 'POST',
            path: '/asr/short-audio',
            jsonBytes: shortAudioBody({ audio_format: format, property, ...rest }, audio),
            idempotent: true,
            signal,
            what: 'short-audio recognition',
        });
        const result = res.body.result;
        if (!result || typeof result.text !== 'string') {
            throw new SisError('PROTOCOL', 'short-audio recognition: the answer has no result text', {
                traceId: res.traceId,
            });
        }
        const sentences: Sentence[] = [];
        if (result.text) {
            const s: Sentence = { text: result.text };
            if (typeof result.score === 'number') s.score = result.score;
            if (Array.isArray(result.word_info)) s.word_info = result.word_info as Sentence['word_info'];
            sentences.push(s);
        }
        deliver(RED, user, send, msg, sentences, { trace_id: res.traceId }, output);
    });
}
