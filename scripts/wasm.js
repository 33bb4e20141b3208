// The package's WebAssembly: each `.wat` under nodes/ is compiled to the `.wasm` beside it, which
// is committed (so the package and its tests run from source without a compiler) and copied into
// dist/ by the build. `node scripts/wasm.js` rebuilds them; a test checks that each committed
// binary is what its source compiles to.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** The `.wat` sources under nodes/, as absolute paths. */
function watSources(dir = path.join(root, 'nodes')) {
    const found = [];
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) found.push(...watSources(file));
        else if (entry.name.endsWith('.wat')) found.push(file);
    }
    return found.sort();
}

/** Compiles one `.wat` file (SIMD and bulk memory on) and returns the module's bytes. */
async function compileWat(file) {
    const wabt = await require('wabt')();
    const parsed = wabt.parseWat(path.basename(file), fs.readFileSync(file, 'utf8'), {
        simd: true,
        bulk_memory: true,
    });
    try {
        parsed.resolveNames();
        parsed.validate();
        return Buffer.from(parsed.toBinary({ log: false, write_debug_names: false }).buffer);
    } finally {
        parsed.destroy();
    }
}

module.exports = { watSources, compileWat };

if (require.main === module) {
    (async () => {
        for (const file of watSources()) {
            const out = file.replace(/\.wat$/, '.wasm');
            fs.writeFileSync(out, await compileWat(file));
            console.log(`${path.relative(root, out)}: ${fs.statSync(out).size} bytes`);
        }
    })().catch((err) => {
        console.error(err.message ?? err);
        process.exit(1);
    });
}
