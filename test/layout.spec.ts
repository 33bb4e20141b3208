// Offline checks of what Node-RED and the flow library read from the package.
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';

const ROOT = path.resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    name: string;
    keywords: string[];
    engines: { node: string };
    dependencies: Record<string, string>;
    files: string[];
    'node-red': { version: string; nodes: Record<string, string> };
};
const DIST = path.join(ROOT, 'dist', 'nodes');
const LANGS = ['en-US', 'zh-CN'];

// The editor code the templates share: served from the package's resources/ folder (not dist).
const EDITOR_SCRIPT = path.join(ROOT, 'resources', 'sis-editor.js');
const EDITOR_SCRIPT_TAG = `<script src="resources/${pkg.name}/sis-editor.js"></script>`;

/** A template as the editor shows it: its row placeholders expanded by resources/sis-editor.js. */
function expandedTemplate(type: string, html: string): string {
    if (!html.includes('SisEditor')) return html;
    const window: { SisEditor?: { expand(type: string, html: string, defaults: object): string } } = {};
    vm.runInNewContext(readFileSync(EDITOR_SCRIPT, 'utf8'), { window });
    let out = window.SisEditor!.expand(type, html, {});
    // The label helpers read these keys of the node's type.
    if (html.includes('SisEditor.paletteLabel') || html.includes('SisEditor.label')) out += `_('${type}.paletteLabel')`;
    if (html.includes('SisEditor.inputLabels')) out += `_('${type}.label.input')`;
    if (html.includes('SisEditor.outputLabels')) out += `_('${type}.label.output-port')`;
    return out;
}

describe('package layout', () => {
    it('has the contract name, keyword, engines and Node-RED range', () => {
        assert.equal(pkg.name, 'node-red-contrib-huaweicloud-sis');
        assert.ok(pkg.keywords.includes('node-red'));
        assert.equal(pkg.engines.node, '>=20.18.1');
        assert.equal(pkg['node-red'].version, '>=4.0.0');
        assert.deepEqual(Object.keys(pkg.dependencies).sort(), ['undici', 'ws']);
        assert.match(pkg.dependencies.undici, /^\^7\./);
        assert.match(pkg.dependencies.ws, /^\^8\./);
    });

    const nodes = Object.entries(pkg['node-red'].nodes);
    for (const [type, file] of nodes) {
        describe(type, () => {
            it('maps to a built file whose basename is the type, with its .html beside it', () => {
                assert.equal(file, `dist/nodes/${type}.js`);
                assert.ok(existsSync(path.join(ROOT, file)), file);
                assert.ok(existsSync(path.join(DIST, `${type}.html`)));
            });

            it('registers the type with a literal registerType in a text/javascript block', () => {
                const html = readFileSync(path.join(DIST, `${type}.html`), 'utf8');
                const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html);
                assert.ok(script, 'editor script block');
                assert.match(script[1], new RegExp(`RED\\.nodes\\.registerType\\('${type}'`));
                const icon = /icon:\s*'([^']+)'/.exec(script[1]);
                if (icon) assert.ok(existsSync(path.join(DIST, 'icons', icon[1])), `icon ${icon[1]}`);
            });

            for (const lang of LANGS) {
                it(`has a ${lang} catalog and help beside the built file`, () => {
                    const catalog = JSON.parse(
                        readFileSync(path.join(DIST, 'locales', lang, `${type}.json`), 'utf8'),
                    ) as Record<string, unknown>;
                    assert.ok(catalog[type], `top-level key ${type}`);
                    const help = readFileSync(path.join(DIST, 'locales', lang, `${type}.html`), 'utf8');
                    assert.match(help, new RegExp(`data-help-name="${type}"`));
                    // The editor renders `: name (type) : text` as a property list only when the
                    // line holds exactly two colons (a URL or "e.g.: x" would break the list).
                    for (const line of help.split('\n').filter((l) => l.startsWith(': '))) {
                        assert.equal(line.split(':').length - 1, 2, `help property line: ${line.slice(0, 60)}`);
                    }
                });
            }

            it('loads resources/sis-editor.js before it uses SisEditor, and every placeholder expands', () => {
                const html = readFileSync(path.join(DIST, `${type}.html`), 'utf8');
                if (!html.includes('SisEditor')) return;
                const tag = html.indexOf(EDITOR_SCRIPT_TAG);
                assert.ok(tag >= 0, EDITOR_SCRIPT_TAG);
                assert.ok(tag < html.indexOf('SisEditor'), 'the script is loaded before it is used');
                assert.ok(existsSync(EDITOR_SCRIPT), 'resources/sis-editor.js');
                assert.ok(pkg.files.includes('resources'), 'package.json files includes resources');
                assert.doesNotMatch(expandedTemplate(type, html), /data-sis-/);
            });

            it('uses only catalog keys that exist in every language', () => {
                const html = expandedTemplate(type, readFileSync(path.join(DIST, `${type}.html`), 'utf8'));
                const keys = new Set<string>();
                for (const m of html.matchAll(/data-i18n="(?:\[[a-z]+\])?([\w-]+\.[\w.-]+)"/g)) keys.add(m[1]);
                for (const m of html.matchAll(/_\('([\w-]+\.[\w.-]+)'/g)) keys.add(m[1]);
                for (const lang of LANGS) {
                    const merged: Record<string, unknown> = {};
                    for (const f of readdirSync(path.join(DIST, 'locales', lang))) {
                        if (f.endsWith('.json')) {
                            Object.assign(
                                merged,
                                JSON.parse(readFileSync(path.join(DIST, 'locales', lang, f), 'utf8')),
                            );
                        }
                    }
                    for (const key of keys) {
                        let cur: unknown = merged;
                        for (const part of key.split('.')) {
                            cur =
                                cur !== null && typeof cur === 'object'
                                    ? (cur as Record<string, unknown>)[part]
                                    : undefined;
                        }
                        assert.equal(typeof cur, 'string', `${lang}: ${key}`);
                    }
                }
            });
        });
    }

    it('icons are white on transparent, 2:3, like the editor draws them', () => {
        for (const file of readdirSync(path.join(ROOT, 'icons')).filter((f) => f.endsWith('.svg'))) {
            const svg = readFileSync(path.join(ROOT, 'icons', file), 'utf8');
            const width = Number(/<svg[^>]* width="(\d+)"/.exec(svg)?.[1]);
            const height = Number(/<svg[^>]* height="(\d+)"/.exec(svg)?.[1]);
            assert.equal(width * 3, height * 2, `${file}: 2:3`);
            const colours = [...svg.matchAll(/(?:fill|stroke)="([^"]+)"/g)].map((m) => m[1].toLowerCase());
            assert.ok(colours.length > 0, `${file}: colours`);
            for (const c of colours) assert.ok(['#fff', '#ffffff', 'none', 'white'].includes(c), `${file}: ${c}`);
        }
    });

    it('every recognition node and sis-vocabulary offer the hot-word picker, and take name: and ${ENV}', () => {
        for (const type of ['sis-short-asr', 'sis-flash-asr', 'sis-job-asr', 'sis-stream-asr', 'sis-vocabulary']) {
            const html = readFileSync(path.join(DIST, `${type}.html`), 'utf8');
            assert.match(html, /data-sis-vocabulary="vocabulary_id"/, type);
            assert.match(html, /SisEditor\.vocabularyPicker\(\)/, type);
            assert.match(html, /vocabulary_id: \{ value: '', validate: SisEditor\.validVocabularyId \}/, type);
        }
        const window: { SisEditor?: { validVocabularyId(v: string): boolean } } = {};
        vm.runInNewContext(readFileSync(EDITOR_SCRIPT, 'utf8'), { window });
        const valid = window.SisEditor!.validVocabularyId;
        for (const v of ['', 'a1b2-c3', 'name:kitchen', '${HOT_WORDS}']) assert.equal(valid(v), true, v);
        for (const v of ['a b', 'name:', '${A} x']) assert.equal(valid(v), false, v);
    });

    it('every non-config node type appears in some example flow, and examples hold no secrets', () => {
        const dir = path.join(ROOT, 'examples');
        const types = new Set<string>();
        for (const f of existsSync(dir) ? readdirSync(dir) : []) {
            if (!f.endsWith('.json')) continue;
            const flow = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as {
                type: string;
                credentials?: unknown;
            }[];
            assert.ok(Array.isArray(flow), `${f} is a JSON array`);
            for (const n of flow) {
                types.add(n.type);
                assert.equal(n.credentials, undefined, `${f}: no credentials in examples`);
            }
        }
        for (const type of Object.keys(pkg['node-red'].nodes)) {
            if (type !== 'sis-config') assert.ok(types.has(type), `an example uses ${type}`);
        }
    });
});
