// The Wyoming TCP server: one Connection per client, each speaking the events of Home Assistant's
// Wyoming integration — `describe` (answered from memory), `transcribe` with audio, `synthesize`,
// and `synthesize-start/chunk/stop`. Every failure is an `error` event on its connection and is
// reported once to the node; garbage closes only its own connection. Clients outside the allow
// list are closed at once; connections beyond the bound get an error and are closed.
//
// Over 500 lines because a connection's speech-to-text and text-to-speech share its socket, its
// one error path and its close; split apart, they would have to expose them to each other.
import { createServer, type Server, type Socket } from 'node:net';
import type { SisClient } from '../cloud/sis-client';
import { invalidInput, SisError, toSisError } from '../core/errors';
import { TTS_MAX_TEXT_LENGTH } from '../service/limits';
import type { TtsVoice } from '../service/voices';
import type { Semaphore } from '../tts/rest';
import type { AllowList } from './allow';
import { chooseVoice, matchLanguage } from './languages';
import { EventReader, encodeEvent, type WyomingEvent, WyomingProtocolError } from './protocol';
import { audioFormatOf, Transcription } from './stt';
import { SentenceCutter, Speaker, sentencesOf, ttsAudioData } from './tts';

/** A connection doing nothing for this long is closed (Home Assistant opens one per request). */
const IDLE_MS = 120_000;
/** A connection refused for the bound gets its error event, then this long to read it. */
const REFUSE_LINGER_MS = 1000;
const CLOSE_WAIT_MS = 3000;

export interface WyomingServerOptions {
    host: string;
    port: number;
    allow: AllowList;
    maxConnections: number;
    stt: boolean;
    tts: boolean;
    languages: ReadonlyMap<string, string>;
    voices: readonly TtsVoice[];
    /** The `info` data, answered to every `describe`. */
    info: Record<string, unknown>;
    limiter: Semaphore;
    realtimeTimeoutMs: number;
    maxTextLength: number;
}

export interface WyomingHost {
    /** The config node's client; throws NOT_CONFIGURED. */
    client(): SisClient;
    heard(text: string, language: string, client: string): void;
    spoke(text: string, client: string): void;
    failed(error: SisError, client: string): void;
    refused(address: string): void;
    changed(): void;
}

function str(v: unknown): string | undefined {
    return typeof v === 'string' ? v : undefined;
}

function obj(v: unknown): Record<string, unknown> {
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function chars(text: string): number {
    let n = 0;
    for (const _ of text) n++;
    return n;
}

interface Streamed {
    cutter: SentenceCutter;
    voiceName: unknown;
    voiceLanguage: unknown;
    speaker: Speaker | undefined;
    text: string;
    stopped: boolean;
}

class Connection {
    readonly client: string;
    private readonly reader = new EventReader();
    private pendingLanguage: { language: string; model: string } | undefined;
    private transcription: Transcription | undefined;
    private speaker: Speaker | undefined;
    private streamed: Streamed | undefined;
    private gone = false;

    constructor(
        private readonly socket: Socket,
        private readonly server: WyomingServer,
    ) {
        this.client = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
        socket.setNoDelay(true);
        socket.setTimeout(IDLE_MS);
        socket.on('data', (chunk: Buffer) => this.onData(chunk));
        socket.on('timeout', () => {
            if (!this.busy) socket.destroy();
        });
        socket.on('error', () => undefined);
        socket.on('close', () => this.onClose());
    }

    get busy(): boolean {
        return this.transcription !== undefined || this.speaker !== undefined || this.streamed !== undefined;
    }

    private get opts(): WyomingServerOptions {
        return this.server.options;
    }

    private write(type: string, data?: Record<string, unknown>, payload?: Buffer): void {
        if (this.gone || this.socket.destroyed || !this.socket.writable) return;
        this.socket.write(encodeEvent(type, data, payload));
    }

    private onData(chunk: Buffer): void {
        let events: WyomingEvent[];
        try {
            events = this.reader.push(chunk);
        } catch (err) {
            // The byte stream is lost: say why, then close this connection only.
            const e = new SisError('PROTOCOL', `wyoming: ${(err as Error).message}`);
            this.fail(e);
            this.socket.end();
            this.stopWork();
            return;
        }
        for (const event of events) {
            if (this.gone) return;
            try {
                this.handle(event);
            } catch (err) {
                this.fail(toSisError(err, `wyoming ${event.type}`));
            }
        }
    }

    /** An `error` event on this connection, and the failure reported once to the node. */
    private fail(err: SisError): void {
        this.write('error', { text: err.message, code: err.code });
        this.server.host.failed(err, this.client);
    }

    private handle(event: WyomingEvent): void {
        const data = event.data;
        switch (event.type) {
            case 'describe':
                this.write('info', this.opts.info);
                return;
            case 'ping':
                this.write('pong', str(data.text) === undefined ? {} : { text: data.text });
                return;
            case 'transcribe':
                this.transcribe(data);
                return;
            case 'audio-start':
                this.audioStart(data);
                return;
            case 'audio-chunk':
                this.audioChunk(data, event.payload);
                return;
            case 'audio-stop':
                this.audioStop();
                return;
            case 'synthesize':
                this.synthesize(data);
                return;
            case 'synthesize-start':
                this.synthesizeStart(data);
                return;
            case 'synthesize-chunk':
                this.synthesizeChunk(data);
                return;
            case 'synthesize-stop':
                this.synthesizeStop();
                return;
            default:
            // Events of other services (wake, intent, satellite…) are not for this server.
        }
    }

    // -----------------------------------------------------------------------------------------
    // Speech to text
    // -----------------------------------------------------------------------------------------

    private requireStt(): void {
        if (!this.opts.stt) throw invalidInput('speech-to-text is switched off on this server');
    }

    private transcribe(data: Record<string, unknown>): void {
        this.requireStt();
        const languages = this.opts.languages;
        const name = str(data.name);
        const byModel = name ? [...languages].find(([, model]) => model === name) : undefined;
        const language = byModel ? byModel[0] : matchLanguage(data.language, languages.keys());
        if (!language) {
            throw invalidInput(
                `language ${String(data.language)} is not served here (${[...languages.keys()].join(', ')})`,
            );
        }
        if (this.transcription) {
            void this.transcription.shutdown();
            this.transcription = undefined;
        }
        this.pendingLanguage = { language, model: languages.get(language) as string };
    }

    private ensureTranscription(): Transcription {
        this.requireStt();
        if (this.transcription && !this.transcription.over) return this.transcription;
        const chosen =
            this.pendingLanguage ??
            (() => {
                const [language, model] = [...this.opts.languages][0];
                return { language, model };
            })();
        this.pendingLanguage = undefined;
        const client = this.server.host.client();
        const t: Transcription = new Transcription({
            client,
            model: chosen.model,
            language: chosen.language,
            key: this.client,
            host: {
                sentence: (text) => this.write('transcript-chunk', { text }),
                done: (text) => {
                    if (this.transcription === t) this.transcription = undefined;
                    this.write('transcript', { text, language: chosen.language });
                    this.write('transcript-stop');
                    this.server.host.heard(text, chosen.language, this.client);
                    this.server.host.changed();
                },
                failed: (err) => {
                    if (this.transcription === t) this.transcription = undefined;
                    this.fail(err);
                    this.server.host.changed();
                },
            },
        });
        this.transcription = t;
        this.write('transcript-start', { language: chosen.language });
        this.server.host.changed();
        return t;
    }

    private audioStart(data: Record<string, unknown>): void {
        const format = audioFormatOf(data);
        const t = this.ensureTranscription();
        try {
            t.start(format);
        } catch (err) {
            this.dropTranscription();
            throw err;
        }
    }

    private audioChunk(data: Record<string, unknown>, payload: Buffer | undefined): void {
        const format = data.rate === undefined ? undefined : audioFormatOf(data);
        const t = this.transcription ?? this.ensureTranscription();
        try {
            t.audio(payload ?? Buffer.alloc(0), format);
        } catch (err) {
            this.dropTranscription();
            throw err;
        }
    }

    private audioStop(): void {
        // A transcribe with no audio at all still gets its (empty) transcript.
        const t = this.transcription ?? (this.pendingLanguage ? this.ensureTranscription() : undefined);
        t?.stop();
    }

    private dropTranscription(): void {
        const t = this.transcription;
        this.transcription = undefined;
        if (t) void t.shutdown();
        this.server.host.changed();
    }

    // -----------------------------------------------------------------------------------------
    // Text to speech
    // -----------------------------------------------------------------------------------------

    private requireTts(): void {
        if (!this.opts.tts || this.opts.voices.length === 0) {
            throw invalidInput('text-to-speech is switched off on this server');
        }
    }

    private textOf(data: Record<string, unknown>): string {
        const text = data.text;
        if (typeof text !== 'string') throw invalidInput('synthesize: text must be a string');
        if (chars(text) > this.opts.maxTextLength) {
            throw invalidInput(`synthesize: the text is over ${this.opts.maxTextLength} characters`);
        }
        return text;
    }

    private newSpeaker(voice: TtsVoice, sink: ConstructorParameters<typeof Speaker>[0]['sink']): Speaker {
        return new Speaker({
            client: this.server.host.client(),
            voice,
            limiter: this.opts.limiter,
            sink,
            idleTimeoutMs: this.opts.realtimeTimeoutMs,
        });
    }

    private chunk(payload: Buffer): void {
        this.write('audio-chunk', ttsAudioData(), payload);
    }

    /** A whole text: ONE audio-start … audio-stop group, its first audio out while later sentences are made. */
    private synthesize(data: Record<string, unknown>): void {
        if (this.streamed) return; // the copy Home Assistant sends inside a streamed synthesis
        this.requireTts();
        const text = this.textOf(data);
        if (this.speaker) throw invalidInput('synthesize: a synthesis is already running on this connection');
        const voiceData = obj(data.voice);
        const voice = chooseVoice(this.opts.voices, voiceData.name, voiceData.language, text);
        let started = false;
        const start = (): void => {
            if (started) return;
            started = true;
            this.write('audio-start', ttsAudioData());
        };
        const speaker = this.newSpeaker(voice, {
            begin: () => start(),
            audio: (_i, payload) => this.chunk(payload),
            end: () => undefined,
        });
        const sentences = sentencesOf(text, TTS_MAX_TEXT_LENGTH);
        this.speaker = speaker;
        this.server.host.changed();
        for (const s of sentences) speaker.add(s);
        speaker.finish().then(
            () => {
                if (this.speaker === speaker) this.speaker = undefined;
                start();
                this.write('audio-stop', { timestamp: null });
                if (!this.gone) this.server.host.spoke(text, this.client);
                this.server.host.changed();
            },
            (err: SisError) => {
                if (this.speaker === speaker) this.speaker = undefined;
                if (!this.gone) this.fail(err);
                this.server.host.changed();
            },
        );
    }

    private synthesizeStart(data: Record<string, unknown>): void {
        this.requireTts();
        if (this.streamed || this.speaker) {
            throw invalidInput('synthesize-start: a synthesis is already running on this connection');
        }
        const voiceData = obj(data.voice);
        this.streamed = {
            cutter: new SentenceCutter(TTS_MAX_TEXT_LENGTH),
            voiceName: voiceData.name,
            voiceLanguage: voiceData.language,
            speaker: undefined,
            text: '',
            stopped: false,
        };
        this.server.host.changed();
    }

    private streamedSpeaker(s: Streamed, firstText: string): Speaker {
        if (s.speaker) return s.speaker;
        const voice = chooseVoice(this.opts.voices, s.voiceName, s.voiceLanguage, firstText);
        // One audio group per sentence, all of one format.
        s.speaker = this.newSpeaker(voice, {
            begin: () => this.write('audio-start', ttsAudioData()),
            audio: (_i, payload) => this.chunk(payload),
            end: () => this.write('audio-stop', { timestamp: null }),
        });
        return s.speaker;
    }

    private addSentences(s: Streamed, sentences: string[]): void {
        for (const sentence of sentences) this.streamedSpeaker(s, sentence).add(sentence);
    }

    private synthesizeChunk(data: Record<string, unknown>): void {
        const s = this.streamed;
        if (!s || s.stopped) throw invalidInput('synthesize-chunk: no synthesize-start came before it');
        const text = this.textOf(data);
        s.text += text;
        if (chars(s.text) > this.opts.maxTextLength) {
            this.abortStreamed();
            throw invalidInput(`synthesize: the text is over ${this.opts.maxTextLength} characters`);
        }
        this.addSentences(s, s.cutter.push(text));
    }

    private synthesizeStop(): void {
        const s = this.streamed;
        if (!s || s.stopped) throw invalidInput('synthesize-stop: no synthesize-start came before it');
        s.stopped = true;
        this.addSentences(s, s.cutter.flush());
        const done = s.speaker ? s.speaker.finish() : Promise.resolve();
        done.then(
            () => {
                if (this.streamed === s) this.streamed = undefined;
                this.write('synthesize-stopped');
                if (!this.gone && s.text.trim() !== '') this.server.host.spoke(s.text, this.client);
                this.server.host.changed();
            },
            (err: SisError) => {
                if (this.streamed === s) this.streamed = undefined;
                if (!this.gone) this.fail(err);
                this.server.host.changed();
            },
        );
    }

    private abortStreamed(): void {
        const s = this.streamed;
        this.streamed = undefined;
        s?.speaker?.abort();
    }

    // -----------------------------------------------------------------------------------------
    // Ending
    // -----------------------------------------------------------------------------------------

    /** Stops every piece of work; resolves once their sockets are closed. */
    stopWork(): Promise<void> {
        const waits: Promise<void>[] = [];
        if (this.transcription) waits.push(this.transcription.shutdown());
        this.transcription = undefined;
        this.speaker?.abort();
        this.speaker = undefined;
        this.abortStreamed();
        return Promise.all(waits).then(() => undefined);
    }

    private onClose(): void {
        this.gone = true;
        void this.stopWork();
        this.server.forget(this);
    }

    /** Node close: drops the client and the work. */
    shutdown(): Promise<void> {
        this.gone = true;
        const work = this.stopWork();
        this.socket.destroy();
        return work;
    }
}

export class WyomingServer {
    private server: Server | undefined;
    private readonly connections = new Set<Connection>();
    private readonly lingering = new Set<Socket>();
    private closed = false;

    constructor(
        readonly options: WyomingServerOptions,
        readonly host: WyomingHost,
    ) {}

    get connectionCount(): number {
        return this.connections.size;
    }

    get busyCount(): number {
        let n = 0;
        for (const c of this.connections) if (c.busy) n++;
        return n;
    }

    /** The port actually listened on (the setting, or the one the system chose for port 0). */
    get port(): number | undefined {
        const a = this.server?.address();
        return a && typeof a === 'object' ? a.port : undefined;
    }

    listen(): Promise<void> {
        const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
        this.server = server;
        return new Promise<void>((resolve, reject) => {
            const onError = (err: NodeJS.ErrnoException): void => {
                reject(
                    new SisError(
                        'NETWORK',
                        `cannot listen on ${this.options.host}:${this.options.port}: ${err.code ?? err.message}`,
                    ),
                );
            };
            server.once('error', onError);
            server.listen({ host: this.options.host, port: this.options.port }, () => {
                server.removeListener('error', onError);
                server.on('error', () => undefined);
                resolve();
            });
        });
    }

    private accept(socket: Socket): void {
        const address = socket.remoteAddress;
        if (this.closed || !this.options.allow.allows(address)) {
            socket.on('error', () => undefined);
            socket.destroy();
            if (!this.closed) this.host.refused(address ?? '?');
            return;
        }
        if (this.connections.size >= this.options.maxConnections) {
            socket.on('error', () => undefined);
            const err = new SisError(
                'TOO_MANY_CONNECTIONS',
                `${this.options.maxConnections} connections are already open on this server`,
                { retryable: true },
            );
            socket.end(encodeEvent('error', { text: err.message, code: err.code }));
            this.lingering.add(socket);
            const timer = setTimeout(() => socket.destroy(), REFUSE_LINGER_MS);
            socket.on('close', () => {
                clearTimeout(timer);
                this.lingering.delete(socket);
            });
            this.host.failed(err, `${address}:${socket.remotePort}`);
            return;
        }
        this.connections.add(new Connection(socket, this));
        this.host.changed();
    }

    forget(connection: Connection): void {
        if (this.connections.delete(connection)) this.host.changed();
    }

    /** Stops listening, drops every client and its work; resolves when all is released. */
    async close(): Promise<void> {
        this.closed = true;
        const server = this.server;
        const stopped = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
        const waits = [...this.connections].map((c) => c.shutdown());
        this.connections.clear();
        for (const s of this.lingering) s.destroy();
        this.lingering.clear();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
            Promise.all([stopped, ...waits]),
            new Promise<void>((resolve) => {
                timer = setTimeout(resolve, CLOSE_WAIT_MS);
            }),
        ]);
        clearTimeout(timer);
    }
}

export { WyomingProtocolError };
