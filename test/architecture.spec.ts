// Offline checks of the source tree's plan: folders by concern with one-way imports, no import
// circles, no oversized file without a reason, tests beside the folders they test, and nothing that
// reaches outside the repository.
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const LIB = path.join(ROOT, 'nodes', 'lib');
const MAX_LINES = 500;
/** Folders of the repository that hold no source of its own. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', '.node-red-dev', 'tmp', 'bench-results', 'screenshots']);
/** Test folders that do not mirror a source folder. */
const TEST_ONLY_DIRS = new Set(['helpers', 'fixtures', 'browser', 'reliability', 'runtimes']);

function walk(dir: string, keep: (file: string) => boolean, out: string[] = []): string[] {
    for (const name of readdirSync(dir)) {
        if (SKIPPED_DIRS.has(name)) continue;
        const full = path.join(dir, name);
        const st = statSync(full);
        if (st.isDirectory()) walk(full, keep, out);
        else if (keep(full)) out.push(full);
    }
    return out;
}

const isTs = (f: string) => f.endsWith('.ts') && !f.endsWith('.d.ts');

/** Relative module specifiers of a TypeScript file (static imports, re-exports, require, import()). */
function relativeImports(file: string): string[] {
    const text = readFileSync(file, 'utf8');
    const specs: string[] = [];
    const re = /(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*|^import\s+)'(\.{1,2}\/[^']*)'/gm;
    for (let m = re.exec(text); m; m = re.exec(text)) specs.push(m[1]);
    return specs;
}

/** The .ts file a relative specifier names, or undefined when it is not a TypeScript module. */
function resolveTs(from: string, spec: string): string | undefined {
    const base = path.resolve(path.dirname(from), spec);
    for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
        if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
    }
    return undefined;
}

function libFolderOf(file: string): string | undefined {
    const rel = path.relative(LIB, file);
    if (rel.startsWith('..')) return undefined;
    const parts = rel.split(path.sep);
    return parts.length > 1 ? parts[0] : '';
}

interface FolderRule {
    name: string;
    title: string;
    mayImport: Set<string>;
}

function folderRules(): FolderRule[] {
    return readdirSync(LIB)
        .filter((n) => statSync(path.join(LIB, n)).isDirectory())
        .map((name) => {
            const readme = path.join(LIB, name, 'README.md');
            assert.ok(existsSync(readme), `nodes/lib/${name}/ has no README.md saying what lives there`);
            const text = readFileSync(readme, 'utf8');
            const title = text.split('\n')[0];
            const may = /^May import: (.*)\.$/m.exec(text);
            assert.ok(may, `nodes/lib/${name}/README.md has no "May import: …." line`);
            const mayImport = new Set(may[1] === 'nothing' ? [] : may[1].split(',').map((s) => s.trim()));
            return { name, title, mayImport };
        });
}

/** Every import circle among the given modules, each as a list of files. */
function importCircles(files: string[]): string[][] {
    const graph = new Map<string, string[]>();
    for (const f of files) {
        graph.set(
            f,
            relativeImports(f)
                .map((s) => resolveTs(f, s))
                .filter((t): t is string => t !== undefined),
        );
    }
    const circles: string[][] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string): void => {
        state.set(f, 'open');
        stack.push(f);
        for (const t of graph.get(f) ?? []) {
            if (state.get(t) === 'open') circles.push(stack.slice(stack.indexOf(t)).concat(t));
            else if (!state.has(t) && graph.has(t)) visit(t);
        }
        stack.pop();
        state.set(f, 'done');
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    return circles;
}

const rel = (f: string) => path.relative(ROOT, f);

describe('source tree', () => {
    it('keeps every library module in a folder with a README saying what lives there and what it may import', () => {
        const loose = readdirSync(LIB).filter((n) => n.endsWith('.ts'));
        assert.deepEqual(loose, [], 'modules directly in nodes/lib/');
        const rules = folderRules();
        assert.ok(rules.length >= 8);
        for (const r of rules) {
            assert.match(r.title, new RegExp(`^# ${r.name} — \\S`), `nodes/lib/${r.name}/README.md title`);
            for (const other of r.mayImport) {
                assert.ok(existsSync(path.join(LIB, other)), `${r.name} may import ${other}, which does not exist`);
            }
        }
    });

    it('imports run one way: each folder imports only what its README allows, never a node', () => {
        const rules = new Map(folderRules().map((r) => [r.name, r]));
        const wrong: string[] = [];
        for (const file of walk(LIB, isTs)) {
            const from = libFolderOf(file) as string;
            for (const spec of relativeImports(file)) {
                const target = path.resolve(path.dirname(file), spec);
                const to = libFolderOf(target);
                if (to === undefined) wrong.push(`${rel(file)} imports ${spec} (outside nodes/lib)`);
                else if (to !== from && !rules.get(from)?.mayImport.has(to)) {
                    wrong.push(`${rel(file)} imports ${spec} (${from} may not import ${to})`);
                }
            }
        }
        assert.deepEqual(wrong, []);
    });

    for (const dir of ['nodes', 'emulator']) {
        it(`has no import circle in ${dir}/`, () => {
            const files = walk(path.join(ROOT, dir), (f) => isTs(f) && !f.includes(`${path.sep}test${path.sep}`));
            assert.ok(files.length > 10);
            assert.deepEqual(
                importCircles(files).map((c) => c.map(rel).join(' → ')),
                [],
            );
        });
    }

    it(`has no source file over ${MAX_LINES} lines without a reason in its opening comment`, () => {
        const files = ['nodes', 'emulator', 'bench', 'scripts', 'test'].flatMap((d) =>
            walk(path.join(ROOT, d), (f) => /\.(ts|js|html)$/.test(f)),
        );
        const long = files.filter((f) => {
            const lines = readFileSync(f, 'utf8').split('\n');
            if (lines.length <= MAX_LINES) return false;
            const opening = lines.slice(
                0,
                lines.findIndex((l) => !l.startsWith('//')),
            );
            return !opening.some((l) => /Over \d+ lines because/.test(l));
        });
        assert.deepEqual(long.map(rel), []);
    });

    it('has tests in folders named after the library folders they test', () => {
        const lib = new Set(folderRules().map((r) => r.name));
        const dirs = readdirSync(path.join(ROOT, 'test')).filter((n) =>
            statSync(path.join(ROOT, 'test', n)).isDirectory(),
        );
        const stray = dirs.filter((d) => !TEST_ONLY_DIRS.has(d) && !lib.has(d));
        assert.deepEqual(stray, []);
        for (const d of dirs.filter((x) => lib.has(x))) {
            assert.ok(
                readdirSync(path.join(ROOT, 'test', d)).some((f) => f.endsWith('.spec.ts')),
                `test/${d}/ has no spec`,
            );
        }
    });

    it("keeps the benchmarks' raw clients raw: they and what they import use no module of the package", () => {
        const bench = path.join(ROOT, 'bench');
        const raw = ['raw-asr-client.ts', 'raw-stream-client.ts', 'raw-signing.ts', 'stream-pace.ts', 'floor-rest.ts'];
        const seen = new Set<string>();
        const wrong: string[] = [];
        const visit = (file: string): void => {
            if (seen.has(file)) return;
            seen.add(file);
            for (const spec of relativeImports(file)) {
                const target = path.resolve(path.dirname(file), spec);
                if (path.dirname(target) !== bench) wrong.push(`${rel(file)} imports ${spec}`);
                else visit(`${target}.ts`);
            }
        };
        for (const f of raw) visit(path.join(bench, f));
        assert.ok(seen.size >= raw.length);
        assert.deepEqual(wrong, []);
    });

    it('stands alone: no file reads or cites anything beside the repository', () => {
        // Built from parts so this file does not match itself.
        const outside = new RegExp(['\\.\\./shared', 'sis-api\\/', 'CONTRACT\\.md'].join('|'));
        const files = walk(ROOT, (f) => !/\.(wav|mp3|pcm|png|svg|tgz)$/.test(f) && !f.endsWith('package-lock.json'));
        const hits = files.filter((f) => outside.test(readFileSync(f, 'utf8')));
        assert.deepEqual(hits.map(rel), []);
    });
});
