import * as assert from 'node:assert/strict';
import { jsonText, parseJsonWithBase64 } from '../../nodes/lib/cloud/json-base64';

const PATH = ['result', 'data'] as const;
/** Bytes whose base64 has `+` and `/` in it. */
const AUDIO = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 131 + 7) & 0xff));
const B64 = AUDIO.toString('base64');

function answer(text: string): Buffer {
    return Buffer.from(text, 'utf8');
}

describe('JSON answers with a base64 field', () => {
    it('decodes result.data from the bytes and leaves it out of the parsed answer', () => {
        const out = parseJsonWithBase64(answer(JSON.stringify({ trace_id: 't-1', result: { data: B64 } })), PATH);
        assert.deepEqual(out.binary, AUDIO);
        assert.deepEqual(out.json, { trace_id: 't-1', result: {} });
    });

    it('takes any spacing and key order', () => {
        const text = `{\n  "result" : {\n    "format": "wav",\n    "data"\t:\r\n "${B64}"\n  },\n  "trace_id": "t-2"\n}`;
        const out = parseJsonWithBase64(answer(text), PATH);
        assert.deepEqual(out.binary, AUDIO);
        assert.deepEqual(out.json, { result: { format: 'wav' }, trace_id: 't-2' });
    });

    it('gives the same bytes when the base64 is written with escaped slashes', () => {
        const escaped = JSON.stringify({ result: { data: B64 } }).replace(/\//g, '\\/');
        assert.ok(escaped.includes('\\/'));
        const out = parseJsonWithBase64(answer(escaped), PATH);
        assert.deepEqual(out.binary, AUDIO);
        assert.deepEqual(out.json, { result: {} });
    });

    it('finds the field under its parents when another "data" comes first', () => {
        const text = JSON.stringify({ meta: { data: 'QUJD' }, note: '"data":"x"', result: { data: B64 } });
        const out = parseJsonWithBase64(answer(text), PATH);
        assert.deepEqual(out.binary, AUDIO);
        assert.deepEqual(out.json, { meta: { data: 'QUJD' }, note: '"data":"x"', result: {} });
    });

    it('keeps text outside the field that is not ASCII', () => {
        const text = JSON.stringify({ trace_id: '追踪-1', result: { data: B64, voice: '小燕' } });
        const out = parseJsonWithBase64(answer(text), PATH);
        assert.deepEqual(out.binary, AUDIO);
        assert.deepEqual(out.json, { trace_id: '追踪-1', result: { voice: '小燕' } });
    });

    it('gives no bytes when the field is missing or not a string', () => {
        for (const body of [{ result: {} }, { result: { data: null } }, { result: { data: 5 } }, { other: 1 }]) {
            const out = parseJsonWithBase64(answer(JSON.stringify(body)), PATH);
            assert.equal(out.binary, undefined, JSON.stringify(body));
            assert.deepEqual(out.json, body);
        }
    });

    it('decodes an empty field as empty bytes', () => {
        const out = parseJsonWithBase64(answer('{"result":{"data":""}}'), PATH);
        assert.deepEqual(out.binary, Buffer.alloc(0));
    });

    it('throws as JSON.parse does for an answer that is not JSON', () => {
        assert.throws(() => parseJsonWithBase64(answer('{"result":{"data":"QUJD"'), PATH), SyntaxError);
        assert.throws(() => parseJsonWithBase64(answer('<html>busy</html>'), PATH), SyntaxError);
    });

    it('reads ASCII and UTF-8 text alike', () => {
        assert.equal(jsonText(answer('{"a":"plain"}')), '{"a":"plain"}');
        assert.equal(jsonText(answer('{"a":"你好"}')), '{"a":"你好"}');
    });
});
