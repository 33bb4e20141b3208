// One Wyoming transcription: `audio-start` → `audio-chunk`* → `audio-stop` into a real-time
// recognition session (continue-stream, so each sentence is final as soon as it closes), the
// audio streamed to the service while it arrives. Audio of any rate, width and channel count is
// brought to 16-bit first, then through the stream node's own intake (a WAV header describing it
// goes first), so it is mixed down and resampled exactly as `sis-stream-asr` does.
import { AudioFormatError } from '../audio/types';
import type { SisClient } from '../cloud/sis-client';
import { invalidInput, SisError, toSisError } from '../core/errors';
import type { Sentence } from '../red/sentences';
import { sampleRateOfProperty } from '../service/formats';
import { frameSpec } from '../stream/frames';
import { AudioIntake } from '../stream/intake';
import { type SessionHost, type SessionLimits, StreamSession } from '../stream/session';
import type { RasrResponse, RasrSocket } from '../stream/socket';
import { wavHeader } from '../tts/join';

export interface AudioFormat {
    rate: number;
    width: number;
    channels: number;
}

export interface TranscriptionHost {
    /** A sentence became final. */
    sentence(text: string): void;
    /** The recognition ended: the whole text. */
    done(text: string): void;
    failed(error: SisError): void;
}

const MAX_CHANNELS = 16;

/** The audio format of an `audio-start` or `audio-chunk`, checked. */
export function audioFormatOf(data: Record<string, unknown>): AudioFormat {
    const { rate, width, channels } = data;
    if (typeof rate !== 'number' || !Number.isInteger(rate) || rate < 1000 || rate > 384000) {
        throw invalidInput(`audio rate ${String(rate)} is not a sample rate between 1000 and 384000 Hz`);
    }
    if (width !== 1 && width !== 2 && width !== 3 && width !== 4) {
        throw invalidInput(`audio width ${String(width)} is not 1, 2, 3 or 4 bytes`);
    }
    if (typeof channels !== 'number' || !Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
        throw invalidInput(`audio channels ${String(channels)} is not between 1 and ${MAX_CHANNELS}`);
    }
    return { rate, width, channels };
}

/** Signed little-endian samples of `width` bytes to 16-bit (the top 16 bits; 8-bit scaled up). */
export class WidthConverter {
    private carry: Buffer | undefined;

    constructor(private readonly width: number) {}

    push(chunk: Buffer): Buffer {
        if (this.width === 2) return chunk;
        const w = this.width;
        const bytes = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
        const n = Math.floor(bytes.length / w);
        this.carry = n * w < bytes.length ? Buffer.from(bytes.subarray(n * w)) : undefined;
        const out = Buffer.allocUnsafe(n * 2);
        for (let i = 0; i < n; i++) {
            const at = i * w;
            // The most significant two bytes of a little-endian sample are its last two.
            const v = w === 1 ? bytes.readInt8(at) * 256 : bytes.readInt16LE(at + w - 2);
            out.writeInt16LE(v, i * 2);
        }
        return out;
    }
}

export interface TranscriptionSetup {
    client: SisClient;
    model: string;
    language: string;
    /** Names the session in errors (the client's address). */
    key: string;
    host: TranscriptionHost;
}

const LIMITS: SessionLimits = {
    queueBytes: 20 * 32000,
    replayBytes: 60 * 32000,
    compactReplay: false,
    reconnects: 2,
    backoffBaseMs: 200,
    backoffMaxMs: 2000,
    handshakeTimeoutMs: 10_000,
    replyTimeoutMs: 15_000,
    idleMs: 15_000,
};

/** Sentences joined into the transcript: no space between Chinese sentences, one between others. */
export function joinSentences(language: string, sentences: readonly string[]): string {
    const cjk = /^(zh|yue|wuu|ja)\b/i.test(language);
    return sentences
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .join(cjk ? '' : ' ');
}

export class Transcription implements SessionHost {
    private session: StreamSession | undefined;
    private converter: WidthConverter | undefined;
    private format: AudioFormat | undefined;
    private readonly sentences: string[] = [];
    private ended = false;

    constructor(private readonly setup: TranscriptionSetup) {}

    get started(): boolean {
        return this.session !== undefined;
    }

    get over(): boolean {
        return this.ended;
    }

    /** `audio-start`: opens the recognition (the connection is made while audio arrives). */
    start(format: AudioFormat): void {
        if (this.session || this.ended) return;
        const model = this.setup.model;
        const rate = sampleRateOfProperty(model) === 8000 ? 8000 : 16000;
        const spec = frameSpec(rate === 8000 ? 'pcm8k16bit' : 'pcm16k16bit');
        const intake = new AudioIntake(spec);
        const header = wavHeader({
            formatTag: 1,
            channels: format.channels,
            sampleRate: format.rate,
            byteRate: format.rate * format.channels * 2,
            blockAlign: format.channels * 2,
            bitsPerSample: 16,
        });
        try {
            intake.push(header);
        } catch (err) {
            throw err instanceof AudioFormatError ? invalidInput(err.message) : err;
        }
        this.format = format;
        this.converter = new WidthConverter(format.width);
        this.session = new StreamSession({
            key: this.setup.key,
            mode: 'continue-stream',
            spec,
            config: { audio_format: spec.format, property: model, add_punc: 'yes' },
            client: this.setup.client,
            limits: LIMITS,
            host: this,
            intake,
        });
    }

    /** `audio-chunk`: its samples go on to the service at once. */
    audio(payload: Buffer, format: AudioFormat | undefined): void {
        if (this.ended) return;
        if (!this.session) this.start(format ?? { rate: 16000, width: 2, channels: 1 });
        const f = this.format as AudioFormat;
        if (format && (format.rate !== f.rate || format.width !== f.width || format.channels !== f.channels)) {
            throw invalidInput(
                `an audio-chunk of ${format.rate} Hz, ${format.width} byte(s), ${format.channels} channel(s) differs from its audio-start`,
            );
        }
        if (payload.length === 0) return;
        const samples = (this.converter as WidthConverter).push(payload);
        try {
            this.session?.feed(samples);
        } catch (err) {
            throw err instanceof AudioFormatError ? invalidInput(err.message) : err;
        }
    }

    /** `audio-stop`: the rest is sent with END; the transcript follows the service's last result. */
    stop(): void {
        if (this.ended) return;
        if (!this.session) this.start({ rate: 16000, width: 2, channels: 1 });
        this.session?.end();
    }

    /** The client went away or the node closes: no more results; resolves once the socket is closed. */
    shutdown(): Promise<void> {
        this.ended = true;
        const s = this.session;
        return s ? s.shutdown() : Promise.resolve();
    }

    // SessionHost ------------------------------------------------------------------------------

    sentence(_s: StreamSession, sentence: Sentence, final: boolean): void {
        if (this.ended || !final || sentence.text.trim() === '') return;
        this.sentences.push(sentence.text);
        this.guard(() => this.setup.host.sentence(sentence.text));
    }

    event(_s: StreamSession, _name: string, _response: RasrResponse): void {}

    error(): void {
        // Reported once, from finished().
    }

    changed(): void {}

    finished(_s: StreamSession, socket: RasrSocket | undefined, failure: SisError | undefined): void {
        if (socket) void socket.close();
        if (this.ended) return;
        this.ended = true;
        if (failure) this.guard(() => this.setup.host.failed(failure));
        else this.guard(() => this.setup.host.done(joinSentences(this.setup.language, this.sentences)));
    }

    private guard(step: () => void): void {
        try {
            step();
        } catch (err) {
            // The host writes to a socket; a failure there must not reach the session's state machine.
            void toSisError(err);
        }
    }
}

export { SisError };
