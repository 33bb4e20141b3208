// Whole-file recognition (short-audio, flash, transcriber jobs).
import type { EmulatorContext, RecognizedSentence } from '../types';
import { type Decoded, decodeAudio } from './decode';
import { AudioError } from './errors';
import { analyseChannel } from './fingerprint';
import { rawFormat, sampleRateOfProperty } from './formats';
import { generatedText, joinSentences, languageOfProperty, makeSentence } from './text';
import { FILE_TAIL_MS, sha256Hex } from './transcripts';
import { Segmenter, type VadEvent } from './vad';

export interface RecognizeOptions {
    audio_format: string;
    property: string;
    need_word_info?: boolean;
    add_punc?: boolean;
    digit_norm?: boolean;
    first_channel_only?: boolean;
}

export interface Recognition {
    durationMs: number;
    sampleRate: number;
    channels: RecognizedSentence[][];
}

/**
 * Raw formats and WAV must carry exactly the model's rate. Compressed files are resampled by
 * the service, so only a rate below the model's is refused.
 */
function checkRate(decoded: Decoded, opts: RecognizeOptions): void {
    const wanted = sampleRateOfProperty(opts.property);
    const exact = rawFormat(opts.audio_format) !== undefined || decoded.codec.startsWith('wav');
    if (exact ? decoded.sampleRate !== wanted : decoded.sampleRate < wanted) {
        throw new AudioError('SIS.0301', "'audio_format' is not match model");
    }
}

type Span = { startMs: number; endMs: number };

function spansOf(events: VadEvent[]): Span[] {
    const spans: Span[] = [];
    for (const e of events) if (e.kind === 'segment') spans.push({ startMs: e.startMs, endMs: e.endMs });
    return spans;
}

/** Speech spans and fingerprint of one channel, by whatever the decoder could give. */
function analyse(decoded: Decoded, channel: number): { spans: Span[]; fingerprint?: string } {
    const samples = decoded.channels[channel];
    if (samples) {
        const { fingerprint, events } = analyseChannel(samples, decoded.sampleRate, FILE_TAIL_MS);
        return { spans: spansOf(events), fingerprint };
    }
    if (decoded.activity) {
        const seg = new Segmenter({ sampleRate: decoded.sampleRate, tailMs: FILE_TAIL_MS });
        const events: VadEvent[] = [];
        for (const voiced of decoded.activity.voiced) seg.pushWindow(voiced, decoded.activity.windowSamples, events);
        seg.finish(events);
        return { spans: spansOf(events) };
    }
    // Measured but not decoded: the whole file is one utterance.
    return { spans: decoded.durationMs > 0 ? [{ startMs: 0, endMs: decoded.durationMs }] : [] };
}

/** Texts for `count` spans: registered sentences in order; the last span takes any surplus. */
function textsFor(registered: readonly string[], count: number, absorbRest: boolean): (string | undefined)[] {
    const texts: (string | undefined)[] = [];
    for (let i = 0; i < count; i++) {
        const last = i === count - 1;
        texts.push(
            last && absorbRest && registered.length > count ? joinSentences(registered.slice(i)) : registered[i],
        );
    }
    return texts;
}

export function recognize(ctx: EmulatorContext, audio: Buffer, opts: RecognizeOptions): Recognition {
    const decoded = decodeAudio(audio, opts.audio_format);
    checkRate(decoded, opts);
    const lang = languageOfProperty(opts.property);
    const textOpts = { addPunc: opts.add_punc === true, needWordInfo: opts.need_word_info === true };
    const digitNorm = opts.digit_norm !== false;
    const fileChannels = Math.max(1, decoded.channels.length);
    const wanted = opts.first_channel_only ? 1 : fileChannels;
    const byBytes = ctx.transcripts.lookup(sha256Hex(audio));
    let cursor = 0;
    const channels: RecognizedSentence[][] = [];
    for (let c = 0; c < wanted; c++) {
        const { spans, fingerprint } = analyse(decoded, c);
        const isLastChannel = c === fileChannels - 1;
        let texts: (string | undefined)[];
        if (byBytes) {
            // Sentences of a multi-channel file run channel after channel.
            texts = textsFor(byBytes.slice(cursor), spans.length, isLastChannel);
            cursor += spans.length;
        } else {
            const byFingerprint = fingerprint ? ctx.transcripts.lookup(fingerprint) : undefined;
            texts = textsFor(byFingerprint ?? [], spans.length, true);
        }
        channels.push(
            spans.map((span, i) =>
                makeSentence(
                    texts[i] ?? generatedText(lang, i, span.endMs - span.startMs, digitNorm),
                    span.startMs,
                    span.endMs,
                    textOpts,
                ),
            ),
        );
    }
    return { durationMs: decoded.durationMs, sampleRate: decoded.sampleRate, channels };
}
