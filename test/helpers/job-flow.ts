// The pieces of a flow for sis-job-asr in a real Node-RED process (./red-process): an inject node
// and a `file in` node feed the job node; Catch and Complete nodes watch it; function nodes pack
// what each saw into a JSON body, which one `http request` node posts to an event collector
// (startEventCollector). All on the tab `tab`.
import { configFor, type Emulator } from './emulator';

export type FlowNode = Record<string, unknown>;

/** The tab every node below stands on. */
export function tab(label: string): FlowNode {
    return { id: 'tab', type: 'tab', label };
}

/**
 * The sis-config `cfg` for the emulator (AK/SK), its credentials inline as the admin API takes
 * them; `credentials` replaces or adds some (e.g. `${SIS_AK}`, read from the environment).
 */
export function emulatorConfig(
    emu: Emulator,
    extra: Record<string, unknown> = {},
    credentials: Record<string, string> = {},
): FlowNode {
    const { node, credentials: own } = configFor(emu, 'aksk', extra);
    return { ...node, credentials: { ...own, ...credentials } };
}

/** An inject node `id` (setting `props`) whose `file in` node `${id}-file` reads `file` and sends it to `next`. */
export function audioSource(
    id: string,
    file: string,
    next: string,
    props: { p: string; vt: string; v: string }[],
): FlowNode[] {
    return [
        { id, type: 'inject', z: 'tab', props, repeat: '', once: false, x: 100, y: 100, wires: [[`${id}-file`]] },
        {
            id: `${id}-file`,
            type: 'file in',
            z: 'tab',
            filename: file,
            filenameType: 'str',
            format: '',
            chunk: false,
            sendError: false,
            allProps: false,
            x: 200,
            y: 100,
            wires: [[next]],
        },
    ];
}

/** A sis-job-asr node on `cfg` that recognises Chinese conversation into sentences, sent to `out`. */
export function jobNode(id: string, out: string, extra: Record<string, unknown> = {}): FlowNode {
    return {
        id,
        type: 'sis-job-asr',
        z: 'tab',
        config: 'cfg',
        property: 'chinese_16k_conversation',
        audio_format: 'auto',
        add_punc: 'yes',
        output: 'sentences',
        stagingPrefix: 'node-red/sis/',
        timeout: 10,
        x: 300,
        y: 100,
        wires: [[out]],
        ...extra,
    };
}

/** A Catch or Complete node for the nodes in `scope`, wired to `pack`. */
export function watcher(id: string, type: 'catch' | 'complete', scope: string[], pack: string): FlowNode {
    return { id, type, z: 'tab', scope, uncaught: false, x: 300, y: 200, wires: [[pack]] };
}

/**
 * A function node that packs a message into a JSON body for the collector: `kind`, the message's
 * payload, topic, sis_result and sis_error, and `extra` fields (name: a JavaScript expression of
 * the function node, e.g. `msg.keep` or `env.get('NAME')`). It sends to the node `post`.
 */
export function packer(id: string, kind: string, extra: Record<string, string> = {}): FlowNode {
    const fields = [
        `kind: '${kind}'`,
        'payload: msg.payload',
        'topic: msg.topic',
        'sis_result: msg.sis_result',
        'sis_error: msg.sis_error',
        ...Object.entries(extra).map(([name, expression]) => `${name}: ${expression}`),
    ];
    return {
        id,
        type: 'function',
        z: 'tab',
        name: `pack ${kind}`,
        func: [
            `msg.payload = { ${fields.join(', ')} };`,
            "msg.headers = { 'content-type': 'application/json' };",
            'return msg;',
        ].join('\n'),
        outputs: 1,
        noerr: 0,
        initialize: '',
        finalize: '',
        libs: [],
        x: 500,
        y: 100,
        wires: [['post']],
    };
}

/** The `http request` node `post` that posts each packed body to the collector at `url`. */
export function collectorPost(url: string): FlowNode {
    return {
        id: 'post',
        type: 'http request',
        z: 'tab',
        method: 'POST',
        ret: 'txt',
        paytoqs: 'ignore',
        url,
        tls: '',
        persist: false,
        proxy: '',
        insecureHTTPParser: false,
        authType: '',
        senderr: false,
        headers: [],
        x: 700,
        y: 100,
        wires: [[]],
    };
}
