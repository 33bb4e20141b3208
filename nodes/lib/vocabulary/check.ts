// A vocabulary as the service takes it (docs/protocol/rest.md §5), checked before any request: every word
// the service would refuse is named in one INVALID_INPUT error.

import type { VocabularyBody } from '../cloud/vocabularies';
import { invalidInput, type SisError } from '../core/errors';
import {
    type BadWord,
    badWords,
    describeProblem,
    VOCABULARY_LANGUAGES,
    VOCABULARY_MAX_DESCRIPTION_BYTES,
    VOCABULARY_MAX_NAME_BYTES,
    VOCABULARY_MAX_WORDS,
    VOCABULARY_NAME,
} from '../service/vocabulary';

/** How many bad words the error message names one by one (all of them are in `badWords`). */
const NAMED_IN_MESSAGE = 50;

/** An INVALID_INPUT error naming the refused words; `badWords` holds them all. */
function badWordsError(words: BadWord[]): SisError & { badWords: BadWord[] } {
    const named = words
        .slice(0, NAMED_IN_MESSAGE)
        .map((w) => `"${w.word}" (#${w.index + 1}: ${describeProblem(w.problem)})`)
        .join(', ');
    const more = words.length > NAMED_IN_MESSAGE ? `, and ${words.length - NAMED_IN_MESSAGE} more` : '';
    const err = invalidInput(`${words.length} hot word(s) the service would refuse: ${named}${more}`) as SisError & {
        badWords: BadWord[];
    };
    err.badWords = words;
    return err;
}

/** The words as given: an array of strings, each one the service takes, at most 10,000. */
export function checkWords(contents: unknown, where: string): string[] {
    if (!Array.isArray(contents)) throw invalidInput(`${where} must be an array of words`);
    if (contents.length === 0) throw invalidInput(`${where} holds no word; a vocabulary needs at least one`);
    const bad = badWords(contents);
    if (bad.length > 0) throw badWordsError(bad);
    if (contents.length > VOCABULARY_MAX_WORDS) {
        throw invalidInput(
            `${where} holds ${contents.length} words; a vocabulary takes at most ${VOCABULARY_MAX_WORDS}`,
        );
    }
    return contents as string[];
}

/** Removes repeated words, keeping the first of each. */
export function distinct(words: readonly string[]): string[] {
    return [...new Set(words)];
}

/** A whole vocabulary body, checked field by field. */
export function checkVocabulary(value: unknown, where: string): VocabularyBody {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw invalidInput(`${where} must be an object { name, description?, language, contents }`);
    }
    const v = value as Record<string, unknown>;
    const name = v.name;
    if (typeof name !== 'string' || name === '') throw invalidInput(`${where}.name is missing`);
    if (!VOCABULARY_NAME.test(name) || Buffer.byteLength(name) > VOCABULARY_MAX_NAME_BYTES) {
        throw invalidInput(
            `${where}.name "${name}" must be letters, digits, "-", "_" or "#", at most ${VOCABULARY_MAX_NAME_BYTES} bytes`,
        );
    }
    const description = v.description ?? '';
    if (typeof description !== 'string' || Buffer.byteLength(description) > VOCABULARY_MAX_DESCRIPTION_BYTES) {
        throw invalidInput(`${where}.description must be text of at most ${VOCABULARY_MAX_DESCRIPTION_BYTES} bytes`);
    }
    const language = v.language ?? VOCABULARY_LANGUAGES[0];
    if (typeof language !== 'string' || !VOCABULARY_LANGUAGES.includes(language)) {
        throw invalidInput(`${where}.language must be ${VOCABULARY_LANGUAGES.join(' or ')}`);
    }
    const contents = checkWords(v.contents, `${where}.contents`);
    const body: VocabularyBody = { name, language, contents };
    if (description !== '') body.description = description;
    return body;
}

/** The refused words an error carries, if it is a bad-words error. */
export function badWordsOf(err: unknown): BadWord[] | undefined {
    const words = (err as { badWords?: unknown } | undefined)?.badWords;
    return Array.isArray(words) ? (words as BadWord[]) : undefined;
}
