// The signing test vectors kept with the fixtures (`test/fixtures/vectors/`).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const FIXTURES = path.resolve(__dirname, '../fixtures');

export function readJson<T>(relative: string): T {
    return JSON.parse(readFileSync(path.join(FIXTURES, relative), 'utf8')) as T;
}
