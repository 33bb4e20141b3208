// Subtitle files read back with the `subtitle` package (a dev dependency; test/red/subtitles.spec.ts
// says why that parser), so the tests check what a player would read, not what the code meant.
import * as assert from 'node:assert/strict';
import { parseSync } from 'subtitle';

export interface ParsedCue {
    start: number;
    end: number;
    text: string;
}

/** The cues of an SRT or WebVTT file, as the parser reads them. */
export function cuesOf(text: unknown): ParsedCue[] {
    assert.equal(typeof text, 'string');
    return parseSync(text as string)
        .filter((n) => n.type === 'cue')
        .map((n) => n.data as ParsedCue);
}
