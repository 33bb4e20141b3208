// What every SIS processing node shares: finding its config node, a guarded input handler that
// always ends in exactly one done(), aborting work on close, and the status helper.
import { SisError } from './errors';
import { reportError, StatusTracker } from './node-io';
import type { SisClient } from './sis-client';
import type { DoneFn, Node, NodeAPI, NodeMessage, SendFn, SisConfigNode } from './types';

export interface InputContext {
    msg: NodeMessage;
    send: SendFn;
    signal: AbortSignal;
    client: SisClient;
    config: SisConfigNode;
}

export type InputHandler = (ctx: InputContext) => Promise<void>;

export class UserNode {
    readonly status: StatusTracker;
    private readonly running = new Set<AbortController>();
    private closed = false;

    constructor(
        readonly RED: NodeAPI,
        readonly node: Node,
        private readonly configId: string | undefined,
    ) {
        this.status = new StatusTracker(node, (key, subs) => RED._(key, subs));
        if (!this.configNode()) this.status.show('red', 'ring', 'not-configured');
        node.on('close', (_removed: boolean, done: () => void) => {
            this.closed = true;
            for (const c of this.running) c.abort();
            this.running.clear();
            this.status.clear();
            done();
        });
    }

    configNode(): SisConfigNode | undefined {
        const n = this.configId ? (this.RED.nodes.getNode(this.configId) as SisConfigNode | null) : null;
        return n ?? undefined;
    }

    /** Registers the input handler: one done() per message on every path, errors through done(err). */
    onInput(handler: InputHandler): void {
        this.node.on('input', (msg: NodeMessage, send: SendFn, done: DoneFn) => {
            let finished = false;
            const finish: DoneFn = (err) => {
                if (finished) return;
                finished = true;
                done(err);
            };
            const controller = new AbortController();
            this.running.add(controller);
            const run = async (): Promise<void> => {
                const config = this.configNode();
                if (!config?.client) {
                    throw new SisError(
                        'NOT_CONFIGURED',
                        config?.configError
                            ? `sis-config: ${config.configError}`
                            : 'no usable sis-config node is selected',
                    );
                }
                if (this.closed) throw new SisError('CANCELLED', 'the node was stopped');
                await handler({ msg, send, signal: controller.signal, client: config.client, config });
                finish();
            };
            run()
                .catch((err: unknown) => {
                    if (finished) {
                        this.node.error(err, msg);
                        return;
                    }
                    this.status.fail(err);
                    reportError(msg, finish, err);
                })
                .finally(() => this.running.delete(controller));
        });
    }
}
