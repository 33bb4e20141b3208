// What every SIS processing node shares: finding its config node, a guarded input handler that
// always ends in exactly one done(), aborting work on close (and waiting for its clean-up, such as
// deleting staged audio), and the status helper.

import { sleep } from '../cloud/http';
import type { SisClient } from '../cloud/sis-client';
import { SisError } from '../core/errors';
import { runtimeLanguage, type Translate, translator } from './i18n';
import { reportError, StatusTracker } from './node-io';
import type { DoneFn, Node, NodeAPI, NodeMessage, SendFn, SisConfigNode } from './types';

export interface InputContext {
    msg: NodeMessage;
    send: SendFn;
    signal: AbortSignal;
    client: SisClient;
    config: SisConfigNode;
}

export type InputHandler = (ctx: InputContext) => Promise<void>;

/** How long a closing node waits for in-flight work to finish its clean-up. */
const CLOSE_GRACE_MS = 10_000;

export class UserNode {
    readonly status: StatusTracker;
    /** Runtime texts (statuses) in Node-RED's language, from the package's catalogs. */
    readonly t: Translate;
    private readonly running = new Map<AbortController, Promise<void>>();
    private readonly closeHooks: ((removed: boolean) => Promise<void> | void)[] = [];
    private closed = false;
    /** The config node is fixed for this node's life (Node-RED recreates users when it changes). */
    private readonly config: SisConfigNode | undefined;

    constructor(
        readonly RED: NodeAPI,
        readonly node: Node,
        private readonly configId: string | undefined,
    ) {
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
        for (const controller of this.running.keys()) controller.abort();
        const work = [
            ...this.running.values(),
            ...this.closeHooks.map((hook) => Promise.resolve().then(() => hook(removed))),
        ];
        const grace = new AbortController();
        await Promise.race([Promise.allSettled(work), sleep(CLOSE_GRACE_MS, grace.signal).catch(() => undefined)]);
        grace.abort();
        this.running.clear();
        this.status.clear();
        config?.deregister(this.node);
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
            const controller = new AbortController();
            let result: Promise<void>;
            try {
                if (this.closed) throw new SisError('CANCELLED', 'the node was stopped');
                const { client, config } = this.requireClient();
                result = handler({ msg, send, client, config, signal: controller.signal });
            } catch (err) {
                fail(err);
                return;
            }
            const task = result.then(() => finish(), fail).finally(() => this.running.delete(controller));
            this.running.set(controller, task);
        });
    }
}
