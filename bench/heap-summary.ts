// Sums a V8 heap snapshot (as `bench/stream.ts --snapshot <dir>` writes them) by what holds the
// memory: `npx tsx bench/heap-summary.ts <during.heapsnapshot> [<before.heapsnapshot>] [--per 100]`.
//
// Prints, divided by `--per` (the sessions of the run):
// - self size by constructor (JS objects, strings, arrays, and the memory outside the JS heap that
//   ArrayBuffers hold, shown as "ArrayBuffer memory"), minus the same in the `before` snapshot;
// - retained size (what would be freed with it, from the dominator tree, weak references ignored)
//   of every instance of the classes that make up a session, and of each field of StreamSession;
// - the ArrayBuffer memory by the nearest of those classes that retains it.

import { readFileSync } from 'node:fs';

interface RawSnapshot {
    snapshot: {
        meta: {
            node_fields: string[];
            node_types: [string[], ...unknown[]];
            edge_fields: string[];
            edge_types: [string[], ...unknown[]];
        };
        node_count: number;
    };
    nodes: number[];
    edges: number[];
    strings: string[];
}

/** The classes a session is made of, nearest first when memory is attributed to an owner. */
const OWNERS = [
    'ByteQueue',
    'AudioBlocks',
    'AudioIntake',
    'BlockPool',
    'Receiver',
    'Sender',
    'WebSocket',
    'RasrSocket',
    'Socket',
    'ClientRequest',
    'StreamSession',
    'StreamAsr',
];

class Heap {
    readonly count: number;
    readonly type: Uint8Array;
    readonly name: string[];
    readonly self: Float64Array;
    readonly firstEdge: Uint32Array;
    readonly edgeTo: Uint32Array;
    readonly edgeType: Uint8Array;
    readonly edgeName: (string | number)[];
    readonly types: string[];
    readonly edgeTypes: string[];

    constructor(file: string) {
        const raw = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
        const m = raw.snapshot.meta;
        const nf = m.node_fields.length;
        const ef = m.edge_fields.length;
        const [fType, fName, fSelf, fEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) =>
            m.node_fields.indexOf(f),
        );
        const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => m.edge_fields.indexOf(f));
        this.types = m.node_types[0];
        this.edgeTypes = m.edge_types[0];
        const n = raw.nodes.length / nf;
        this.count = n;
        this.type = new Uint8Array(n);
        this.name = new Array<string>(n);
        this.self = new Float64Array(n);
        this.firstEdge = new Uint32Array(n + 1);
        const edges = raw.edges.length / ef;
        this.edgeTo = new Uint32Array(edges);
        this.edgeType = new Uint8Array(edges);
        this.edgeName = new Array<string | number>(edges);
        let e = 0;
        for (let i = 0; i < n; i++) {
            const o = i * nf;
            this.type[i] = raw.nodes[o + fType];
            this.name[i] = raw.strings[raw.nodes[o + fName]];
            this.self[i] = raw.nodes[o + fSelf];
            this.firstEdge[i] = e;
            const k = raw.nodes[o + fEdges];
            for (let j = 0; j < k; j++, e++) {
                const eo = e * ef;
                const t = raw.edges[eo + eType];
                this.edgeType[e] = t;
                this.edgeTo[e] = raw.edges[eo + eTo] / nf;
                const kind = this.edgeTypes[t];
                const v = raw.edges[eo + eName];
                this.edgeName[e] = kind === 'element' || kind === 'hidden' ? v : raw.strings[v];
            }
        }
        this.firstEdge[n] = e;
    }

    /** A readable class of node `i`: the constructor of an object, else its kind. */
    classOf(i: number): string {
        const t = this.types[this.type[i]];
        if (t === 'object' || t === 'closure') return t === 'closure' ? 'Function' : this.name[i];
        if (t === 'native' && this.name[i].includes('JSArrayBufferData')) return 'ArrayBuffer memory';
        if (t === 'native') return `(native) ${this.name[i]}`;
        return `(${t})`;
    }

    /** Immediate dominators (weak edges ignored), from the root, node 0, by Cooper–Harvey–Kennedy. */
    dominators(): { idom: Int32Array; post: Int32Array; order: Uint32Array } {
        const n = this.count;
        const weak = this.edgeTypes.indexOf('weak');
        const post = new Int32Array(n).fill(-1);
        const order = new Uint32Array(n);
        const seen = new Uint8Array(n);
        const stack = new Uint32Array(n);
        const cursor = new Uint32Array(n);
        let sp = 0;
        let count = 0;
        stack[sp++] = 0;
        seen[0] = 1;
        cursor[0] = this.firstEdge[0];
        while (sp > 0) {
            const v = stack[sp - 1];
            let pushed = false;
            while (cursor[v] < this.firstEdge[v + 1]) {
                const e = cursor[v]++;
                if (this.edgeType[e] === weak) continue;
                const w = this.edgeTo[e];
                if (seen[w]) continue;
                seen[w] = 1;
                cursor[w] = this.firstEdge[w];
                stack[sp++] = w;
                pushed = true;
                break;
            }
            if (!pushed) {
                sp--;
                post[v] = count;
                order[count++] = v;
            }
        }
        // Predecessors (reachable ones only), in CSR form.
        const predCount = new Uint32Array(n + 1);
        for (let v = 0; v < n; v++) {
            if (post[v] < 0) continue;
            for (let e = this.firstEdge[v]; e < this.firstEdge[v + 1]; e++)
                if (this.edgeType[e] !== weak) predCount[this.edgeTo[e] + 1]++;
        }
        for (let v = 0; v < n; v++) predCount[v + 1] += predCount[v];
        const preds = new Uint32Array(predCount[n]);
        const fill = predCount.slice(0, n);
        for (let v = 0; v < n; v++) {
            if (post[v] < 0) continue;
            for (let e = this.firstEdge[v]; e < this.firstEdge[v + 1]; e++)
                if (this.edgeType[e] !== weak) preds[fill[this.edgeTo[e]]++] = v;
        }
        const idom = new Int32Array(n).fill(-1);
        idom[0] = 0;
        const intersect = (a: number, b: number): number => {
            while (a !== b) {
                while (post[a] < post[b]) a = idom[a];
                while (post[b] < post[a]) b = idom[b];
            }
            return a;
        };
        for (let changed = true; changed; ) {
            changed = false;
            for (let k = count - 1; k >= 0; k--) {
                const v = order[k];
                if (v === 0) continue;
                let d = -1;
                for (let p = predCount[v]; p < predCount[v + 1]; p++) {
                    const u = preds[p];
                    if (idom[u] < 0) continue;
                    d = d < 0 ? u : intersect(u, d);
                }
                if (d >= 0 && idom[v] !== d) {
                    idom[v] = d;
                    changed = true;
                }
            }
        }
        return { idom, post, order: order.subarray(0, count) };
    }
}

function bySelf(heap: Heap): Map<string, { count: number; bytes: number }> {
    const out = new Map<string, { count: number; bytes: number }>();
    for (let i = 0; i < heap.count; i++) {
        const c = heap.classOf(i);
        const entry = out.get(c) ?? { count: 0, bytes: 0 };
        entry.count++;
        entry.bytes += heap.self[i];
        out.set(c, entry);
    }
    return out;
}

function main(): void {
    const files = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--per');
    const perAt = process.argv.indexOf('--per');
    const per = perAt > 0 ? Number(process.argv[perAt + 1]) : 100;
    const kib = (b: number): string => (b / per / 1024).toFixed(2);
    const during = new Heap(files[0]);
    const now = bySelf(during);
    const before = files[1] ? bySelf(new Heap(files[1])) : new Map<string, { count: number; bytes: number }>();
    const rows = [...now.entries()]
        .map(([c, v]) => ({
            c,
            count: (v.count - (before.get(c)?.count ?? 0)) / per,
            bytes: v.bytes - (before.get(c)?.bytes ?? 0),
        }))
        .sort((a, b) => b.bytes - a.bytes);
    const total = rows.reduce((a, r) => a + r.bytes, 0);
    console.log(`\nSelf size by class${files[1] ? ', growth over the first snapshot' : ''} (KiB per ${per}):`);
    console.log(`  total ${kib(total)}`);
    for (const r of rows.slice(0, 30))
        console.log(`  ${kib(r.bytes).padStart(8)}  ${r.count.toFixed(1).padStart(7)} x  ${r.c}`);

    const { idom, order } = during.dominators();
    const retained = Float64Array.from(during.self);
    for (const v of order) if (v !== 0 && idom[v] >= 0) retained[idom[v]] += retained[v];

    console.log(`\nRetained size of each class's instances (KiB per ${per}):`);
    for (const owner of OWNERS) {
        let n = 0;
        let sum = 0;
        for (let i = 0; i < during.count; i++)
            if (during.types[during.type[i]] === 'object' && during.name[i] === owner) {
                n++;
                sum += retained[i];
            }
        if (n > 0) console.log(`  ${kib(sum).padStart(8)}  ${String(n).padStart(5)} x ${owner}`);
    }

    console.log(
        `\nRetained size of StreamSession's fields (KiB per ${per}; what two fields share counts for neither):`,
    );
    const fields = new Map<string, number>();
    let sessionSelf = 0;
    for (let i = 0; i < during.count; i++) {
        if (during.name[i] !== 'StreamSession' || during.types[during.type[i]] !== 'object') continue;
        sessionSelf += during.self[i];
        for (let e = during.firstEdge[i]; e < during.firstEdge[i + 1]; e++) {
            const to = during.edgeTo[e];
            if (idom[to] !== i) continue;
            const f = String(during.edgeName[e]);
            fields.set(f, (fields.get(f) ?? 0) + retained[to]);
        }
    }
    console.log(`  ${kib(sessionSelf).padStart(8)}  (the objects themselves)`);
    for (const [f, b] of [...fields.entries()].sort((a, b) => b[1] - a[1]))
        console.log(`  ${kib(b).padStart(8)}  ${f}`);

    console.log(`\nArrayBuffer memory by its nearest owner (KiB per ${per}):`);
    const isOwner = new Set(OWNERS);
    const owners = new Map<string, number>();
    for (let i = 0; i < during.count; i++) {
        if (during.classOf(i) !== 'ArrayBuffer memory' || idom[i] < 0) continue;
        let o = idom[i];
        while (o !== 0 && !(during.types[during.type[o]] === 'object' && isOwner.has(during.name[o]))) o = idom[o];
        const key = o === 0 ? '(none of these: shared or from the roots)' : during.name[o];
        owners.set(key, (owners.get(key) ?? 0) + during.self[i]);
    }
    for (const [o, b] of [...owners.entries()].sort((a, b) => b[1] - a[1]))
        console.log(`  ${kib(b).padStart(8)}  ${o}`);
}

main();
