// Build: clean dist/, compile with tsc, then copy the editor assets beside the compiled nodes,
// because Node-RED only looks for .html, icons/ and locales/ next to each node's .js file, and
// the WebAssembly modules beside the JS that loads them.
// (resources/, the editor script the templates share, is served from the package root: not copied.)
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], {
    stdio: 'inherit',
});
const out = path.join(dist, 'nodes');
fs.mkdirSync(out, { recursive: true });
for (const file of fs.readdirSync(path.join(root, 'nodes'))) {
    if (file.endsWith('.html')) fs.copyFileSync(path.join(root, 'nodes', file), path.join(out, file));
}
// The WebAssembly the nodes load, beside their compiled JS (built from its .wat: scripts/wasm.js).
const { watSources } = require('./wasm');
for (const wat of watSources()) {
    const wasm = wat.replace(/\.wat$/, '.wasm');
    fs.copyFileSync(wasm, path.join(dist, path.relative(root, wasm)));
}
for (const dir of ['icons', 'locales']) {
    fs.cpSync(path.join(root, dir), path.join(out, dir), { recursive: true, dereference: true });
}
// The emulator's bundled sample audio travels with the compiled emulator.
const samples = path.join(root, 'emulator', 'samples');
if (fs.existsSync(samples)) fs.cpSync(samples, path.join(dist, 'emulator', 'samples'), { recursive: true });
const cli = path.join(dist, 'emulator', 'cli.js');
if (fs.existsSync(cli)) fs.chmodSync(cli, 0o755);
