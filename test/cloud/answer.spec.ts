import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAnswer } from '../../nodes/lib/cloud/answer';

const AUDIO_AT = ['result', 'data'];

function answer(value: unknown): Buffer {
    return Buffer.from(JSON.stringify(value));
}

describe('JSON answers', () => {
    it('decodes a synthesis answer’s audio straight from its bytes and parses the rest', () => {
        const audio = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255]);
        const { value, bytes } = parseAnswer(
            answer({ result: { data: audio.toString('base64') }, trace_id: 'T-1' }),
            AUDIO_AT,
        );
        assert.deepEqual(bytes, audio);
        assert.deepEqual(value, { result: { data: '' }, trace_id: 'T-1' });
    });

    it('parses the whole answer when the first "data" is another one, holds an escape or is empty', () => {
        const cases: [string, unknown][] = [
            ['{"meta":{"data":"QUJD"},"result":{"data":"REVG"}}', { meta: { data: 'QUJD' }, result: { data: 'REVG' } }],
            ['{"result":{"data":"QU\\/JD"}}', { result: { data: 'QU/JD' } }],
            ['{"result":{"data": "QUJD"}}', { result: { data: 'QUJD' } }],
            ['{"result":{"data":""}}', { result: { data: '' } }],
            ['{"x":{"data":"QUJD"},"result":{"data": ""}}', { x: { data: 'QUJD' }, result: { data: '' } }],
            // The stand-in's own escape elsewhere: it could not tell the two apart.
            ['{"x":{"data":"QUJD"},"result":{"data":"\\u0001"}}', { x: { data: 'QUJD' }, result: { data: '\u0001' } }],
            ['{"text":"你好","result":{}}', { text: '你好', result: {} }],
        ];
        for (const [text, expected] of cases) {
            const { value, bytes } = parseAnswer(Buffer.from(text), AUDIO_AT);
            assert.equal(bytes, undefined, text);
            assert.deepEqual(value, expected, text);
        }
        assert.throws(() => parseAnswer(Buffer.from('{"result":{"data":"QUJD"'), AUDIO_AT), SyntaxError);
        assert.deepEqual(parseAnswer(Buffer.from('{"a":"你好"}')).value, { a: '你好' });
    });

    it('decodes long audio (several pieces of base64) straight from the answer', () => {
        const audio = Buffer.alloc(300 * 1024);
        for (let i = 0; i < audio.length; i++) audio[i] = (i * 131 + (i >> 8)) & 0xff;
        const { value, bytes } = parseAnswer(answer({ result: { data: audio.toString('base64') } }), AUDIO_AT);
        assert.ok(bytes?.equals(audio));
        assert.deepEqual(value, { result: { data: '' } });
    });

    it('gives the same answer as JSON.parse with the audio decoded, whatever else it holds', () => {
        fc.assert(
            fc.property(
                fc.uint8Array({ maxLength: 300 }),
                // Other fields, with text that looks like the key, quotes, backslashes and non-ASCII.
                fc.dictionary(
                    fc.constantFrom('trace_id', 'data', 'meta', 'text'),
                    fc.oneof(fc.string(), fc.constantFrom('"data":"', '\\', '你好 "data":"QUJD"')),
                ),
                fc.boolean(),
                (audio, others, first) => {
                    const data = Buffer.from(audio).toString('base64');
                    const value = first ? { result: { data }, ...others } : { ...others, result: { data } };
                    const parsed = parseAnswer(answer(value), AUDIO_AT);
                    const text = parsed.bytes
                        ? parsed.bytes.toString('base64')
                        : (parsed.value as typeof value).result.data;
                    assert.equal(text, data);
                    assert.deepEqual({ ...(parsed.value as object), result: { data } }, { ...value, result: { data } });
                },
            ),
            { numRuns: 300 },
        );
    });
});
