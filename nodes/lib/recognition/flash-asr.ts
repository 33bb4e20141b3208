// sis-flash-asr: a whole file recognised synchronously from OBS (POST /v1/{project_id}/asr/flash).
// A Buffer is staged to the config's bucket first and the staged object is deleted afterwards,
// whatever happens (unless OBS refused the upload: then no object exists).

import { fileExtensionFor, sniffAudio } from '../audio/sniff';
import { AudioFormatError, type AudioInfo } from '../audio/types';
import {
    type ObjectRef,
    ObsClient,
    parseObjectRef,
    stagingBucket,
    stagingKey,
    uploadMayHaveStored,
} from '../cloud/obs';
import { invalidInput, SisError } from '../core/errors';
import { formatBytes } from '../red/i18n';
import {
    defined,
    type OptionSpecs,
    resolveOptions,
    resolveVocabularyOption,
    VOCABULARY_ID_OPTION,
} from '../red/options';
import { outputModeOf, type Sentence } from '../red/sentences';
import { lineWidthSetting, type SubtitleSource } from '../red/subtitles';
import type { NodeAPI } from '../red/types';
import type { InputContext, UserNode } from '../red/user-node';
import { checkPropertyFormat, checkRate, chooseAudioFormat, FLASH_FORMATS, FLASH_PROPERTIES } from '../service/formats';
import { FLASH_MAX_BYTES, FLASH_MAX_DURATION_MS } from '../service/limits';
import { deliver } from './output';

export const FLASH_OPTIONS: OptionSpecs = {
    property: { kind: 'enum', values: FLASH_PROPERTIES },
    audio_format: { kind: 'enum', values: ['auto', ...FLASH_FORMATS] },
    add_punc: { kind: 'flag' },
    digit_norm: { kind: 'flag' },
    need_word_info: { kind: 'flag' },
    first_channel_only: { kind: 'flag' },
    vocabulary_id: VOCABULARY_ID_OPTION,
};

const CONTENT_TYPES: Record<string, string> = {
    wav: 'audio/wav',
    mp3: 'audio/mpeg',
    m4a: 'audio/mp4',
    aac: 'audio/aac',
    opus: 'audio/ogg',
};

interface FlashResponse {
    trace_id?: string;
    audio_duration?: unknown;
    flash_result?: unknown;
}

interface FlashSentence {
    start_time?: unknown;
    end_time?: unknown;
    result?: { text?: unknown; score?: unknown; word_info?: unknown };
}

function num(v: unknown): number | undefined {
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The audio_format for a staged Buffer, after the checks the service would make. */
export function flashFormatOfBuffer(
    audio: Buffer,
    property: string,
    requested: string,
): { format: string; info: AudioInfo } {
    if (audio.length > FLASH_MAX_BYTES) {
        throw invalidInput(`the audio is ${audio.length} bytes; flash recognition takes at most ${FLASH_MAX_BYTES}`);
    }
    const info = sniffAudio(audio);
    const format = requested === 'auto' ? chooseAudioFormat('flash', info) : requested;
    checkPropertyFormat('flash', property, format);
    if (info.durationMs !== undefined && info.durationMs > FLASH_MAX_DURATION_MS) {
        throw invalidInput(`the audio lasts ${Math.round(info.durationMs / 60_000)} min; at most 120 min are allowed`);
    }
    checkRate(property, info);
    return { format, info };
}

/** The audio_format for an object already in OBS: as set, or from the key's extension. */
export function flashFormatOfKey(key: string, requested: string): string {
    if (requested !== 'auto') return requested;
    const ext = /\.([a-z0-9]+)$/i.exec(key)?.[1]?.toLowerCase();
    if (ext && (FLASH_FORMATS as readonly string[]).includes(ext)) return ext;
    throw invalidInput(
        `audio_format "auto" cannot tell the format of ${key} from its name; set audio_format (${FLASH_FORMATS.join(', ')})`,
    );
}

/** Sentences of every channel, in time order; channel_id on each when there is more than one channel. */
export function flashSentences(body: FlashResponse, multiChannel: boolean): Sentence[] {
    if (!Array.isArray(body.flash_result))
        throw new SisError('PROTOCOL', 'flash recognition: the answer has no flash_result');
    const channels = body.flash_result as { channel_id?: unknown; sentences?: unknown }[];
    const withChannel = multiChannel || channels.length > 1;
    const out: Sentence[] = [];
    for (const [i, ch] of channels.entries()) {
        const channel = num(ch?.channel_id) ?? i;
        for (const s of Array.isArray(ch?.sentences) ? (ch.sentences as FlashSentence[]) : []) {
            const text = s?.result?.text;
            if (typeof text !== 'string' || text === '') continue;
            const sentence: Sentence = { text };
            const start = num(s.start_time);
            const end = num(s.end_time);
            const score = num(s.result?.score);
            if (start !== undefined) sentence.start_time = start;
            if (end !== undefined) sentence.end_time = end;
            if (score !== undefined) sentence.score = score;
            if (withChannel) sentence.channel_id = channel;
            if (Array.isArray(s.result?.word_info)) sentence.word_info = s.result.word_info as Sentence['word_info'];
            out.push(sentence);
        }
    }
    return out.sort((a, b) => (a.start_time ?? 0) - (b.start_time ?? 0) || (a.channel_id ?? 0) - (b.channel_id ?? 0));
}

export function attachFlashAsr(RED: NodeAPI, user: UserNode, settings: Record<string, unknown>): void {
    const output = outputModeOf(settings.output);
    const lineWidth = lineWidthSetting(settings.lineWidth);
    const prefix = typeof settings.stagingPrefix === 'string' ? settings.stagingPrefix.trim() : 'node-red/sis/';

    user.onInput(async ({ msg, send, signal, client }: InputContext) => {
        const opts = resolveOptions(FLASH_OPTIONS, settings, msg.sis);
        const property = String(opts.property ?? 'chinese_16k_conversation');
        const requested = String(opts.audio_format ?? 'auto');
        const obs = new ObsClient(client);
        let ref: ObjectRef;
        let format: string;
        let staged = false;
        let multiChannel = false;
        let source: SubtitleSource;
        const payload = msg.payload;
        if (Buffer.isBuffer(payload)) {
            if (payload.length === 0) throw invalidInput('msg.payload is an empty Buffer');
            let info: AudioInfo;
            try {
                ({ format, info } = flashFormatOfBuffer(payload, property, requested));
            } catch (err) {
                if (err instanceof AudioFormatError) throw invalidInput(err.message);
                throw err;
            }
            multiChannel = (info.channels ?? 1) > 1;
            source = { filename: (msg as { filename?: unknown }).filename };
            ref = { bucket: stagingBucket(client), key: stagingKey(prefix, fileExtensionFor(info)) };
            user.status.begin('staging', { size: formatBytes(payload.length) });
        } else {
            const parsed = parseObjectRef(payload);
            if (!parsed) {
                throw invalidInput(
                    'msg.payload must be an audio Buffer, an OBS object { bucket, key } or obs://bucket/key',
                );
            }
            ref = parsed;
            source = { obsKey: parsed.key };
            format = flashFormatOfKey(ref.key, requested);
            checkPropertyFormat('flash', property, format);
            user.status.begin();
        }
        // Before any staging: an unknown vocabulary name costs no upload.
        await resolveVocabularyOption(client, opts, signal);
        try {
            if (Buffer.isBuffer(payload)) {
                try {
                    await obs.put(ref, payload, CONTENT_TYPES[format] ?? 'application/octet-stream', signal);
                } catch (err) {
                    // A refused upload stored nothing: there is nothing to delete.
                    staged = uploadMayHaveStored(err);
                    throw err;
                }
                staged = true;
            }
            const { property: _p, audio_format: _f, ...rest } = defined(opts);
            const res = await client.call<FlashResponse>({
                method: 'POST',
                path: '/asr/flash',
                query: {
                    property,
                    audio_format: format,
                    ...rest,
                    obs_bucket_name: ref.bucket,
                    obs_object_key: ref.key,
                },
                idempotent: true,
                signal,
                what: 'flash recognition',
            });
            const sentences = flashSentences(res.body, multiChannel);
            deliver(
                RED,
                user,
                send,
                msg,
                sentences,
                { trace_id: res.traceId, audio_duration: num(res.body.audio_duration) },
                output,
                { source, options: { lineWidth } },
            );
        } finally {
            if (staged) {
                // Deleted whatever happened, even when the node is closing (no abort signal here);
                // a failed delete is reported but does not replace the recognition's outcome.
                await obs.discard(ref).catch((err: unknown) => {
                    user.node.warn(
                        RED._('sis-flash-asr.errors.cleanup', {
                            key: `${ref.bucket}/${ref.key}`,
                            reason: err instanceof Error ? err.message : String(err),
                        }),
                    );
                });
            }
        }
    });
}
