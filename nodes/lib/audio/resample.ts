// Sample-rate conversion of 16-bit mono PCM, so live sources at any rate reach the model's rate.
import { AudioFormatError } from './types';

// ---------------------------------------------------------------------------------------------
// Resampler (windowed-sinc low-pass, polyphase)
// ---------------------------------------------------------------------------------------------

function gcd(a: number, b: number): number {
    let x = a;
    let y = b;
    while (y !== 0) {
        const r = x % y;
        x = y;
        y = r;
    }
    return x;
}

// Zero crossings of the sinc on each side: ~70 dB stop band with the Blackman window.
const SINC_ZERO_CROSSINGS = 16;
// Pass band edge as a fraction of the lower Nyquist frequency; the transition band lies above it.
const CUTOFF = 0.9;
const MAX_PHASES = 4096;

function blackman(x: number): number {
    // x in [-1, 1]
    const t = Math.PI * (x + 1);
    return 0.42 - 0.5 * Math.cos(t) + 0.08 * Math.cos(2 * t);
}

function sinc(x: number): number {
    return x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
}

/**
 * Streaming sample-rate converter for 16-bit mono audio (equal rates pass through untouched). Output sample n sits at input position
 * n·from/to; a low-pass at 0.9 × the lower Nyquist frequency removes what would alias when
 * downsampling (and images when upsampling). Kernels are precomputed per phase.
 */
export class Resampler {
    private readonly step: number; // input samples per output sample, as the ratio from/to
    private readonly num: number; // from / g
    private readonly den: number; // to / g  (= number of phases)
    private readonly half: number; // kernel half-width in input samples
    private readonly kernels: Float64Array[];
    private pending: Float64Array = new Float64Array(0);
    private base = 0; // absolute index of pending[0]
    private consumed = 0; // absolute count of input samples received
    private outIndex = 0;

    constructor(
        readonly fromRate: number,
        readonly toRate: number,
    ) {
        if (!Resampler.supports(fromRate, toRate)) {
            throw new AudioFormatError(`cannot resample from ${fromRate} Hz to ${toRate} Hz`);
        }
        const g = gcd(fromRate, toRate);
        this.num = fromRate / g;
        this.den = toRate / g;
        this.step = fromRate / toRate;
        // Cut-off in cycles per input sample.
        const fc = (CUTOFF * Math.min(fromRate, toRate)) / 2 / fromRate;
        this.half = Math.ceil(SINC_ZERO_CROSSINGS / (2 * fc));
        this.kernels = [];
        for (let p = 0; p < this.den; p++) this.kernels.push(this.kernel(p / this.den, fc));
    }

    static supports(fromRate: number, toRate: number): boolean {
        const ok = (r: number) => Number.isInteger(r) && r >= 1000 && r <= 384000;
        return ok(fromRate) && ok(toRate) && toRate / gcd(fromRate, toRate) <= MAX_PHASES;
    }

    /** Taps for input offsets -half+1 … half relative to floor(t), fractional part `frac`. */
    private kernel(frac: number, fc: number): Float64Array {
        const taps = new Float64Array(2 * this.half);
        let sum = 0;
        for (let j = 0; j < taps.length; j++) {
            const x = j - this.half + 1 - frac;
            const w = Math.abs(x) < this.half ? blackman(x / this.half) : 0;
            taps[j] = 2 * fc * sinc(2 * fc * x) * w;
            sum += taps[j];
        }
        // Unity gain at DC.
        for (let j = 0; j < taps.length; j++) taps[j] /= sum;
        return taps;
    }

    /** Feeds samples; returns the output samples that are now complete. */
    push(samples: Int16Array): Int16Array {
        if (this.fromRate === this.toRate) return samples.slice();
        const merged = new Float64Array(this.pending.length + samples.length);
        merged.set(this.pending);
        merged.set(samples, this.pending.length);
        this.pending = merged;
        this.consumed += samples.length;
        return this.produce(this.consumed);
    }

    /** Ends the stream: the remaining output, computed with silence after the last sample. The
     * resampler can then take a new stream. */
    flush(): Int16Array {
        if (this.fromRate === this.toRate) return new Int16Array(0);
        const total = this.consumed;
        const pad = new Float64Array(this.pending.length + this.half + 1);
        pad.set(this.pending);
        this.pending = pad;
        const out = this.produce(this.base + pad.length, total);
        // Ready for a new stream.
        this.pending = new Float64Array(0);
        this.base = 0;
        this.consumed = 0;
        this.outIndex = 0;
        return out;
    }

    /** Emits outputs whose taps lie below `available`; with `limit`, only those at positions < limit. */
    private produce(available: number, limit = Number.POSITIVE_INFINITY): Int16Array {
        const out: number[] = [];
        for (;;) {
            const whole = Math.floor((this.outIndex * this.num) / this.den);
            if (whole >= limit || whole + this.half >= available) break;
            const phase = (this.outIndex * this.num) % this.den;
            out.push(this.convolve(whole, this.kernels[phase]));
            this.outIndex++;
        }
        this.trim();
        return Int16Array.from(out);
    }

    private convolve(whole: number, taps: Float64Array): number {
        let acc = 0;
        const first = whole - this.half + 1;
        for (let j = 0; j < taps.length; j++) {
            const i = first + j - this.base;
            // Samples before the start of the stream are silence.
            if (i >= 0 && i < this.pending.length) acc += taps[j] * this.pending[i];
        }
        return Math.max(-32768, Math.min(32767, Math.round(acc)));
    }

    /** Drops input that no future output can reach. */
    private trim(): void {
        const nextWhole = Math.floor((this.outIndex * this.num) / this.den);
        const keepFrom = Math.max(this.base, nextWhole - this.half + 1);
        const drop = Math.min(keepFrom - this.base, this.pending.length);
        if (drop > 0) {
            this.pending = this.pending.slice(drop);
            this.base += drop;
        }
    }

    /** Input samples per output sample. */
    get ratio(): number {
        return this.step;
    }
}

/** One-shot conversion of 16-bit mono samples; output length is ceil(n·to/from). */
export function resample(samples: Int16Array, fromRate: number, toRate: number): Int16Array {
    const r = new Resampler(fromRate, toRate);
    const a = r.push(samples);
    const b = r.flush();
    const out = new Int16Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
}
