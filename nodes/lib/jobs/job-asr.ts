// sis-job-asr: long recordings as transcription jobs (POST /v1/{project_id}/asr/transcriber/jobs,
// then GET …/jobs/{job_id} until the job ends). The input's done() is called once the job is
// submitted and stored; its result (or failure) comes later from the tracker. With shared state
// (a Redis URL in the configuration) the pending jobs are shared by every instance running the
// flow; with callback mode the service posts each result to Node-RED's HTTP endpoint.

import type { ObjectRef } from '../cloud/obs';
import type { SisClient } from '../cloud/sis-client';
import { invalidInput, SisError, toSisError } from '../core/errors';
import { resolveVocabularyOption } from '../red/options';
import { outputModeOf } from '../red/sentences';
import { lineWidthSetting, type SubtitleSource, subtitleSourceName } from '../red/subtitles';
import type { NodeAPI, NodeMessage } from '../red/types';
import type { InputContext, UserNode } from '../red/user-node';
import { sharedStateOf } from '../redis/redis';
import { callbackBaseOf, callbackUrl, newCallbackToken, serveCallbacks, tokenHash } from './callback';
import { agentChannelOf, resolveJobConfig } from './options';
import { jobTimeoutMs, pollBaseMs } from './schedule';
import { type JobSource, jobSourceOf, prepareSource } from './source';
import { JobStatus } from './status';
import { JobStore, keptMessage, type StoredJob } from './store';
import { JobTracker } from './tracker';

interface SubmitAnswer {
    job_id?: unknown;
}

/** What a subtitle file of the job's result is named after. */
function subtitleSourceOf(source: JobSource, msg: NodeMessage): SubtitleSource {
    if (source.kind === 'obs') return { obsKey: source.ref.key };
    if (source.kind === 'url') return { url: source.url };
    return { filename: (msg as { filename?: unknown }).filename };
}

/** In callback mode, queries are only a fallback for a callback that never came: 30 times further apart. */
export const CALLBACK_POLL_FACTOR = 30;

export function attachJobAsr(RED: NodeAPI, user: UserNode, settings: Record<string, unknown>): void {
    const node = user.node;
    const output = outputModeOf(settings.output);
    const prefix = typeof settings.stagingPrefix === 'string' ? settings.stagingPrefix.trim() : 'node-red/sis/';
    const runtime = RED.settings as unknown as { sisJobAsrPollMs?: unknown };
    const status = new JobStatus(node, user.t);
    const service = user.configNode()?.client?.endpoints.sis.href;
    const store = new JobStore(
        node,
        typeof settings.store === 'string' ? settings.store : undefined,
        service,
        (reason) => node.warn(RED._('sis-job-asr.errors.context', { reason })),
    );
    const clientOf = (): SisClient => user.requireClient().client;
    const shared = sharedStateOf(user.configNode());
    // Shared state that cannot work (the redis package missing): refuse jobs rather than follow
    // them alone, which would answer them twice across instances.
    const unusable = shared?.error;
    const callbackMode = settings.results === 'callback';
    const callbackBase = callbackMode ? callbackBaseOf(settings.callbackBase) : undefined;
    const tracker = new JobTracker(RED, user, store, status, {
        client: clientOf,
        output,
        subtitles: { lineWidth: lineWidthSetting(settings.lineWidth) },
        pollBaseMs: pollBaseMs(settings.pollInterval, runtime.sisJobAsrPollMs),
        timeoutMs: jobTimeoutMs(settings.timeout),
        pollFactor: callbackMode ? CALLBACK_POLL_FACTOR : 1,
        shared: unusable ? undefined : shared,
        service,
    });
    const stopServing = serveCallbacks(node.id, tracker);
    user.onClose((removed) => {
        stopServing();
        return tracker.close(removed);
    });
    const setupError = unusable
        ? new SisError('NOT_CONFIGURED', `sis-config: ${unusable}`)
        : callbackMode && !callbackBase
          ? invalidInput('callback mode needs the public http(s) URL of this Node-RED (Public URL)')
          : undefined;
    if (setupError) {
        node.error(RED._('sis-job-asr.errors.setup', { reason: setupError.message }));
        node.status({
            fill: 'red',
            shape: 'ring',
            text: user.t(`sis-job-asr.status.${unusable ? 'no-shared' : 'no-public-url'}`),
        });
    }
    // Jobs left by an earlier instance (a redeploy, or a restart with a persistent store).
    store
        .load()
        .then((records) => tracker.adopt(records))
        .catch((err: unknown) => {
            tracker.adopt([]);
            node.warn(RED._('sis-job-asr.errors.context', { reason: toSisError(err).message }));
        });

    async function cancel(msg: NodeMessage): Promise<void> {
        if (msg.control !== 'cancel') throw invalidInput('msg.control must be "cancel" (with msg.job_id)');
        if (typeof msg.job_id !== 'string' || msg.job_id === '') {
            throw invalidInput('msg.job_id must name the job to stop following');
        }
        // A job this node does not follow is ignored, like a cancel that comes too late; the
        // Complete node learns which job the message named and whether it was being followed.
        const stopped = await tracker.cancel(msg.job_id);
        msg.sis_result = { job_id: msg.job_id, stopped };
    }

    async function submit({ msg, signal, client }: InputContext): Promise<void> {
        if (setupError) throw setupError;
        const config = resolveJobConfig(settings, msg.sis);
        let callbackHash: string | undefined;
        if (callbackBase) {
            // The node's own callback replaces any callback_url: only its token answers the job.
            const token = newCallbackToken();
            config.callback_url = callbackUrl(callbackBase, node.id, token);
            callbackHash = tokenHash(token);
        }
        const source = jobSourceOf(msg.payload, config.property, config.audio_format);
        let staged: ObjectRef | undefined;
        let jobId: string;
        let submittedAt: number;
        status.beginSubmit(
            source.kind === 'buffer' ? 'staging' : 'requesting',
            source.kind === 'buffer' ? source.audio.length : undefined,
        );
        try {
            await resolveVocabularyOption(client, config, signal);
            const prepared = await prepareSource(client, source, prefix, signal, (ref) => {
                staged = ref;
            });
            status.setStage('requesting');
            // Submitted once: with `idempotent: false` the HTTP client repeats the request only when
            // the failure provably came before it left (connection refused, DNS), so a failure after
            // sending never creates a second job. (The client's one retry after a 401 with a stale
            // IAM token is safe too: the gateway refused the request, so no job exists.)
            const res = await client.call<SubmitAnswer>({
                method: 'POST',
                path: '/asr/transcriber/jobs',
                json: { config, data_url: prepared.dataUrl },
                idempotent: false,
                signal,
                what: 'transcription job submission',
            });
            const id = res.body.job_id;
            if (typeof id !== 'string' || id === '') {
                throw new SisError('PROTOCOL', 'transcription job submission: the answer has no job_id', {
                    status: res.status,
                });
            }
            jobId = id;
            submittedAt = Date.now();
            status.add(jobId, submittedAt);
        } catch (err) {
            status.failed(toSisError(err).code);
            // No job will read the staged audio.
            if (staged) await tracker.deleteStaged(staged);
            throw err;
        } finally {
            status.endSubmit();
        }
        const record: StoredJob = { job_id: jobId, submitted_at: submittedAt, msg: keptMessage(msg), service };
        if (staged) record.staged = staged;
        const sourceName = subtitleSourceName(subtitleSourceOf(source, msg));
        if (sourceName !== undefined) record.source_name = sourceName;
        if (callbackHash) record.callback = callbackHash;
        const agent = agentChannelOf(config.need_analysis_info);
        if (agent !== undefined) record.agent_channel = agent;
        // In this process the whole input message is kept, without its audio.
        const { payload: _audio, ...rest } = msg;
        await tracker.add(record, rest);
        // The Complete node (which fires now) learns the job's id.
        msg.sis_result = { job_id: jobId };
    }

    user.onInput(async (ctx: InputContext) => {
        if (ctx.msg.control !== undefined) await cancel(ctx.msg);
        else await submit(ctx);
    });
}
