// Speech synthesis stand-in: a voiced hum per syllable (one per CJK character, one per English
// word), shaped like speech in rhythm, with short gaps inside a sentence and 700 ms of silence
// between sentences. The gaps stay below the recogniser's 500 ms sentence tail and the pauses
// above it, so recognising the output yields one segment per sentence.
import type { EmulatorContext } from '../types';
import { analyseChannel } from './fingerprint';
import { samplesToPcm16 } from './formats';
import { encodeToneMp3, MP3_SAMPLES_PER_FRAME } from './mp3-encode';
import { isCjk, wordsOf } from './text';
import { FILE_TAIL_MS, sha256Hex } from './transcripts';
import { encodeWav } from './wav';

export interface SynthOptions {
    sampleRate: number;
    speed: number;
    pitch: number;
    volume: number;
}

export interface SynthWord {
    text: string;
    /** Index of the sentence the word belongs to. */
    sentence: number;
    word_index: number;
    start_time: number;
    end_time: number;
}

export interface SynthSpeech {
    samples: Int16Array;
    sampleRate: number;
    sentences: string[];
    /** Timing of every word/character, for TTS subtitles. */
    words: SynthWord[];
    /** Fundamental of the hum (Hz). */
    toneHz: number;
}

const LEAD_MS = 200;
const SENTENCE_PAUSE_MS = 700;
const WORD_GAP_MS = 50;
const CLAUSE_PAUSE_MS = 150;
const BASE_HZ = 200;

/** Splits at sentence-ending punctuation and line breaks; each piece keeps its punctuation. */
export function splitSentences(text: string): string[] {
    const out: string[] = [];
    let current = '';
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (ch === '\n' || ch === '\r') {
            if (current.trim()) out.push(current.trim());
            current = '';
            continue;
        }
        current += ch;
        const ends = /[。！？；!?;]/.test(ch) || (ch === '.' && !/\d/.test(text[i + 1] ?? ''));
        if (ends && !/[。！？；!?;.]/.test(text[i + 1] ?? '')) {
            if (current.trim()) out.push(current.trim());
            current = '';
        }
    }
    if (current.trim()) out.push(current.trim());
    return out.filter((s) => wordsOf(s).length > 0);
}

/** Duration of one spoken unit at normal speed. */
function unitMs(word: string): number {
    return isCjk(word) ? 220 : 60 + 90 * Math.min(word.length, 12);
}

class Writer {
    samples: Int16Array;
    length = 0;
    private phase = 0;
    constructor(
        readonly rate: number,
        estimateMs: number,
    ) {
        this.samples = new Int16Array(Math.ceil((estimateMs * rate) / 1000) + rate);
    }
    get ms(): number {
        return Math.round((this.length * 1000) / this.rate);
    }
    private ensure(n: number): void {
        if (this.length + n <= this.samples.length) return;
        const next = new Int16Array(Math.max(this.samples.length * 2, this.length + n));
        next.set(this.samples.subarray(0, this.length));
        this.samples = next;
    }
    silence(ms: number): void {
        const n = Math.round((ms * this.rate) / 1000);
        this.ensure(n);
        this.length += n; // the array is zero-filled
    }
    /** A syllable: harmonics of a gliding fundamental under a smooth envelope. */
    syllable(ms: number, hz: number, glide: number, amplitude: number): void {
        const n = Math.max(1, Math.round((ms * this.rate) / 1000));
        this.ensure(n);
        const edge = Math.min(n / 2, (0.025 * this.rate) | 0);
        for (let i = 0; i < n; i++) {
            const f = hz * (1 + (glide * i) / n);
            this.phase += (2 * Math.PI * f) / this.rate;
            const env = i < edge ? i / edge : i > n - edge ? (n - i) / edge : 1;
            const p = this.phase;
            const v = Math.sin(p) + 0.5 * Math.sin(2 * p) + 0.3 * Math.sin(3 * p) + 0.15 * Math.sin(4 * p);
            this.samples[this.length + i] = Math.round((amplitude * env * v) / 1.6);
        }
        this.length += n;
    }
}

/** Plans and renders the speech as 16-bit mono samples. */
export function synthesizeSpeech(text: string, opts: SynthOptions): SynthSpeech {
    const sentences = splitSentences(text);
    const factor = 2 ** (opts.speed / 500);
    const hz = BASE_HZ * 2 ** (opts.pitch / 1000);
    const amplitude = 2500 + Math.max(0, Math.min(100, opts.volume)) * 150;
    const estimate = LEAD_MS * 2 + sentences.length * SENTENCE_PAUSE_MS + (text.length * 800) / factor;
    const w = new Writer(opts.sampleRate, estimate);
    const words: SynthWord[] = [];
    w.silence(LEAD_MS);
    sentences.forEach((sentence, si) => {
        if (si > 0) w.silence(SENTENCE_PAUSE_MS);
        let previousWasWord = false;
        // Walk characters so clause punctuation inside the sentence becomes a short pause.
        for (const token of sentence.match(/[\u3400-\u9fff\uf900-\ufaff]|[\p{L}\p{N}'.]+|[,，、:：]/gu) ?? []) {
            if (/^[,，、:：]$/.test(token)) {
                w.silence(CLAUSE_PAUSE_MS / factor);
                previousWasWord = false;
                continue;
            }
            const word = token.replace(/\.$/, '');
            if (!word) continue;
            if (previousWasWord && !isCjk(word)) w.silence(WORD_GAP_MS / factor);
            const start = w.ms;
            const code = word.codePointAt(0) ?? 0;
            const glide = [0, 0.15, -0.15, 0.08][code % 4];
            w.syllable(unitMs(word) / factor, hz, glide, amplitude);
            words.push({ text: word, sentence: si, word_index: words.length, start_time: start, end_time: w.ms });
            previousWasWord = true;
        }
    });
    w.silence(LEAD_MS);
    return { samples: w.samples.subarray(0, w.length), sampleRate: opts.sampleRate, sentences, words, toneHz: hz };
}

/** RMS of each 576-sample block: the MP3 writer's per-granule level. */
export function granuleLevels(samples: Int16Array): number[] {
    const levels: number[] = [];
    for (let start = 0; start < samples.length; start += MP3_SAMPLES_PER_FRAME) {
        const end = Math.min(samples.length, start + MP3_SAMPLES_PER_FRAME);
        let sum = 0;
        for (let i = start; i < end; i++) sum += samples[i] * samples[i];
        levels.push(Math.sqrt(sum / MP3_SAMPLES_PER_FRAME));
    }
    return levels;
}

export function encodeSpeech(speech: SynthSpeech, format: 'wav' | 'mp3' | 'pcm'): Buffer {
    if (format === 'mp3') {
        const rate = speech.sampleRate === 8000 ? 8000 : 16000;
        return encodeToneMp3(granuleLevels(speech.samples), speech.toneHz, rate);
    }
    const pcm = samplesToPcm16(speech.samples);
    return format === 'wav' ? encodeWav(pcm, speech.sampleRate) : pcm;
}

/** Registers the speech's sentences under the output's hash and its sample fingerprint. */
export function registerSpeech(ctx: EmulatorContext, speech: SynthSpeech, output: Buffer): void {
    if (speech.sentences.length === 0) return;
    ctx.transcripts.register(sha256Hex(output), speech.sentences);
    const { fingerprint } = analyseChannel(speech.samples, speech.sampleRate, FILE_TAIL_MS);
    if (fingerprint) ctx.transcripts.register(fingerprint, speech.sentences);
}

export function synthesize(
    ctx: EmulatorContext,
    text: string,
    opts: { format: 'wav' | 'mp3' | 'pcm'; sampleRate: number; speed: number; pitch: number; volume: number },
): Buffer {
    const speech = synthesizeSpeech(text, opts);
    const output = encodeSpeech(speech, opts.format);
    registerSpeech(ctx, speech, output);
    return output;
}
