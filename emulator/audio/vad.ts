// Energy-based voice activity detection. The same code serves whole files (REST) and streams
// (WebSocket): audio is cut into fixed windows aligned to sample 0, so a file and the same samples
// sent in arbitrary chunks give identical segments.

/** RMS (16-bit scale) at or above which a window counts as voiced (≈ −40 dBFS). */
export const VOICE_RMS = 330;
/** Voiced time a candidate needs before it counts as speech (drops clicks). */
const MIN_VOICE_MS = 30;

export type VadEvent =
    | { kind: 'voice-start'; startMs: number; atMs: number }
    | { kind: 'segment'; startMs: number; endMs: number; atMs: number; reason: 'tail' | 'max' | 'flush' };

export interface SegmenterOptions {
    sampleRate: number;
    /** Silence that closes a sentence; Infinity never closes (short-stream). */
    tailMs: number;
    /** Speech length that forces a break; Infinity for none. */
    maxMs?: number;
}

/** Turns a sequence of voiced/unvoiced windows into sentences. Times are ms from sample 0. */
export class Segmenter {
    private pos = 0;
    private candStart = -1;
    private lastVoicedEnd = 0;
    private voicedSamples = 0;
    private confirmed = false;
    private readonly tail: number;
    private readonly max: number;
    private readonly minVoice: number;

    constructor(private readonly opts: SegmenterOptions) {
        this.tail = Math.max(1, (opts.tailMs * opts.sampleRate) / 1000);
        this.max = ((opts.maxMs ?? Number.POSITIVE_INFINITY) * opts.sampleRate) / 1000;
        this.minVoice = (MIN_VOICE_MS * opts.sampleRate) / 1000;
    }

    ms(samples: number): number {
        return Math.round((samples * 1000) / this.opts.sampleRate);
    }

    get positionMs(): number {
        return this.ms(this.pos);
    }

    /** A confirmed sentence is open: its start and the end of its latest voiced window. */
    get openSpeech(): { startMs: number; endMs: number } | undefined {
        return this.candStart >= 0 && this.confirmed
            ? { startMs: this.ms(this.candStart), endMs: this.ms(this.lastVoicedEnd) }
            : undefined;
    }

    pushWindow(voiced: boolean, samples: number, out: VadEvent[]): void {
        const start = this.pos;
        const end = start + samples;
        this.pos = end;
        if (voiced) {
            if (this.candStart < 0) {
                this.candStart = start;
                this.voicedSamples = 0;
                this.confirmed = false;
            }
            this.voicedSamples += samples;
            this.lastVoicedEnd = end;
            if (!this.confirmed && this.voicedSamples >= this.minVoice) {
                this.confirmed = true;
                out.push({ kind: 'voice-start', startMs: this.ms(this.candStart), atMs: this.ms(end) });
            }
            if (this.confirmed && end - this.candStart >= this.max) this.close('max', end, out);
        } else if (this.candStart >= 0 && end - this.lastVoicedEnd >= this.tail) {
            this.close('tail', end, out);
        }
    }

    finish(out: VadEvent[]): void {
        if (this.candStart >= 0) this.close('flush', this.pos, out);
    }

    private close(reason: 'tail' | 'max' | 'flush', at: number, out: VadEvent[]): void {
        if (this.confirmed) {
            out.push({
                kind: 'segment',
                startMs: this.ms(this.candStart),
                endMs: this.ms(this.lastVoicedEnd),
                atMs: this.ms(at),
                reason,
            });
        }
        this.candStart = -1;
        this.confirmed = false;
    }
}

/** Receives every analysis window (a reused buffer: copy what you keep). */
export type WindowObserver = (window: Int16Array, voiced: boolean) => void;

/** Segmenter fed with 16-bit samples in 10 ms windows. */
export class EnergyVad {
    readonly segmenter: Segmenter;
    private readonly window: Int16Array;
    private fill = 0;
    private sumSquares = 0;

    constructor(
        opts: SegmenterOptions,
        private readonly observer?: WindowObserver,
    ) {
        this.segmenter = new Segmenter(opts);
        this.window = new Int16Array(Math.max(1, Math.round(opts.sampleRate / 100)));
    }

    push(samples: Int16Array, out: VadEvent[]): void {
        const w = this.window;
        for (let i = 0; i < samples.length; i++) {
            const s = samples[i];
            w[this.fill++] = s;
            this.sumSquares += s * s;
            if (this.fill === w.length) this.flushWindow(out);
        }
    }

    finish(out: VadEvent[]): void {
        if (this.fill > 0) this.flushWindow(out);
        this.segmenter.finish(out);
    }

    private flushWindow(out: VadEvent[]): void {
        const n = this.fill;
        const voiced = this.sumSquares / n >= VOICE_RMS * VOICE_RMS;
        this.observer?.(n === this.window.length ? this.window : this.window.subarray(0, n), voiced);
        this.segmenter.pushWindow(voiced, n, out);
        this.fill = 0;
        this.sumSquares = 0;
    }
}
