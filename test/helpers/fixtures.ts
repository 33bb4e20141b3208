import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const DIR = path.resolve(__dirname, '../fixtures');

export function fixture(name: string): Buffer {
    return readFileSync(path.join(DIR, name));
}

export function transcript(name: string): string[] {
    const all = JSON.parse(readFileSync(path.join(DIR, 'transcripts.json'), 'utf8')) as Record<string, string[]>;
    return all[name] ?? [];
}
