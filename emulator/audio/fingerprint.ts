// Audio identity that survives a change of container: the SHA-256 of the first 200 ms of decoded
// samples from the first voiced 10 ms window on. A WAV, its raw PCM, and the same PCM streamed
// over a WebSocket in any chunking share it, and it is known 200 ms into the speech, early enough
// for a stream to name its first sentence.
import { createHash, type Hash } from 'node:crypto';
import { EnergyVad, type VadEvent } from './vad';

const FINGERPRINT_MS = 200;

export class FingerprintCollector {
    private hash: Hash | undefined;
    private collected = 0;
    private readonly target: number;
    private key: string | undefined;

    constructor(private readonly sampleRate: number) {
        this.target = Math.round((sampleRate * FINGERPRINT_MS) / 1000);
    }

    /** Window observer for `EnergyVad`. */
    readonly observe = (window: Int16Array, voiced: boolean): void => {
        if (this.key !== undefined) return;
        if (!this.hash) {
            if (!voiced) return;
            this.hash = createHash('sha256');
        }
        const take = Math.min(window.length, this.target - this.collected);
        this.hash.update(new Uint8Array(window.buffer, window.byteOffset, take * 2));
        this.collected += take;
        if (this.collected >= this.target) this.seal();
    };

    /** The key once 200 ms of speech were seen (or after `finish`), else undefined. */
    get ready(): string | undefined {
        return this.key;
    }

    /** Seals a shorter fingerprint at the end of the audio; undefined when nothing was voiced. */
    finish(): string | undefined {
        if (this.key === undefined && this.hash) this.seal();
        return this.key;
    }

    private seal(): void {
        this.key = `fp:${this.sampleRate}:${this.hash?.digest('hex')}`;
    }
}

/** Fingerprint and sentences of one channel of decoded samples (the whole file at once). */
export function analyseChannel(
    samples: Int16Array,
    sampleRate: number,
    tailMs: number,
): { fingerprint: string | undefined; events: VadEvent[] } {
    const fp = new FingerprintCollector(sampleRate);
    const vad = new EnergyVad({ sampleRate, tailMs }, fp.observe);
    const events: VadEvent[] = [];
    vad.push(samples, events);
    vad.finish(events);
    return { fingerprint: fp.finish(), events };
}
