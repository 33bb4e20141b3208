// Follows the pending jobs of one node: polls each with its own timer, delivers its result or its
// error exactly once, deletes its staged audio once it has ended, and keeps the pending set in the
// node's context so a restart or a redeploy can take over where this instance stopped. With shared
// state (Redis) the pending set lives there instead, shared by every instance running the flow:
// this one polls only the jobs it holds a lease on, and answers a job only after taking its mark.
// Over 500 lines because the shared-state paths (leases, marks, callbacks) act on the same tracked
// jobs, timers and outputs as the local ones.

import { type ObjectRef, ObsClient } from '../cloud/obs';
import type { SisClient } from '../cloud/sis-client';
import { SisError, toSisError } from '../core/errors';
import { reportLateError } from '../red/node-io';
import { type OutputMode, type ResultMeta, sentenceMessages, singleMessage } from '../red/sentences';
import { type SubtitleOptions, subtitleFilename, subtitleMessage } from '../red/subtitles';
import type { NodeAPI, NodeMessage } from '../red/types';
import type { UserNode } from '../red/user-node';
import type { SharedState } from '../redis/redis';
import { type CallbackTarget, sameHash } from './callback';
import { interpretJob, type JobQueryBody, type JobState, jobWhat, queryFailure } from './result';
import { failureDelay, jitter, pollDelay } from './schedule';
import { SharedJobs } from './shared-jobs';
import type { JobStatus } from './status';
import type { JobStore, StoredJob } from './store';

export interface TrackerOptions {
    /** The config node's client, or a NOT_CONFIGURED error. */
    client: () => SisClient;
    output: OutputMode;
    /** Cue layout for the subtitle outputs. */
    subtitles?: SubtitleOptions;
    pollBaseMs: number;
    timeoutMs: number;
    /** Results come by callback: queries are only a fallback, this many times further apart. */
    pollFactor?: number;
    /** Shared state: pending jobs in Redis, held through leases, answered once across instances. */
    shared?: SharedState;
    /** The service endpoint (jobs of another are not followed). */
    service?: string;
    now?: () => number;
    random?: () => number;
}

interface Tracked {
    record: StoredJob;
    /** What the outputs are built from: the input message (kept properties only when resumed). */
    msg: NodeMessage;
    timer?: NodeJS.Timeout;
    /** Aborts the query in flight (cancel, close). */
    controller?: AbortController;
    failures: number;
    lastFailure?: SisError;
    /** Shared state: the job is ending here (its mark is being taken); nothing else may end it. */
    ending?: boolean;
}

type Finished = Extract<JobState, { state: 'finished' }>;
type Outcome = { finished: Finished } | { error: SisError };

export class JobTracker implements CallbackTarget {
    private readonly jobs = new Map<string, Tracked>();
    private readonly shared?: SharedJobs;
    /** Deletions of staged audio under way; a closing node waits for them. */
    private readonly cleanups = new Set<Promise<void>>();
    private closed = false;
    private removed = false;
    /** No query before this time: the service asked us to slow down (429). */
    private coolUntil = 0;
    private readonly now: () => number;
    private readonly random: () => number;
    private readyResolve?: () => void;
    /** Resolves once the jobs stored by an earlier instance are adopted, so no save can overwrite them. */
    private readonly ready = new Promise<void>((resolve) => {
        this.readyResolve = resolve;
    });

    constructor(
        private readonly RED: NodeAPI,
        private readonly user: UserNode,
        private readonly store: JobStore,
        private readonly status: JobStatus,
        private readonly opts: TrackerOptions,
    ) {
        this.now = opts.now ?? Date.now;
        this.random = opts.random ?? Math.random;
        if (opts.shared) {
            this.shared = new SharedJobs(
                opts.shared,
                {
                    followed: () => [...this.jobs.keys()],
                    recordOf: (id) => this.jobs.get(id)?.record,
                    follow: (record) => this.follow(record, { ...record.msg }, true),
                    letGo: (id) => this.letGo(id),
                    wake: () => undefined,
                },
                {
                    nodeId: user.node.id,
                    service: opts.service,
                    timeoutMs: opts.timeoutMs,
                    warn: (m) => user.node.warn(m),
                    now: this.now,
                    random: this.random,
                },
            );
        }
    }

    private get pollFactor(): number {
        return Math.max(1, this.opts.pollFactor ?? 1);
    }

    /** Starts following a job; `soon` asks about it shortly (a job taken over), else after one interval. */
    private follow(record: StoredJob, msg: NodeMessage, soon: boolean): Tracked | undefined {
        if (this.closed || this.jobs.has(record.job_id)) return undefined;
        const job: Tracked = { record, msg, failures: 0 };
        this.jobs.set(record.job_id, job);
        this.status.add(record.job_id, record.submitted_at);
        const delay = soon
            ? Math.min(2000, 25 * this.jobs.size)
            : jitter(pollDelay(0, this.opts.pollBaseMs) * this.pollFactor, this.random);
        this.schedule(job, delay);
        return job;
    }

    /** Shared state: another instance holds the job now, or it ended there. */
    private letGo(jobId: string): void {
        const job = this.jobs.get(jobId);
        if (!job || job.ending) return;
        this.drop(job);
        this.status.remove(jobId);
    }

    /** Takes over the jobs an earlier instance left in the context and asks about each at once. */
    adopt(records: readonly StoredJob[]): void {
        if (this.shared) {
            void this.migrate(records);
            return;
        }
        try {
            if (this.closed) return;
            let i = 0;
            for (const record of records) {
                if (this.jobs.has(record.job_id)) continue;
                const job: Tracked = { record, msg: { ...record.msg }, failures: 0 };
                this.jobs.set(record.job_id, job);
                this.status.add(record.job_id, record.submitted_at);
                // Spread out, in case many jobs were pending.
                this.schedule(job, Math.min(2000, 25 * i++));
            }
        } finally {
            this.readyResolve?.();
        }
    }

    /**
     * Shared state: jobs the context still holds (kept before Redis was configured) are recorded in
     * Redis and held by whichever instance records them first; the context is then emptied.
     */
    private async migrate(records: readonly StoredJob[]): Promise<void> {
        const shared = this.shared as SharedJobs;
        let all = true;
        try {
            for (const record of records) {
                if (this.closed) return;
                try {
                    if ((await shared.register(record)) === 'held') this.follow(record, { ...record.msg }, true);
                } catch (err) {
                    all = false;
                    this.user.node.warn(`shared state: ${toSisError(err).message}`);
                    // Followed here; the next renewal records it once Redis answers.
                    this.follow(record, { ...record.msg }, true);
                }
            }
            if (records.length && all) await this.store.save([]);
        } finally {
            this.readyResolve?.();
            if (!this.closed) shared.start();
        }
    }

    /** Follows a job that was just submitted; resolves once it is stored. */
    async add(record: StoredJob, msg: NodeMessage): Promise<void> {
        await this.ready;
        if (this.shared) {
            await this.addShared(record, msg);
            return;
        }
        if (this.closed && this.removed) {
            // The node is gone: nobody will ever follow this job.
            await this.deleteStaged(record.staged);
            return;
        }
        const job: Tracked = { record, msg, failures: 0 };
        this.jobs.set(record.job_id, job);
        this.status.add(record.job_id, record.submitted_at);
        if (this.closed) this.store.handOver(this.records());
        await this.persist();
        if (!this.closed) this.schedule(job, jitter(pollDelay(0, this.opts.pollBaseMs), this.random));
    }

    private async addShared(record: StoredJob, msg: NodeMessage): Promise<void> {
        const shared = this.shared as SharedJobs;
        if (this.closed && this.removed) {
            await this.deleteStaged(record.staged);
            return;
        }
        if (this.closed) {
            // Stopped while submitting: recorded for another instance (or the next one here).
            try {
                await shared.handOff(record);
            } catch (err) {
                this.user.node.warn(`shared state: ${toSisError(err).message}; job ${record.job_id} is lost`);
            }
            return;
        }
        // Followed at once, so a renewal that comes first finds it; polled only once its lease is held.
        this.follow(record, msg, false);
        try {
            await shared.register(record);
        } catch (err) {
            // Submitted already: never dropped. The next renewal records it once Redis answers.
            this.user.node.warn(`shared state: ${toSisError(err).message}; job ${record.job_id} is recorded later`);
        }
    }

    /** Stops following a job (the service has no cancel: it runs to its end there). */
    async cancel(jobId: string): Promise<boolean> {
        await this.ready;
        if (this.shared) return this.cancelShared(jobId);
        const job = this.jobs.get(jobId);
        if (!job) return false;
        this.drop(job);
        this.status.remove(jobId);
        await this.persist();
        await this.deleteStaged(job.record.staged);
        return true;
    }

    /** Shared state: the job ends for every instance (its mark taken), wherever it is followed. */
    private async cancelShared(jobId: string): Promise<boolean> {
        const shared = this.shared as SharedJobs;
        const job = this.jobs.get(jobId);
        const record = job?.record ?? (await shared.get(jobId));
        if (!record) return false;
        if (job) {
            if (job.ending) return false;
            job.ending = true;
        }
        let won: boolean;
        try {
            won = await shared.finish(jobId, shared.mark('cancelled'));
        } finally {
            if (job) job.ending = false;
        }
        if (job && this.jobs.get(jobId) === job) {
            this.drop(job);
            this.status.remove(jobId);
        }
        if (won) await this.deleteStaged(record.staged);
        return won;
    }

    /**
     * A result the service posted (callback mode): checked against the job's token, then answered
     * once — here, whether or not this instance follows the job.
     */
    async callback(hash: string, body: unknown): Promise<number> {
        await this.ready;
        const jobId = (body as { job_id?: unknown } | null)?.job_id;
        if (typeof jobId !== 'string' || jobId === '' || this.closed) return 404;
        const local = this.jobs.get(jobId);
        let job = local;
        if (!job && this.shared) {
            let record: StoredJob | undefined;
            try {
                record = await this.shared.get(jobId);
            } catch {
                return 503;
            }
            if (record) job = { record, msg: { ...record.msg }, failures: 0 };
        }
        if (!job || !sameHash(job.record.callback, hash)) return 404;
        const state = interpretJob(body as JobQueryBody, jobId, job.record.agent_channel);
        if (state.state === 'waiting') return 200;
        const outcome: Outcome = state.state === 'failed' ? { error: state.error } : { finished: state };
        if (!this.shared) {
            this.end(job, outcome);
            return 200;
        }
        if (job.ending) return 200;
        try {
            await this.endShared(job, outcome, false);
        } catch {
            return 503;
        }
        return 200;
    }

    /**
     * Stops every timer and query. On a redeploy or a stop the pending set stays stored for the next
     * instance; when the node is deleted its jobs are abandoned and their staged audio deleted.
     */
    async close(removed: boolean): Promise<void> {
        this.closed = true;
        this.removed = removed;
        this.readyResolve?.();
        this.status.close();
        const jobs = [...this.jobs.values()];
        for (const job of jobs) {
            clearTimeout(job.timer);
            job.timer = undefined;
            job.controller?.abort();
        }
        if (this.shared) {
            await this.closeShared(removed, jobs);
            return;
        }
        if (removed) {
            this.jobs.clear();
            for (const job of jobs) void this.deleteStaged(job.record.staged);
        }
        this.store.handOver(this.records());
        await Promise.allSettled([...this.cleanups, this.persist()]);
    }

    /**
     * Shared state: on a stop or a redeploy the leases are let go, so another instance (or the next
     * one here) takes the jobs at once; a deleted node's jobs end here for every instance.
     */
    private async closeShared(removed: boolean, jobs: Tracked[]): Promise<void> {
        const shared = this.shared as SharedJobs;
        const idle = jobs.filter((j) => !j.ending);
        if (removed) {
            this.jobs.clear();
            await Promise.allSettled(
                idle.map(async (job) => {
                    if (await shared.finish(job.record.job_id, shared.mark('abandoned'))) {
                        await this.deleteStaged(job.record.staged);
                    }
                }),
            );
        }
        await shared.close(idle.map((j) => j.record.job_id));
        await Promise.allSettled([...this.cleanups]);
    }

    private drop(job: Tracked): void {
        this.jobs.delete(job.record.job_id);
        clearTimeout(job.timer);
        job.timer = undefined;
        job.controller?.abort();
    }

    private records(): StoredJob[] {
        return [...this.jobs.values()].map((j) => j.record);
    }

    private persist(): Promise<void> {
        // With shared state the pending set is in Redis, never in the context.
        return this.shared ? Promise.resolve() : this.store.save(this.records());
    }

    private schedule(job: Tracked, delayMs: number): void {
        if (this.closed) return;
        clearTimeout(job.timer);
        job.timer = setTimeout(() => {
            job.timer = undefined;
            // poll() handles its own failures; this only guards against the unforeseen.
            this.poll(job).catch((err: unknown) => this.user.node.error(toSisError(err)));
        }, delayMs);
    }

    /** The next query after a WAITING answer or a passing failure, or TIMEOUT past the deadline. */
    private next(job: Tracked): void {
        const now = this.now();
        const deadline = job.record.submitted_at + this.opts.timeoutMs;
        if (now >= deadline) {
            const minutes = Math.round((this.opts.timeoutMs / 60_000) * 100) / 100;
            const last = job.lastFailure ? `; last query failure: ${job.lastFailure.message}` : '';
            this.end(job, {
                error: new SisError(
                    'TIMEOUT',
                    `${jobWhat(job.record.job_id)} did not finish within ${minutes} min${last}`,
                ),
            });
            return;
        }
        const base = this.opts.pollBaseMs;
        let delay = pollDelay(now - job.record.submitted_at, base) * this.pollFactor;
        if (job.failures > 0) delay = Math.max(delay, failureDelay(job.failures, base));
        this.schedule(job, Math.min(jitter(delay, this.random), deadline - now));
    }

    private async poll(job: Tracked): Promise<void> {
        const id = job.record.job_id;
        if (this.closed || this.jobs.get(id) !== job) return;
        if (job.ending) return;
        if (this.shared && !this.shared.mayAct(id)) {
            // No lease (yet, or any longer): ask again after the next renewal.
            this.schedule(job, this.shared.renewMs);
            return;
        }
        const now = this.now();
        if (now < this.coolUntil) {
            this.schedule(job, this.coolUntil - now + jitter(this.opts.pollBaseMs / 4, this.random));
            return;
        }
        const controller = new AbortController();
        job.controller = controller;
        let state: JobState;
        try {
            const res = await this.opts.client().call<JobQueryBody>({
                method: 'GET',
                path: `/asr/transcriber/jobs/${encodeURIComponent(id)}`,
                idempotent: true,
                signal: controller.signal,
                what: jobWhat(id),
            });
            state = interpretJob(res.body, id, job.record.agent_channel);
        } catch (err) {
            if (controller.signal.aborted || this.closed || this.jobs.get(id) !== job) return;
            const failure = queryFailure(err, id);
            if (failure.terminal) {
                this.end(job, { error: failure.error });
            } else {
                job.failures++;
                job.lastFailure = failure.error;
                if (failure.error.status === 429 || failure.error.code === 'RATE_LIMITED') {
                    // Every job of this node waits, not only the one that was refused.
                    this.coolUntil = Math.max(
                        this.coolUntil,
                        this.now() + failureDelay(job.failures, this.opts.pollBaseMs),
                    );
                }
                this.next(job);
            }
            return;
        } finally {
            if (job.controller === controller) job.controller = undefined;
        }
        // A stop between the answer and here leaves the job stored for the next instance.
        if (this.closed || this.jobs.get(id) !== job) return;
        job.failures = 0;
        if (state.state === 'waiting') this.next(job);
        else if (state.state === 'failed') this.end(job, { error: state.error });
        else this.end(job, { finished: state });
    }

    /** The job has ended: one result or one error, then its staged audio goes. */
    private end(job: Tracked, outcome: Outcome): void {
        if (this.closed || this.jobs.get(job.record.job_id) !== job) return;
        if (this.shared) {
            this.endShared(job, outcome, true).catch(() => undefined);
            return;
        }
        this.drop(job);
        void this.persist();
        this.emit(job, outcome);
    }

    /**
     * Shared state: the job's mark first, then its answer, so that the job is answered once across
     * all instances. When Redis cannot be reached the outcome waits here and is tried again (it
     * throws for a callback, which the service may send again).
     */
    private async endShared(job: Tracked, outcome: Outcome, retry: boolean, mark?: string): Promise<void> {
        const shared = this.shared as SharedJobs;
        const id = job.record.job_id;
        if (job.ending) return;
        job.ending = true;
        clearTimeout(job.timer);
        job.timer = undefined;
        const attempt = mark ?? shared.mark('error' in outcome ? 'error' : 'result');
        let won: boolean;
        try {
            won = await shared.finish(id, attempt);
        } catch (err) {
            job.ending = false;
            if (!retry) throw err;
            if (!this.closed && this.jobs.get(id) === job) {
                job.timer = setTimeout(() => {
                    job.timer = undefined;
                    this.endShared(job, outcome, true, attempt).catch(() => undefined);
                }, shared.renewMs);
            }
            return;
        }
        // Followed here (this job, or the same job claimed meanwhile by a scan): it has ended.
        const followed = this.jobs.get(id);
        if (followed && (followed === job || !followed.ending)) this.drop(followed);
        if (won) this.emit(job, outcome);
        else this.status.remove(id);
    }

    /** Sends the job's one answer and deletes its staged audio. */
    private emit(job: Tracked, outcome: Outcome): void {
        const id = job.record.job_id;
        try {
            if ('error' in outcome) {
                this.status.remove(id, { error: outcome.error });
                const msg = this.RED.util.cloneMessage(job.msg);
                msg.sis_result = { job_id: id };
                reportLateError(this.user.node, msg, outcome.error);
            } else {
                const { sentences, audioDuration } = outcome.finished;
                this.status.remove(id, { sentences: sentences.length });
                this.deliver(job, sentences, { job_id: id, audio_duration: audioDuration });
            }
        } finally {
            void this.deleteStaged(job.record.staged);
        }
    }

    private deliver(job: Tracked, sentences: Finished['sentences'], meta: ResultMeta): void {
        const input = job.msg;
        const clone = (m: NodeMessage): NodeMessage => this.RED.util.cloneMessage(m);
        const output = this.opts.output;
        if (output === 'single') {
            this.user.sendLater(singleMessage(clone(input), sentences, meta));
        } else if (output === 'srt' || output === 'vtt') {
            const filename = subtitleFilename({ filename: job.record.source_name }, output);
            this.user.sendLater(subtitleMessage(clone(input), sentences, meta, output, filename, this.opts.subtitles));
        } else if (sentences.length > 0) {
            this.user.sendLater([sentenceMessages(input, sentences, meta, clone)]);
        }
    }

    /** Deletes a staged object; a failure is a warning, never the job's outcome. */
    deleteStaged(ref: ObjectRef | undefined): Promise<void> {
        if (!ref) return Promise.resolve();
        const task = this.deleteObject(ref).finally(() => this.cleanups.delete(task));
        this.cleanups.add(task);
        return task;
    }

    private async deleteObject(ref: ObjectRef): Promise<void> {
        try {
            await new ObsClient(this.opts.client()).discard(ref);
        } catch (err) {
            this.user.node.warn(
                this.RED._('sis-job-asr.errors.cleanup', {
                    key: `${ref.bucket}/${ref.key}`,
                    reason: err instanceof Error ? err.message : String(err),
                }),
            );
        }
    }
}
