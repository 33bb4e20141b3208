import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { SisCredentials } from './lib/cloud/sis-client';
import { registerAdminRoutes } from './lib/red/admin';
import { buildSisClient, readCaFile, resolveCredentials, resolveEnv } from './lib/red/config-client';
import type { NodeAPI, SisConfigDef, SisConfigNode } from './lib/red/types';
import { SharedState } from './lib/redis/redis';
import { registerVocabularyRoutes } from './lib/vocabulary/admin';

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
        this.resolvedCredentials = resolveCredentials(RED, this, this.credentials ?? {});
        try {
            this.client = buildSisClient(def, this.resolvedCredentials);
        } catch (err) {
            this.configError = err instanceof Error ? err.message : String(err);
            this.error(RED._('sis-config.errors.invalid-config', { reason: this.configError }));
        }
        // Shared state between instances (optional): the Redis client is loaded only when a URL is set.
        const redisUrl = typeof def.redisUrl === 'string' ? def.redisUrl.trim() : '';
        let shared: SharedState | undefined;
        if (redisUrl) {
            let ca: string | undefined;
            try {
                ca = readCaFile(def);
            } catch {
                // Reported above with the client; Redis then goes without the extra CA.
            }
            const rc = (this.credentials ?? {}) as { redisUsername?: string; redisPassword?: string };
            const settings = RED.settings as unknown as { sisSharedLeaseMs?: unknown; userDir?: unknown };
            shared = new SharedState(
                {
                    url: redisUrl,
                    username: resolveEnv(RED, this, rc.redisUsername) || undefined,
                    password: resolveEnv(RED, this, rc.redisPassword) || undefined,
                    prefix: typeof def.redisPrefix === 'string' ? def.redisPrefix : undefined,
                    ca,
                    leaseMs: settings.sisSharedLeaseMs as number | undefined,
                    searchPaths: typeof settings.userDir === 'string' ? [settings.userDir] : [],
                },
                { warn: (m) => this.warn(m), log: (m) => this.log(m) },
            );
            if (shared.error) this.error(RED._('sis-config.errors.shared', { reason: shared.error }));
            (this as SisConfigNode & { sharedState?: SharedState }).sharedState = shared;
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
                    await Promise.allSettled([client?.close(), shared?.close()]);
                })
                .then(done, done);
        });
    }

    type ConfigCredentials = SisCredentials & { redisUsername?: string; redisPassword?: string };
    RED.nodes.registerType<SisConfigNode, SisConfigDef, unknown, ConfigCredentials>('sis-config', SisConfig, {
        credentials: {
            ak: { type: 'text' },
            sk: { type: 'password' },
            securityToken: { type: 'password' },
            username: { type: 'text' },
            password: { type: 'password' },
            domainName: { type: 'text' },
            redisUsername: { type: 'text' },
            redisPassword: { type: 'password' },
        },
    });
    registerAdminRoutes(RED);
    registerVocabularyRoutes(RED);
};
