// What every SIS processing node shares: finding its config node, a guarded input handler that
// always ends in exactly one done(), aborting work on close (and waiting for its clean-up, such as
// deleting staged audio), and the status helper.

import { setMaxListeners } from 'node:events';
import { sleep } from '../cloud/http';
import type { SisClient } from '../cloud/sis-client';
import { SisError } from '../core/errors';
import { runtimeLanguage, type Translate, translator } from './i18n';
import { reportError, StatusTracker } from './node-io';
import type { DoneFn, Node, NodeAPI, NodeMessage, SendFn, SisConfigNode, SisUserDef } from './types';

export interface InputContext {
    msg: NodeMessage;
    send: SendFn;
    signal: AbortSignal;
    client: SisClient;
    config: SisConfigNode;
}

export type InputHandler = (ctx: InputContext) => Promise<void>;

/** Where a node reads its input and writes its result: `msg.payload` unless the node says otherwise. */
export interface FieldSettings {
    /** The input's property (`payload`), of type `inputFieldType` (msg, flow, global or env). */
    inputField?: unknown;
    inputFieldType?: unknown;
    /** The `msg` property the result is written to (`payload`). */
    outputField?: unknown;
}

const INPUT_TYPES = new Set(['msg', 'flow', 'global', 'env']);

/** How long a closing node waits for in-flight work to finish its clean-up. */
const CLOSE_GRACE_MS = 10_000;

export class UserNode {
    readonly status: StatusTracker;
    /** Runtime texts (statuses) in Node-RED's language, from the package's catalogs. */
    readonly t: Translate;
    /**
     * Aborted when the node closes: the signal all of its inputs' work runs under. Only closing
     * aborts an input's work, so one for every input does, and costs no controller per message.
     */
    private readonly stopping = new AbortController();
    /** Inputs' work still running, waited for on close. */
    private readonly running = new Set<Promise<void>>();
    private readonly closeHooks: ((removed: boolean) => Promise<void> | void)[] = [];
    private closed = false;
    private inputField = 'payload';
    private inputType = 'msg';
    private outputField = 'payload';
    /** The config node is fixed for this node's life (Node-RED recreates users when it changes). */
    private readonly config: SisConfigNode | undefined;

    constructor(
        readonly RED: NodeAPI,
        readonly node: Node,
        private readonly configId: string | undefined,
    ) {
        // As many inputs may be in flight as the flow sends, each listening while it waits.
        setMaxListeners(0, this.stopping.signal);
        this.t = translator(runtimeLanguage(RED.settings));
        this.status = new StatusTracker(node, this.t);
        const config = this.lookupConfig();
        this.config = config;
        if (config) config.register(node);
        else this.status.show('red', 'ring', 'not-configured');
        node.on('close', (removed: boolean, done: () => void) => {
            this.close(removed, config).then(done, done);
        });
    }

    private async close(removed: boolean, config: SisConfigNode | undefined): Promise<void> {
        this.closed = true;
        this.stopping.abort();
        const work = [...this.running, ...this.closeHooks.map((hook) => Promise.resolve().then(() => hook(removed)))];
        const grace = new AbortController();
        await Promise.race([Promise.allSettled(work), sleep(CLOSE_GRACE_MS, grace.signal).catch(() => undefined)]);
        grace.abort();
        this.running.clear();
        this.status.clear();
        config?.deregister(this.node);
    }

    /**
     * Reads the input from another property than `msg.payload` (a msg, flow, global or env
     * property) and writes the result to another `msg` property, as the node's settings say. The
     * handlers keep working on `msg.payload`: the input is put there before they run, and results
     * sent through `send` are moved to the output property, the input's own payload restored.
     */
    useFields(settings: FieldSettings | SisUserDef): void {
        const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
        const type = text(settings.inputFieldType) ?? 'msg';
        this.inputType = INPUT_TYPES.has(type) ? type : 'msg';
        this.inputField = text(settings.inputField) ?? 'payload';
        this.outputField = text(settings.outputField) ?? 'payload';
    }

    /** Puts the configured input into `msg.payload`; returns the payload it replaced. */
    private takeInput(msg: NodeMessage): { had: boolean; payload: unknown } {
        const before = { had: Object.hasOwn(msg, 'payload'), payload: msg.payload };
        this.moveInput(msg);
        return before;
    }

    /** Puts the configured input into `msg.payload` (nothing to do, and nothing allocated, for msg.payload). */
    private moveInput(msg: NodeMessage): void {
        if (this.inputType === 'msg' && this.inputField === 'payload') return;
        const util = this.RED.util as unknown as {
            evaluateNodeProperty(value: string, type: string, node: Node, msg: NodeMessage): unknown;
        };
        msg.payload = util.evaluateNodeProperty(this.inputField, this.inputType, this.node, msg);
    }

    /** A `send` that moves each message's result from `msg.payload` to the output property. */
    private placing(send: SendFn, original: { had: boolean; payload: unknown }): SendFn {
        if (this.outputField === 'payload') return send;
        const field = this.outputField;
        const util = this.RED.util as unknown as {
            setMessageProperty(msg: NodeMessage, prop: string, value: unknown): void;
        };
        const place = (m: NodeMessage | null | undefined): void => {
            if (!m || typeof m !== 'object') return;
            const result = m.payload;
            if (original.had) m.payload = original.payload;
            else delete (m as Partial<NodeMessage>).payload;
            util.setMessageProperty(m, field, result);
        };
        return (out) => {
            const walk = (v: unknown): void => {
                if (Array.isArray(v)) v.forEach(walk);
                else place(v as NodeMessage | null);
            };
            walk(out);
            send(out);
        };
    }

    /**
     * Sends results that come after the input's handler finished (a job's, followed in the
     * background), with the result moved to the output property as `send` in a handler does. The
     * kept input message holds no payload (Buffers are not kept), so none is restored.
     */
    sendLater(out: Parameters<SendFn>[0]): void {
        this.placing((m) => this.node.send(m), { had: false, payload: undefined })(out);
    }

    /** Runs when the node closes, before it lets go of its config node. */
    onClose(hook: (removed: boolean) => Promise<void> | void): void {
        this.closeHooks.push(hook);
    }

    get isClosed(): boolean {
        return this.closed;
    }

    /**
     * The config node found at construction: during a deploy Node-RED no longer finds closing
     * nodes by id, but close hooks still need the client to clean up.
     */
    configNode(): SisConfigNode | undefined {
        return this.config;
    }

    private lookupConfig(): SisConfigNode | undefined {
        const n = this.configId ? (this.RED.nodes.getNode(this.configId) as SisConfigNode | null) : null;
        return n?.type === 'sis-config' ? n : undefined;
    }

    /** The config node's client, or a NOT_CONFIGURED error. */
    requireClient(): { client: SisClient; config: SisConfigNode } {
        const config = this.configNode();
        if (!config?.client) throw this.notConfigured();
        return { client: config.client, config };
    }

    private notConfigured(): SisError {
        const config = this.config;
        return new SisError(
            'NOT_CONFIGURED',
            config?.configError ? `sis-config: ${config.configError}` : 'no usable sis-config node is selected',
        );
    }

    /**
     * Registers a synchronous input handler: the message is finished when the handler returns,
     * and what it throws goes to done(err). Nothing is allocated per message besides what the
     * handler does: at a chunk per message and real-time rates, per-message objects that point
     * at the message would keep it alive past young-generation collections and fill the old one.
     */
    onInputSync(handler: (msg: NodeMessage, client: SisClient) => void): void {
        this.node.on('input', (msg: NodeMessage, _send: SendFn, done: DoneFn) => {
            try {
                if (this.closed) throw new SisError('CANCELLED', 'the node was stopped');
                const client = this.config?.client;
                if (!client) throw this.notConfigured();
                this.moveInput(msg);
                handler(msg, client);
            } catch (err) {
                this.status.fail(err);
                reportError(msg, done, err);
                return;
            }
            done();
        });
    }

    /**
     * Registers the input handler: one done() per message on every path, errors through done(err).
     * The work is tracked until it settles, so close() can abort it and wait for its clean-up.
     */
    onInput(handler: InputHandler): void {
        this.node.on('input', (msg: NodeMessage, send: SendFn, done: DoneFn) => {
            let finished = false;
            const finish: DoneFn = (err) => {
                if (finished) return;
                finished = true;
                done(err);
            };
            const fail = (err: unknown): void => {
                if (finished) {
                    this.node.error(err, msg);
                    return;
                }
                this.status.fail(err);
                reportError(msg, finish, err);
            };
            let result: Promise<void>;
            try {
                if (this.closed) throw new SisError('CANCELLED', 'the node was stopped');
                const { client, config } = this.requireClient();
                const original = this.takeInput(msg);
                result = handler({
                    msg,
                    send: this.placing(send, original),
                    client,
                    config,
                    signal: this.stopping.signal,
                });
            } catch (err) {
                fail(err);
                return;
            }
            const task: Promise<void> = result.then(() => finish(), fail).finally(() => this.running.delete(task));
            this.running.add(task);
        });
    }
}
