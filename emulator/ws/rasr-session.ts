// One RASR (or WebSocket short-audio) connection: the state machine of docs/protocol/websocket.md §1.8.
// Processing is synchronous, so the ENDING state of the table lasts no longer than the handling
// of the END command itself.
import type { RawData } from 'ws';
import type { FaultSpec } from '../types';
import { frameLimits, isConfigError, parseStartConfig } from './config';
import { type Connection, newTraceId } from './connection';
import { type StreamConfig, type StreamMode, type StreamOutput, StreamRecognizer } from './recognizer';

/** continue-stream may run for 5 h per recognition. */
const CONTINUE_MAX_MS = 5 * 3600 * 1000;

interface Running {
    traceId: string;
    config: StreamConfig;
    recognizer: StreamRecognizer;
    frames: number;
    fault?: FaultSpec;
    /** Short-audio: audio past the 1 min cap is ignored after EXCEEDED_AUDIO. */
    exceeded: boolean;
}

function toBuffer(data: RawData): Buffer {
    if (Buffer.isBuffer(data)) return data;
    if (Array.isArray(data)) return Buffer.concat(data);
    return Buffer.from(data);
}

function parseCancel(v: unknown): boolean | undefined {
    if (v === undefined || v === false || v === 'false') return false;
    if (v === true || v === 'true') return true;
    return undefined;
}

export class RasrSession {
    private running: Running | undefined;

    constructor(
        private readonly conn: Connection,
        private readonly mode: StreamMode,
    ) {
        conn.armIdle(conn.ctx.limits.wsIdleMs, () => this.idleTimeout());
        conn.ws.on('message', (data, isBinary) => {
            try {
                this.onMessage(toBuffer(data), isBinary);
            } catch {
                // Never let a bad input escape; report it as an engine error inside a session.
                this.failSession('SIS.0302', 'internal service exception');
            }
        });
        conn.ws.on('close', () => {
            this.running = undefined;
        });
    }

    private idleTimeout(): void {
        this.conn.fatal('SIS.0304', 'wait voice timeout', this.running?.traceId ?? newTraceId());
        this.running = undefined;
    }

    private onMessage(data: Buffer, isBinary: boolean): void {
        if (this.conn.closed) return;
        this.conn.touchIdle();
        if (isBinary) {
            this.conn.log.ws.frames++;
            this.conn.log.ws.bytes += data.length;
            this.onAudio(data);
        } else {
            this.onCommand(data.toString('utf8'));
        }
    }

    private onCommand(textFrame: string): void {
        let msg: unknown;
        try {
            msg = JSON.parse(textFrame);
        } catch {
            this.conn.log.ws.commands.push('INVALID');
            this.refuse('SIS.0032', 'request is not valid JSON');
            return;
        }
        const command =
            typeof msg === 'object' && msg !== null && !Array.isArray(msg)
                ? (msg as Record<string, unknown>).command
                : undefined;
        this.conn.log.ws.commands.push(typeof command === 'string' ? command : 'INVALID');
        const body = msg as Record<string, unknown>;
        if (command === 'START') {
            this.onStart(body.config);
            return;
        }
        if (command === 'END') {
            this.onEnd(body.cancel);
            return;
        }
        this.refuse('SIS.0031', "'command' is invalid");
    }

    /** An error: inside a recognition it also ends it (END ERROR). */
    private refuse(code: string, message: string): void {
        if (this.running) this.failSession(code, message);
        else this.conn.error(code, message);
    }

    private failSession(code: string, message: string): void {
        const run = this.running;
        if (!run) return;
        this.running = undefined;
        this.conn.error(code, message, run.traceId);
        this.conn.send({ resp_type: 'END', trace_id: run.traceId, reason: 'ERROR' });
    }

    private onStart(rawConfig: unknown): void {
        if (this.running) {
            this.failSession('SIS.0031', 'recognition already started: send END first');
            return;
        }
        const config = parseStartConfig(this.mode, rawConfig);
        if (isConfigError(config)) {
            this.conn.error(config.code, config.message);
            return;
        }
        const run: Running = {
            traceId: newTraceId(),
            config,
            recognizer: new StreamRecognizer(this.conn.ctx, config),
            frames: 0,
            fault: this.conn.takeFault(),
            exceeded: false,
        };
        this.running = run;
        this.conn.send({ resp_type: 'START', trace_id: run.traceId });
        this.maybeFault(run);
    }

    private onEnd(rawCancel: unknown): void {
        const run = this.running;
        if (!run) {
            this.conn.error('SIS.0031', 'no recognition is running: send START first');
            return;
        }
        const cancel = parseCancel(rawCancel);
        if (cancel === undefined) {
            this.failSession('SIS.0031', "'cancel' must be a boolean");
            return;
        }
        this.running = undefined;
        if (!cancel) this.emit(run, run.recognizer.finish());
        this.conn.send({ resp_type: 'END', trace_id: run.traceId, reason: cancel ? 'CANCEL' : 'NORMAL' });
    }

    private onAudio(frame: Buffer): void {
        const run = this.running;
        if (!run) return; // audio outside a recognition is ignored until the next START
        const { min, max } = frameLimits(run.config.format);
        if (frame.length < min || frame.length > max) {
            this.failSession('SIS.0032', `audio frame size must be ${min} to ${max} bytes, got ${frame.length}`);
            return;
        }
        run.frames++;
        const rec = run.recognizer;
        if (!rec.done && !run.exceeded) {
            const cap = this.mode === 'continue-stream' ? CONTINUE_MAX_MS : this.conn.ctx.limits.rasrShortMaxMs;
            if (rec.audioMs + rec.msOf(frame.length) > cap) {
                if (this.mode !== 'short-audio') {
                    this.failSession('SIS.0309', `audio is longer than ${Math.round(cap / 1000)} s`);
                    return;
                }
                run.exceeded = true;
                this.conn.send({
                    resp_type: 'EVENT',
                    trace_id: run.traceId,
                    event: 'EXCEEDED_AUDIO',
                    timestamp: rec.audioMs,
                });
            } else {
                this.emit(run, rec.push(frame));
            }
        }
        this.maybeFault(run);
    }

    private emit(run: Running, outputs: StreamOutput[]): void {
        for (const o of outputs) {
            if (o.kind === 'result')
                this.conn.send({ resp_type: 'RESULT', trace_id: run.traceId, segments: o.segments });
            else this.conn.send({ resp_type: 'EVENT', trace_id: run.traceId, event: o.event, timestamp: o.timestamp });
        }
    }

    /** Injected faults fire once `afterFrames` binary frames of this recognition arrived. */
    private maybeFault(run: Running): void {
        const fault = run.fault;
        if (!fault || this.running !== run || run.frames < (fault.afterFrames ?? 0)) return;
        run.fault = undefined;
        if (fault.kind === 'ws-close') {
            this.running = undefined;
            this.conn.terminate();
        } else if (fault.kind === 'ws-error') {
            this.failSession(fault.code ?? 'SIS.0305', fault.message ?? 'engine exception');
        } else if (fault.kind === 'ws-fatal') {
            this.running = undefined;
            this.conn.fatal(fault.code ?? 'SIS.0302', fault.message ?? 'internal service exception', run.traceId);
        }
    }
}
