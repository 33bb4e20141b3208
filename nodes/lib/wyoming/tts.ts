// Wyoming text-to-speech over the service's real-time synthesis: text is cut into sentences and
// each sentence is one real-time synthesis, the next one prepared while the current one plays,
// their audio passed on strictly in order as it is produced (16 kHz, 16-bit mono PCM for every
// sentence, so a whole answer has one format). Real-time synthesis gives the first audio sooner
// than a REST request, which answers only once its whole text is synthesized (bench/wyoming.ts).
import { setMaxListeners } from 'node:events';
import type { SisClient } from '../cloud/sis-client';
import { SisError, toSisError } from '../core/errors';
import type { TtsVoice } from '../service/voices';
import { type RttsConfig, runRttsSession } from '../tts/realtime';
import type { Semaphore } from '../tts/rest';
import { splitText } from '../tts/split';
import { rttsTextLimit } from '../tts/tts';

export const TTS_RATE = 16000;
/**
 * The data of an audio-start or audio-chunk event of synthesized speech, a new object each time
 * (a literal: on Node 20 a property added to a spread copy of a shared one was slow).
 */
export function ttsAudioData(): { rate: number; width: number; channels: number; timestamp: null } {
    return { rate: TTS_RATE, width: 2, channels: 1, timestamp: null };
}

const CJK_END = new Set(['。', '！', '？', '…', '｡', '︒', '﹒', '﹗', '﹖']);
const LATIN_END = new Set(['.', '!', '?']);
const CLOSERS = new Set(['"', "'", '”', '’', '」', '』', '）', ')', '】', ']', '》', '〉', '»', '›']);
const SPEAKABLE = /[\p{L}\p{N}]/u;

/**
 * Cuts text into sentences as it arrives: a sentence ends after a Chinese terminator, after a
 * Latin one followed by white space, or at a line break (closing quotes stay with it). `push`
 * returns the sentences its text completed; `flush` the rest. Pieces with nothing to speak are
 * dropped; a sentence over the service's limit is cut further.
 */
export class SentenceCutter {
    private buffer = '';

    constructor(private readonly limit: number) {}

    push(text: string): string[] {
        this.buffer += text;
        const cps = Array.from(this.buffer);
        const out: string[] = [];
        let start = 0;
        let i = 0;
        while (i < cps.length) {
            const ch = cps[i];
            let end = -1;
            if (ch === '\n' || ch === '\r') end = i + 1;
            else if (CJK_END.has(ch) || LATIN_END.has(ch)) {
                let j = i + 1;
                while (j < cps.length && (CJK_END.has(cps[j]) || LATIN_END.has(cps[j]) || CLOSERS.has(cps[j]))) j++;
                if (j === cps.length) break; // a closer or the space that confirms it may follow
                if (CJK_END.has(ch) || /\s/u.test(cps[j])) end = j;
                else {
                    i = j;
                    continue;
                }
            }
            if (end > 0) {
                out.push(cps.slice(start, end).join(''));
                start = end;
                i = end;
            } else i++;
        }
        this.buffer = cps.slice(start).join('');
        return this.clean(out);
    }

    flush(): string[] {
        const rest = this.buffer;
        this.buffer = '';
        return this.clean([rest]);
    }

    private clean(pieces: string[]): string[] {
        return pieces
            .flatMap((p) => (p.length > this.limit ? splitText(p, this.limit) : [p]))
            .map((p) => p.trim())
            .filter((p) => SPEAKABLE.test(p));
    }
}

/** The sentences of a whole text. */
export function sentencesOf(text: string, limit: number): string[] {
    const cutter = new SentenceCutter(limit);
    return [...cutter.push(text), ...cutter.flush()];
}

export interface SentenceSink {
    /** The first audio of sentence `index` (sentences start in order). */
    begin(index: number): void;
    audio(index: number, chunk: Buffer): void;
    /** Sentence `index` is over (after its last audio). */
    end(index: number): void;
}

export interface SpeakerSetup {
    client: SisClient;
    voice: TtsVoice;
    limiter: Semaphore;
    sink: SentenceSink;
    /** Real-time synthesis: no frame for this long is a TIMEOUT. */
    idleTimeoutMs: number;
}

interface Slot {
    text: string;
    held: Buffer[];
    done: boolean;
    began: boolean;
}

/** Sentences beyond the one playing that are synthesized ahead. */
const AHEAD = 1;

/**
 * Synthesizes sentences as they are added, at most AHEAD + 1 at once, and passes their audio to
 * the sink in sentence order: the first unfinished sentence streams live, later ones are held.
 * `finish` resolves once every added sentence has been passed on; the first failure rejects it
 * and aborts the rest.
 */
export class Speaker {
    private readonly slots: Slot[] = [];
    private head = 0;
    private next = 0;
    private running = 0;
    private readonly controller = new AbortController();
    private failure: SisError | undefined;
    private closing = false;
    private settle: { resolve: () => void; reject: (e: SisError) => void } | undefined;
    private readonly config: RttsConfig;

    constructor(private readonly setup: SpeakerSetup) {
        setMaxListeners(0, this.controller.signal);
        const v = setup.voice;
        this.config = { audio_format: 'pcm', sample_rate: '16000', property: v.property, speed: 0, volume: 50 };
        // Voices without pitch control get no pitch field at all.
        if (v.pitch) this.config.pitch = 0;
    }

    get textLimit(): number {
        return rttsTextLimit(this.setup.voice.property);
    }

    get failed(): boolean {
        return this.failure !== undefined;
    }

    add(text: string): void {
        if (this.closing || this.failure) return;
        this.slots.push({ text, held: [], done: false, began: false });
        this.launch();
    }

    /** No more sentences: resolves when all are passed on. */
    finish(): Promise<void> {
        this.closing = true;
        return new Promise<void>((resolve, reject) => {
            this.settle = { resolve, reject };
            this.check();
        });
    }

    /** Stops every synthesis; nothing more reaches the sink. */
    abort(): void {
        if (!this.failure) this.failure = new SisError('CANCELLED', 'the synthesis was cancelled');
        this.controller.abort();
        this.check();
    }

    private launch(): void {
        while (!this.failure && this.next < this.slots.length && this.next <= this.head + AHEAD) {
            const i = this.next++;
            this.running++;
            this.run(i).then(
                () => {
                    this.running--;
                    if (this.failure) return this.check();
                    this.slots[i].done = true;
                    this.advance();
                },
                (err: unknown) => {
                    this.running--;
                    if (!this.failure) {
                        this.failure = toSisError(err, 'real-time synthesis');
                        this.controller.abort();
                    }
                    this.check();
                },
            );
        }
    }

    private run(i: number): Promise<void> {
        const { client, limiter, idleTimeoutMs } = this.setup;
        const signal = this.controller.signal;
        const slot = this.slots[i];
        return limiter.run(signal, async () => {
            await runRttsSession({
                client,
                text: slot.text,
                config: this.config,
                signal,
                idleTimeoutMs,
                handshakeRetries: 2,
                what: 'real-time synthesis',
                onAudio: (chunk) => {
                    if (this.failure) return;
                    if (i === this.head) this.emit(i, chunk);
                    else slot.held.push(chunk);
                },
            });
        });
    }

    private emit(i: number, chunk: Buffer): void {
        const slot = this.slots[i];
        if (!slot.began) {
            slot.began = true;
            this.setup.sink.begin(i);
        }
        this.setup.sink.audio(i, chunk);
    }

    private advance(): void {
        try {
            while (this.head < this.slots.length && this.slots[this.head].done) {
                const i = this.head;
                if (!this.slots[i].began) {
                    this.slots[i].began = true;
                    this.setup.sink.begin(i);
                }
                this.setup.sink.end(i);
                this.slots[i].held = [];
                this.head++;
                const next = this.slots[this.head];
                if (next) {
                    for (const chunk of next.held) this.emit(this.head, chunk);
                    next.held = [];
                }
            }
        } catch (err) {
            if (!this.failure) this.failure = toSisError(err, 'real-time synthesis');
            this.controller.abort();
        }
        this.launch();
        this.check();
    }

    private check(): void {
        const settle = this.settle;
        if (!settle) return;
        if (this.failure) {
            if (this.running > 0) return;
            this.settle = undefined;
            settle.reject(this.failure);
            return;
        }
        if (this.closing && this.head === this.slots.length) {
            this.settle = undefined;
            settle.resolve();
        }
    }
}
