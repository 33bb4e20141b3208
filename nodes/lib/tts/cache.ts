// A cache of synthesized phrases, so that a repeated alert costs no request and answers at once:
// keyed by everything that shapes the audio (text, voice, format, sample rate, speed, pitch,
// volume), bounded in bytes, least recently used out first; in memory, or in a folder that
// outlives restarts.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

export interface CachedPhrase {
    audio: Buffer;
    sampleRate?: number;
    durationMs?: number;
}

export interface PhraseShape {
    property: string;
    audio_format: string;
    sample_rate: string | number;
    speed?: number;
    pitch?: number;
    volume?: number;
}

/** The cache key of a phrase: a hash of the text and everything that shapes its audio. */
export function phraseKey(text: string, shape: PhraseShape): string {
    const parts = [
        text,
        shape.property,
        shape.audio_format,
        String(shape.sample_rate),
        shape.speed ?? 0,
        shape.pitch ?? 0,
        shape.volume ?? 50,
    ];
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

interface Entry {
    bytes: number;
    /** In memory: the phrase; in a folder: undefined (read from its file). */
    phrase?: CachedPhrase;
}

const KEY_RE = /^[0-9a-f]{64}$/;

export interface PhraseCacheOptions {
    /** The most audio the cache holds, in bytes; a phrase larger than this is not kept. */
    maxBytes: number;
    /** A folder to keep phrases in (created when missing); none: memory only. */
    dir?: string;
}

export class PhraseCache {
    /** Insertion order is recency: the first entry is the least recently used. */
    private readonly entries = new Map<string, Entry>();
    private total = 0;
    private loaded: Promise<void> | undefined;

    constructor(private readonly opts: PhraseCacheOptions) {}

    /** Bytes of audio held. */
    get bytes(): number {
        return this.total;
    }

    get size(): number {
        return this.entries.size;
    }

    async get(key: string): Promise<CachedPhrase | undefined> {
        await this.load();
        const entry = this.entries.get(key);
        if (!entry) return undefined;
        // A copy: whoever gets it may change its bytes.
        let phrase = entry.phrase ? { ...entry.phrase, audio: Buffer.from(entry.phrase.audio) } : undefined;
        if (!phrase && this.opts.dir) {
            try {
                const [audio, meta] = await Promise.all([
                    readFile(this.file(key, 'audio')),
                    readFile(this.file(key, 'json'), 'utf8'),
                ]);
                const info = JSON.parse(meta) as { sampleRate?: number; durationMs?: number };
                phrase = { audio, sampleRate: info.sampleRate, durationMs: info.durationMs };
            } catch {
                this.forget(key);
                return undefined;
            }
        }
        // Most recently used now.
        this.entries.delete(key);
        this.entries.set(key, entry);
        return phrase;
    }

    async set(key: string, phrase: CachedPhrase): Promise<void> {
        const bytes = phrase.audio.length;
        if (bytes > this.opts.maxBytes) return;
        await this.load();
        this.forget(key);
        if (this.opts.dir) {
            await mkdir(this.opts.dir, { recursive: true });
            const meta = JSON.stringify({ sampleRate: phrase.sampleRate, durationMs: phrase.durationMs });
            await writeFile(this.file(key, 'json'), meta);
            await writeFile(this.file(key, 'audio'), phrase.audio);
            this.entries.set(key, { bytes });
        } else {
            this.entries.set(key, { bytes, phrase: { ...phrase, audio: Buffer.from(phrase.audio) } });
        }
        this.total += bytes;
        await this.evict();
    }

    private file(key: string, ext: 'audio' | 'json'): string {
        return path.join(this.opts.dir ?? '', `${key}.${ext}`);
    }

    private forget(key: string): void {
        const entry = this.entries.get(key);
        if (!entry) return;
        this.entries.delete(key);
        this.total -= entry.bytes;
        if (this.opts.dir) void this.remove(key);
    }

    private async remove(key: string): Promise<void> {
        await Promise.all([
            rm(this.file(key, 'audio'), { force: true }),
            rm(this.file(key, 'json'), { force: true }),
        ]).catch(() => undefined);
    }

    private async evict(): Promise<void> {
        for (const key of this.entries.keys()) {
            if (this.total <= this.opts.maxBytes) break;
            this.forget(key);
        }
    }

    /** A folder cache starts with what the folder holds, oldest first. */
    private load(): Promise<void> {
        const dir = this.opts.dir;
        if (!dir) return Promise.resolve();
        this.loaded ??= (async () => {
            let names: string[];
            try {
                names = await readdir(dir);
            } catch {
                return;
            }
            const found: { key: string; bytes: number; at: number }[] = [];
            for (const name of names) {
                const key = name.slice(0, -'.audio'.length);
                if (!name.endsWith('.audio') || !KEY_RE.test(key) || !names.includes(`${key}.json`)) continue;
                try {
                    const st = await stat(path.join(dir, name));
                    found.push({ key, bytes: st.size, at: st.mtimeMs });
                } catch {
                    // gone meanwhile
                }
            }
            found.sort((a, b) => a.at - b.at);
            for (const f of found) {
                if (this.entries.has(f.key)) continue;
                this.entries.set(f.key, { bytes: f.bytes });
                this.total += f.bytes;
            }
            await this.evict();
        })();
        return this.loaded;
    }
}
