// Paths to the protocol reference that lives beside the repository.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const SHARED = path.resolve(__dirname, '../../../shared/sis-api');

export function readJson<T>(relative: string): T {
    return JSON.parse(readFileSync(path.join(SHARED, relative), 'utf8')) as T;
}
