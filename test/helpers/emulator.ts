// The project's own SIS emulator, started in-process on loopback for a test suite.
import { type Emulator, type EmulatorOptions, startEmulator } from '../../emulator/index';

export type { Emulator };

import { CANARY, CANARY_PASSWORD } from './canary';

export { CANARY, CANARY_PASSWORD };

export async function startCanaryEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
    return startEmulator({ ...opts, account: { sk: CANARY, password: CANARY_PASSWORD, ...opts.account } });
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
