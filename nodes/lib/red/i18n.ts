// Texts the runtime shows (node statuses), translated by the package itself from its own catalogs
// in Node-RED's language.
//
// Why not RED._: Node-RED gives each node set its own message namespace (`<module>/<set>`, the
// catalog `locales/<lang>/<set>.json`), and the RED._ handed to a set looks keys up there only. The
// statuses every node of the package shares live in the config node's catalog, which the other
// sets' RED._ does not see: it answered the key itself. The editor only translates a status text
// that is a key of the showing node's own catalog, and never fills in numbers, so texts with
// numbers must be finished here.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export type Subs = Record<string, string | number>;
export type Translate = (key: string, subs?: Subs) => string;

const FALLBACK = 'en-US';

/** The package's `locales/` folder: beside the built nodes, or at the root when run from source. */
function findLocales(): string | undefined {
    for (const dir of [path.resolve(__dirname, '../../locales'), path.resolve(__dirname, '../../../locales')]) {
        try {
            if (readdirSync(dir).includes(FALLBACK)) return dir;
        } catch {
            // not there
        }
    }
    return undefined;
}

const LOCALES = findLocales();
const AVAILABLE: readonly string[] = LOCALES ? readdirSync(LOCALES) : [FALLBACK];
const catalogs = new Map<string, Record<string, unknown> | null>();

function catalog(lang: string, file: string): Record<string, unknown> | null {
    const id = `${lang}/${file}`;
    let found = catalogs.get(id);
    if (found === undefined) {
        try {
            found = LOCALES
                ? (JSON.parse(readFileSync(path.join(LOCALES, lang, `${file}.json`), 'utf8')) as Record<
                      string,
                      unknown
                  >)
                : null;
        } catch {
            found = null;
        }
        catalogs.set(id, found);
    }
    return found;
}

function lookup(lang: string, key: string): string | undefined {
    const parts = key.split('.');
    let node: unknown = catalog(lang, parts[0]);
    for (const part of parts) {
        if (node === null || typeof node !== 'object') return undefined;
        node = (node as Record<string, unknown>)[part];
    }
    return typeof node === 'string' ? node : undefined;
}

/**
 * One of the package's languages for a language tag as Node-RED takes it (`settings.lang`, or the
 * first two letters of LC_ALL, LC_MESSAGES or LANG): the same tag, else the same base language,
 * else English.
 */
export function packageLanguage(tag: string | undefined): string {
    if (!tag) return FALLBACK;
    const want = tag.replace('_', '-').toLowerCase();
    const exact = AVAILABLE.find((l) => l.toLowerCase() === want);
    if (exact) return exact;
    const base = want.split('-')[0];
    return AVAILABLE.find((l) => l.toLowerCase().split('-')[0] === base) ?? FALLBACK;
}

/** Node-RED's runtime language: the `lang` setting, else the environment, as the runtime reads it. */
export function runtimeLanguage(settings: unknown, env: NodeJS.ProcessEnv = process.env): string {
    const lang = (settings as { lang?: unknown } | undefined)?.lang;
    if (typeof lang === 'string' && lang !== '') return packageLanguage(lang);
    for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG']) {
        const value = env[name];
        if (value !== undefined) return packageLanguage(value.substring(0, 2));
    }
    return FALLBACK;
}

/**
 * A translator for `lang`: `<file>.<path>` from `locales/<lang>/<file>.json` (English when missing),
 * `__name__` filled in; with a numeric `count`, `<key>_one` (for 1) or `<key>_other` first.
 */
export function translator(lang: string): Translate {
    return (key, subs) => {
        let keys = [key];
        if (typeof subs?.count === 'number') {
            keys = [`${key}_other`, key];
            if (subs.count === 1) keys.unshift(`${key}_one`);
        }
        let text: string | undefined;
        for (const l of [lang, FALLBACK]) {
            for (const k of keys) text ??= lookup(l, k);
        }
        if (text === undefined) return key;
        return text.replace(/__(\w+)__/g, (all, name: string) =>
            subs && Object.hasOwn(subs, name) ? String(subs[name]) : all,
        );
    };
}

/** A size in bytes as people read it: `512 B`, `48 KB`, `3.1 MB`. */
export function formatBytes(bytes: number): string {
    if (bytes < 1000) return `${bytes} B`;
    if (bytes < 1_000_000) return `${Math.round(bytes / 1000)} KB`;
    const mb = bytes / 1_000_000;
    return `${mb < 100 ? mb.toFixed(1) : Math.round(mb)} MB`;
}
