// The project's own SIS emulator, started in-process on loopback for a test suite.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ACCOUNT, type Emulator, type EmulatorOptions, startEmulator } from '../../emulator/index';

export type { Emulator };

import { CANARY, CANARY_PASSWORD } from './canary';

export { CANARY, CANARY_PASSWORD };

/**
 * The emulator with canary secrets. SIS may read the account's staging bucket (as after the
 * console's "configure OBS access"), which flash recognition of OBS objects needs; pass
 * `obsGrantSis: []` to keep it private.
 */
export async function startCanaryEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
    const bucket = opts.account?.bucket ?? DEFAULT_ACCOUNT.bucket;
    return startEmulator({
        obsGrantSis: [bucket],
        ...opts,
        account: { sk: CANARY, password: CANARY_PASSWORD, ...opts.account },
    });
}

/**
 * A flow of `examples/` wired to the emulator: its sis-config points at `emu` with AK/SK, debug
 * nodes (which need the editor) become helper collectors. `credentials` is keyed by node id.
 */
export function exampleFlow(
    file: string,
    emu: Emulator,
): { nodes: Record<string, unknown>[]; credentials: Record<string, Record<string, string>> } {
    const flow = JSON.parse(readFileSync(path.join(__dirname, '../../examples', file), 'utf8')) as Record<
        string,
        unknown
    >[];
    const { node: cfg, credentials } = configFor(emu, 'aksk');
    // Comment nodes only carry notes; the demo credentials shipped in the flow give way to the emulator's.
    const nodes = flow
        .filter((n) => n.type !== 'comment')
        .map((n) => {
            if (n.type === 'sis-config') {
                const { credentials: _shipped, ...rest } = n;
                return { ...rest, ...cfg, id: n.id, name: n.name };
            }
            if (n.type === 'debug') return { id: n.id, z: n.z, type: 'helper', name: n.name };
            return n;
        });
    const configId = String(flow.find((n) => n.type === 'sis-config')?.id);
    return { nodes, credentials: { [configId]: credentials } };
}

/** A sis-config node definition and its credentials for the emulator. */
export function configFor(
    emu: Emulator,
    authType: 'aksk' | 'password',
    extra: Record<string, unknown> = {},
): { node: Record<string, unknown>; credentials: Record<string, string> } {
    const a = emu.account;
    const node = {
        id: 'cfg',
        type: 'sis-config',
        name: 'emulator',
        region: a.region,
        projectId: '',
        authType,
        endpoint: emu.url,
        iamEndpoint: emu.url,
        obsEndpoint: emu.url,
        obsBucket: a.bucket,
        maxRetries: 3,
        ...extra,
    };
    const credentials: Record<string, string> =
        authType === 'aksk'
            ? { ak: a.ak, sk: a.sk }
            : { username: a.username, password: a.password, domainName: a.domainName };
    return { node, credentials };
}

/** Log entries of the emulator for one route. */
export function routeLog(emu: Emulator, route: string): ReturnType<Emulator['log']['entries']> {
    return emu.log.entries().filter((e) => e.route === route);
}

/**
 * The usual suite set-up: one emulator for the suite (fixtures' transcripts registered), faults
 * and the request log cleared and a Node-RED test runtime started for every test, the flow
 * unloaded after it. Returns a getter for the emulator.
 */
export function useEmulator(opts: EmulatorOptions = {}, transcripts: string[] = []): () => Emulator {
    // Imported lazily so suites that only need the emulator do not load the runtime helper.
    const { helper } = require('./nr') as typeof import('./nr');
    const { fixture, transcript } = require('./fixtures') as typeof import('./fixtures');
    let emu: Emulator | undefined;
    before(async () => {
        emu = await startCanaryEmulator(opts);
        for (const name of transcripts) emu.transcripts.register(fixture(name), transcript(name));
    });
    after(async () => {
        await emu?.close();
    });
    beforeEach((done) => {
        emu?.faults.clear();
        emu?.log.clear();
        helper.startServer(done);
    });
    afterEach(async () => {
        await helper.unload();
        await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    });
    return () => {
        if (!emu) throw new Error('the emulator is not started');
        return emu;
    };
}

export interface EmulatorProcess {
    url: string;
    config: Record<string, string>;
    stop(): Promise<void>;
}

/**
 * The built emulator in a child process, for suites that measure this process's own heap or
 * handles (an in-process emulator would count in them). Transcripts are registered through its
 * admin API.
 */
export async function startEmulatorProcess(args: string[] = []): Promise<EmulatorProcess> {
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    const path = require('node:path') as typeof import('node:path');
    const cli = path.resolve(__dirname, '../../dist/emulator/cli.js');
    const grant = ['--obs-grant-sis', DEFAULT_ACCOUNT.bucket];
    const child = spawn(process.execPath, [cli, '--port', '0', ...grant, ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the emulator did not start: ${text}`)), 10_000);
        child.stdout?.on('data', (chunk: Buffer) => {
            text += chunk.toString('utf8');
            const m = /listening on (https?:\/\/\S+)/.exec(text);
            if (m) {
                clearTimeout(timer);
                resolve(m[1]);
            }
        });
        child.once('exit', (code) => reject(new Error(`the emulator exited (${code}): ${text}`)));
    });
    const config = (await (await fetch(`${url}/__emulator/config`)).json()) as Record<string, string>;
    return {
        url,
        config,
        stop: () =>
            new Promise((resolve) => {
                if (child.exitCode !== null) {
                    resolve();
                    return;
                }
                child.once('exit', () => resolve());
                child.kill('SIGTERM');
            }),
    };
}
