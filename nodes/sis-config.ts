import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { SisCredentials } from './lib/cloud/sis-client';
import { registerAdminRoutes } from './lib/red/admin';
import { buildClient, resolveEnvCredentials } from './lib/red/config-client';
import type { NodeAPI, SisConfigDef, SisConfigNode } from './lib/red/types';

const USER_RELEASE_GRACE_MS = 12_000;

/**
 * The package's sample recordings (`dist/emulator/samples` beside `dist/nodes`), published to flows
 * as the environment variable SIS_SAMPLES_DIR unless it is already set: the example flows read
 * `${SIS_SAMPLES_DIR}/zh_16k.wav`, which is then right wherever the package is installed.
 */
function publishSamplesDir(): void {
    const dir = path.resolve(__dirname, '..', 'emulator', 'samples');
    if (!process.env.SIS_SAMPLES_DIR && existsSync(dir)) process.env.SIS_SAMPLES_DIR = dir;
}

export = function register(RED: NodeAPI): void {
    publishSamplesDir();
    function SisConfig(this: SisConfigNode, def: SisConfigDef): void {
        RED.nodes.createNode(this, def);
        this.region = (def.region ?? '').trim();
        this.obsBucket = (def.obsBucket ?? '').trim() || undefined;
        const util = RED.util as unknown as { getSetting?: (n: unknown, name: string) => unknown };
        const credentials = resolveEnvCredentials(this.credentials ?? {}, (name) =>
            util.getSetting ? util.getSetting(this, name) : process.env[name],
        );
        try {
            this.client = buildClient(def, credentials);
        } catch (err) {
            this.configError = err instanceof Error ? err.message : String(err);
            this.error(RED._('sis-config.errors.invalid-config', { reason: this.configError }));
        }
        const users = new Set<string>();
        let released: (() => void) | undefined;
        this.register = (node) => {
            users.add(node.id);
        };
        this.deregister = (node) => {
            users.delete(node.id);
            if (users.size === 0) released?.();
        };
        this.on('close', (_removed: boolean, done: () => void) => {
            // Nodes closing in the same deploy may still need the client to clean up (e.g. delete
            // staged audio): wait until they have let go, for a bounded time.
            const allReleased =
                users.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (released = resolve));
            let timer: NodeJS.Timeout | undefined;
            const bounded = Promise.race([
                allReleased,
                new Promise<void>((resolve) => {
                    timer = setTimeout(resolve, USER_RELEASE_GRACE_MS);
                }),
            ]);
            bounded
                .then(async () => {
                    clearTimeout(timer);
                    const client = this.client;
                    this.client = undefined;
                    await client?.close();
                })
                .then(done, done);
        });
    }

    RED.nodes.registerType<SisConfigNode, SisConfigDef, unknown, SisCredentials>('sis-config', SisConfig, {
        credentials: {
            ak: { type: 'text' },
            sk: { type: 'password' },
            securityToken: { type: 'password' },
            username: { type: 'text' },
            password: { type: 'password' },
            domainName: { type: 'text' },
        },
    });
    registerAdminRoutes(RED);
};
