// `npm run validate`: the flow library's scorecard (node-red-dev validate) on this package, with
// only the catalogue look-up stubbed. Fails unless every check passes, except the one expected
// warning: undici is kept on major 7, the last that supports Node 20 (see README).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sis-validate-')), 'scorecard.json');
const env = { ...process.env, NODE_OPTIONS: `--require ${path.join(__dirname, 'validate-stubs.js')}` };
execFileSync('npx', ['-y', 'node-red-dev@0.1.6', 'validate', '-p', root, '-o', out], {
    stdio: 'inherit',
    env,
    cwd: root,
});
const scorecard = JSON.parse(fs.readFileSync(out, 'utf8'));
const failed = Object.entries(scorecard).filter(([, v]) => v && v.test === false);
const expected = failed.filter(([id, v]) => id === 'D03' && JSON.stringify(v).includes('undici'));
const unexpected = failed.filter((f) => !expected.includes(f));
console.log(
    `scorecard: ${Object.keys(scorecard).length} checks, ${failed.length} warning(s), ${expected.length} expected`,
);
if (unexpected.length) {
    console.error('unexpected scorecard failures:', JSON.stringify(Object.fromEntries(unexpected), null, 2));
    process.exit(1);
}
