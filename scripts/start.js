// `npm start`: the bundled SIS emulator and a Node-RED (the dev dependency) with its own user
// directory inside the project, this package loaded and the example flows deployed.
// With SIS_REGION, SIS_PROJECT_ID, SIS_AK and SIS_SK in the environment it targets the real
// cloud instead of the emulator (SIS_OBS_BUCKET names the staging bucket).
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const userDir = path.join(root, '.node-red-dev');
const uiPort = Number(process.env.PORT || 1880);
const cloud = ['SIS_REGION', 'SIS_AK', 'SIS_SK'].every((k) => process.env[k]);

function prepareUserDir() {
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
    fs.writeFileSync(
        path.join(userDir, 'settings.js'),
        `module.exports = {
    uiHost: '127.0.0.1',
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
    prepareUserDir();
    const env = { ...process.env };
    let emulator;
    if (!cloud) {
        const { startEmulator } = require(path.join(root, 'dist', 'emulator', 'index.js'));
        // SIS may read the demo bucket, as after the console's "configure OBS access" (flash needs it).
        emulator = await startEmulator({
            port: Number(process.env.SIS_EMULATOR_PORT || 8790),
            obsGrantSis: ['sis-audio-stage'],
        });
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
    const samples = path.join(root, 'dist', 'emulator', 'samples');
    env.SIS_SAMPLE_EN = path.join(samples, 'en_16k.wav');
    env.SIS_SAMPLE_ZH = path.join(samples, 'zh_16k.wav');

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
    console.log(`Node-RED editor: http://127.0.0.1:${uiPort}/`);
    const stop = () => {
        red.kill('SIGTERM');
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    red.on('exit', async (code) => {
        if (emulator) await emulator.close();
        process.exit(code ?? 0);
    });
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
