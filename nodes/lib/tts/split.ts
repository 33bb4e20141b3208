// Splitting text for synthesis: every piece within the service's character limit, cut at the
// strongest boundary available (sentence end, then clause punctuation, then whitespace, then
// anywhere), and never inside SSML markup. Characters are counted as code points, as the service
// counts them (one Chinese character, Latin letter or punctuation mark = 1).
import { invalidInput } from '../core/errors';

/** How good a cut before a position is; higher is better (`No`: never there). */
const Rank = { No: -1, Hard: 0, Space: 1, Clause: 2, Sentence: 3 } as const;
type Rank = number;

const CJK_SENTENCE_END = new Set(['。', '！', '？', '…', '｡', '︒', '﹒', '﹗', '﹖']);
const LATIN_SENTENCE_END = new Set(['.', '!', '?']);
// Closing quotes and brackets that belong to the sentence they end (`。”`, `?)`).
const CLOSERS = new Set(['"', "'", '”', '’', '」', '』', '）', ')', '】', ']', '》', '〉', '»', '›', '﹂', '﹄']);
const CJK_CLAUSE = new Set(['，', '、', '；', '：', '﹐', '﹑', '﹔', '﹕', '—']);
const LATIN_CLAUSE = new Set([',', ';', ':']);

function isSpace(ch: string | undefined): boolean {
    return ch !== undefined && /^\s$/u.test(ch);
}

function isTerminator(ch: string | undefined): boolean {
    return ch !== undefined && (CJK_SENTENCE_END.has(ch) || LATIN_SENTENCE_END.has(ch));
}

function isBreak(ch: string | undefined): boolean {
    return ch === '\n' || ch === '\r' || ch === '\u2028' || ch === '\u2029';
}

const MARK = /^\p{M}$/u;

/** Marks, joiners, variation selectors and skin tones: they stay with the character before them. */
function clingsToPrevious(ch: string | undefined): boolean {
    if (ch === undefined) return false;
    const cp = ch.codePointAt(0) ?? 0;
    return (
        MARK.test(ch) ||
        cp === 0x200c ||
        cp === 0x200d ||
        (cp >= 0xfe00 && cp <= 0xfe0f) ||
        (cp >= 0xe0100 && cp <= 0xe01ef) ||
        (cp >= 0x1f3fb && cp <= 0x1f3ff)
    );
}

/** Rank of cutting before index `i` of `cps`, from the punctuation and spaces around it. */
function textRank(cps: readonly string[], i: number): Rank {
    const prev = cps[i - 1];
    const next = cps[i];
    if (isSpace(next)) return Rank.Hard; // whitespace stays with the piece it follows
    if (clingsToPrevious(next) || prev === '\u200d') return Rank.No;
    // A closing quote or a second terminator right after a terminator belongs to the same sentence.
    if (!isSpace(prev) && (CLOSERS.has(next) || isTerminator(next))) return Rank.Hard;
    // Walk back over the whitespace, closers and terminators that end at i.
    let j = i;
    while (j > 0 && isSpace(cps[j - 1])) j--;
    const spaced = j < i;
    if (spaced && cps.slice(j, i).some(isBreak)) return Rank.Sentence;
    let k = j;
    while (k > 0 && CLOSERS.has(cps[k - 1])) k--;
    const last = cps[k - 1];
    if (last !== undefined && CJK_SENTENCE_END.has(last)) return Rank.Sentence;
    if (last !== undefined && LATIN_SENTENCE_END.has(last) && spaced) return Rank.Sentence;
    if (k === j && last !== undefined) {
        if (CJK_CLAUSE.has(last)) return Rank.Clause;
        if (LATIN_CLAUSE.has(last) && spaced) return Rank.Clause;
    }
    return spaced ? Rank.Space : Rank.Hard;
}

/**
 * Cut ranks for plain text: `ranks[i]` is the rank of cutting before code point `i`
 * (index 0 and n are never asked for).
 */
function plainRanks(cps: readonly string[]): Rank[] {
    const ranks: Rank[] = new Array(cps.length + 1).fill(Rank.No);
    for (let i = 1; i < cps.length; i++) ranks[i] = textRank(cps, i);
    return ranks;
}

/** Index just after the markup that starts at `start` (`<…>`), or -1 when it never closes. */
function markupEnd(cps: readonly string[], start: number): number {
    const head = cps.slice(start, start + 9).join('');
    const until = (close: string): number => {
        const chars = [...close];
        for (let i = start + 1; i + chars.length <= cps.length; i++) {
            if (chars.every((c, k) => cps[i + k] === c)) return i + chars.length;
        }
        return -1;
    };
    if (head.startsWith('<!--')) return until('-->');
    if (head.startsWith('<![CDATA[')) return until(']]>');
    let quote: string | undefined;
    for (let i = start + 1; i < cps.length; i++) {
        const ch = cps[i];
        if (quote) {
            if (ch === quote) quote = undefined;
        } else if (ch === '"' || ch === "'") {
            quote = ch;
        } else if (ch === '>') {
            return i + 1;
        } else if (ch === '<') {
            return -1;
        }
    }
    return -1;
}

/**
 * Cut ranks for SSML content: no cut inside a tag, an entity or an element (only between the
 * top-level pieces of the content); punctuation ranks as in plain text, a tag edge as a space.
 */
function ssmlRanks(cps: readonly string[]): Rank[] {
    const ranks: Rank[] = new Array(cps.length + 1).fill(Rank.No);
    const text = plainRanks(cps);
    let depth = 0;
    let i = 0;
    while (i < cps.length) {
        const ch = cps[i];
        if (ch === '<') {
            const end = markupEnd(cps, i);
            if (end < 0) throw invalidInput('SSML: a tag is not closed with ">"');
            const second = cps[i + 1];
            const closing = second === '/';
            const standalone = second === '!' || second === '?' || cps[end - 2] === '/';
            if (depth === 0 && i > 0 && !closing) ranks[i] = Math.max(ranks[i], Rank.Space);
            if (closing) depth--;
            else if (!standalone) depth++;
            if (depth < 0) throw invalidInput('SSML: a closing tag has no opening tag');
            if (depth === 0 && end < cps.length) ranks[end] = Rank.Space;
            i = end;
            continue;
        }
        if (ch === '&') {
            // An entity (`&amp;`, `&#8212;`) is one unit.
            let end = i + 1;
            while (end < cps.length && end - i <= 32 && /[#\w]/.test(cps[end])) end++;
            if (cps[end] === ';') {
                if (depth === 0 && i > 0) ranks[i] = Math.max(ranks[i], text[i]);
                i = end + 1;
                continue;
            }
        }
        if (depth === 0 && i > 0 && ranks[i] === Rank.No) ranks[i] = text[i];
        i++;
    }
    if (depth !== 0) throw invalidInput('SSML: an element is not closed');
    return ranks;
}

export interface SplitOptions {
    /** The text is the content of an SSML `<speak>` element: markup is never cut. */
    ssml?: boolean;
}

/**
 * Splits `text` into pieces of at most `limit` code points whose concatenation is `text`. Throws
 * INVALID_INPUT when SSML markup cannot be kept whole (a tag or element longer than the limit,
 * or unbalanced markup).
 */
export function splitText(text: string, limit: number, opts: SplitOptions = {}): string[] {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    const cps = Array.from(text);
    // SSML markup is checked even when no cut is needed.
    const ranks = opts.ssml ? ssmlRanks(cps) : undefined;
    if (cps.length <= limit) return text ? [text] : [];
    return cut(cps, ranks ?? plainRanks(cps), limit, opts.ssml === true);
}

function cut(cps: readonly string[], ranks: readonly Rank[], limit: number, ssml: boolean): string[] {
    const pieces: string[] = [];
    let start = 0;
    while (cps.length - start > limit) {
        let best = -1;
        let bestRank: Rank = Rank.No;
        // The latest position of the best rank in the window: as few pieces as possible.
        for (let i = start + limit; i > start; i--) {
            const r = ranks[i];
            if (r > bestRank) {
                best = i;
                bestRank = r;
                if (r === Rank.Sentence) break;
            }
        }
        if (best < 0) {
            if (ssml) {
                throw invalidInput(`SSML: a tag or element is longer than ${limit} characters and cannot be split`);
            }
            // Only combining marks and joiners in the whole window: cut through them after all.
            best = start + limit;
        }
        pieces.push(cps.slice(start, best).join(''));
        start = best;
    }
    if (start < cps.length) pieces.push(cps.slice(start).join(''));
    return pieces;
}

// ---------------------------------------------------------------------------------------------
// SSML documents
// ---------------------------------------------------------------------------------------------

export interface SsmlDocument {
    /** Everything up to and including the `<speak …>` start tag (an XML declaration included). */
    open: string;
    /** The content of `<speak>`. */
    content: string;
    close: string;
}

const SPEAK_OPEN = /^\s*(?:<\?xml[^>]*\?>\s*)?<speak(?:\s[^>]*)?>/;

/** True when the text is meant as SSML (it starts with `<speak`, after an optional XML declaration). */
export function looksLikeSsml(text: string): boolean {
    return /^\s*(?:<\?xml[^>]*\?>\s*)?<speak[\s>/]/.test(text);
}

/** The root of an SSML text, or INVALID_INPUT when it is not `<speak>…</speak>`. */
export function parseSsml(text: string): SsmlDocument {
    const open = SPEAK_OPEN.exec(text);
    const trimmed = text.trimEnd();
    if (!open || !trimmed.endsWith('</speak>') || trimmed.length - 8 < open[0].length) {
        throw invalidInput('SSML must be one <speak>…</speak> element');
    }
    return {
        open: open[0].trimStart(),
        content: trimmed.slice(open[0].length, trimmed.length - 8),
        close: '</speak>',
    };
}

function codePoints(s: string): number {
    let n = 0;
    for (const _ of s) n++;
    return n;
}

/**
 * The texts to send for one input: pieces of at most `limit` characters, SSML pieces each wrapped
 * in the document's own `<speak>` tags, pieces of whitespace only left out. INVALID_INPUT when
 * nothing remains to speak.
 */
export function planTexts(text: string, limit: number, ssml: boolean): string[] {
    let texts: string[];
    if (ssml) {
        const doc = parseSsml(text);
        const whole = `${doc.open}${doc.content}${doc.close}`;
        const wrapper = codePoints(doc.open) + codePoints(doc.close);
        if (codePoints(whole) <= limit) {
            splitText(doc.content, limit, { ssml: true }); // checks the markup
            texts = doc.content.trim() ? [whole] : [];
        } else {
            if (wrapper >= limit) throw invalidInput(`SSML: the <speak> tag alone is longer than ${limit} characters`);
            texts = splitText(doc.content, limit - wrapper, { ssml: true })
                .filter((piece) => piece.trim() !== '')
                .map((piece) => `${doc.open}${piece}${doc.close}`);
        }
    } else {
        // Spaces around a piece are not spoken; they only cost characters.
        texts = splitText(text, limit)
            .map((piece) => piece.trim())
            .filter((piece) => piece !== '');
    }
    if (texts.length === 0) throw invalidInput('msg.payload has no text to speak');
    return texts;
}
