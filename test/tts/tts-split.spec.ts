import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { looksLikeSsml, parseSsml, planTexts, splitText } from '../../nodes/lib/tts/split';

const cps = (s: string): number => Array.from(s).length;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Characters of every kind the splitter treats differently, surrogate pairs and marks included. */
const unit = fc.constantFrom(
    'a',
    'b',
    'Z',
    '7',
    '天',
    '气',
    '很',
    '好',
    ' ',
    ' ',
    '\n',
    '\t',
    '.',
    ',',
    '!',
    '?',
    ';',
    ':',
    '。',
    '，',
    '、',
    '！',
    '？',
    '；',
    '：',
    '…',
    '”',
    '"',
    ')',
    '）',
    '😀',
    '👍🏽',
    'é',
    'e\u0301',
    '\u200d',
    '<',
    '>',
    '&',
);

function depthOk(piece: string): boolean {
    // Well-formed run of markup: every tag closed, elements balanced, never below zero.
    let depth = 0;
    const tags = piece.match(/<[^<>]*>|<|>/g) ?? [];
    for (const tag of tags) {
        if (tag === '<') return false;
        if (tag === '>') continue;
        if (tag.startsWith('</')) depth--;
        else if (!tag.endsWith('/>') && !tag.startsWith('<!') && !tag.startsWith('<?')) depth++;
        if (depth < 0) return false;
    }
    return depth === 0;
}

describe('sis-tts text splitting', () => {
    describe('properties', () => {
        it('pieces join back to the input, each within the limit, whole code points only', () => {
            fc.assert(
                fc.property(
                    fc.string({ unit, maxLength: 1500, size: 'large' }),
                    fc.integer({ min: 1, max: 120 }),
                    (text, limit) => {
                        const pieces = splitText(text, limit);
                        assert.equal(pieces.join(''), text);
                        for (const p of pieces) {
                            assert.ok(cps(p) >= 1 && cps(p) <= limit, `piece of ${cps(p)} > ${limit}`);
                            assert.ok(!LONE_SURROGATE.test(p), 'no lone surrogate');
                        }
                        if (text) assert.equal(pieces.length >= Math.ceil(cps(text) / limit), true);
                    },
                ),
                { numRuns: 1000 },
            );
        });

        const words = fc.stringMatching(/^[a-z]{1,8}$/);
        const hanzi = fc.stringMatching(/^[\u4e00-\u4e20]{1,6}$/);

        it('cuts only between sentences when every sentence fits', () => {
            const sentence = fc.oneof(
                fc
                    .tuple(
                        fc.array(words, { minLength: 1, maxLength: 6 }),
                        fc.constantFrom('. ', '! ', '? ', '."  ', '.\n'),
                    )
                    .map(([w, end]) => `${w.join(' ')}${end}`),
                fc
                    .tuple(
                        fc.array(hanzi, { minLength: 1, maxLength: 4 }),
                        fc.constantFrom('。', '！', '？', '。”', '…'),
                    )
                    .map(([w, end]) => `${w.join('，')}${end}`),
            );
            fc.assert(
                fc.property(
                    fc.array(sentence, { minLength: 1, maxLength: 40, size: 'medium' }),
                    fc.integer({ min: 0, max: 40 }),
                    (list, extra) => {
                        const limit = Math.max(...list.map(cps)) + extra;
                        const text = list.join('');
                        const ends = new Set<number>();
                        let at = 0;
                        for (const s of list) {
                            at += s.length;
                            ends.add(at);
                        }
                        let pos = 0;
                        for (const piece of splitText(text, limit)) {
                            pos += piece.length;
                            assert.ok(ends.has(pos), `cut at ${pos} is not a sentence end: ${JSON.stringify(piece)}`);
                        }
                    },
                ),
                { numRuns: 500 },
            );
        });

        it('in a sentence too long, cuts at commas; without punctuation, at spaces', () => {
            const clause = fc
                .tuple(fc.array(words, { minLength: 1, maxLength: 5 }), fc.constantFrom(', ', '; ', '，', '、', '：'))
                .map(([w, sep]) => `${w.join(' ')}${sep}`);
            fc.assert(
                fc.property(fc.array(clause, { minLength: 2, maxLength: 30, size: 'medium' }), (list) => {
                    const limit = Math.max(...list.map(cps));
                    const text = `${list.join('')}end.`;
                    const ends = new Set<number>([text.length]);
                    let at = 0;
                    for (const c of list) {
                        at += c.length;
                        ends.add(at);
                    }
                    let pos = 0;
                    for (const piece of splitText(text, Math.max(limit, 4))) {
                        pos += piece.length;
                        assert.ok(ends.has(pos), `cut at ${pos} is not after a comma: ${JSON.stringify(piece)}`);
                    }
                }),
                { numRuns: 500 },
            );
            fc.assert(
                fc.property(fc.array(words, { minLength: 2, maxLength: 60, size: 'medium' }), (list) => {
                    const text = list.join(' ');
                    const limit = Math.max(...list.map((w) => w.length + 1));
                    for (const piece of splitText(text, limit).slice(0, -1)) {
                        assert.match(piece, /^[a-z]+( [a-z]+)* $/, 'pieces end after a space, words whole');
                    }
                }),
                { numRuns: 500 },
            );
        });

        // SSML content: text runs and elements, each element shorter than the limit.
        const safeText = fc.string({
            unit: fc.constantFrom('a', 'b', ' ', '天', '气', '。', '，', '.', ',', '!', '？'),
            minLength: 1,
            maxLength: 40,
        });
        const element = fc.oneof(
            fc.constantFrom('<break time="300ms"/>', '<break/>', '&amp;', '<!-- note -->'),
            safeText.map((t) => `<say-as interpret-as="money">${t}</say-as>`),
            safeText.map((t) => `<phoneme alphabet="py" ph="tian1 qi1">${t}</phoneme>`),
            fc.tuple(safeText, safeText).map(([a, b]) => `<prosody rate="fast">${a}<break time="1s"/>${b}</prosody>`),
            fc.tuple(safeText, safeText).map(([a, b]) => `<sub alias="${a.replace(/["<>&]/g, '')}">${b}</sub>`),
        );
        const content = fc
            .array(fc.oneof(safeText, element), { minLength: 1, maxLength: 60, size: 'medium' })
            .map((l) => l.join(''));

        it('never cuts SSML markup: every piece is balanced, joins back, and fits with its <speak> wrapper', () => {
            fc.assert(
                fc.property(content, fc.integer({ min: 140, max: 400 }), (inner, limit) => {
                    const open = '<speak xml:lang="zh-CN">';
                    const doc = `${open}${inner}</speak>`;
                    const pieces = splitText(inner, limit - cps(open) - 8, { ssml: true });
                    assert.equal(pieces.join(''), inner);
                    for (const p of pieces) assert.ok(depthOk(p), `markup cut: ${JSON.stringify(p)}`);
                    if (inner.trim() === '') {
                        assert.throws(() => planTexts(doc, limit, true), { code: 'INVALID_INPUT' });
                        return;
                    }
                    for (const text of planTexts(doc, limit, true)) {
                        assert.ok(cps(text) <= limit);
                        assert.ok(text.startsWith(open) && text.endsWith('</speak>'));
                        assert.ok(depthOk(text));
                        assert.ok(!/&[#\w]*$/.test(text.slice(0, -8)), 'no entity cut');
                    }
                }),
                { numRuns: 1000 },
            );
        });
    });

    describe('examples', () => {
        it('prefers the sentence end, then commas, then spaces, then a hard cut', () => {
            assert.deepEqual(splitText('今天天气很好。我们去公园，好吗？', 10), [
                '今天天气很好。',
                '我们去公园，好吗？',
            ]);
            assert.deepEqual(splitText('Pi is 3.14 and 1,000 is big. Yes it is.', 30), [
                'Pi is 3.14 and 1,000 is big. ',
                'Yes it is.',
            ]);
            assert.deepEqual(splitText('one, two three four', 12), ['one, ', 'two three ', 'four']);
            assert.deepEqual(splitText('一二三四五六七八九十一二', 5), ['一二三四五', '六七八九十', '一二']);
            assert.deepEqual(splitText('她说：“好的。”然后走了。', 8), ['她说：“好的。”', '然后走了。']);
        });

        it('keeps a character and its combining mark or emoji modifier together', () => {
            assert.deepEqual(splitText('abe\u0301cd', 3), ['ab', 'e\u0301c', 'd']);
            assert.deepEqual(splitText('ab👍🏽cd', 3), ['ab', '👍🏽c', 'd']);
        });

        it('recognises and unwraps SSML documents', () => {
            assert.ok(looksLikeSsml('  <speak>hi</speak>'));
            assert.ok(looksLikeSsml('<?xml version="1.0"?><speak version="1.1">hi</speak>'));
            assert.ok(!looksLikeSsml('speak <b>'));
            assert.deepEqual(parseSsml('<speak a="1">x<break/>y</speak>\n'), {
                open: '<speak a="1">',
                content: 'x<break/>y',
                close: '</speak>',
            });
        });

        it('wraps each SSML piece in the document root', () => {
            const doc = `<speak>${'欢迎光临。'.repeat(4)}<say-as interpret-as="money">15.55 RMB</say-as>。</speak>`;
            const texts = planTexts(doc, 70, true);
            assert.ok(texts.length > 1);
            for (const t of texts) assert.match(t, /^<speak>.*<\/speak>$/);
            assert.equal(texts.map((t) => t.slice(7, -8)).join(''), doc.slice(7, -8));
        });

        const refused: [string, () => unknown, RegExp][] = [
            [
                'an element longer than the limit',
                () => planTexts(`<speak><sub alias="x">${'字'.repeat(80)}</sub></speak>`, 60, true),
                /longer than/,
            ],
            [
                'a tag that never closes',
                () => planTexts('<speak>abc <break time="1s" </speak>', 500, true),
                /not closed/,
            ],
            ['an element that never closes', () => planTexts('<speak><say-as>abc</speak>', 500, true), /not closed/],
            ['a stray closing tag', () => planTexts('<speak>abc</say-as></speak>', 500, true), /no opening/],
            ['SSML without its closing root', () => planTexts('<speak>abc', 500, true), /<speak>/],
            ['whitespace only', () => planTexts('  \n ', 500, false), /no text/],
        ];
        for (const [what, run, pattern] of refused) {
            it(`refuses ${what} with INVALID_INPUT`, () => {
                assert.throws(
                    run,
                    (err: Error & { code?: string }) => err.code === 'INVALID_INPUT' && pattern.test(err.message),
                );
            });
        }

        it('leaves pieces of whitespace out of the requests', () => {
            assert.deepEqual(planTexts(`Hi.${' '.repeat(30)}Bye.`, 10, false), ['Hi.', 'Bye.']);
        });
    });
});
