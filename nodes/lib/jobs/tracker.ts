// Follows the pending jobs of one node: polls each with its own timer, delivers its result or its
// error exactly once, deletes its staged audio once it has ended, and keeps the pending set in the
// node's context so a restart or a redeploy can take over where this instance stopped.

import { type ObjectRef, ObsClient } from '../cloud/obs';
import type { SisClient } from '../cloud/sis-client';
import { SisError, toSisError } from '../core/errors';
import { reportLateError } from '../red/node-io';
import { type OutputMode, type ResultMeta, sentenceMessages, singleMessage } from '../red/sentences';
import type { NodeAPI, NodeMessage } from '../red/types';
import type { UserNode } from '../red/user-node';
import { interpretJob, type JobQueryBody, type JobState, jobWhat, queryFailure } from './result';
import { failureDelay, jitter, pollDelay } from './schedule';
import type { JobStatus } from './status';
import type { JobStore, StoredJob } from './store';

export interface TrackerOptions {
    /** The config node's client, or a NOT_CONFIGURED error. */
    client: () => SisClient;
    output: OutputMode;
    pollBaseMs: number;
    timeoutMs: number;
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
}

type Finished = Extract<JobState, { state: 'finished' }>;
type Outcome = { finished: Finished } | { error: SisError };

export class JobTracker {
    private readonly jobs = new Map<string, Tracked>();
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
    }

    /** Takes over the jobs an earlier instance left in the context and asks about each at once. */
    adopt(records: readonly StoredJob[]): void {
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

    /** Follows a job that was just submitted; resolves once it is stored. */
    async add(record: StoredJob, msg: NodeMessage): Promise<void> {
        await this.ready;
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

    /** Stops following a job (the service has no cancel: it runs to its end there). */
    async cancel(jobId: string): Promise<boolean> {
        await this.ready;
        const job = this.jobs.get(jobId);
        if (!job) return false;
        this.drop(job);
        this.status.remove(jobId);
        await this.persist();
        await this.deleteStaged(job.record.staged);
        return true;
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
        if (removed) {
            this.jobs.clear();
            for (const job of jobs) void this.deleteStaged(job.record.staged);
        }
        this.store.handOver(this.records());
        await Promise.allSettled([...this.cleanups, this.persist()]);
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
        return this.store.save(this.records());
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
        let delay = pollDelay(now - job.record.submitted_at, base);
        if (job.failures > 0) delay = Math.max(delay, failureDelay(job.failures, base));
        this.schedule(job, Math.min(jitter(delay, this.random), deadline - now));
    }

    private async poll(job: Tracked): Promise<void> {
        const id = job.record.job_id;
        if (this.closed || this.jobs.get(id) !== job) return;
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
        this.drop(job);
        const id = job.record.job_id;
        void this.persist();
        try {
            if ('error' in outcome) {
                this.status.remove(id, { error: outcome.error });
                const msg = this.RED.util.cloneMessage(job.msg);
                msg.sis_result = { job_id: id };
                reportLateError(this.user.node, msg, outcome.error);
            } else {
                const { sentences, audioDuration } = outcome.finished;
                this.status.remove(id, { sentences: sentences.length });
                this.deliver(job.msg, sentences, { job_id: id, audio_duration: audioDuration });
            }
        } finally {
            void this.deleteStaged(job.record.staged);
        }
    }

    private deliver(input: NodeMessage, sentences: Finished['sentences'], meta: ResultMeta): void {
        const clone = (m: NodeMessage): NodeMessage => this.RED.util.cloneMessage(m);
        if (this.opts.output === 'single') {
            this.user.node.send(singleMessage(clone(input), sentences, meta));
        } else if (sentences.length > 0) {
            this.user.node.send([sentenceMessages(input, sentences, meta, clone)]);
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
