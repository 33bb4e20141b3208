// Builds a test flow around one SIS node: its config node, an output collector, a Catch node, a
// Complete node and a Status node, all on one tab.
import type { Node } from 'node-red';
import { observe } from './canary';
import { configFor, type Emulator } from './emulator';
import { asFlow, CORE, helper, loadNode, type NodeModule } from './nr';
import { delay } from './wait';

export interface Collected {
    out: Record<string, unknown>[][];
    caught: Record<string, unknown>[];
    completed: Record<string, unknown>[];
    statuses: Record<string, unknown>[];
}

export interface Harness extends Collected {
    node: Node;
    send(msg: Record<string, unknown>): void;
    /** Waits until `n` messages arrived on output `port` (0-based). */
    outputs(n: number, port?: number, ms?: number): Promise<Record<string, unknown>[]>;
    errors(n: number, ms?: number): Promise<Record<string, unknown>[]>;
    completions(n: number, ms?: number): Promise<Record<string, unknown>[]>;
    /** Asserts that nothing more arrives for `ms`. */
    quiet(ms?: number): Promise<void>;
}

export interface HarnessOptions {
    authType?: 'aksk' | 'password';
    configExtra?: Record<string, unknown>;
    credentials?: Record<string, string>;
    outputs?: number;
    extraNodes?: Record<string, unknown>[];
    extraModules?: NodeModule[];
    /** Id of the node under test (default `n1`); nodes that hand work to their successor match by id. */
    id?: string;
    /** Wire output 0 to this node id instead of the collector. */
    wire0To?: string;
}

async function waitFor<T>(
    list: T[],
    n: number,
    ms: number,
    what: string,
    failFast?: Record<string, unknown>[],
): Promise<T[]> {
    const end = Date.now() + ms;
    while (list.length < n) {
        if (failFast?.length) {
            throw new Error(`expected ${n} ${what}, but an error was caught: ${JSON.stringify(failFast[0].error)}`);
        }
        if (Date.now() > end) throw new Error(`expected ${n} ${what}, got ${list.length}`);
        await delay(5);
    }
    return list.slice(0, n);
}

export async function harness(
    emu: Emulator,
    type: string,
    props: Record<string, unknown>,
    opts: HarnessOptions = {},
): Promise<Harness> {
    const { node: cfg, credentials } = configFor(emu, opts.authType ?? 'aksk', opts.configExtra);
    const outputs = opts.outputs ?? 1;
    const nodeId = opts.id ?? 'n1';
    const wires = Array.from({ length: outputs }, (_, i) => [i === 0 && opts.wire0To ? opts.wire0To : `out${i}`]);
    const flow: Record<string, unknown>[] = [
        { id: 'tab', type: 'tab', label: 'test' },
        cfg,
        { id: nodeId, type, z: 'tab', name: 'under test', config: 'cfg', wires, ...props },
        ...Array.from({ length: outputs }, (_, i) => ({ id: `out${i}`, type: 'helper', z: 'tab' })),
        { id: 'catch', type: 'catch', z: 'tab', scope: [nodeId], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper', z: 'tab' },
        { id: 'complete', type: 'complete', z: 'tab', scope: [nodeId], uncaught: false, wires: [['completed']] },
        { id: 'completed', type: 'helper', z: 'tab' },
        { id: 'status', type: 'status', z: 'tab', scope: [nodeId], wires: [['statuses']] },
        { id: 'statuses', type: 'helper', z: 'tab' },
        ...(opts.extraNodes ?? []),
    ].map((n) => (n.z ? { x: 100, y: 100, ...n } : n));
    const modules = [
        loadNode('sis-config'),
        loadNode(type),
        CORE.catch(),
        CORE.complete(),
        CORE.status(),
        ...(opts.extraModules ?? []),
    ];
    await helper.load(modules, asFlow(flow), { cfg: { ...credentials, ...opts.credentials } });
    const collected: Collected = {
        out: Array.from({ length: outputs }, () => []),
        caught: [],
        completed: [],
        statuses: [],
    };
    for (let i = 0; i < outputs; i++) {
        const collector = helper.getNode(`out${i}`);
        collector?.on('input', (msg: Record<string, unknown>) => collected.out[i].push(msg));
    }
    helper.getNode('caught').on('input', (msg: Record<string, unknown>) => collected.caught.push(msg));
    helper.getNode('completed').on('input', (msg: Record<string, unknown>) => collected.completed.push(msg));
    helper.getNode('statuses').on('input', (msg: Record<string, unknown>) => collected.statuses.push(msg));
    observe(collected);
    const node = helper.getNode(nodeId);
    const snapshot = (): number =>
        collected.out.reduce((a, o) => a + o.length, 0) + collected.caught.length + collected.completed.length;
    return {
        ...collected,
        node,
        send: (msg) => node.receive(msg),
        outputs: (n, port = 0, ms = 10_000) =>
            waitFor(collected.out[port], n, ms, `messages on output ${port}`, collected.caught),
        errors: (n, ms = 10_000) => waitFor(collected.caught, n, ms, 'caught errors'),
        completions: (n, ms = 10_000) => waitFor(collected.completed, n, ms, 'completions', collected.caught),
        quiet: async (ms = 150) => {
            const before = snapshot();
            await delay(ms);
            if (snapshot() !== before) throw new Error('unexpected extra output');
        },
    };
}
