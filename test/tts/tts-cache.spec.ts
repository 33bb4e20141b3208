// The phrase cache of sis-tts: keys, the byte bound, recency, copies, and a folder that outlives
// the cache object.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PhraseCache, phraseKey } from '../../nodes/lib/tts/cache';

const shape = {
    property: 'chinese_xiaoyan_common',
    audio_format: 'wav',
    sample_rate: '16000',
    speed: 0,
    pitch: 0,
    volume: 50,
};
const bytes = (n: number, fill = 1): Buffer => Buffer.alloc(n, fill);

describe('sis-tts phrase cache', () => {
    it('keys on the text and everything that shapes the audio', () => {
        const base = phraseKey('火警', shape);
        assert.match(base, /^[0-9a-f]{64}$/);
        assert.equal(phraseKey('火警', { ...shape }), base);
        for (const other of [
            phraseKey('火警！', shape),
            phraseKey('火警', { ...shape, property: 'chinese_xiaoqi_common' }),
            phraseKey('火警', { ...shape, audio_format: 'mp3' }),
            phraseKey('火警', { ...shape, sample_rate: '8000' }),
            phraseKey('火警', { ...shape, speed: 10 }),
            phraseKey('火警', { ...shape, pitch: 10 }),
            phraseKey('火警', { ...shape, volume: 60 }),
        ]) {
            assert.notEqual(other, base);
        }
    });

    it('keeps at most its bound in bytes, least recently used out first', async () => {
        const cache = new PhraseCache({ maxBytes: 300 });
        await cache.set('a', { audio: bytes(100) });
        await cache.set('b', { audio: bytes(100) });
        await cache.set('c', { audio: bytes(100) });
        assert.ok(await cache.get('a'), 'a used: b is now the oldest');
        await cache.set('d', { audio: bytes(100) });
        assert.equal(cache.bytes, 300);
        assert.equal(await cache.get('b'), undefined);
        assert.ok(await cache.get('a'));
        assert.ok(await cache.get('d'));
        await cache.set('huge', { audio: bytes(301) });
        assert.equal(await cache.get('huge'), undefined, 'larger than the bound: not kept');
        assert.equal(cache.bytes, 300);
    });

    it('hands out copies: changing an answer does not change the cache', async () => {
        const cache = new PhraseCache({ maxBytes: 1000 });
        const audio = bytes(10, 7);
        await cache.set('k', { audio, sampleRate: 16000, durationMs: 1200 });
        audio.fill(0);
        const first = await cache.get('k');
        assert.deepEqual(first, { audio: bytes(10, 7), sampleRate: 16000, durationMs: 1200 });
        first?.audio.fill(9);
        assert.deepEqual((await cache.get('k'))?.audio, bytes(10, 7));
    });

    it('in a folder, survives a new cache object and keeps the bound there too', async () => {
        const dir = path.join(mkdtempSync(path.join(tmpdir(), 'sis-tts-cache-')), 'phrases');
        try {
            const key = phraseKey('火警', shape);
            const first = new PhraseCache({ maxBytes: 250, dir });
            await first.set(key, { audio: bytes(100, 3), sampleRate: 16000, durationMs: 900 });
            const second = new PhraseCache({ maxBytes: 250, dir });
            assert.deepEqual(await second.get(key), { audio: bytes(100, 3), sampleRate: 16000, durationMs: 900 });
            await second.set(phraseKey('b', shape), { audio: bytes(100) });
            await second.set(phraseKey('c', shape), { audio: bytes(100) });
            assert.equal(second.bytes, 200);
            assert.equal(await second.get(key), undefined, 'the oldest went');
            await new Promise((r) => setTimeout(r, 50));
            assert.equal(readdirSync(dir).length, 4, 'two phrases, audio and details each');
        } finally {
            rmSync(path.dirname(dir), { recursive: true, force: true });
        }
    });
});
