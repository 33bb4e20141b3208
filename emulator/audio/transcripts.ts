// Transcript registry. Audio is known under several keys:
//  - the SHA-256 of its bytes (hex), as `register` and the admin API take it;
//  - for WAV files, one fingerprint per channel (see fingerprint.ts) with that channel's share of
//    the sentences, so the same speech arriving as raw PCM, or streamed over a WebSocket, still
//    finds its transcript. Hashing decoded samples rather than bytes is what makes that work.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TranscriptRegistry } from '../types';
import { analyseChannel } from './fingerprint';
import { decodeWav, isWav } from './wav';

/** Silence that ends a sentence when whole files are recognised (the RASR default `vad_tail`). */
export const FILE_TAIL_MS = 500;

export function sha256Hex(data: Buffer): string {
    return createHash('sha256').update(data).digest('hex');
}

/** Fingerprint keys of a WAV file, each with the sentences of its channel. */
export function derivedKeys(audio: Buffer, sentences: readonly string[]): [string, string[]][] {
    if (!isWav(audio)) return [];
    let decoded: ReturnType<typeof decodeWav>;
    try {
        decoded = decodeWav(audio);
    } catch {
        return [];
    }
    const out: [string, string[]][] = [];
    const channels = decoded.channels;
    let cursor = 0;
    channels.forEach((samples, c) => {
        const { fingerprint, events } = analyseChannel(samples, decoded.info.sampleRate, FILE_TAIL_MS);
        const count = events.filter((e) => e.kind === 'segment').length;
        const share = c === channels.length - 1 ? sentences.slice(cursor) : sentences.slice(cursor, cursor + count);
        cursor += count;
        if (fingerprint && share.length > 0) out.push([fingerprint, [...share]]);
    });
    return out;
}

let bundled: [string, string[]][] | undefined;

/** The bundled samples' keys, computed once per process. A missing folder is not an error. */
function bundledEntries(): [string, string[]][] {
    if (bundled) return bundled;
    bundled = [];
    const dir = path.join(__dirname, '../samples');
    try {
        const list = JSON.parse(fs.readFileSync(path.join(dir, 'transcripts.json'), 'utf8')) as Record<string, unknown>;
        for (const [file, sentences] of Object.entries(list)) {
            if (!Array.isArray(sentences) || !sentences.every((s) => typeof s === 'string')) continue;
            const audio = fs.readFileSync(path.join(dir, file));
            bundled.push([sha256Hex(audio), [...sentences]], ...derivedKeys(audio, sentences));
        }
    } catch {
        // Samples are a convenience; the emulator works without them.
    }
    return bundled;
}

export function createTranscriptRegistry(): TranscriptRegistry {
    const map = new Map<string, string[]>(bundledEntries().map(([k, v]) => [k, [...v]]));
    return {
        register(audioOrSha256: Buffer | string, sentences: string[]): void {
            const list = sentences.map(String);
            if (typeof audioOrSha256 === 'string') {
                map.set(audioOrSha256.toLowerCase(), list);
                return;
            }
            map.set(sha256Hex(audioOrSha256), list);
            for (const [key, share] of derivedKeys(audioOrSha256, list)) map.set(key, share);
        },
        lookup(sha256: string): string[] | undefined {
            const found = map.get(sha256.toLowerCase());
            return found ? [...found] : undefined;
        },
    };
}
