// `npm start`: the bundled SIS emulator and a Node-RED (the dev dependency) with its own user
// directory inside the project, this package loaded and the example flows deployed.
//
// Environment (the README's Quick start lists the same):
// - PORT: the editor's port (default 1880); SIS_EMULATOR_PORT: the emulator's port (default 8790).
// - SIS_REGION, SIS_AK and SIS_SK all set: the real cloud instead of the emulator, with
//   SIS_PROJECT_ID, SIS_ENDPOINT, SIS_IAM_ENDPOINT, SIS_OBS_ENDPOINT and SIS_OBS_BUCKET (the
//   staging bucket) if set; otherwise these are set to the emulator's values.
// A port that is taken (or not a port) ends the script with one line saying which, and exit code 1.
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const userDir = path.join(root, '.node-red-dev');
const HOST = '127.0.0.1';
const cloud = ['SIS_REGION', 'SIS_AK', 'SIS_SK'].every((k) => process.env[k]);

/** A problem the user can fix: printed as one line, then exit code 1. */
class StartError extends Error {}

/** The port in `variable` (or `fallback` when unset). */
function portFrom(variable, fallback) {
    const raw = process.env[variable];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
        throw new StartError(`${variable}=${raw} is not a port number (1-65535)`);
    }
    return n;
}

function portInUse(port, what, variable) {
    return new StartError(
        `port ${port} (${what}) is already in use on ${HOST}: stop what uses it, or choose another port with ${variable}, e.g. ${variable}=${port + 1} npm start`,
    );
}

/** Rejects with a StartError when `port` cannot be listened on. */
function checkPortFree(port, what, variable) {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once('error', (err) => {
            reject(err.code === 'EADDRINUSE' || err.code === 'EACCES' ? portInUse(port, what, variable) : err);
        });
        server.listen(port, HOST, () => server.close(() => resolve()));
    });
}

/** Resolves once Node-RED answers HTTP on its editor URL (false if it exited first). */
async function untilAnswering(url, child) {
    while (child.exitCode === null && child.signalCode === null) {
        try {
            const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
            await res.arrayBuffer();
            if (res.status < 500) return true;
        } catch {
            // not listening yet
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return false;
}

const DASHBOARD = '@flowfuse/node-red-dashboard';

function dashboardLinked() {
    return fs.existsSync(path.join(userDir, 'node_modules', ...DASHBOARD.split('/'), 'package.json'));
}

function prepareUserDir(uiPort) {
    fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
    fs.writeFileSync(
        path.join(userDir, 'package.json'),
        JSON.stringify(
            { name: 'sis-demo', private: true, dependencies: { 'node-red-contrib-huaweicloud-sis': 'file:..' } },
            null,
            4,
        ),
    );
    // Node-RED loads packages from the user directory's node_modules; a link keeps it on this checkout.
    const link = path.join(userDir, 'node_modules', 'node-red-contrib-huaweicloud-sis');
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(root, link, 'dir');
    // FlowFuse Dashboard 2 (a dev dependency) for the browser-microphone example, linked the same way.
    let dashboard;
    try {
        dashboard = path.dirname(require.resolve(`${DASHBOARD}/package.json`, { paths: [root] }));
    } catch {
        // not installed (e.g. npm install --omit=dev): that example is left out
    }
    const dashboardLink = path.join(userDir, 'node_modules', ...DASHBOARD.split('/'));
    fs.rmSync(dashboardLink, { recursive: true, force: true });
    if (dashboard) {
        fs.mkdirSync(path.dirname(dashboardLink), { recursive: true });
        fs.symlinkSync(dashboard, dashboardLink, 'dir');
    }
    fs.writeFileSync(
        path.join(userDir, 'settings.js'),
        `module.exports = {
    uiHost: '${HOST}',
    uiPort: ${uiPort},
    flowFile: 'flows.json',
    credentialSecret: false,
    contextStorage: { default: { module: 'memory' }, file: { module: 'localfilesystem' } },
    editorTheme: { tours: false, projects: { enabled: false } },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
};
`,
    );
}

/**
 * The example flows sharing one configuration node, pointed at the environment (no secret is
 * written: the credentials are `${VAR}` references resolved when Node-RED starts).
 */
function demoFlows() {
    const dir = path.join(root, 'examples');
    const flows = [];
    const credentials = {};
    const seen = new Set();
    let configId;
    for (const file of fs.readdirSync(dir).sort()) {
        if (!file.endsWith('.json')) continue;
        const nodes = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
        // A flow with a type Node-RED does not have would keep every flow from starting.
        if (!dashboardLinked() && nodes.some((n) => String(n.type).startsWith('ui-'))) continue;
        const local = nodes.find((n) => n.type === 'sis-config');
        for (const node of nodes) {
            if (seen.has(node.id)) continue;
            seen.add(node.id);
            if (local && node.config === local.id) node.config = configId ?? local.id;
            if (node.type === 'sis-config') {
                if (configId) continue;
                configId = node.id;
                node.name = 'SIS';
                Object.assign(node, {
                    region: '${SIS_REGION}',
                    projectId: '${SIS_PROJECT_ID}',
                    endpoint: '${SIS_ENDPOINT}',
                    iamEndpoint: '${SIS_IAM_ENDPOINT}',
                    obsEndpoint: '${SIS_OBS_ENDPOINT}',
                    obsBucket: '${SIS_OBS_BUCKET}',
                });
                credentials[node.id] = { ak: '${SIS_AK}', sk: '${SIS_SK}' };
            }
            flows.push(node);
        }
    }
    return { flows, credentials };
}

async function main() {
    const uiPort = portFrom('PORT', 1880);
    const emulatorPort = cloud ? undefined : portFrom('SIS_EMULATOR_PORT', 8790);
    if (uiPort === emulatorPort) {
        throw new StartError(
            `PORT and SIS_EMULATOR_PORT are both ${uiPort}: the editor and the emulator need a port each`,
        );
    }
    await checkPortFree(uiPort, 'Node-RED editor', 'PORT');
    if (emulatorPort !== undefined) await checkPortFree(emulatorPort, 'SIS emulator', 'SIS_EMULATOR_PORT');

    prepareUserDir(uiPort);
    const env = { ...process.env };
    let emulator;
    if (emulatorPort !== undefined) {
        const { startEmulator } = require(path.join(root, 'dist', 'emulator', 'index.js'));
        try {
            // SIS may read the demo bucket, as after the console's "configure OBS access" (flash needs it).
            emulator = await startEmulator({ port: emulatorPort, host: HOST, obsGrantSis: ['sis-audio-stage'] });
        } catch (err) {
            if (err && err.code === 'EADDRINUSE') throw portInUse(emulatorPort, 'SIS emulator', 'SIS_EMULATOR_PORT');
            throw err;
        }
        // The subtitles example transcribes a recording already in OBS: the demo bucket holds one.
        const recording = path.join(root, 'dist', 'emulator', 'samples', 'zh_16k.wav');
        emulator.putObject('sis-audio-stage', 'recordings/weekly-meeting.wav', fs.readFileSync(recording), 'audio/wav');
        const c = emulator.config();
        Object.assign(env, {
            SIS_REGION: c.region,
            SIS_PROJECT_ID: c.projectId,
            SIS_ENDPOINT: c.endpoint,
            SIS_IAM_ENDPOINT: c.iamEndpoint,
            SIS_OBS_ENDPOINT: c.obsEndpoint,
            SIS_OBS_BUCKET: c.obsBucket,
            SIS_AK: c.ak,
            SIS_SK: c.sk,
        });
        console.log(`SIS emulator: ${emulator.url}`);
    } else {
        for (const k of ['SIS_PROJECT_ID', 'SIS_ENDPOINT', 'SIS_IAM_ENDPOINT', 'SIS_OBS_ENDPOINT', 'SIS_OBS_BUCKET']) {
            env[k] = env[k] || '';
        }
        console.log(`Huawei Cloud SIS, region ${env.SIS_REGION}`);
    }
    // The example flows find the package's sample audio through SIS_SAMPLES_DIR, which the package
    // sets itself when Node-RED loads it.

    const { flows, credentials } = demoFlows();
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows, null, 4));
    fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(credentials, null, 4));

    const red = spawn(
        process.execPath,
        [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')],
        {
            env,
            stdio: ['ignore', 'inherit', 'inherit'],
        },
    );
    const stop = () => {
        red.kill('SIGTERM');
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    red.on('exit', async (code) => {
        if (emulator) await emulator.close();
        process.exit(code ?? 0);
    });
    const editor = `http://${HOST}:${uiPort}/`;
    if (await untilAnswering(editor, red)) console.log(`Node-RED editor: ${editor}`);
}

main().catch((err) => {
    // A StartError is the whole story; anything else is shown by its message too, without a stack.
    console.error(`npm start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
});
