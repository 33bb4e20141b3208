// Signing test vectors kept in the repository (test/fixtures/signing/, see test/fixtures/README.md).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const SIGNING_FIXTURES = path.resolve(__dirname, '../fixtures/signing');

/** Reads one vector file of test/fixtures/signing/, e.g. `readVectors('aksk.json')`. */
export function readVectors<T>(name: 'aksk.json' | 'obs.json'): T {
    return JSON.parse(readFileSync(path.join(SIGNING_FIXTURES, name), 'utf8')) as T;
}
