// sis-stream-asr: real-time recognition over WebSocket. The node keeps one StreamSession per
// `msg.session` key, bounded in number; an idle connection is kept briefly so the next session of
// the same key reuses it. Results and events go out as messages built from the message that
// started the session.
import { AudioFormatError } from '../audio/types';
import type { SisClient } from '../cloud/sis-client';
import { invalidInput, SisError } from '../core/errors';
import { reportLateError, shortReason } from '../red/node-io';
import type { Sentence } from '../red/sentences';
import { lineWidthSetting, type SubtitleOptions, sentenceVttCue } from '../red/subtitles';
import type { NodeAPI, NodeMessage } from '../red/types';
import type { UserNode } from '../red/user-node';
import { AUDIO_BLOCK_BYTES, BlockPool } from './frames';
import { AudioIntake } from './intake';
import { boundedNumber, chunkOf, controlOf, isStreamMode, sessionKeyOf, startOptions } from './options';
import { REPLAY_BLOCK_BYTES } from './replay';
import { type SessionHost, type SessionLimits, StreamSession } from './session';
import { IGNORE_SOCKET, type RasrResponse, type RasrSocket, type StreamMode } from './socket';

export const DEFAULT_IDLE_SECONDS = 10;
export const DEFAULT_MAX_SESSIONS = 10;
export const DEFAULT_QUEUE_SECONDS = 20;
export const DEFAULT_RECONNECTS = 5;
/** The longest recognition of short- and sentence-stream; in continue-stream no sentence is longer. */
export const REPLAY_SECONDS = 60;
/** Keys of streams refused or failed for good, remembered so each is reported once. */
const MAX_REFUSED = 1000;
/** Close must finish well inside Node-RED's 15 s. */
const CLOSE_WAIT_MS = 3000;

interface IdleSocket {
    socket: RasrSocket;
    timer: NodeJS.Timeout;
}

interface SessionEntry {
    template: NodeMessage;
    /** No property holds an object: a copy of its properties is already a full clone. */
    flat: boolean;
}

export interface StreamNodeSettings extends Record<string, unknown> {
    mode?: unknown;
    idleTimeout?: unknown;
    maxSessions?: unknown;
    /** `yes`: final sentences carry their WebVTT cue in `msg.cue`. */
    cue?: unknown;
    lineWidth?: unknown;
}

/** The properties of `msg` that every output of its session carries. */
function templateOf(msg: NodeMessage): NodeMessage {
    const {
        payload: _payload,
        control: _control,
        parts: _parts,
        ...rest
    } = msg as NodeMessage & {
        control?: unknown;
        parts?: unknown;
    };
    return rest as NodeMessage;
}

/** Whether every property of `msg` is a primitive value (the usual `_msgid`, `session`, `topic`). */
function isFlat(msg: NodeMessage): boolean {
    for (const key in msg) {
        const v = (msg as Record<string, unknown>)[key];
        if ((typeof v === 'object' && v !== null) || typeof v === 'function') return false;
    }
    return true;
}

export class StreamAsr implements SessionHost {
    private readonly mode: StreamMode | undefined;
    private readonly idleMs: number;
    private readonly maxSessions: number;
    private readonly queueSeconds: number;
    private readonly reconnects: number;
    /** Audio kept for a replay is coded (less memory per session) rather than kept as it is (less CPU). */
    private readonly compactReplay: boolean;
    /** Cue layout when final sentences carry a WebVTT cue; undefined when they do not. */
    private readonly cues: SubtitleOptions | undefined;
    private readonly live = new Map<string, StreamSession>();
    /** Sessions ended or cancelled by the caller, still waiting for their last replies. */
    private readonly finishing = new Set<StreamSession>();
    private readonly entries = new WeakMap<StreamSession, SessionEntry>();
    private readonly idle = new Map<string, IdleSocket>();
    private readonly refused = new Map<string, NodeJS.Timeout>();
    /**
     * Spare blocks for incoming audio: a session streaming steadily reuses its own, so these only
     * cover a moment's imbalance (a quarter of a block per session).
     */
    private readonly blocks = new BlockPool(AUDIO_BLOCK_BYTES, () => 4 + ((this.live.size + this.finishing.size) >> 2));
    /**
     * Spare blocks for the audio kept for a replay: one session's final result frees many at once,
     * which the others then fill (one block per session).
     */
    private readonly replayBlocks = new BlockPool(REPLAY_BLOCK_BYTES, () => 4 + this.live.size + this.finishing.size);
    private closed = false;
    private lastFailure: string | undefined;
    private lastStatus = '';

    constructor(
        private readonly RED: NodeAPI,
        private readonly user: UserNode,
        private readonly settings: StreamNodeSettings,
    ) {
        this.mode = isStreamMode(settings.mode) ? settings.mode : undefined;
        this.idleMs = Math.round(boundedNumber(settings.idleTimeout, DEFAULT_IDLE_SECONDS, 1, 15) * 1000);
        this.maxSessions = Math.round(boundedNumber(settings.maxSessions, DEFAULT_MAX_SESSIONS, 1, 1000));
        this.cues =
            settings.cue === 'yes' || settings.cue === true
                ? { lineWidth: lineWidthSetting(settings.lineWidth) }
                : undefined;
        const runtime = RED.settings as unknown as Record<string, unknown>;
        this.queueSeconds = boundedNumber(runtime.sisStreamAsrQueueSeconds, DEFAULT_QUEUE_SECONDS, 1, 600);
        this.reconnects = Math.round(boundedNumber(runtime.sisStreamAsrReconnects, DEFAULT_RECONNECTS, 0, 20));
        this.compactReplay = runtime.sisStreamAsrCompactReplay !== false;
    }

    /** Handles one message; throws what `done(err)` should report. */
    input(msg: NodeMessage, client: SisClient): void {
        if (this.closed) throw new SisError('CANCELLED', 'the node was stopped');
        if (!this.mode) throw invalidInput('setting mode must be short-stream, continue-stream or sentence-stream');
        const key = sessionKeyOf(msg.session);
        const control = controlOf(msg.control);
        const chunk = chunkOf(msg.payload, control);
        if (control === 'start') {
            this.unrefuse(key);
            if (!this.session(key)) this.create(key, msg, client, undefined);
        }
        if (chunk) {
            const session = this.session(key);
            const refusal = this.refused.get(key);
            if (refusal) refusal.refresh();
            else if (session) this.feed(session, chunk);
            else this.create(key, msg, client, chunk);
        }
        if (control === 'end' || control === 'cancel') {
            this.unrefuse(key);
            const session = this.session(key);
            if (session) {
                this.retire(session);
                if (control === 'end') session.end();
                else session.cancel();
            }
        }
    }

    /** The session of `key` that still takes audio; one that is ending only waits for its last replies. */
    private session(key: string): StreamSession | undefined {
        const session = this.live.get(key);
        if (session?.closing) {
            this.retire(session);
            return undefined;
        }
        return session;
    }

    private retire(session: StreamSession): void {
        if (this.live.get(session.key) === session) this.live.delete(session.key);
        if (!session.done) this.finishing.add(session);
    }

    private create(key: string, msg: NodeMessage, client: SisClient, chunk: Buffer | undefined): void {
        const mode = this.mode as StreamMode;
        if (this.live.size + this.finishing.size >= this.maxSessions) {
            this.refuse(key);
            throw new SisError(
                'TOO_MANY_SESSIONS',
                `session "${key}" refused: ${this.maxSessions} sessions are already running on this node`,
                { retryable: true },
            );
        }
        const { spec, config } = startOptions(mode, this.settings, (msg as { sis?: unknown }).sis);
        // The first chunk is read before anything is opened, so a refused WAV costs no connection.
        const intake = new AudioIntake(spec);
        let first: Buffer | undefined;
        if (chunk) {
            try {
                first = intake.push(chunk);
            } catch (err) {
                if (err instanceof AudioFormatError) {
                    this.refuse(key);
                    throw invalidInput(err.message);
                }
                throw err;
            }
        }
        const limits: SessionLimits = {
            queueBytes: Math.round(this.queueSeconds * spec.bytesPerSecond),
            replayBytes: REPLAY_SECONDS * spec.bytesPerSecond,
            compactReplay: this.compactReplay,
            reconnects: this.reconnects,
            backoffBaseMs: 250,
            backoffMaxMs: 5000,
            handshakeTimeoutMs: 10_000,
            replyTimeoutMs: 15_000,
            idleMs: this.idleMs,
        };
        const session = new StreamSession({
            key,
            mode,
            spec,
            config,
            client,
            limits,
            host: this,
            intake,
            socket: this.takeIdle(key),
            blocks: this.blocks,
            replayBlocks: this.replayBlocks,
        });
        const template = templateOf(msg);
        this.entries.set(session, { template, flat: isFlat(template) });
        if (!session.done) this.live.set(key, session);
        if (first && first.length > 0) session.feedAudio(first);
        this.refreshStatus();
    }

    private feed(session: StreamSession, chunk: Buffer): void {
        try {
            session.feed(chunk);
        } catch (err) {
            if (!(err instanceof AudioFormatError)) throw err;
            this.retire(session);
            this.refuse(session.key);
            session.cancel();
            throw invalidInput(err.message);
        }
    }

    // -----------------------------------------------------------------------------------------
    // SessionHost: what sessions report
    // -----------------------------------------------------------------------------------------

    private messageFor(session: StreamSession): NodeMessage {
        const entry = this.entries.get(session);
        // A deep clone per result is what a flat template spares (one per sentence and event).
        // Object.assign, not a spread: on Node 20 each property then added to a spread copy took
        // about half a microsecond (V8 gave the copies new maps).
        const msg = (
            entry?.flat ? Object.assign({}, entry.template) : this.RED.util.cloneMessage(entry?.template ?? {})
        ) as NodeMessage & Record<string, unknown>;
        msg.session = session.key;
        return msg;
    }

    sentence(session: StreamSession, sentence: Sentence, final: boolean, traceId: string | undefined): void {
        if (this.closed) return;
        const msg = this.messageFor(session) as NodeMessage & Record<string, unknown>;
        msg.payload = sentence.text;
        msg.sentence = sentence;
        msg.final = final;
        if (final && this.cues) msg.cue = sentenceVttCue(sentence, this.cues);
        msg.sis_result = traceId === undefined ? {} : { trace_id: traceId };
        this.user.node.send([msg, null]);
    }

    event(session: StreamSession, name: string, response: RasrResponse): void {
        if (this.closed) return;
        const msg = this.messageFor(session) as NodeMessage & Record<string, unknown>;
        msg.payload = name;
        msg.event = response;
        this.user.node.send([null, msg]);
    }

    error(session: StreamSession, error: SisError): void {
        if (this.closed) return;
        this.lastFailure = error.code;
        reportLateError(this.user.node, this.messageFor(session), error);
    }

    changed(): void {
        this.refreshStatus();
    }

    finished(session: StreamSession, socket: RasrSocket | undefined, failure: SisError | undefined): void {
        if (this.live.get(session.key) === session) this.live.delete(session.key);
        this.finishing.delete(session);
        // A failure that would only repeat (a refused option, audio too long) stops the stream
        // until it pauses; a transient one lets the next chunk start a new session.
        if (failure && !failure.retryable && !this.live.has(session.key)) this.refuse(session.key);
        if (socket) this.keepIdle(session.key, socket);
        this.blocks.trim();
        this.replayBlocks.trim();
        this.refreshStatus();
    }

    // -----------------------------------------------------------------------------------------
    // Idle connections, refused keys, status
    // -----------------------------------------------------------------------------------------

    /** Keeps an open, idle connection for the next session of `key`, below the service's 20 s idle limit. */
    private keepIdle(key: string, socket: RasrSocket): void {
        if (this.closed) {
            void socket.close();
            return;
        }
        this.dropIdle(key);
        if (this.idle.size >= this.maxSessions) {
            const oldest = this.idle.keys().next().value;
            if (oldest !== undefined) this.dropIdle(oldest);
        }
        const timer = setTimeout(() => this.dropIdle(key), this.idleMs);
        this.idle.set(key, { socket, timer });
        socket.attach({
            ...IGNORE_SOCKET,
            closed: (s) => {
                const entry = this.idle.get(key);
                if (entry?.socket === s) {
                    clearTimeout(entry.timer);
                    this.idle.delete(key);
                }
            },
        });
    }

    private takeIdle(key: string): RasrSocket | undefined {
        const entry = this.idle.get(key);
        if (!entry) return undefined;
        clearTimeout(entry.timer);
        this.idle.delete(key);
        return entry.socket.open ? entry.socket : undefined;
    }

    private dropIdle(key: string): void {
        const entry = this.idle.get(key);
        if (!entry) return;
        clearTimeout(entry.timer);
        this.idle.delete(key);
        void entry.socket.close();
    }

    private refuse(key: string): void {
        const existing = this.refused.get(key);
        if (existing) {
            existing.refresh();
            return;
        }
        if (this.refused.size >= MAX_REFUSED) return;
        this.refused.set(
            key,
            setTimeout(() => this.refused.delete(key), this.idleMs),
        );
    }

    private unrefuse(key: string): void {
        const timer = this.refused.get(key);
        if (!timer) return;
        clearTimeout(timer);
        this.refused.delete(key);
    }

    private refreshStatus(): void {
        if (this.closed) return;
        let connecting = 0;
        let reconnecting = 0;
        let streaming = 0;
        const count = (s: StreamSession): void => {
            const phase = s.phase;
            if (phase === 'connecting') connecting++;
            else if (phase === 'reconnecting') reconnecting++;
            else if (phase === 'streaming') streaming++;
        };
        for (const s of this.live.values()) count(s);
        for (const s of this.finishing) count(s);
        const shown = `${reconnecting}/${connecting}/${streaming}/${streaming > 0 ? '' : (this.lastFailure ?? '')}`;
        if (shown === this.lastStatus) return;
        this.lastStatus = shown;
        const t = (key: string, subs?: Record<string, number>): string => this.user.t(`sis-config.status.${key}`, subs);
        let status: { fill?: string; shape?: string; text?: string };
        if (reconnecting > 0) status = { fill: 'yellow', shape: 'ring', text: t('reconnecting') };
        else if (connecting > 0) status = { fill: 'yellow', shape: 'ring', text: t('connecting') };
        else if (streaming > 0) {
            this.lastFailure = undefined;
            status = { fill: 'green', shape: 'dot', text: t('sessions', { count: streaming }) };
        } else if (this.lastFailure)
            status = { fill: 'red', shape: 'ring', text: shortReason(this.lastFailure, this.user.t) };
        else status = {};
        this.user.node.status(status as Parameters<typeof this.user.node.status>[0]);
    }

    /** Node close: every session cancelled, every socket, timer and listener released. */
    async close(): Promise<void> {
        this.closed = true;
        const waits: Promise<void>[] = [];
        for (const s of [...this.live.values(), ...this.finishing]) waits.push(s.shutdown());
        this.live.clear();
        this.finishing.clear();
        for (const [key, entry] of this.idle) {
            clearTimeout(entry.timer);
            this.idle.delete(key);
            waits.push(entry.socket.close());
        }
        for (const timer of this.refused.values()) clearTimeout(timer);
        this.refused.clear();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
            Promise.all(waits),
            new Promise<void>((resolve) => {
                timer = setTimeout(resolve, CLOSE_WAIT_MS);
            }),
        ]);
        clearTimeout(timer);
    }
}

export function attachStreamAsr(RED: NodeAPI, user: UserNode, settings: StreamNodeSettings): void {
    const stream = new StreamAsr(RED, user, settings);
    // Synchronous: a chunk is accepted (or refused) before the handler returns.
    user.onInputSync((msg, client) => stream.input(msg, client));
    // Runs before the node lets go of its config node, within Node-RED's close time.
    user.onClose(() => stream.close());
}
