// The shared glue between a node and its messages: error reporting through done(err) once, and
// the in-flight status shown under the node.
import { SisError, toSisError } from '../core/errors';
import type { DoneFn, Node, NodeAPI, NodeMessage } from './types';

/**
 * Reports a failure once: sets `msg.sis_error` and calls `done(err)` (which reaches Catch nodes
 * and the log; calling node.error as well would report it twice).
 */
export function reportError(msg: NodeMessage, done: DoneFn, err: unknown): SisError {
    const e = toSisError(err);
    msg.sis_error = e.toInfo();
    done(e);
    return e;
}

/** Reports a failure that comes after the input's done() was called, naming what it concerns. */
export function reportLateError(node: Node, msg: NodeMessage, err: unknown): SisError {
    const e = toSisError(err);
    msg.sis_error = e.toInfo();
    node.error(e, msg);
    return e;
}

/** Status text keys live in the config node's catalog, shared by every node of the package. */
const NS = 'sis-config.status.';

/**
 * The catalogue of the package's config node: Node-RED gives each node file its own namespace
 * (`<module>/<type>`), and `RED._` looks a key up in the calling node's, so keys of the shared
 * catalogue name it. A runtime that has no such catalogue (a test harness, a plain node folder)
 * gets the bare key back.
 */
const SHARED_NAMESPACE = 'node-red-contrib-huaweicloud-sis/sis-config';

export type Translate = (key: string, subs?: Record<string, string | number>) => string;

/** Translates `sis-config.*` keys (statuses, shared texts) in the runtime's language. */
export function sharedTranslator(RED: NodeAPI): Translate {
    return (key, subs) => {
        const full = `${SHARED_NAMESPACE}:${key}`;
        const text = RED._(full, subs);
        return text === full || text === key ? key : text;
    };
}

/** Short, secret-free status: blue dot while requests run, then the outcome. */
export class StatusTracker {
    private inflight = 0;

    constructor(
        private readonly node: Node,
        private readonly t: (key: string, subs?: Record<string, string | number>) => string,
    ) {}

    begin(key = 'requesting'): void {
        this.inflight++;
        this.node.status({ fill: 'blue', shape: 'dot', text: this.label(key) });
    }

    private label(key: string, subs?: Record<string, string | number>): string {
        const text = this.t(`${NS}${key}`, subs);
        return this.inflight > 1 ? `${text} (${this.inflight})` : text;
    }

    succeed(key: string, subs?: Record<string, string | number>): void {
        this.inflight = Math.max(0, this.inflight - 1);
        this.node.status({ fill: 'green', shape: 'dot', text: this.t(`${NS}${key}`, subs) });
    }

    fail(err: unknown): void {
        this.inflight = Math.max(0, this.inflight - 1);
        const code = err instanceof SisError ? err.code : 'ERROR';
        this.node.status({ fill: 'red', shape: 'ring', text: shortReason(code) });
    }

    show(fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey', shape: 'dot' | 'ring', key: string): void {
        this.node.status({ fill, shape, text: this.t(`${NS}${key}`) });
    }

    clear(): void {
        this.inflight = 0;
        this.node.status({});
    }
}

/** The status text for a failure: the code alone, which never carries a secret. */
export function shortReason(code: string): string {
    return code;
}
