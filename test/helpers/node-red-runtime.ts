// Which Node-RED the tests and benchmarks run on: NODE_RED_MODULE names it.
// - unset: `node-red`, the dev dependency (Node-RED 4.1);
// - `node-red-5`: Node-RED 5 from `test/runtimes/node-red-5/` (installed there with Node 22,
//   `npm ci --prefix test/runtimes/node-red-5`, so that the root install has no Node 22 package);
// - a path (relative to the working directory) to an installed `node-red` package folder;
// - any other name: that package, resolved from this project.
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Named runtimes installed in their own folders under `test/runtimes/`. */
const RUNTIMES: Record<string, string> = {
    'node-red-5': path.join(ROOT, 'test/runtimes/node-red-5/node_modules/node-red'),
};

function resolveDir(name: string): string {
    const known = RUNTIMES[name];
    if (known) {
        if (!existsSync(path.join(known, 'package.json'))) {
            const folder = path.relative(process.cwd(), path.dirname(path.dirname(known))) || '.';
            throw new Error(`NODE_RED_MODULE=${name}: not installed; run \`npm ci --prefix ${folder}\` (Node 22)`);
        }
        return known;
    }
    if (name.startsWith('.') || path.isAbsolute(name) || (/[\\/]/.test(name) && !name.startsWith('@'))) {
        const dir = path.resolve(name);
        if (!existsSync(path.join(dir, 'package.json'))) {
            throw new Error(`NODE_RED_MODULE=${name}: no package.json in ${dir}`);
        }
        return dir;
    }
    return path.dirname(require.resolve(`${name}/package.json`));
}

/** What NODE_RED_MODULE says (`node-red` when unset), for test titles. */
export const NODE_RED_MODULE = process.env.NODE_RED_MODULE || 'node-red';

/** The folder of the Node-RED package under test. */
export const NODE_RED_DIR = resolveDir(NODE_RED_MODULE);

/** Its version, e.g. `4.1.15`. */
export function nodeRedVersion(): string {
    return (require(path.join(NODE_RED_DIR, 'package.json')) as { version: string }).version;
}

/** Its `red.js`, to run it as a process. */
export const NODE_RED_SCRIPT = path.join(NODE_RED_DIR, 'red.js');

/** Its runtime module (`lib/red.js`), for the test helper. */
export const NODE_RED_MAIN = require.resolve(NODE_RED_DIR);

/** A file of one of its `@node-red/*` packages, e.g. `@node-red/nodes/core/common/25-catch.js`. */
export function resolveInRuntime(request: string): string {
    return require.resolve(request, { paths: [NODE_RED_DIR] });
}
