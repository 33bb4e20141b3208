// sis-wyoming: a Wyoming server in a node, so Home Assistant's Assist takes its speech-to-text
// and text-to-speech from Huawei SIS. Each transcript and each spoken text also leaves the node
// as a message; each failure reaches Catch nodes once.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { SisClient } from '../cloud/sis-client';
import { SisError, toSisError } from '../core/errors';
import { reportLateError } from '../red/node-io';
import type { NodeAPI, NodeMessage } from '../red/types';
import type { UserNode } from '../red/user-node';
import { Semaphore } from '../tts/rest';
import { concurrencyOf, runtimeLimits } from '../tts/tts';
import { parseAllowList } from './allow';
import { buildInfo, parseLanguages, parseVoices } from './languages';
import { MdnsResponder } from './mdns';
import { WyomingServer } from './server';

export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_PORT = 10300;
export const DEFAULT_MAX_CONNECTIONS = 16;
export const DEFAULT_NAME = 'Huawei SIS';
/** Refused addresses named in the log, at most this many (a scan must not flood it). */
const MAX_REFUSED_LOGGED = 100;

export interface WyomingSettings {
    host?: unknown;
    port?: unknown;
    allow?: unknown;
    stt?: unknown;
    tts?: unknown;
    languages?: unknown;
    voices?: unknown;
    zeroconf?: unknown;
    name?: unknown;
    zeroconfName?: unknown;
    maxConnections?: unknown;
}

function flag(v: unknown, fallback: boolean): boolean {
    if (v === undefined || v === null || v === '') return fallback;
    return v === true || v === 'true' || v === 'yes' || v === 'on';
}

function intIn(v: unknown, fallback: number, min: number, max: number, what: string): number {
    if (v === undefined || v === null || v === '') return fallback;
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (!Number.isInteger(n) || n < min || n > max) {
        throw new SisError('INVALID_INPUT', `${what} must be a whole number from ${min} to ${max}`);
    }
    return n;
}

/** The package's version, for the `info` answer. */
function packageVersion(): string | null {
    let dir = __dirname;
    for (let i = 0; i < 6; i++) {
        const file = path.join(dir, 'package.json');
        if (existsSync(file)) {
            try {
                const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
                if (pkg.name === 'node-red-contrib-huaweicloud-sis') return pkg.version ?? null;
            } catch {
                return null;
            }
        }
        dir = path.dirname(dir);
    }
    return null;
}

export interface WyomingNodeHandle {
    server: WyomingServer | undefined;
    ready: Promise<void>;
}

export function attachWyoming(RED: NodeAPI, user: UserNode, settings: WyomingSettings): WyomingNodeHandle {
    const node = user.node;
    const t = (key: string, subs?: Record<string, string | number>): string =>
        user.t(`sis-wyoming.status.${key}`, subs);
    const handle: WyomingNodeHandle = { server: undefined, ready: Promise.resolve() };
    let closed = false;
    let mdns: MdnsResponder | undefined;
    const refusedLogged = new Set<string>();
    let lastStatus = '';

    const show = (fill: string, shape: string, text: string): void => {
        const key = `${fill}/${shape}/${text}`;
        if (key === lastStatus || closed) return;
        lastStatus = key;
        node.status({ fill, shape, text } as Parameters<typeof node.status>[0]);
    };

    let server: WyomingServer;
    try {
        const host =
            typeof settings.host === 'string' && settings.host.trim() !== '' ? settings.host.trim() : DEFAULT_HOST;
        const port = intIn(settings.port, DEFAULT_PORT, 0, 65535, 'port');
        const stt = flag(settings.stt, true);
        const tts = flag(settings.tts, true);
        const languages = parseLanguages(settings.languages);
        const voices = parseVoices(settings.voices);
        const limits = runtimeLimits(RED);
        server = new WyomingServer(
            {
                host,
                port,
                allow: parseAllowList(settings.allow),
                maxConnections: intIn(settings.maxConnections, DEFAULT_MAX_CONNECTIONS, 1, 1000, 'maxConnections'),
                stt,
                tts,
                languages,
                voices,
                info: buildInfo({ stt, tts, languages, voices, version: packageVersion() ?? '0' }),
                limiter: new Semaphore(concurrencyOf(undefined)),
                realtimeTimeoutMs: limits.realtimeTimeoutMs,
                maxTextLength: limits.maxTextLength,
            },
            {
                client: (): SisClient => user.requireClient().client,
                heard: (text, language, client) => {
                    if (closed) return;
                    node.send({ payload: text, wyoming: { client, language } } as NodeMessage);
                },
                spoke: (text, client) => {
                    if (closed) return;
                    node.send({ payload: text, topic: 'tts', wyoming: { client } } as NodeMessage);
                },
                failed: (err, client) => {
                    if (closed) return;
                    reportLateError(node, { payload: err.message, wyoming: { client } } as NodeMessage, err);
                },
                refused: (address) => {
                    if (closed || refusedLogged.has(address) || refusedLogged.size >= MAX_REFUSED_LOGGED) return;
                    refusedLogged.add(address);
                    node.warn(`sis-wyoming: closed a connection from ${address}, which is not in the allow list`);
                },
                changed: () => refresh(),
            },
        );
    } catch (err) {
        // Reported once the flow has started, so Status and Catch nodes see it.
        const e = toSisError(err);
        const later = setImmediate(() => {
            show('red', 'ring', t('failed', { code: e.code }));
            node.error(e, { sis_error: e.toInfo() } as NodeMessage);
        });
        user.onClose(() => {
            closed = true;
            clearImmediate(later);
        });
        return handle;
    }

    const refresh = (): void => {
        const port = server.port ?? '?';
        const busy = server.busyCount;
        if (busy > 0) show('blue', 'dot', t('busy', { count: busy, port }));
        else show('green', 'dot', t('listening', { port }));
    };

    user.onClose(async () => {
        closed = true;
        await Promise.all([server.close(), mdns?.stop()]);
    });

    if (!user.configNode()) return handle; // "not configured" is shown; nothing listens
    handle.server = server;
    handle.ready = server.listen().then(
        () => {
            if (closed) return;
            refresh();
            if (!flag(settings.zeroconf, true)) return;
            const name =
                typeof settings.name === 'string' && settings.name.trim() !== '' ? settings.name.trim() : DEFAULT_NAME;
            // `sisWyomingMdnsPort` in settings.js moves the responder off 5353 (tests, a second responder).
            const runtime = RED.settings as unknown as Record<string, unknown>;
            const mdnsPort = typeof runtime.sisWyomingMdnsPort === 'number' ? runtime.sisWyomingMdnsPort : undefined;
            mdns = new MdnsResponder({ name, port: server.port ?? DEFAULT_PORT, mdnsPort });
            mdns.start().catch((err: unknown) => {
                node.warn(`sis-wyoming: zeroconf announcement off: ${(err as Error).message}`);
            });
        },
        (err: unknown) => {
            if (closed) return;
            const e = toSisError(err);
            show('red', 'ring', t('failed', { code: e.code }));
            node.error(e, { sis_error: e.toInfo() } as NodeMessage);
        },
    );
    return handle;
}
