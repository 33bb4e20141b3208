// The shared glue between a node and its messages: error reporting through done(err) once, and
// the in-flight status shown under the node.
import { SisError, toSisError } from '../core/errors';
import type { Translate } from './i18n';
import type { DoneFn, Node, NodeMessage } from './types';

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

/** Translated status texts kept per node; past this many the cache starts again. */
const MAX_LABELS = 64;

/** Short, secret-free status: blue dot while requests run, then the outcome. */
export class StatusTracker {
    private inflight = 0;
    /**
     * Translated texts by key and substitutions: a status is set twice per message, and a look-up
     * in the runtime's catalog costs more than the rest of a short request's own work.
     */
    private readonly labels = new Map<string, string>();

    constructor(
        private readonly node: Node,
        private readonly translate: Translate,
    ) {}

    private t(key: string, subs?: Record<string, string | number>): string {
        let id = key;
        if (subs) for (const k in subs) id += `\u0000${k}=${subs[k]}`;
        let text = this.labels.get(id);
        if (text === undefined) {
            text = this.translate(key, subs);
            if (this.labels.size >= MAX_LABELS) this.labels.clear();
            this.labels.set(id, text);
        }
        return text;
    }

    begin(key = 'requesting', subs?: Record<string, string | number>): void {
        this.inflight++;
        this.node.status({ fill: 'blue', shape: 'dot', text: this.label(key, subs) });
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
        this.node.status({ fill: 'red', shape: 'ring', text: shortReason(code, (k, s) => this.t(k, s)) });
    }

    show(
        fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey',
        shape: 'dot' | 'ring',
        key: string,
        subs?: Record<string, string | number>,
    ): void {
        this.node.status({ fill, shape, text: this.t(`${NS}${key}`, subs) });
    }

    clear(): void {
        this.inflight = 0;
        this.node.status({});
    }
}

/**
 * The status text for a failure: a few words from the catalog and the code, e.g. "credentials
 * refused (AUTH_FAILED)". Built from the code alone, so it never carries a secret.
 */
export function shortReason(code: string, t: Translate): string {
    let reason: string;
    if (code.startsWith('SIS.')) reason = t(`${NS}error.service`);
    else {
        const key = `${NS}error.${code}`;
        reason = /^[A-Z_]+$/.test(code) ? t(key) : key;
        if (reason === key) reason = t(`${NS}error.other`);
    }
    return t(`${NS}failure`, { reason, code });
}
