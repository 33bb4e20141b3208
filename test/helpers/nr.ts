// The real Node-RED runtime through the test helper: Node-RED 4.1 by default, or the one
// NODE_RED_MODULE names (e.g. `node-red-5`, see ./node-red-runtime).
import helper = require('node-red-node-test-helper');

import { findLeak } from './canary';
import { NODE_RED_MAIN, NODE_RED_MODULE, nodeRedVersion, resolveInRuntime } from './node-red-runtime';

export { NODE_RED_MODULE, nodeRedVersion };

helper.init(NODE_RED_MAIN);

// Every unload is also a search for the canary secret in what the flow logged and produced.
const unload = helper.unload.bind(helper);
// And every status a node set is checked to be words, not a catalog key nobody translated.
helper.unload = async () => {
    const spy = helper.log() as { args?: unknown[][] } | undefined;
    const leak = findLeak(spy?.args ?? []);
    const keys = statusKeys();
    const result = await unload();
    if (leak) throw new Error(`a secret reached a log, status, message or error: …${leak}…`);
    if (keys.length > 0) throw new Error(`a status shows a catalog key instead of words: ${keys.join(', ')}`);
    return result;
};

/** A text that is a catalog key (`sis-config.status.sentences`), not words. */
export const CATALOG_KEY = /^[\w-]+\.[\w.-]+$/;

/** Status texts set since the flow was loaded that are catalog keys. */
function statusKeys(): string[] {
    const proto = (helper as unknown as { _NodePrototype?: { status?: { args?: unknown[][] } } })._NodePrototype;
    const calls = proto?.status?.args ?? [];
    return calls
        .map((args) => (args[0] as { text?: unknown } | undefined)?.text)
        .filter((text): text is string => typeof text === 'string' && CATALOG_KEY.test(text));
}

export { helper };

interface HelperInternals {
    _redNodes: { setFlows(flow: unknown, credentials: unknown, type: string): Promise<unknown> };
    _events: { on(e: string, f: () => void): void; off(e: string, f: () => void): void };
}

/**
 * Deploys `flow` as the editor would and resolves once the runtime has started it. The helper's own
 * `setFlows` listens for the start only after the deploy returned and gives up after 300 ms, which
 * a loaded machine (closing nodes that finish their clean-up first) can miss.
 */
export async function deploy(
    flow: Flow,
    type: 'full' | 'nodes' | 'flows' = 'full',
    credentials: Record<string, unknown> = {},
    ms = 15_000,
): Promise<void> {
    const internals = helper as unknown as HelperInternals;
    let onStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`flows not started within ${ms} ms`)), ms);
        onStarted = () => {
            clearTimeout(timer);
            resolve();
        };
        internals._events.on('flows:started', onStarted);
    });
    try {
        await internals._redNodes.setFlows(flow, credentials, type);
        await started;
    } finally {
        internals._events.off('flows:started', onStarted);
    }
}

/** A flow as the helper takes it. */
export type Flow = helper.TestFlows;
export function asFlow(nodes: Record<string, unknown>[]): Flow {
    return nodes as unknown as Flow;
}

/** Built node modules, as they ship (`dist/nodes`). */
// biome-ignore lint/suspicious/noExplicitAny: the helper accepts any node module initialiser
export type NodeModule = any;

export function loadNode(name: string): NodeModule {
    return require(`../../dist/nodes/${name}.js`);
}

/** A core node module of the Node-RED under test (catch, complete, join...). */
export function coreNode(relative: string): NodeModule {
    return require(resolveInRuntime(`@node-red/nodes/core/${relative}`));
}

export const CORE = {
    catch: (): NodeModule => coreNode('common/25-catch.js'),
    complete: (): NodeModule => coreNode('common/24-complete.js'),
    status: (): NodeModule => coreNode('common/25-status.js'),
    join: (): NodeModule => coreNode('sequence/17-split.js'),
};
