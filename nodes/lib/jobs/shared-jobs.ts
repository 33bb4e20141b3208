// The pending jobs of one node shared through Redis by every instance that runs the same flow:
// each job is recorded once (id, node, staged object, the input message's kept properties) and held
// by one instance through a lease. The holder renews its leases every third of a lease and polls
// only while its lease is surely valid; jobs whose holder stopped renewing are claimed by the
// others; the job's answer is sent only by the instance that takes the job's `done` mark.
import { toSisError } from '../core/errors';
import { type ClaimResult, LeaseTable, type RegisterResult, type RenewResult } from '../redis/leases';
import { newOwnerId, type SharedState } from '../redis/redis';
import { parseStoredJobs, type StoredJob } from './store';

/** A job as recorded in Redis: the stored job and the node that follows it. */
export interface SharedJobRecord extends StoredJob {
    node_id: string;
}

/** What the tracker does for the shared jobs. */
export interface SharedJobsHost {
    /** The ids of the jobs this instance follows now. */
    followed(): string[];
    /** The stored form of a followed job (to record it again after Redis lost it). */
    recordOf(jobId: string): StoredJob | undefined;
    /** A job claimed from another instance that stopped: follow it. */
    follow(record: StoredJob): void;
    /** Another instance holds the job now, or it has ended elsewhere: stop following it, silently. */
    letGo(jobId: string): void;
    /** Redis is reachable again or a lease was renewed: jobs waiting for it may go on. */
    wake(): void;
}

export interface SharedJobsOptions {
    nodeId: string;
    /** The service endpoint of this node: jobs recorded for another are not followed here. */
    service?: string;
    /** The node's timeout per job (ms): a record outlives its job's deadline by a day. */
    timeoutMs: number;
    warn: (message: string) => void;
    now?: () => number;
    random?: () => number;
}

/** Kept message properties beyond this size (JSON) are left out of the shared record. */
export const MAX_SHARED_MSG_BYTES = 64 * 1024;
const RECORD_GRACE_MS = 24 * 3600_000;

/**
 * The kept properties of a message within `maxBytes` of JSON: `_msgid` and `topic` first, then
 * the others in order while they fit; `dropped` names those left out.
 */
export function boundedMessage(
    msg: Record<string, unknown>,
    maxBytes = MAX_SHARED_MSG_BYTES,
): { msg: Record<string, unknown>; dropped: string[] } {
    const keys = Object.keys(msg);
    const order = [
        ...['_msgid', 'topic'].filter((k) => keys.includes(k)),
        ...keys.filter((k) => k !== '_msgid' && k !== 'topic'),
    ];
    const out: Record<string, unknown> = {};
    const dropped: string[] = [];
    let size = 2;
    for (const key of order) {
        const part = Buffer.byteLength(JSON.stringify(key)) + Buffer.byteLength(JSON.stringify(msg[key])) + 2;
        if (size + part > maxBytes) {
            dropped.push(key);
            continue;
        }
        out[key] = msg[key];
        size += part;
    }
    return { msg: out, dropped };
}

export class SharedJobs {
    private readonly table: LeaseTable;
    /** Per followed job: until when this instance may act on it (its lease surely holds). */
    private readonly until = new Map<string, number>();
    /** Jobs of another service listed for this node: never claimed here. */
    private readonly foreign = new Set<string>();
    private readonly now: () => number;
    private readonly random: () => number;
    private renewTimer?: NodeJS.Timeout;
    private scanTimer?: NodeJS.Timeout;
    private offReady?: () => void;
    private renewing = false;
    private scanning = false;
    private closed = false;
    private warnedDown = false;

    constructor(
        private readonly state: SharedState,
        private readonly host: SharedJobsHost,
        private readonly opts: SharedJobsOptions,
    ) {
        this.table = new LeaseTable(state, { kind: 'job', groupKind: 'node', group: opts.nodeId, owner: newOwnerId() });
        this.now = opts.now ?? Date.now;
        this.random = opts.random ?? Math.random;
    }

    get leaseMs(): number {
        return this.state.leaseMs;
    }

    /** Time between renewals, and the wait before asking again whether a lease is held. */
    get renewMs(): number {
        return Math.max(100, Math.floor(this.leaseMs / 3));
    }

    /** Renewals and scans for jobs other instances left, from now on. */
    start(): void {
        if (this.closed) return;
        this.offReady = this.state.onReady(() => {
            void this.renew();
            void this.scan();
        });
        this.renewTimer = setInterval(() => void this.renew(), this.renewMs);
        this.scheduleScan(0);
    }

    private scheduleScan(ms: number): void {
        if (this.closed) return;
        clearTimeout(this.scanTimer);
        this.scanTimer = setTimeout(() => {
            void this.scan().finally(() => this.scheduleScan(Math.round(this.renewMs * (0.75 + 0.5 * this.random()))));
        }, ms);
    }

    /** Whether this instance may poll or answer the job now. */
    mayAct(jobId: string): boolean {
        return this.now() < (this.until.get(jobId) ?? 0);
    }

    private granted(jobId: string, sentAt: number): void {
        // Redis counts the lease from when it got the command, later than `sentAt`.
        const margin = Math.max(50, Math.floor(this.leaseMs / 10));
        this.until.set(jobId, sentAt + this.leaseMs - margin);
    }

    private sharedRecord(record: StoredJob): { record: SharedJobRecord; ttlMs: number } {
        const { msg, dropped } = boundedMessage(record.msg);
        if (dropped.length) {
            this.opts.warn(
                `job ${record.job_id}: message properties left out of the shared record (over ${MAX_SHARED_MSG_BYTES / 1024} KiB): ${dropped.join(', ')}`,
            );
        }
        const ttlMs = Math.max(0, record.submitted_at + this.opts.timeoutMs - this.now()) + RECORD_GRACE_MS;
        return { record: { ...record, msg, node_id: this.opts.nodeId }, ttlMs };
    }

    /** Records a job (new, or one the context held) and takes its lease when nobody holds it. */
    async register(record: StoredJob): Promise<RegisterResult> {
        const sentAt = this.now();
        const shared = this.sharedRecord(record);
        const result = await this.table.register(record.job_id, shared.record, shared.ttlMs);
        if (result === 'held') this.granted(record.job_id, sentAt);
        else this.until.delete(record.job_id);
        return result;
    }

    /** The recorded job, when it belongs to this node. */
    async get(jobId: string): Promise<SharedJobRecord | undefined> {
        const value = (await this.table.get(jobId)) as Partial<SharedJobRecord> | undefined;
        if (!value || value.node_id !== this.opts.nodeId) return undefined;
        const [job] = parseStoredJobs({ jobs: [value] });
        return job ? { ...job, node_id: this.opts.nodeId } : undefined;
    }

    /** A mark for finish(). */
    mark(how: 'result' | 'error' | 'cancelled' | 'abandoned'): string {
        return this.table.mark(how);
    }

    /** Takes the job's `done` mark: true when this instance is the one to answer it. */
    async finish(jobId: string, mark: string): Promise<boolean> {
        const won = await this.table.finish(jobId, mark);
        this.until.delete(jobId);
        return won;
    }

    /** Forgets the lease of a job no longer followed here (no command). */
    forget(jobId: string): void {
        this.until.delete(jobId);
    }

    private down(err: unknown): void {
        if (this.warnedDown || this.closed) return;
        this.warnedDown = true;
        this.opts.warn(`shared state: ${toSisError(err).message}; jobs wait until Redis is back`);
    }

    private up(): void {
        this.warnedDown = false;
    }

    /** Renews every followed job's lease; acts on what Redis says. */
    async renew(): Promise<void> {
        if (this.closed || this.renewing || !this.state.ready) return;
        const ids = this.host.followed();
        if (ids.length === 0) return;
        this.renewing = true;
        const sentAt = this.now();
        let results: Map<string, RenewResult>;
        try {
            results = await this.table.renew(ids);
            this.up();
        } catch (err) {
            this.down(err);
            return;
        } finally {
            this.renewing = false;
        }
        if (this.closed) return;
        for (const [id, result] of results) {
            if (result === 'held' || result === 'missing') {
                this.granted(id, sentAt);
                if (result === 'missing') await this.restore(id);
            } else {
                this.until.delete(id);
                this.host.letGo(id);
            }
        }
        this.host.wake();
    }

    /** Records again a job Redis lost (it restarted without its data); this instance holds it. */
    private async restore(jobId: string): Promise<void> {
        const record = this.host.recordOf(jobId);
        if (!record) return;
        try {
            const result = await this.register(record);
            if (result !== 'held') this.host.letGo(jobId);
        } catch (err) {
            this.down(err);
        }
    }

    /** Claims the jobs of this node nobody holds (their holder stopped or let go). */
    async scan(): Promise<void> {
        if (this.closed || this.scanning || !this.state.ready) return;
        this.scanning = true;
        try {
            const followed = new Set(this.host.followed());
            const ids = (await this.table.list()).filter((id) => !followed.has(id) && !this.foreign.has(id));
            for (const id of ids) {
                if (this.closed) return;
                const sentAt = this.now();
                const claim: ClaimResult = await this.table.claim(id);
                if (claim.state !== 'claimed') continue;
                const [record] = parseStoredJobs({ jobs: [claim.record] });
                if (!record || (record.service !== undefined && record.service !== this.opts.service)) {
                    this.foreign.add(id);
                    await this.table.release([id]);
                    continue;
                }
                this.granted(id, sentAt);
                this.host.follow(record);
            }
            this.up();
        } catch (err) {
            this.down(err);
        } finally {
            this.scanning = false;
        }
    }

    /** Records a job for another instance to take (this one stops): recorded, not held. */
    async handOff(record: StoredJob): Promise<void> {
        if ((await this.register(record)) === 'held') await this.table.release([record.job_id]);
        this.until.delete(record.job_id);
    }

    /** Stops renewing; with `release`, lets go of the given jobs so another instance takes them at once. */
    async close(release: readonly string[]): Promise<void> {
        this.closed = true;
        clearInterval(this.renewTimer);
        clearTimeout(this.scanTimer);
        this.offReady?.();
        const held = release.filter((id) => this.mayAct(id));
        this.until.clear();
        if (held.length === 0 || !this.state.ready) return;
        try {
            await this.table.release(held);
        } catch {
            // Their leases lapse on their own.
        }
    }
}
