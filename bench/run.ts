// `npm run bench`: every benchmark scenario, one after the other (each starts its own emulator
// and Node-RED, and runs its raw-client baseline in the same run). Extra arguments are passed on.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const SCENARIOS = ['asr.ts', 'tts.ts', 'stream.ts', 'wyoming.ts', 'mqtt.ts'];
let failed = false;
for (const file of SCENARIOS) {
    const script = path.join(__dirname, file);
    if (!existsSync(script)) continue;
    console.log(`\n## ${file.replace(/\.ts$/, '')}\n`);
    const r = spawnSync(process.execPath, ['-r', 'tsx/cjs', script, ...process.argv.slice(2)], { stdio: 'inherit' });
    if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
