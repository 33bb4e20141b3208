// Hot-word vocabularies: the service's rules for names, languages and words (docs/protocol/rest.md §5),
// read by the sis-vocabulary node, the admin routes and (as `sisVocabularyRules`) the editors.

/** Words per vocabulary (the current pages and the console; older pages said 1024). */
export const VOCABULARY_MAX_WORDS = 10_000;
/** Bytes per word, UTF-8 (a Chinese character is 3 bytes: 10 characters fit). */
export const VOCABULARY_MAX_WORD_BYTES = 32;
/** Vocabularies per account: older pages give 10, the current create page 100; the stricter value. */
export const VOCABULARY_MAX_PER_ACCOUNT = 10;
export const VOCABULARY_MAX_NAME_BYTES = 32;
export const VOCABULARY_MAX_DESCRIPTION_BYTES = 255;
/** The only language vocabularies take; it serves the `chinese_*` models. */
export const VOCABULARY_LANGUAGES: readonly string[] = ['chinese_mandarin'];

/** Latin letters and Chinese characters only: no digits, spaces or punctuation. */
export const VOCABULARY_WORD = /^[A-Za-z\p{Script=Han}]+$/u;
export const VOCABULARY_NAME = /^[A-Za-z0-9_#-]+$/;

export type WordProblem = 'empty' | 'not-text' | 'characters' | 'too-long';

export interface BadWord {
    index: number;
    word: string;
    problem: WordProblem;
}

/** What is wrong with one word, or undefined when the service takes it. */
export function wordProblem(word: unknown): WordProblem | undefined {
    if (typeof word !== 'string') return 'not-text';
    if (word === '') return 'empty';
    if (!VOCABULARY_WORD.test(word)) return 'characters';
    if (Buffer.byteLength(word) > VOCABULARY_MAX_WORD_BYTES) return 'too-long';
    return undefined;
}

const PROBLEM_TEXT: Record<WordProblem, string> = {
    empty: 'empty',
    'not-text': 'not a string',
    characters: 'only letters and Chinese characters are allowed (no digits, spaces or punctuation)',
    'too-long': `longer than ${VOCABULARY_MAX_WORD_BYTES} bytes`,
};

export function describeProblem(problem: WordProblem): string {
    return PROBLEM_TEXT[problem];
}

/** Every word the service would refuse, with its position. */
export function badWords(words: readonly unknown[]): BadWord[] {
    const out: BadWord[] = [];
    words.forEach((word, index) => {
        const problem = wordProblem(word);
        if (problem) out.push({ index, word: typeof word === 'string' ? word : String(word), problem });
    });
    return out;
}

/** The rules as plain values for the editors (`RED.settings.sisVocabularyRules`). */
export const VOCABULARY_RULES = {
    word: VOCABULARY_WORD.source,
    name: VOCABULARY_NAME.source,
    maxWords: VOCABULARY_MAX_WORDS,
    maxWordBytes: VOCABULARY_MAX_WORD_BYTES,
    maxNameBytes: VOCABULARY_MAX_NAME_BYTES,
    maxPerAccount: VOCABULARY_MAX_PER_ACCOUNT,
    languages: VOCABULARY_LANGUAGES,
};
