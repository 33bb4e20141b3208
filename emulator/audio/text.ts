// Texts the recogniser returns: punctuation and digit handling, generated placeholder sentences,
// word timing and scores. Everything is a pure function of its inputs (deterministic results).
import type { RecognizedSentence } from '../types';

export type Language = 'zh' | 'en';

export function languageOfProperty(property: string): Language {
    return property.startsWith('english') ? 'en' : 'zh';
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
/** Sentence and clause punctuation, ASCII and full-width. */
const PUNCT = /[.,!?;:、，。！？；：…“”"'‘’()（）《》「」—-]/;

export function isCjk(ch: string): boolean {
    return CJK.test(ch);
}

/** Joins sentences as the language writes them: no space after CJK text, one space otherwise. */
export function joinSentences(sentences: readonly string[]): string {
    let out = '';
    for (const s of sentences) {
        const t = s.trim();
        if (!t) continue;
        const last = out.at(-1);
        out += out && last !== undefined && !isCjk(last) && !/[。！？，；：]/.test(last) ? ` ${t}` : t;
    }
    return out;
}

/** `add_punc: "no"`: punctuation removed (a period between digits is a decimal point and stays). */
export function stripPunctuation(text: string): string {
    let out = '';
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (PUNCT.test(ch) && !(ch === '.' && /\d/.test(text[i - 1] ?? '') && /\d/.test(text[i + 1] ?? ''))) {
            if (!isCjk(text[i + 1] ?? '') && !isCjk(text[i - 1] ?? '')) out += ' ';
            continue;
        }
        out += ch;
    }
    return out.replace(/\s+/g, ' ').trim();
}

const ZH_DIGITS = '零一二三四五六七八九';
const EN_ONES = [
    'zero',
    'one',
    'two',
    'three',
    'four',
    'five',
    'six',
    'seven',
    'eight',
    'nine',
    'ten',
    'eleven',
    'twelve',
    'thirteen',
    'fourteen',
    'fifteen',
    'sixteen',
    'seventeen',
    'eighteen',
    'nineteen',
];
const EN_TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

function zhInteger(n: number): string {
    if (n < 10) return ZH_DIGITS[n];
    if (n < 20) return `十${n % 10 ? ZH_DIGITS[n % 10] : ''}`;
    if (n < 100) return `${ZH_DIGITS[Math.floor(n / 10)]}十${n % 10 ? ZH_DIGITS[n % 10] : ''}`;
    if (n < 1000) {
        const rest = n % 100;
        return `${ZH_DIGITS[Math.floor(n / 100)]}百${rest === 0 ? '' : rest < 10 ? `零${ZH_DIGITS[rest]}` : rest < 20 ? `一${zhInteger(rest)}` : zhInteger(rest)}`;
    }
    return String(n)
        .split('')
        .map((d) => ZH_DIGITS[Number(d)])
        .join('');
}

function enInteger(n: number): string {
    if (n < 20) return EN_ONES[n];
    if (n < 100) return `${EN_TENS[Math.floor(n / 10)]}${n % 10 ? `-${EN_ONES[n % 10]}` : ''}`;
    if (n < 1000) return `${EN_ONES[Math.floor(n / 100)]} hundred${n % 100 ? ` ${enInteger(n % 100)}` : ''}`;
    return String(n);
}

/**
 * Placeholder for speech with no registered transcript, readable and derived from the audio:
 * the sentence's position and length.
 */
export function generatedText(lang: Language, index: number, durationMs: number, digitNorm: boolean): string {
    const tenths = Math.max(1, Math.round(durationMs / 100));
    const whole = Math.floor(tenths / 10);
    const frac = tenths % 10;
    if (lang === 'en') {
        return `Sentence ${enInteger(index + 1)}, ${enInteger(whole)} point ${enInteger(frac)} seconds.`;
    }
    if (digitNorm) return `第${index + 1}句话，时长${whole}.${frac}秒。`;
    return `第${zhInteger(index + 1)}句话，时长${zhInteger(whole)}点${ZH_DIGITS[frac]}秒。`;
}

/** Words for timing: one per CJK character, one per run of other letters/digits. */
export function wordsOf(text: string): string[] {
    const words: string[] = [];
    let current = '';
    for (const ch of text) {
        if (isCjk(ch)) {
            if (current) words.push(current);
            current = '';
            words.push(ch);
        } else if (/[\p{L}\p{N}'.]/u.test(ch) && !(ch === '.' && !/\d$/.test(current))) {
            current += ch;
        } else {
            if (current) words.push(current);
            current = '';
        }
    }
    if (current) words.push(current.replace(/\.$/, ''));
    return words.filter((w) => w.length > 0);
}

/** Spreads the words over [start, end] in proportion to their length. */
export function spreadWords(
    words: readonly string[],
    startMs: number,
    endMs: number,
): { start_time: number; end_time: number; word: string }[] {
    const total = words.reduce((n, w) => n + w.length, 0);
    const span = Math.max(0, endMs - startMs);
    let acc = 0;
    return words.map((word) => {
        const s = startMs + Math.round((span * acc) / total);
        acc += word.length;
        return { start_time: s, end_time: startMs + Math.round((span * acc) / total), word };
    });
}

/** FNV-1a, for deterministic pseudo-random values. */
export function fnv1a(text: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
        h ^= text.charCodeAt(i);
        h = Math.imul(h, 0x01000193);
    }
    return h >>> 0;
}

/** Confidence in 0.80…0.97, fixed for a given text and position. */
export function scoreOf(text: string, startMs: number): number {
    return Math.round((0.8 + (fnv1a(`${startMs}|${text}`) % 1700) / 10000) * 100) / 100;
}

export interface TextOptions {
    addPunc: boolean;
    needWordInfo: boolean;
}

/** A final sentence as the REST and WebSocket results carry it. */
export function makeSentence(text: string, startMs: number, endMs: number, opts: TextOptions): RecognizedSentence {
    const shown = opts.addPunc ? text : stripPunctuation(text);
    const sentence: RecognizedSentence = {
        text: shown,
        start_time: startMs,
        end_time: endMs,
        score: scoreOf(shown, startMs),
    };
    if (opts.needWordInfo) sentence.word_info = spreadWords(wordsOf(shown), startMs, endMs);
    return sentence;
}

/**
 * The part of `text` an interim result shows after `elapsedMs` of speech: about one CJK character
 * per 200 ms or one word per 300 ms, never the whole sentence (that is the final's job).
 */
export function interimPrefix(text: string, elapsedMs: number): string {
    const words = wordsOf(text);
    if (words.length < 2) return '';
    const cjk = words.every((w) => isCjk(w));
    const count = Math.min(words.length - 1, Math.floor(elapsedMs / (cjk ? 200 : 300)));
    if (count <= 0) return '';
    return cjk ? words.slice(0, count).join('') : words.slice(0, count).join(' ');
}
