// One recognition session of the stream node (one `msg.session` key): its connection, the
// START…END state machine of docs/protocol/websocket.md §1.8, frames cut to legal sizes, and recovery from a
// dropped connection by reconnecting and replaying the audio since the last final result.
//
// Positions are byte offsets on the session's own timeline (its audio after intake), so result
// times stay on that timeline across reconnections and sentence-stream restarts.
//
// Over 500 lines because the state machine, the replay buffer and the reconnect logic share one
// session's private state; split apart, they would have to expose it to each other.

import { backoffDelay } from '../cloud/http';
import type { SisClient } from '../cloud/sis-client';
import { isVocabularyName, resolveVocabularyId } from '../cloud/vocabularies';
import { isRetryableSisCode, SisError, toSisError } from '../core/errors';
import type { Sentence } from '../red/sentences';
import {
    AudioBlocks,
    type BlockPool,
    ByteQueue,
    bytesOfMs,
    type FrameSpec,
    msOfBytes,
    nextFrameSize,
    padToMinimum,
} from './frames';
import type { AudioIntake } from './intake';
import { ReplayStore } from './replay';
import { type RasrResponse, RasrSocket, type SocketHandlers, type StreamMode } from './socket';

export interface SessionLimits {
    /** Audio received but never sent yet (before START is acknowledged, while reconnecting, or held by a slow network). */
    queueBytes: number;
    /** Audio sent since the last final result, kept for a replay. */
    replayBytes: number;
    /** Keep that audio coded without loss (16-bit PCM: about half the memory, some CPU per chunk). */
    compactReplay: boolean;
    /** Connection attempts after a drop (or a failed first connection) before giving up. */
    reconnects: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    handshakeTimeoutMs: number;
    /** Time allowed for the reply to START and to END. */
    replyTimeoutMs: number;
    /** No chunk for this long ends the session as `end` does. */
    idleMs: number;
}

export type SessionPhase = 'connecting' | 'reconnecting' | 'streaming' | 'done';

export interface SessionHost {
    sentence(session: StreamSession, sentence: Sentence, final: boolean, traceId: string | undefined): void;
    event(session: StreamSession, name: string, response: RasrResponse): void;
    /** A failure after the input's done(): reported once per failure. */
    error(session: StreamSession, error: SisError): void;
    /** The phase changed (for the node's status). */
    changed(session: StreamSession): void;
    /** The session is over; `socket` is an idle, open connection the next session of this key may reuse. */
    finished(session: StreamSession, socket: RasrSocket | undefined, failure: SisError | undefined): void;
}

export interface SessionSetup {
    key: string;
    mode: StreamMode;
    spec: FrameSpec;
    /** The START `config`, as sent. */
    config: Record<string, string | number>;
    client: SisClient;
    limits: SessionLimits;
    host: SessionHost;
    /** The session's audio intake (it may already have read the first chunk). */
    intake: AudioIntake;
    /** An open connection left idle by the previous session of this key. */
    socket?: RasrSocket;
    /** Spare audio blocks shared with the node's other sessions (the session's own when absent). */
    blocks?: BlockPool;
    /** Spare blocks for the audio kept for a replay, shared likewise. */
    replayBlocks?: BlockPool;
}

type State = 'connecting' | 'starting' | 'running' | 'ending' | 'waiting' | 'done';

/** Above this many bytes buffered in the socket, frames wait in the queue; below LOW_WATER sending resumes. */
const HIGH_WATER = 64 * 1024;
const LOW_WATER = 16 * 1024;
const WHAT = 'real-time recognition';
/**
 * Where a frame that spans two blocks is put together to be sent. Shared: the WebSocket copies
 * each frame while sending it (see AudioBlocks), so it is free again once `send` returns.
 */
const FRAME_SCRATCH = Buffer.allocUnsafeSlow(64 * 1024);

function num(v: unknown): number | undefined {
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
    return typeof v === 'string' ? v : undefined;
}

/** The same failure, its message naming the session. */
export function forSession(key: string, err: SisError): SisError {
    return err.rephrased(`session "${key}": ${err.message}`);
}

/** An ERROR or FATAL_ERROR reply as a SisError (the service's SIS code where it gave one). */
function serviceError(response: RasrResponse, fatal: boolean): SisError {
    const code = str(response.error_code) || undefined;
    const message = str(response.error_msg) || 'no message';
    const traceId = str(response.trace_id);
    const sis = code?.startsWith('SIS.') ? code : undefined;
    return new SisError(
        sis ?? 'REQUEST_REJECTED',
        `${WHAT} ${fatal ? 'stopped by a fatal error' : 'failed'}: ${message}${code ? ` (${code})` : ''}`,
        { traceId, serviceCode: code, retryable: sis ? isRetryableSisCode(sis) : false },
    );
}

export class StreamSession {
    readonly key: string;
    readonly intake: AudioIntake;
    private readonly spec: FrameSpec;
    private readonly limits: SessionLimits;
    private readonly host: SessionHost;
    private state: State = 'connecting';
    private socket: RasrSocket | undefined;
    private handshake: AbortController | undefined;
    private timer: NodeJS.Timeout | undefined;
    private idle: NodeJS.Timeout;
    /** The intake passes every chunk as it is: chunks skip it (one object fewer for each to fetch from memory). */
    private asIs: boolean;
    /** When audio last came (Date.now()): read by the idle timer, cheaper than re-arming it per chunk. */
    private audioAt = Date.now();
    private readonly blocks: AudioBlocks;
    /** Audio not sent on the current connection yet. */
    private readonly pending = new ByteQueue();
    /** Audio sent in the current recognition and not yet covered by a final result (kept coded). */
    private readonly sent: ReplayStore;
    /** Session position of the first byte of the current recognition. */
    private recBase = 0;
    /** Highest position ever sent: what lies beyond it is new audio, bounded by `queueBytes`. */
    private sentHigh = 0;
    private sentInRecognition = 0;
    private endRequested = false;
    private cancelRequested = false;
    /** Sentence-stream: the service stopped listening (VOICE_END, EXCEEDED_SILENCE); audio waits for the next START. */
    private stopped = false;
    private finalInRecognition = false;
    /** Sentence-stream: where the service says it stopped listening (from the event's timestamp). */
    private heardUpTo: number | undefined;
    private startEmitted = false;
    private voiceStartEmitted = false;
    private attempts = 0;
    /** A `name:` vocabulary being looked up before the first START. */
    private lookingUp = false;
    private failure: SisError | undefined;
    private traceId: string | undefined;
    /** End of the last final sentence emitted, in ms on the session's timeline. */
    private lastFinalEnd = Number.NEGATIVE_INFINITY;
    private readonly handlers: SocketHandlers = {
        message: (socket, response) => {
            if (socket === this.socket) this.guard(() => this.onMessage(response));
        },
        invalid: (socket, error) => {
            if (socket === this.socket) this.guard(() => this.fail(error));
        },
        closed: (socket, error) => {
            if (socket === this.socket) this.guard(() => this.connectionLost(error));
        },
    };

    constructor(private readonly setup: SessionSetup) {
        this.key = setup.key;
        this.spec = setup.spec;
        this.limits = setup.limits;
        this.host = setup.host;
        this.intake = setup.intake;
        this.asIs = setup.intake.passesAsIs;
        this.blocks = new AudioBlocks(setup.blocks, () => this.oldestKept());
        this.sent = new ReplayStore(setup.spec.codec === 'pcm' && setup.limits.compactReplay, setup.replayBlocks);
        this.idle = setTimeout(this.idleCheck, this.limits.idleMs);
        const reused = setup.socket;
        if (reused?.open) {
            this.socket = reused;
            reused.attach(this.handlers);
            this.sendStart();
        } else {
            this.connect();
        }
    }

    /** The oldest position of audio still queued to be sent (what is sent is kept in `sent`'s own memory). */
    private oldestKept(): number {
        return this.pending.length > 0 ? this.pending.start : this.pending.end;
    }

    /** No audio for `idleMs` ends the session as `end` does; audio since the timer was set re-arms it. */
    private readonly idleCheck = (): void => {
        this.guard(() => {
            if (this.closing) return;
            const left = this.audioAt + this.limits.idleMs - Date.now();
            if (left > 0) this.idle = setTimeout(this.idleCheck, left);
            else this.end();
        });
    };

    get phase(): SessionPhase {
        if (this.state === 'done') return 'done';
        if (this.state === 'connecting') return this.attempts > 0 ? 'reconnecting' : 'connecting';
        return 'streaming';
    }

    get done(): boolean {
        return this.state === 'done';
    }

    /** Whether the caller already ended or cancelled it (later chunks belong to a new session). */
    get closing(): boolean {
        return this.endRequested || this.cancelRequested || this.state === 'done';
    }

    /** Takes one chunk of the caller's audio. Throws an AudioFormatError for audio it cannot take. */
    feed(chunk: Buffer): void {
        if (this.closing) return;
        if (this.asIs) {
            this.feedAudio(chunk);
            return;
        }
        const audio = this.intake.push(chunk);
        this.asIs = this.intake.passesAsIs;
        this.feedAudio(audio);
    }

    /** Takes audio already in the session's format. */
    feedAudio(audio: Buffer): void {
        if (this.closing) return;
        this.audioAt = Date.now();
        if (audio.length === 0) return;
        if (this.pending.length === 0 && this.sendsAsItIs(audio.length)) {
            // The usual case of a live stream: the chunk is one legal frame and nothing waits
            // before it, so it goes out as it is, without a stop in the session's blocks.
            this.pending.passOver(audio.length);
            this.send(this.socket as RasrSocket, audio, audio.length);
            return;
        }
        this.blocks.write(audio, this.pending);
        const backlog = this.pending.end - Math.max(this.pending.start, this.sentHigh);
        if (backlog > this.limits.queueBytes) {
            this.fail(
                new SisError(
                    'QUEUE_FULL',
                    `${WHAT}: more than ${msOfBytes(this.spec, this.limits.queueBytes) / 1000} s of audio waited to be sent; the session was cancelled and its queued audio dropped`,
                    { retryable: true },
                ),
            );
            return;
        }
        if (this.state === 'waiting') this.resume();
        else this.pump();
    }

    /** Finishes the session: the rest of the audio is sent, then END; results still arrive. */
    end(): void {
        if (this.closing) return;
        this.endRequested = true;
        clearTimeout(this.idle);
        this.blocks.write(this.intake.flush(), this.pending);
        if (this.state === 'waiting') {
            // Sentence-stream between two sentences: nothing to finish.
            this.finish(undefined, true);
            return;
        }
        this.pump();
    }

    /** Drops the session: no more results; the service is told to discard what it has. */
    cancel(): void {
        if (this.cancelRequested || this.state === 'done') return;
        this.cancelRequested = true;
        clearTimeout(this.idle);
        this.pending.clear();
        this.sent.clear();
        this.blocks.release();
        if (this.state === 'starting' || this.state === 'running') {
            this.socket?.sendCommand({ command: 'END', cancel: true });
            this.state = 'ending';
            this.armReply('END');
        } else if (this.state !== 'ending') {
            // Not connected, or idle between two sentences: nothing to tell the service.
            this.finish(undefined, true);
        }
    }

    /** Node close: cancels at once and releases everything; resolves once the socket is closed. */
    shutdown(): Promise<void> {
        const socket = this.socket;
        const active = this.state === 'starting' || this.state === 'running' || this.state === 'ending';
        this.release();
        if (!socket) return Promise.resolve();
        if (active) socket.sendCommand({ command: 'END', cancel: true });
        return socket.close();
    }

    // -----------------------------------------------------------------------------------------
    // Connection
    // -----------------------------------------------------------------------------------------

    private connect(): void {
        this.state = 'connecting';
        const abort = new AbortController();
        this.handshake = abort;
        const { client, mode, limits } = this.setup;
        RasrSocket.open(client, mode, this.handlers, {
            handshakeTimeoutMs: limits.handshakeTimeoutMs,
            signal: abort.signal,
        })
            .then(
                (socket) =>
                    this.guard(() => {
                        if (this.handshake !== abort || this.state !== 'connecting') {
                            void socket.close();
                            return;
                        }
                        this.handshake = undefined;
                        this.socket = socket;
                        if (!socket.open) {
                            this.connectionLost(
                                new SisError('NETWORK', `${WHAT}: closed on opening`, { retryable: true }),
                            );
                            return;
                        }
                        this.sendStart();
                    }),
                (err: unknown) =>
                    this.guard(() => {
                        if (this.handshake !== abort || this.state !== 'connecting') return;
                        this.handshake = undefined;
                        const e = toSisError(err, WHAT);
                        if (e.retryable) this.retry(e);
                        else this.fail(e);
                    }),
            )
            .catch(() => undefined);
        this.host.changed(this);
    }

    private retry(cause: SisError): void {
        if (this.attempts >= this.limits.reconnects) {
            this.fail(
                new SisError(cause.code, `${cause.message}; gave up after ${this.attempts} reconnection attempt(s)`, {
                    status: cause.status,
                    serviceCode: cause.serviceCode,
                    retryable: cause.retryable,
                    cause,
                }),
            );
            return;
        }
        const delay =
            this.limits.backoffBaseMs / 2 +
            backoffDelay(this.attempts, this.limits.backoffBaseMs, this.limits.backoffMaxMs);
        this.attempts++;
        this.state = 'connecting';
        this.clearTimer();
        this.timer = setTimeout(() => this.guard(() => this.connect()), delay);
        this.host.changed(this);
    }

    /** The connection went away without a verdict of the service: reconnect and replay. */
    private connectionLost(error: SisError | undefined): void {
        this.socket = undefined;
        this.clearTimer();
        if (this.state === 'done') return;
        if (this.failure || this.cancelRequested) {
            this.finish(this.failure, false);
            return;
        }
        const cause = error ?? new SisError('NETWORK', `${WHAT}: the connection was closed`, { retryable: true });
        if (this.state === 'waiting') return; // reconnect when audio comes
        if (this.stopped) {
            // The service had stopped listening (sentence-stream); the next recognition starts anew.
            this.nextRecognition(undefined);
            if (this.state !== 'connecting') return;
        }
        // Everything not yet covered by a final result goes again, on the same timeline.
        this.sent.moveInFront(this.pending);
        this.retry(cause);
    }

    // -----------------------------------------------------------------------------------------
    // Commands and audio
    // -----------------------------------------------------------------------------------------

    private sendStart(): void {
        if (this.lookUpVocabulary()) return;
        this.state = 'starting';
        this.socket?.sendCommand({ command: 'START', config: this.setup.config });
        this.armReply('START');
    }

    /**
     * A `vocabulary_id` of `name:<name>` is looked up (cached per account) before the first START,
     * which then carries the id. True while the look-up runs: the session waits as if connecting.
     */
    private lookUpVocabulary(): boolean {
        const ref = this.setup.config.vocabulary_id;
        if (typeof ref !== 'string' || !isVocabularyName(ref)) return false;
        this.state = 'connecting';
        if (this.lookingUp) return true;
        this.lookingUp = true;
        resolveVocabularyId(this.setup.client, ref).then(
            (id) =>
                this.guard(() => {
                    this.lookingUp = false;
                    this.setup.config.vocabulary_id = id;
                    if (this.state === 'connecting' && this.socket?.open && !this.handshake) this.sendStart();
                }),
            (err: unknown) =>
                this.guard(() => {
                    this.lookingUp = false;
                    this.fail(toSisError(err, WHAT));
                }),
        );
        return true;
    }

    private armReply(what: 'START' | 'END'): void {
        this.clearTimer();
        this.timer = setTimeout(
            () =>
                this.guard(() => {
                    const socket = this.socket;
                    this.socket = undefined;
                    void socket?.terminate();
                    const err = new SisError(
                        'TIMEOUT',
                        `${WHAT}: no reply to ${what} within ${this.limits.replyTimeoutMs} ms`,
                        {
                            retryable: true,
                        },
                    );
                    if (this.failure) this.finish(this.failure, false);
                    else this.connectionLost(err);
                }),
            this.limits.replyTimeoutMs,
        );
    }

    private clearTimer(): void {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
    }

    /** Sends what may be sent: every whole sample at once, in legal frames (a short last one padded). */
    private pump(): void {
        const socket = this.socket;
        if (this.state !== 'running' || this.stopped || !socket?.open) return;
        const spec = this.spec;
        const final = this.endRequested;
        for (;;) {
            if (socket.bufferedAmount >= HIGH_WATER) return; // resumed by `written`
            const size = nextFrameSize(spec, this.pending.length, final);
            if (size === 0) break;
            // A frame that spans two blocks of memory is joined in the shared scratch buffer,
            // which `ws` copies while masking, before the next frame may reuse it.
            const frame = this.pending.peek(size, FRAME_SCRATCH);
            this.send(socket, frame.length < spec.min ? padToMinimum(spec, frame) : frame, frame.length);
        }
        if (!final) {
            if (this.pending.length === 0) this.blocks.releaseIfDone();
            return;
        }
        // A trailing half sample is not audio; it stays on the timeline but is not sent.
        if (this.pending.length > 0) {
            this.sent.push(this.pending.peek(this.pending.length));
            this.pending.clear();
        }
        if (this.sentInRecognition === 0) this.send(socket, padToMinimum(this.spec, Buffer.alloc(0)), 0);
        socket.sendCommand({ command: 'END', cancel: false });
        this.state = 'ending';
        this.armReply('END');
    }

    /** Whether a chunk of `len` bytes, with nothing queued before it, may be sent at once as one frame. */
    private sendsAsItIs(len: number): boolean {
        if (this.state !== 'running' || this.stopped || !this.socket?.open) return false;
        return this.socket.bufferedAmount < HIGH_WATER && nextFrameSize(this.spec, len, false) === len;
    }

    /**
     * Sends `frame`, whose first `audioBytes` bytes are the audio at the end of what was sent
     * (taken from the queue's front, or a chunk that did not need to wait); the rest is padding.
     */
    private send(socket: RasrSocket, frame: Buffer, audioBytes: number): void {
        if (audioBytes > 0) {
            // Kept for a replay (copied, coded); `frame` stays valid until it is sent below.
            this.sent.push(frame, audioBytes);
            this.pending.drop(audioBytes);
            if (this.sent.length > this.limits.replayBytes) this.sent.drop(this.sent.length - this.limits.replayBytes);
            if (this.sent.end > this.sentHigh) this.sentHigh = this.sent.end;
        }
        const notify = socket.bufferedAmount + frame.length > LOW_WATER;
        socket.sendAudio(frame, notify ? this.written : undefined);
        this.sentInRecognition += frame.length;
    }

    private readonly written = (): void => {
        this.guard(() => {
            if (this.socket && this.socket.bufferedAmount < LOW_WATER) this.pump();
        });
    };

    // -----------------------------------------------------------------------------------------
    // Replies
    // -----------------------------------------------------------------------------------------

    private onMessage(response: RasrResponse): void {
        switch (response.resp_type) {
            case 'START':
                this.onStart(response);
                return;
            case 'RESULT':
                this.onResult(response);
                return;
            case 'EVENT':
                this.onEvent(response);
                return;
            case 'ERROR':
            case 'FATAL_ERROR':
                this.onError(response, response.resp_type === 'FATAL_ERROR');
                return;
            case 'END':
                this.onEnd(response);
                return;
            default:
            // Unknown reply types are ignored, so a newer service does not break the node.
        }
    }

    private onStart(response: RasrResponse): void {
        if (this.state !== 'starting' && !(this.state === 'ending' && this.cancelRequested)) return;
        this.traceId = str(response.trace_id);
        if (this.state === 'starting') {
            this.clearTimer();
            this.state = 'running';
        }
        this.attempts = 0;
        this.recBase = this.pending.start;
        this.sent.clear(this.pending.start);
        this.sentInRecognition = 0;
        this.finalInRecognition = false;
        // After a reconnection the recognition goes on: the flow saw its START already.
        if (!this.startEmitted) {
            this.startEmitted = true;
            this.host.event(this, 'START', response);
        }
        this.host.changed(this);
        this.pump();
    }

    private onResult(response: RasrResponse): void {
        if (this.cancelRequested || !Array.isArray(response.segments)) return;
        const offset = msOfBytes(this.spec, this.recBase);
        const traceId = str(response.trace_id) ?? this.traceId;
        for (const raw of response.segments as unknown[]) {
            if (raw === null || typeof raw !== 'object') continue;
            const seg = raw as Record<string, unknown>;
            const result = (seg.result ?? {}) as Record<string, unknown>;
            const text = str(result.text) ?? '';
            const final = seg.is_final !== false;
            const start = num(seg.start_time);
            const end = num(seg.end_time);
            if (final) {
                this.finalInRecognition = true;
                // Audio up to the end of a final sentence never needs to be sent again.
                if (end !== undefined) {
                    const upTo = this.recBase + bytesOfMs(this.spec, end);
                    if (upTo > this.sent.start) this.sent.drop(upTo - this.sent.start);
                }
            }
            const endMs = end === undefined ? undefined : end + offset;
            // A sentence already given out (its audio replayed after a drop) is not given again.
            if (endMs !== undefined && endMs <= this.lastFinalEnd) continue;
            if (final && endMs !== undefined) this.lastFinalEnd = endMs;
            if (!text) continue;
            const sentence: Sentence = { text };
            if (start !== undefined) sentence.start_time = start + offset;
            if (endMs !== undefined) sentence.end_time = endMs;
            const score = num(result.score);
            if (score !== undefined) sentence.score = score;
            if (Array.isArray(result.word_info)) sentence.word_info = shiftWords(result.word_info, offset);
            this.host.sentence(this, sentence, final, traceId);
        }
        // Blocks holding only confirmed audio go back at once, for the node's other sessions.
        if (this.finalInRecognition) this.blocks.release();
    }

    private onEvent(response: RasrResponse): void {
        if (this.cancelRequested) return;
        const name = str(response.event) ?? 'EVENT';
        if (name === 'VOICE_START') {
            if (this.voiceStartEmitted) return;
            this.voiceStartEmitted = true;
        }
        this.host.event(this, name, response);
        if (name !== 'VOICE_END' && name !== 'EXCEEDED_SILENCE' && name !== 'EXCEEDED_AUDIO') return;
        // The service no longer listens in this recognition. What it heard after the sentence
        // is replayed to the next one; silence it reported as such is not.
        if (name !== 'VOICE_END' || !this.finalInRecognition) {
            this.sent.clear();
            this.blocks.release();
        }
        const at = num(response.timestamp);
        this.heardUpTo = at === undefined ? undefined : this.recBase + bytesOfMs(this.spec, at);
        this.stopped = true;
        if (this.state === 'running') {
            this.socket?.sendCommand({ command: 'END', cancel: false });
            this.state = 'ending';
            this.armReply('END');
        }
    }

    private onError(response: RasrResponse, fatal: boolean): void {
        const err = serviceError(response, fatal);
        if (this.state === 'starting' && !fatal) {
            // START refused: no recognition runs, and no END follows.
            this.fail(err, true);
            return;
        }
        if (fatal || this.state === 'waiting' || this.state === 'connecting') {
            this.fail(err, false);
            return;
        }
        if (this.failure) return;
        // An error inside a recognition is followed by END (reason ERROR), which finishes the session.
        this.failure = err;
        this.host.error(this, forSession(this.key, err));
        this.armReply('END');
    }

    private onEnd(response: RasrResponse): void {
        if (this.state !== 'ending' && this.state !== 'running' && this.state !== 'starting') return;
        this.clearTimer();
        this.host.event(this, 'END', response);
        if (this.failure) {
            this.finish(this.failure, true);
            return;
        }
        if (response.reason === 'ERROR') {
            this.fail(new SisError('PROTOCOL', `${WHAT}: the service ended the recognition with an error`), true);
            return;
        }
        if (this.cancelRequested || !this.stopped) {
            this.finish(undefined, true);
            return;
        }
        this.nextRecognition(this.socket);
    }

    /**
     * Sentence-stream: the service stopped after a sentence. The audio after it (sent but not
     * heard, and what is still queued) is the start of the next recognition, on `socket` if it
     * is still open; without audio the session waits for more, or ends if the caller ended it.
     */
    private nextRecognition(socket: RasrSocket | undefined): void {
        this.stopped = false;
        this.startEmitted = false;
        this.voiceStartEmitted = false;
        this.sent.moveInFront(this.pending);
        const heard = this.heardUpTo;
        this.heardUpTo = undefined;
        if (heard !== undefined && this.pending.end - heard < this.spec.min && heard > this.pending.start) {
            // The sentence closed only when END flushed it: the service heard everything.
            this.pending.drop(heard - this.pending.start);
        }
        if (this.pending.length < this.spec.min) {
            if (this.endRequested) {
                this.finish(undefined, true);
                return;
            }
            this.state = 'waiting';
        } else if (socket?.open) {
            this.sendStart();
        } else {
            this.state = 'connecting';
            return;
        }
        this.host.changed(this);
    }

    /** Sentence-stream, between two sentences: audio came, start the next recognition. */
    private resume(): void {
        if (this.socket?.open) this.sendStart();
        else this.connect();
    }

    // -----------------------------------------------------------------------------------------
    // Ending
    // -----------------------------------------------------------------------------------------

    /** Reports a failure once and ends the session; `reusable` when the connection is idle and open. */
    private fail(err: SisError, reusable = false): void {
        if (this.state === 'done') return;
        if (!this.failure) {
            this.failure = err;
            this.host.error(this, forSession(this.key, err));
        }
        const active = this.state === 'starting' || this.state === 'running' || this.state === 'ending';
        if (active && !reusable) this.socket?.sendCommand({ command: 'END', cancel: true });
        this.finish(this.failure, reusable);
    }

    private finish(failure: SisError | undefined, reusable: boolean): void {
        if (this.state === 'done') return;
        const socket = this.socket;
        const keep = reusable && socket?.open ? socket : undefined;
        this.release();
        if (socket && !keep) void socket.close();
        this.host.finished(this, keep, failure);
    }

    /** Stops every timer and drops every buffer; the socket is left to the caller. */
    private release(): void {
        this.state = 'done';
        this.clearTimer();
        clearTimeout(this.idle);
        this.handshake?.abort();
        this.handshake = undefined;
        this.socket = undefined;
        this.pending.clear();
        this.sent.releaseAll();
        this.blocks.releaseAll();
    }

    /** Runs a step of the state machine from an event; nothing may escape into the event loop. */
    private guard(step: () => void): void {
        try {
            step();
        } catch (err) {
            try {
                this.fail(toSisError(err, WHAT));
            } catch {
                this.release();
            }
        }
    }
}

function shiftWords(list: unknown[], offset: number): NonNullable<Sentence['word_info']> {
    const out: NonNullable<Sentence['word_info']> = [];
    for (const item of list) {
        if (item === null || typeof item !== 'object') continue;
        const w = item as Record<string, unknown>;
        const word: NonNullable<Sentence['word_info']>[number] = {};
        const s = num(w.start_time);
        const e = num(w.end_time);
        if (s !== undefined) word.start_time = s + offset;
        if (e !== undefined) word.end_time = e + offset;
        if (typeof w.word === 'string') word.word = w.word;
        out.push(word);
    }
    return out;
}
