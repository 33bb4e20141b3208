// Subtitles from recognised sentences: cues that follow the sentence times, split at word times
// (or by characters when the service gave none) into at most two lines of a set width, never
// mid-word, with the speaker when it is known; and their SRT and WebVTT text. Pure: no I/O.
import { compactMeta, type ResultMeta, type Sentence } from './sentences';
import type { NodeMessage } from './types';

export type SubtitleFormat = 'srt' | 'vtt';

export const SUBTITLE_FORMATS: readonly SubtitleFormat[] = ['srt', 'vtt'];

/** Characters per line when none is set: Latin scripts, and Chinese/Japanese. */
export const DEFAULT_LINE_WIDTH = 42;
export const DEFAULT_CJK_LINE_WIDTH = 16;
export const DEFAULT_MAX_LINES = 2;
export const MIN_LINE_WIDTH = 8;
export const MAX_LINE_WIDTH = 200;

export interface SubtitleOptions {
    /** Characters per line; by default 42, or 16 for a sentence written mostly in Chinese/Japanese. */
    lineWidth?: number;
    /** Lines per cue (default 2). */
    maxLines?: number;
    /** Prefix each sentence's first cue with its speaker (`AGENT:`, `USER:`, `CH1:`…) when known (default true). */
    speakers?: boolean;
}

export interface Cue {
    /** Milliseconds. */
    start: number;
    end: number;
    lines: string[];
}

const LETTER = /[\p{L}\p{N}]/u;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

/** A piece of text that is never split: a word, one Chinese/Japanese character, or a speaker label. */
interface Token {
    text: string;
    /** Written after a space (not at the start of a line). */
    space: boolean;
    start: number;
    end: number;
}

interface Unit {
    text: string;
    space: boolean;
    /** Indices of its first and last letter among the sentence's letters; -1 when it has none. */
    first: number;
    last: number;
}

function chars(text: string): string[] {
    return Array.from(text);
}

function width(text: string): number {
    return chars(text).length;
}

/** Splits one whitespace-free word: a word without Chinese/Japanese stays whole; with it, each such character is a unit. */
function splitWord(word: string): string[] {
    if (!CJK.test(word)) return [word];
    const runs: string[] = [];
    let run = '';
    for (const ch of chars(word)) {
        if (CJK.test(ch)) {
            if (run) runs.push(run);
            run = '';
            runs.push(ch);
        } else run += ch;
    }
    if (run) runs.push(run);
    // Punctuation alone (no letter) belongs to the unit before it, or to the next at the start.
    const out: string[] = [];
    let lead = '';
    for (const r of runs) {
        if (!chars(r).some((c) => LETTER.test(c))) {
            if (out.length) out[out.length - 1] += r;
            else lead += r;
        } else {
            out.push(lead + r);
            lead = '';
        }
    }
    if (lead) out.push(lead);
    return out;
}

/** The sentence as units, and its letters (lower case) with the unit each belongs to. */
function unitsOf(text: string): { units: Unit[]; letters: string[] } {
    const units: Unit[] = [];
    const letters: string[] = [];
    for (const word of text.split(/\s+/).filter((w) => w !== '')) {
        for (const [i, piece] of splitWord(word).entries()) {
            const first = letters.length;
            for (const ch of chars(piece)) if (LETTER.test(ch)) letters.push(ch.toLowerCase());
            const unit: Unit = { text: piece, space: i === 0, first, last: letters.length - 1 };
            if (unit.last < unit.first) {
                unit.first = -1;
                unit.last = -1;
            }
            const prev = units[units.length - 1];
            if (unit.first < 0 && prev) {
                // A unit of punctuation only goes with the word before it.
                prev.text += (unit.space ? ' ' : '') + unit.text;
            } else if (prev && prev.first < 0) {
                // …or, at the very start, with the word after it.
                prev.text += (unit.space ? ' ' : '') + unit.text;
                prev.first = unit.first;
                prev.last = unit.last;
            } else units.push(unit);
        }
    }
    if (units[0]) units[0].space = false;
    return { units, letters };
}

/**
 * Start and end of every letter: from the word times where the words can be matched to the text,
 * interpolated by characters between them (and from the sentence's start and end) elsewhere.
 */
function letterTimes(
    letters: string[],
    words: Sentence['word_info'],
    start: number,
    end: number,
): { times: [number, number][]; wordOf: number[] } {
    const n = letters.length;
    const times: ([number, number] | undefined)[] = new Array(n).fill(undefined);
    /** The word_info entry each letter was matched to, or -1. */
    const wordOf: number[] = new Array(n).fill(-1);
    const text = letters.join('');
    // Offsets of each letter in `text` (letters may be more than one UTF-16 unit).
    const offsets: number[] = [];
    let off = 0;
    for (const l of letters) {
        offsets.push(off);
        off += l.length;
    }
    const indexAt = new Map(offsets.map((o, i) => [o, i]));
    let cursor = 0;
    for (const [index, w] of (Array.isArray(words) ? words : []).entries()) {
        const ws = typeof w?.start_time === 'number' && Number.isFinite(w.start_time) ? w.start_time : undefined;
        const we = typeof w?.end_time === 'number' && Number.isFinite(w.end_time) ? w.end_time : undefined;
        if (ws === undefined || we === undefined || typeof w.word !== 'string') continue;
        const wl = chars(w.word)
            .filter((c) => LETTER.test(c))
            .map((c) => c.toLowerCase());
        if (wl.length === 0 || cursor >= n) continue;
        const at = text.indexOf(wl.join(''), offsets[cursor]);
        const i = indexAt.get(at);
        // A word is matched only close to where the last one ended (digits written as words, say, are not found).
        if (i === undefined || i - cursor > Math.max(8, 2 * wl.length)) continue;
        const span = Math.max(0, we - ws);
        for (let k = 0; k < wl.length; k++) {
            times[i + k] = [ws + (span * k) / wl.length, ws + (span * (k + 1)) / wl.length];
            wordOf[i + k] = index;
        }
        cursor = i + wl.length;
    }
    // Letters without a time share the gap between their neighbours evenly.
    const out: [number, number][] = [];
    let i = 0;
    while (i < n) {
        const t = times[i];
        if (t) {
            out.push(t);
            i++;
            continue;
        }
        let j = i;
        while (j < n && !times[j]) j++;
        const from = i > 0 ? out[i - 1][1] : start;
        const to = j < n ? (times[j] as [number, number])[0] : end;
        const gap = Math.max(0, to - from);
        for (let k = i; k < j; k++) {
            out.push([from + (gap * (k - i)) / (j - i), from + (gap * (k - i + 1)) / (j - i)]);
        }
        i = j;
    }
    // Inside the sentence, never going back.
    let last = start;
    for (const t of out) {
        t[0] = Math.min(end, Math.max(last, t[0]));
        t[1] = Math.min(end, Math.max(t[0], t[1]));
        last = t[0];
    }
    return { times: out, wordOf };
}

/**
 * Chinese/Japanese characters the service gave as one word (in word_info) stay together, so a
 * line or a cue never breaks inside that word either.
 */
function joinWords(units: Unit[], wordOf: number[]): Unit[] {
    const out: Unit[] = [];
    for (const u of units) {
        const prev = out[out.length - 1];
        const w = u.first >= 0 ? wordOf[u.first] : -1;
        if (prev && !u.space && w >= 0 && prev.last >= 0 && wordOf[prev.last] === w) {
            prev.text += u.text;
            prev.last = u.last;
        } else out.push({ ...u });
    }
    return out;
}

function isMostlyCjk(letters: string[]): boolean {
    const cjk = letters.filter((l) => CJK.test(l)).length;
    return cjk > 0 && cjk * 2 >= letters.length;
}

/** The speaker of a sentence as a label, when known: its role, else its channel (channel_id 0 is CH1). */
export function speakerLabel(sentence: Sentence): string | undefined {
    if (typeof sentence.role === 'string' && sentence.role.trim() !== '') return `${sentence.role.trim()}:`;
    if (typeof sentence.channel_id === 'number' && Number.isInteger(sentence.channel_id)) {
        return `CH${sentence.channel_id + 1}:`;
    }
    return undefined;
}

function lineWidthFor(letters: string[], opts: SubtitleOptions): number {
    const set = opts.lineWidth;
    if (typeof set === 'number' && Number.isFinite(set) && set >= 1) return Math.floor(set);
    return isMostlyCjk(letters) ? DEFAULT_CJK_LINE_WIDTH : DEFAULT_LINE_WIDTH;
}

function joinTokens(tokens: readonly Token[]): string {
    return tokens.map((t, i) => (i > 0 && t.space ? ` ${t.text}` : t.text)).join('');
}

/** Fills lines greedily; a token longer than the width gets a line of its own. */
function fillLines(tokens: readonly Token[], lineWidth: number): Token[][] {
    const lines: Token[][] = [];
    let line: Token[] = [];
    for (const t of tokens) {
        if (line.length > 0 && width(joinTokens([...line, t])) > lineWidth) {
            lines.push(line);
            line = [];
        }
        line.push(t);
    }
    if (line.length) lines.push(line);
    return lines;
}

/** Two lines as even as the width allows; on a tie the first is the shorter. */
function balanceTwo(tokens: readonly Token[], lineWidth: number, greedy: Token[][]): Token[][] {
    let best = greedy;
    let bestKey = [Math.max(...greedy.map((l) => width(joinTokens(l)))), 2];
    for (let k = 1; k < tokens.length; k++) {
        const a = tokens.slice(0, k);
        const b = tokens.slice(k);
        const wa = width(joinTokens(a));
        const wb = width(joinTokens(b));
        if ((wa > lineWidth && a.length > 1) || (wb > lineWidth && b.length > 1)) continue;
        // A break after punctuation may leave the lines a little less even.
        const bonus = CLAUSE_END.test(a[a.length - 1].text) ? lineWidth / 4 : 0;
        const key = [Math.max(wa, wb) - bonus, wa > wb ? 1 : 0];
        if (key[0] < bestKey[0] || (key[0] === bestKey[0] && key[1] < bestKey[1])) {
            best = [a, b];
            bestKey = key;
        }
    }
    return best;
}

const CLAUSE_END = /[,.;:!?，。、；：！？…]["'”’）)\]]*$/;

/**
 * The tokens of each cue: as many as fit in `maxLines` lines, except that a cue that does not end
 * the sentence rather ends after punctuation in its second half.
 */
function cueGroups(tokens: readonly Token[], lineWidth: number, maxLines: number): Token[][] {
    const groups: Token[][] = [];
    let rest = tokens.slice();
    while (rest.length > 0) {
        const fits = fillLines(rest, lineWidth).slice(0, maxLines).flat().length;
        let cut = fits;
        if (fits < rest.length) {
            const half = width(joinTokens(rest.slice(0, fits))) / 2;
            for (let k = fits - 1; k >= 1; k--) {
                if (width(joinTokens(rest.slice(0, k))) < half) break;
                if (CLAUSE_END.test(rest[k - 1].text)) {
                    cut = k;
                    break;
                }
            }
        }
        groups.push(rest.slice(0, cut));
        rest = rest.slice(cut);
    }
    return groups;
}

/** The cues of one sentence, in order; times not yet reconciled with the other sentences'. */
export function sentenceCues(sentence: Sentence, opts: SubtitleOptions = {}, after = 0): Cue[] {
    const { units, letters } = unitsOf(typeof sentence.text === 'string' ? sentence.text : '');
    if (units.length === 0) return [];
    const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    const start = Math.max(0, finite(sentence.start_time) ?? after);
    const end = Math.max(start, finite(sentence.end_time) ?? start + Math.max(1000, 70 * letters.length));
    const { times, wordOf } = letterTimes(letters, sentence.word_info, start, end);
    const tokens: Token[] = [];
    let t = start;
    for (const u of joinWords(units, wordOf)) {
        const s = u.first >= 0 ? times[u.first][0] : t;
        const e = u.last >= 0 ? times[u.last][1] : s;
        tokens.push({ text: u.text, space: u.space, start: s, end: e });
        t = e;
    }
    const label = opts.speakers === false ? undefined : speakerLabel(sentence);
    if (label) {
        tokens[0].space = true;
        tokens.unshift({ text: label, space: false, start, end: start });
    }
    const lineWidth = lineWidthFor(letters, opts);
    const maxLines = Math.max(1, Math.floor(opts.maxLines ?? DEFAULT_MAX_LINES));
    const groups = cueGroups(tokens, lineWidth, maxLines);
    const cues: Cue[] = groups.map((group) => {
        let cueLines = fillLines(group, lineWidth);
        if (maxLines === 2 && cueLines.length === 2) cueLines = balanceTwo(group, lineWidth, cueLines);
        // Inside a cue the tokens follow one another: a line never starts with a space.
        return {
            start: group[0].start,
            end: group[group.length - 1].end,
            lines: cueLines.map((l) => joinTokens(l.map((x, i) => (i === 0 ? { ...x, space: false } : x)))),
        };
    });
    // The sentence's times frame its cues, and each cue lasts until the next one starts.
    cues[0].start = start;
    for (let i = 0; i + 1 < cues.length; i++) cues[i].end = Math.max(cues[i].start, cues[i + 1].start);
    cues[cues.length - 1].end = end;
    return cues;
}

/**
 * The cues of all sentences, in time order: whole milliseconds, each lasting at least 1 ms, none
 * overlapping the next (speech on two channels at once: the earlier cue ends where the next starts).
 */
export function buildCues(sentences: readonly Sentence[], opts: SubtitleOptions = {}): Cue[] {
    const raw: Cue[] = [];
    let after = 0;
    for (const s of sentences) {
        const cues = sentenceCues(s, opts, after);
        if (cues.length) after = cues[cues.length - 1].end;
        raw.push(...cues);
    }
    const cues = raw
        .map((c) => ({ ...c, start: Math.round(c.start), end: Math.round(c.end) }))
        .sort((a, b) => a.start - b.start);
    for (let i = 0; i < cues.length; i++) {
        const c = cues[i];
        const duration = Math.max(1, c.end - c.start);
        const p = cues[i - 1];
        if (p && c.start < p.end) {
            if (c.start > p.start) p.end = c.start;
            else c.start = p.end;
        }
        if (c.end <= c.start) c.end = c.start + duration;
    }
    return cues;
}

/** `HH:MM:SS,mmm` (SRT) or `HH:MM:SS.mmm` (WebVTT); hours take more than two digits when needed. */
export function formatTimestamp(ms: number, format: SubtitleFormat): string {
    const total = Math.max(0, Math.round(Number.isFinite(ms) ? ms : 0));
    const h = Math.floor(total / 3_600_000);
    const m = Math.floor(total / 60_000) % 60;
    const s = Math.floor(total / 1000) % 60;
    const frac = total % 1000;
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${format === 'srt' ? ',' : '.'}${pad(frac, 3)}`;
}

function escapeVtt(text: string): string {
    return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A SubRip file: numbered cues, CRLF line ends. Empty when there is no cue. */
export function toSrt(cues: readonly Cue[]): string {
    return cues
        .map(
            (c, i) =>
                `${i + 1}\r\n${formatTimestamp(c.start, 'srt')} --> ${formatTimestamp(c.end, 'srt')}\r\n${c.lines.join('\r\n')}\r\n\r\n`,
        )
        .join('');
}

/** WebVTT cue blocks without the header, each followed by a blank line (`&`, `<`, `>` escaped). */
export function toVttCues(cues: readonly Cue[]): string {
    return cues
        .map(
            (c) =>
                `${formatTimestamp(c.start, 'vtt')} --> ${formatTimestamp(c.end, 'vtt')}\n${c.lines.map(escapeVtt).join('\n')}\n\n`,
        )
        .join('');
}

/** A WebVTT file: the `WEBVTT` header, then the cues. */
export function toVtt(cues: readonly Cue[]): string {
    return `WEBVTT\n\n${toVttCues(cues)}`;
}

/** The whole subtitle file of the sentences. */
export function subtitleText(
    sentences: readonly Sentence[],
    format: SubtitleFormat,
    opts: SubtitleOptions = {},
): string {
    const cues = buildCues(sentences, opts);
    return format === 'srt' ? toSrt(cues) : toVtt(cues);
}

/** The WebVTT cue block(s) of one sentence, on its own timeline; empty for a sentence without text. */
export function sentenceVttCue(sentence: Sentence, opts: SubtitleOptions = {}): string {
    return toVttCues(buildCues([sentence], opts));
}

/** What a subtitle file is named after: the input's own file name (audio bytes), an OBS key or a URL. */
export type SubtitleSource = { filename?: unknown } | { obsKey: string } | { url: string };

/**
 * The name a subtitle file takes after: the input's `msg.filename` as it is (beside the
 * recording), or the last part of an OBS key or of a URL's path (a URL's query, which may hold a
 * signature, is never part of it).
 */
export function subtitleSourceName(source: SubtitleSource | undefined): string | undefined {
    let name: string | undefined;
    if (source && 'obsKey' in source) name = source.obsKey.split('/').pop();
    else if (source && 'url' in source) {
        try {
            name = decodeURIComponent(new URL(source.url).pathname.split('/').pop() ?? '');
        } catch {
            name = undefined;
        }
    } else if (source && typeof source.filename === 'string') name = source.filename.trim();
    return name || undefined;
}

/**
 * The suggested `msg.filename`: the source's name (see subtitleSourceName) with its extension
 * replaced, else `subtitles.<ext>`.
 */
export function subtitleFilename(source: SubtitleSource | undefined, format: SubtitleFormat): string {
    const name = subtitleSourceName(source) ?? '';
    const cut = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1;
    const file = name.slice(cut);
    const dot = file.lastIndexOf('.');
    const stem = dot > 0 ? file.slice(0, dot) : file;
    return stem ? `${name.slice(0, cut)}${stem}.${format}` : `subtitles.${format}`;
}

/** The line width setting of a node: a whole number in range, or undefined for the default by script. */
export function lineWidthSetting(value: unknown): number | undefined {
    const n = typeof value === 'number' ? value : Number.parseInt(String(value ?? '').trim(), 10);
    if (!Number.isFinite(n)) return undefined;
    return Math.min(MAX_LINE_WIDTH, Math.max(MIN_LINE_WIDTH, Math.round(n)));
}

/**
 * One message for the whole input: the subtitle file in `payload`, a suggested `filename` (for a
 * file node) and the result's details. Reuses the input.
 */
export function subtitleMessage(
    input: NodeMessage,
    sentences: readonly Sentence[],
    meta: ResultMeta,
    format: SubtitleFormat,
    filename: string,
    opts: SubtitleOptions = {},
): NodeMessage {
    input.payload = subtitleText(sentences, format, opts);
    (input as NodeMessage & { filename?: string }).filename = filename;
    input.sis_result = compactMeta(meta);
    return input;
}
