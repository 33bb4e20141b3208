import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { base64Length, decodeBase64, writeBase64 } from '../../nodes/lib/cloud/base64';

/** 64 KiB of base64 text, 48 KiB of bytes: one piece. */
const PIECE_CHARS = 64 * 1024;
const PIECE_BYTES = 48 * 1024;

function bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = (i * 131 + (i >> 8)) & 0xff;
    return out;
}

describe('base64 a piece at a time', () => {
    it('writes the same text as one toString, on, before and after every piece boundary', () => {
        for (const n of [0, 1, 2, 3, PIECE_BYTES - 1, PIECE_BYTES, PIECE_BYTES + 1, 2 * PIECE_BYTES + 2, 300 * 1024]) {
            const source = bytes(n);
            const target = Buffer.alloc(base64Length(n) + 2, '#');
            const written = writeBase64(target, 1, source);
            assert.equal(written, base64Length(n), `${n} bytes`);
            assert.equal(target.toString('latin1'), `#${source.toString('base64')}#`, `${n} bytes`);
        }
    });

    it('decodes as one Buffer.from would, on, before and after every piece boundary', () => {
        for (const chars of [4, PIECE_CHARS - 4, PIECE_CHARS, PIECE_CHARS + 4, 2 * PIECE_CHARS, 3 * PIECE_CHARS + 8]) {
            for (const cut of [0, 1, 2]) {
                const audio = bytes((chars / 4) * 3 - cut);
                const text = Buffer.from(`{"data":"${audio.toString('base64')}"}`);
                assert.ok(decodeBase64(text, 9, text.length - 2).equals(audio), `${chars} characters, ${cut} short`);
            }
        }
    });

    it('decodes text with characters the decoder skips as the whole text would be, wherever they are', () => {
        const data = Buffer.alloc(300 * 1024, 7).toString('base64');
        for (const at of [10, PIECE_CHARS - 1, PIECE_CHARS, PIECE_CHARS + 3, 3 * PIECE_CHARS + 1]) {
            for (const stray of [' ', '  ', '=', '%', ' A']) {
                const text = `${data.slice(0, at)}${stray}${data.slice(at)}`;
                assert.ok(
                    decodeBase64(Buffer.from(text)).equals(Buffer.from(text, 'base64')),
                    `${JSON.stringify(stray)} at ${at}`,
                );
            }
        }
    });

    it('round-trips any bytes', () => {
        fc.assert(
            fc.property(fc.uint8Array({ maxLength: 3 * PIECE_BYTES }), (audio) => {
                const source = Buffer.from(audio);
                const text = Buffer.alloc(base64Length(source.length));
                writeBase64(text, 0, source);
                assert.ok(decodeBase64(text).equals(source));
            }),
            { numRuns: 40 },
        );
    });
});
