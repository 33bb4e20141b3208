// A Node-RED module the REST bench (bench/asr.ts) transpiles into a temporary folder and loads
// beside dist/nodes: the driver, the sink, and the floor nodes — the cheapest nodes that could do
// the same network work as sis-short-asr, sis-flash-asr and sis-tts (whole file): they read the
// same config node's endpoint and keys, sign with the bench's own signing (raw-signing.ts) and
// send with raw undici. Nothing of the package is imported.
//
// The driver keeps `inflight` inputs in flight through `node.receive()`; the Complete and Catch
// nodes of the flow report each finished input to the sink, which starts the next one. CPU time
// is read in this process with process.cpuUsage() around the run.
import { randomUUID } from 'node:crypto';
import { Agent } from 'undici';
import { type RawKeys, signObs, signSdk } from './raw-signing';

interface RedNode {
    id: string;
    on(event: 'input', cb: (msg: Msg, send: (m: Msg) => void, done: (err?: Error) => void) => void): void;
}
interface Red {
    nodes: {
        createNode(node: unknown, config: unknown): void;
        registerType(type: string, ctor: (this: RedNode, config: Record<string, unknown>) => void): void;
        getNode(id: string): (RedNode & { receive(msg: Msg): void; credentials?: Record<string, string> }) | null;
    };
    httpAdmin: {
        post(path: string, handler: (req: { body: RunRequest }, res: { json(v: unknown): void }) => void): void;
    };
}
type Msg = Record<string, unknown> & { payload?: unknown };

interface RunRequest {
    /** The node to feed (a sis node or a floor node). */
    target: string;
    total: number;
    inflight: number;
    /** base64 of the audio, or the text for sis-tts. */
    input: string;
    kind: 'audio' | 'text';
}

interface Run {
    target: string;
    total: number;
    sent: number;
    done: number;
    errors: number;
    started: Map<unknown, number>;
    lat: number[];
    input: Buffer | string;
    t0: number;
    cpu0: NodeJS.CpuUsage;
    reply: (v: unknown) => void;
}

const PROJECT_HEADER = 'x-project-id';

module.exports = (RED: Red) => {
    let run: Run | undefined;

    function next(r: Run): void {
        r.sent++;
        // receive() keeps a _msgid that is set; Complete and Catch nodes send clones that keep it.
        const msg: Msg = { _msgid: `bench-${r.sent}`, payload: r.input };
        r.started.set(msg._msgid, performance.now());
        RED.nodes.getNode(r.target)?.receive(msg);
    }

    function finished(msg: Msg, failed: boolean): void {
        const r = run;
        if (!r) return;
        const t = r.started.get(msg._msgid);
        r.started.delete(msg._msgid);
        r.done++;
        if (failed) r.errors++;
        if (t !== undefined) r.lat.push(performance.now() - t);
        if (r.sent < r.total) next(r);
        else if (r.done === r.total) {
            const cpu = process.cpuUsage(r.cpu0);
            run = undefined;
            r.reply({
                wall: (performance.now() - r.t0) / 1000,
                cpu: (cpu.user + cpu.system) / 1e6,
                errors: r.errors,
                latencies: r.lat.sort((a, b) => a - b),
            });
        }
    }

    RED.httpAdmin.post('/bench-rest/run', (req, res) => {
        const b = req.body;
        const r: Run = {
            target: b.target,
            total: b.total,
            sent: 0,
            done: 0,
            errors: 0,
            started: new Map(),
            lat: [],
            input: b.kind === 'audio' ? Buffer.from(b.input, 'base64') : b.input,
            t0: performance.now(),
            cpu0: process.cpuUsage(),
            reply: (v) => res.json(v),
        };
        run = r;
        for (let i = Math.min(b.inflight, b.total); i > 0; i--) next(r);
    });

    RED.nodes.registerType('bench-sink', function (this: RedNode, config) {
        RED.nodes.createNode(this, config);
        this.on('input', (msg, _send, done) => {
            if (msg.complete !== undefined) finished(msg, false);
            else if (msg.error !== undefined) finished(msg, true);
            done();
        });
    });

    RED.nodes.registerType('bench-floor', function (this: RedNode, config) {
        RED.nodes.createNode(this, config);
        // The keys are the config node's; the endpoint, project and bucket are the ones it is given.
        const cfg = RED.nodes.getNode(String(config.config)) as unknown as { credentials: { ak: string; sk: string } };
        const keys: RawKeys = { ak: cfg.credentials.ak, sk: cfg.credentials.sk };
        const endpoint = new URL(String(config.endpoint));
        const project = String(config.projectId);
        const bucket = String(config.obsBucket);
        const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
        const target = String(config.target);

        async function sis(path: string, query: string, body: string | undefined): Promise<Record<string, unknown>> {
            const full = `/v1/${project}${path}`;
            const headers = signSdk(
                'POST',
                endpoint.host,
                full,
                query,
                { 'content-type': 'application/json', [PROJECT_HEADER]: project },
                body,
                keys,
            );
            const res = await agent.request({
                origin: endpoint.origin,
                path: query ? `${full}?${query}` : full,
                method: 'POST',
                headers,
                body,
            });
            const json = (await res.body.json()) as Record<string, unknown>;
            if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
            return json;
        }

        async function obs(method: 'PUT' | 'DELETE', key: string, body?: Buffer): Promise<void> {
            const res = await agent.request({
                origin: endpoint.origin,
                path: `/${bucket}/${key}`,
                method,
                headers: signObs(method, bucket, key, 'audio/wav', body, keys),
                body,
            });
            await res.body.dump();
            if (res.statusCode >= 300) throw new Error(`OBS HTTP ${res.statusCode}`);
        }

        async function work(msg: Msg, send: (m: Msg) => void): Promise<void> {
            if (target === 'short') {
                const body = JSON.stringify({
                    config: { audio_format: 'wav', property: 'chinese_16k_common', add_punc: 'yes' },
                    data: (msg.payload as Buffer).toString('base64'),
                });
                const json = (await sis('/asr/short-audio', '', body)) as { result: { text: string } };
                send({ _msgid: msg._msgid, payload: json.result.text });
            } else if (target === 'flash') {
                const key = `bench/${randomUUID()}.wav`;
                await obs('PUT', key, msg.payload as Buffer);
                try {
                    const query = `add_punc=yes&audio_format=wav&obs_bucket_name=${bucket}&obs_object_key=${encodeURIComponent(key)}&property=chinese_16k_conversation`;
                    const json = (await sis('/asr/flash', query, undefined)) as {
                        flash_result: { sentences: { result: { text: string } }[] }[];
                    };
                    for (const s of json.flash_result[0]?.sentences ?? [])
                        send({ _msgid: msg._msgid, payload: s.result.text });
                } finally {
                    await obs('DELETE', key);
                }
            } else {
                const body = JSON.stringify({
                    text: msg.payload,
                    config: { audio_format: 'wav', sample_rate: '8000', property: 'chinese_xiaoyan_common' },
                });
                const json = (await sis('/tts', '', body)) as { result: { data: string } };
                msg.payload = Buffer.from(json.result.data, 'base64');
                send(msg);
            }
        }

        this.on('input', (msg, send, done) => {
            work(msg, send).then(() => done(), done);
        });
    });
};
