// Incremental recognition of a raw audio stream: decode each frame, run VAD on it, and turn the
// VAD's decisions into RESULT segments and EVENTs as the mode asks. Work per frame is linear in
// the frame; nothing is buffered beyond one 10 ms window and a 200 ms fingerprint.
import { EnergyVad, FingerprintCollector, type RawFormat, text, type VadEvent } from '../audio';
import { decodeSamples } from '../audio/formats';
import type { EmulatorContext } from '../types';

export type StreamMode = 'short-stream' | 'continue-stream' | 'sentence-stream' | 'short-audio';

export interface StreamConfig {
    mode: StreamMode;
    format: RawFormat;
    property: string;
    interim: boolean;
    addPunc: boolean;
    digitNorm: boolean;
    needWordInfo: boolean;
    vadHeadMs: number;
    vadTailMs: number;
    maxSeconds: number;
}

export interface WireSegment {
    start_time: number;
    end_time: number;
    is_final: boolean;
    result: { text: string; score: number; word_info?: { start_time: number; end_time: number; word: string }[] };
}

export type StreamOutput =
    | { kind: 'result'; segments: WireSegment[] }
    | { kind: 'event'; event: string; timestamp: number };

export class StreamRecognizer {
    private readonly vad: EnergyVad;
    private readonly fingerprint: FingerprintCollector;
    private readonly lang: text.Language;
    private registered: string[] | undefined;
    private lookedUp = false;
    private finals = 0;
    private carry: number | undefined;
    private samples = 0;
    private voiceStarted = false;
    private lastInterim = '';
    /** Sentence-stream: the one sentence is over (or never came); later audio is ignored. */
    done = false;

    constructor(
        private readonly ctx: EmulatorContext,
        private readonly cfg: StreamConfig,
    ) {
        const rate = cfg.format.sampleRate;
        const segmented = cfg.mode === 'continue-stream' || cfg.mode === 'sentence-stream';
        this.fingerprint = new FingerprintCollector(rate);
        this.vad = new EnergyVad(
            {
                sampleRate: rate,
                tailMs: segmented ? cfg.vadTailMs : Number.POSITIVE_INFINITY,
                maxMs: segmented ? cfg.maxSeconds * 1000 : Number.POSITIVE_INFINITY,
            },
            this.fingerprint.observe,
        );
        this.lang = text.languageOfProperty(cfg.property);
    }

    /** Audio received so far, in ms. */
    get audioMs(): number {
        return Math.round((this.samples * 1000) / this.cfg.format.sampleRate);
    }

    /** Duration of `bytes` of this format, in ms. */
    msOf(bytes: number): number {
        return (bytes / this.cfg.format.bytesPerSample / this.cfg.format.sampleRate) * 1000;
    }

    push(frame: Buffer): StreamOutput[] {
        const out: StreamOutput[] = [];
        if (this.done) return out;
        const events: VadEvent[] = [];
        this.vad.push(this.decode(frame), events);
        this.handle(events, out, false);
        if (!this.done && this.cfg.mode === 'sentence-stream' && !this.voiceStarted) {
            const head = this.cfg.vadHeadMs;
            if (this.vad.segmenter.positionMs >= head) {
                out.push({ kind: 'event', event: 'EXCEEDED_SILENCE', timestamp: head });
                this.done = true;
            }
        }
        if (!this.done && this.cfg.interim) this.interim(out);
        return out;
    }

    /** END without cancel: whatever speech is open becomes final. */
    finish(): StreamOutput[] {
        const out: StreamOutput[] = [];
        if (this.done) return out;
        const events: VadEvent[] = [];
        this.vad.finish(events);
        this.fingerprint.finish();
        this.handle(events, out, true);
        this.done = true;
        return out;
    }

    private decode(frame: Buffer): Int16Array {
        const { codec, bytesPerSample } = this.cfg.format;
        let buf = frame;
        if (bytesPerSample === 2 && (this.carry !== undefined || frame.length % 2 === 1)) {
            // A 16-bit sample split across frames: keep the odd byte for the next frame.
            const head = this.carry === undefined ? [] : [this.carry];
            buf = Buffer.concat([Buffer.from(head), frame]);
            this.carry = buf.length % 2 === 1 ? buf[buf.length - 1] : undefined;
        }
        const count = Math.floor(buf.length / bytesPerSample);
        this.samples += count;
        return decodeSamples(buf, codec, 0, count);
    }

    private handle(events: VadEvent[], out: StreamOutput[], flushing: boolean): void {
        const finals: WireSegment[] = [];
        for (const e of events) {
            if (this.done) break;
            if (e.kind === 'voice-start') {
                if (this.cfg.mode === 'sentence-stream' && !this.voiceStarted) {
                    out.push({ kind: 'event', event: 'VOICE_START', timestamp: e.startMs });
                }
                this.voiceStarted = true;
                continue;
            }
            finals.push(this.finalSegment(e.startMs, e.endMs, flushing));
            this.lastInterim = '';
            if (this.cfg.mode === 'sentence-stream') {
                out.push({ kind: 'result', segments: finals.splice(0) });
                out.push({ kind: 'event', event: 'VOICE_END', timestamp: e.atMs });
                this.done = true;
            }
        }
        if (finals.length > 0) out.push({ kind: 'result', segments: finals });
    }

    /** Registered sentences, once the fingerprint is known. */
    private transcript(): string[] | undefined {
        if (!this.lookedUp) {
            const key = this.fingerprint.ready;
            if (key === undefined) return undefined;
            this.lookedUp = true;
            this.registered = this.ctx.transcripts.lookup(key);
        }
        return this.registered;
    }

    private finalText(startMs: number, endMs: number, last: boolean): string {
        const index = this.finals++;
        const registered = this.transcript();
        if (registered && index < registered.length) {
            // Short-stream has one utterance; at the end the last sentence takes what is left.
            return last ? text.joinSentences(registered.slice(index)) : registered[index];
        }
        return text.generatedText(this.lang, index, endMs - startMs, this.cfg.digitNorm);
    }

    private finalSegment(startMs: number, endMs: number, last: boolean): WireSegment {
        const s = text.makeSentence(this.finalText(startMs, endMs, last), startMs, endMs, {
            addPunc: this.cfg.addPunc,
            needWordInfo: this.cfg.needWordInfo,
        });
        const result: WireSegment['result'] = { text: s.text, score: s.score };
        if (s.word_info) result.word_info = s.word_info;
        return { start_time: startMs, end_time: endMs, is_final: true, result };
    }

    private interim(out: StreamOutput[]): void {
        const open = this.vad.segmenter.openSpeech;
        if (!open) return;
        const registered = this.transcript();
        if (!registered && !this.lookedUp) return; // wait for the fingerprint: the text may be known
        const elapsed = open.endMs - open.startMs;
        const full =
            registered?.[this.finals] ?? text.generatedText(this.lang, this.finals, elapsed, this.cfg.digitNorm);
        const shown = text.interimPrefix(full, elapsed);
        if (!shown || shown === this.lastInterim) return;
        this.lastInterim = shown;
        const result: WireSegment['result'] = { text: shown, score: 0 };
        if (this.cfg.needWordInfo) result.word_info = text.spreadWords(text.wordsOf(shown), open.startMs, open.endMs);
        out.push({
            kind: 'result',
            segments: [{ start_time: open.startMs, end_time: open.endMs, is_final: false, result }],
        });
    }
}
