// Pending jobs kept in the node's context, so that with a persistent context store they survive a
// restart or a redeploy. Only plain JSON goes there: never the audio, a URL with a signature or a
// credential.
import type { ObjectRef } from '../cloud/obs';
import type { Node } from '../red/types';

/** One pending job as stored. */
export interface StoredJob {
    job_id: string;
    /** Epoch ms of the submission: the job's age and its deadline count from here. */
    submitted_at: number;
    /** The object staged for the job, deleted once the job has ended. */
    staged?: ObjectRef;
    /** The agent's channel with stereo analysis and diarization (see jobSentences). */
    agent_channel?: 0 | 1;
    /** The input message's kept properties (keptMessage). */
    msg: Record<string, unknown>;
    /** The service the job was submitted to (its endpoint): a job id means nothing elsewhere. */
    service?: string;
    /** What a subtitle file of the result is named after (subtitleSourceName): never a URL's query. */
    source_name?: string;
    /** Callback mode: the SHA-256 (hex) of the job's callback token. */
    callback?: string;
}

/** The context key; a plain name (dots would address nested properties). */
export const CONTEXT_KEY = 'sisPendingJobs';
const FORMAT_VERSION = 1;

type Callback<T> = (err?: Error | null, value?: T) => void;

/** The part of Node-RED's context API used here (the published types are untyped). */
interface ContextApi {
    get(key: string, store: string | undefined, cb: Callback<unknown>): void;
    set(key: string, value: unknown, store: string | undefined, cb: Callback<void>): void;
}

const MAX_DEPTH = 32;

/** Whether a value is plain JSON data (a Buffer, Date, Map, class instance or function is not). */
function isPlainJson(value: unknown, depth = 0): boolean {
    if (depth > MAX_DEPTH) return false;
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
    if (typeof value === 'number') return Number.isFinite(value);
    if (Array.isArray(value)) return value.every((v) => isPlainJson(v, depth + 1));
    if (typeof value === 'object') {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) return false;
        return Object.values(value).every((v) => v === undefined || isPlainJson(v, depth + 1));
    }
    return false;
}

/**
 * The properties of an input message kept for a job that outlives the process: every top-level
 * property whose value is plain JSON, except `payload` (the audio), `req`/`res` (an HTTP exchange
 * cannot be resumed) and Node-RED's `_`-prefixed internals other than `_msgid`.
 */
export function keptMessage(msg: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(msg)) {
        if (key === 'payload' || key === 'req' || key === 'res') continue;
        if (key.startsWith('_') && key !== '_msgid') continue;
        if (value !== undefined && isPlainJson(value)) out[key] = value;
    }
    return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}

function isRef(v: unknown): v is ObjectRef {
    const r = v as ObjectRef | null;
    return r !== null && typeof r === 'object' && typeof r.bucket === 'string' && typeof r.key === 'string';
}

/** Checks what came back from the store; anything malformed is dropped. */
export function parseStoredJobs(value: unknown): StoredJob[] {
    const list = (value as { jobs?: unknown } | null)?.jobs;
    if (!Array.isArray(list)) return [];
    const out: StoredJob[] = [];
    for (const item of list as Partial<StoredJob>[]) {
        if (!item || typeof item.job_id !== 'string' || item.job_id === '') continue;
        if (typeof item.submitted_at !== 'number' || !Number.isFinite(item.submitted_at)) continue;
        const job: StoredJob = {
            job_id: item.job_id,
            submitted_at: item.submitted_at,
            msg: item.msg && typeof item.msg === 'object' && !Array.isArray(item.msg) ? item.msg : {},
        };
        if (isRef(item.staged)) job.staged = { bucket: item.staged.bucket, key: item.staged.key };
        if (item.agent_channel === 0 || item.agent_channel === 1) job.agent_channel = item.agent_channel;
        if (typeof item.service === 'string') job.service = item.service;
        if (typeof item.source_name === 'string') job.source_name = item.source_name;
        if (typeof item.callback === 'string' && /^[0-9a-f]{64}$/.test(item.callback)) job.callback = item.callback;
        out.push(job);
    }
    return out;
}

/**
 * Jobs handed from a closing instance to the next one with the same id. Node-RED deletes a node's
 * context when the node closes unless a context store is configured, so without this a redeploy
 * on default settings would lose its pending jobs (and leave their staged audio behind).
 */
const handover = new Map<string, StoredJob[]>();

/** Reads and writes the pending jobs of one node in the chosen context store. */
export class JobStore {
    private chain: Promise<void> = Promise.resolve();
    private readonly store: string | undefined;

    /**
     * @param service the endpoint this node's jobs go to: jobs of another service (the node's
     *   configuration changed meanwhile) are not followed here, since their ids mean nothing to it.
     */
    constructor(
        private readonly node: Node,
        store: string | undefined,
        private readonly service: string | undefined,
        private readonly warn: (reason: string) => void,
    ) {
        this.store = store?.trim() ? store.trim() : undefined;
    }

    private get handoverKey(): string {
        return `${this.node.id} ${this.service ?? ''}`;
    }

    private ours(job: StoredJob): boolean {
        return job.service === undefined || job.service === this.service;
    }

    private context(): ContextApi {
        return this.node.context() as unknown as ContextApi;
    }

    /** Leaves the pending jobs for the next instance of this node (a redeploy, flows restarted). */
    handOver(jobs: readonly StoredJob[]): void {
        if (jobs.length) handover.set(this.handoverKey, JSON.parse(JSON.stringify(jobs)) as StoredJob[]);
        else handover.delete(this.handoverKey);
    }

    /** The jobs left by an earlier instance: handed over in this process, or stored in the context. */
    async load(): Promise<StoredJob[]> {
        const handed = handover.get(this.handoverKey) ?? [];
        handover.delete(this.handoverKey);
        const stored = (await this.loadContext()).filter((j) => this.ours(j));
        const seen = new Set(handed.map((j) => j.job_id));
        return [...handed, ...stored.filter((j) => !seen.has(j.job_id))];
    }

    private async loadContext(): Promise<StoredJob[]> {
        await this.chain;
        return new Promise((resolve) => {
            try {
                this.context().get(CONTEXT_KEY, this.store, (err, value) => {
                    if (err) {
                        this.warn(err.message);
                        resolve([]);
                        return;
                    }
                    // A copy: the memory store hands out its own object.
                    resolve(parseStoredJobs(value === undefined ? undefined : JSON.parse(JSON.stringify(value))));
                });
            } catch (err) {
                this.warn(err instanceof Error ? err.message : String(err));
                resolve([]);
            }
        });
    }

    /** Replaces the stored set; writes happen one after the other, in call order. */
    save(jobs: readonly StoredJob[]): Promise<void> {
        // A copy, so later changes in memory never reach the store behind its back.
        const value = jobs.length ? JSON.parse(JSON.stringify({ version: FORMAT_VERSION, jobs })) : undefined;
        this.chain = this.chain.then(
            () =>
                new Promise<void>((resolve) => {
                    try {
                        this.context().set(CONTEXT_KEY, value, this.store, (err) => {
                            if (err) this.warn(err.message);
                            resolve();
                        });
                    } catch (err) {
                        this.warn(err instanceof Error ? err.message : String(err));
                        resolve();
                    }
                }),
        );
        return this.chain;
    }

    /** Resolves once every write asked for so far has been handed to the store. */
    flushed(): Promise<void> {
        return this.chain;
    }
}
