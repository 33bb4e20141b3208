import { readFileSync } from 'node:fs';
import { SisClient, type SisCredentials } from './lib/cloud/sis-client';
import { SisError } from './lib/core/errors';
import { registerAdminRoutes } from './lib/red/admin';
import type { NodeAPI, SisConfigDef, SisConfigNode } from './lib/red/types';
import { SharedState } from './lib/redis/redis';

const ENV_RE = /^\$\{(\S+)\}$/;
const USER_RELEASE_GRACE_MS = 12_000;

function num(value: number | string | undefined, fallback: number, min: number, max: number): number {
    const n = typeof value === 'number' ? value : Number.parseFloat(String(value ?? ''));
    return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

export = function register(RED: NodeAPI): void {
    /** Whole-value `${VAR}` in a credential, as Node-RED does for properties. */
    function resolveEnv(node: SisConfigNode, value: string | undefined): string | undefined {
        if (typeof value !== 'string') return undefined;
        const m = ENV_RE.exec(value.trim());
        if (!m) return value;
        const util = RED.util as unknown as { getSetting?: (n: unknown, name: string) => unknown };
        const resolved = util.getSetting ? util.getSetting(node, m[1]) : process.env[m[1]];
        return typeof resolved === 'string' ? resolved : undefined;
    }

    function SisConfig(this: SisConfigNode, def: SisConfigDef): void {
        RED.nodes.createNode(this, def);
        this.region = (def.region ?? '').trim();
        this.obsBucket = (def.obsBucket ?? '').trim() || undefined;
        const c: SisCredentials = this.credentials ?? {};
        const credentials: SisCredentials = {};
        for (const key of ['ak', 'sk', 'securityToken', 'username', 'password', 'domainName'] as const) {
            credentials[key] = resolveEnv(this, c[key]);
        }
        let ca: string | undefined;
        try {
            const caFile = (def.caFile ?? '').trim();
            if (caFile) {
                try {
                    ca = readFileSync(caFile, 'utf8');
                } catch {
                    throw new SisError('NOT_CONFIGURED', `cannot read the CA file ${caFile}`);
                }
            }
            this.client = new SisClient({
                region: this.region,
                projectId: def.projectId,
                authType: def.authType,
                endpoint: def.endpoint,
                iamEndpoint: def.iamEndpoint,
                obsEndpoint: def.obsEndpoint,
                obsBucket: def.obsBucket,
                credentials,
                http: {
                    maxConcurrent: num(def.maxConcurrent, 16, 1, 256),
                    requestTimeoutMs: num(def.timeout, 120, 1, 3600) * 1000,
                    maxRetries: num(def.maxRetries, 3, 0, 10),
                    ca,
                    userAgent: 'node-red-contrib-huaweicloud-sis',
                },
            });
        } catch (err) {
            this.configError = err instanceof Error ? err.message : String(err);
            this.error(RED._('sis-config.errors.invalid-config', { reason: this.configError }));
        }
        // Shared state between instances (optional): the Redis client is loaded only when a URL is set.
        const redisUrl = typeof def.redisUrl === 'string' ? def.redisUrl.trim() : '';
        let shared: SharedState | undefined;
        if (redisUrl) {
            const rc = (this.credentials ?? {}) as { redisUsername?: string; redisPassword?: string };
            const settings = RED.settings as unknown as { sisSharedLeaseMs?: unknown; userDir?: unknown };
            shared = new SharedState(
                {
                    url: redisUrl,
                    username: resolveEnv(this, rc.redisUsername) || undefined,
                    password: resolveEnv(this, rc.redisPassword) || undefined,
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
};
