// The lossless coder of 16-bit PCM the replay store uses (format: pcm-codec.wat). Coding runs in
// WebAssembly, once per chunk of a live stream; decoding, only for a replay, is plain JavaScript.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The most bytes of audio coded at once. */
export const PCM_CODE_MAX_BYTES = 4096;

interface Coder {
    encode(samples: number): number;
    input: Buffer;
    memory: ArrayBuffer;
    /** Where the code is written in `memory`. */
    outputAt: number;
}

function load(): Coder | undefined {
    try {
        const module = new WebAssembly.Module(readFileSync(join(__dirname, 'pcm-codec.wasm')));
        const api = new WebAssembly.Instance(module).exports;
        const memory = api.memory as WebAssembly.Memory;
        const at = (name: string): number => (api[name] as WebAssembly.Global).value as number;
        return {
            encode: api.encode as (samples: number) => number,
            // The memory never grows, so these views stay valid.
            input: Buffer.from(memory.buffer, at('input'), PCM_CODE_MAX_BYTES),
            memory: memory.buffer,
            outputAt: at('output'),
        };
    } catch {
        // A runtime without WebAssembly SIMD: the audio is kept as it is.
        return undefined;
    }
}

const coder = load();

/** Whether this runtime can code PCM (WebAssembly with SIMD). */
export const pcmCoderAvailable = coder !== undefined;

/**
 * Codes `len` bytes (even, at most PCM_CODE_MAX_BYTES) of 16-bit little-endian PCM from `src`
 * at `off`. Returns the code, a view valid until the next call, or undefined when coding would
 * not make the audio smaller (or cannot run here).
 */
export function encodePcm16(src: Buffer, off: number, len: number): Uint8Array | undefined {
    if (!coder || len < 2) return undefined;
    coder.input.set(off === 0 && len === src.length ? src : src.subarray(off, off + len));
    const size = coder.encode(len >> 1);
    // A plain view: on Node 20 a Buffer's subarray takes twice as long (it runs Buffer's constructor).
    return size < len ? new Uint8Array(coder.memory, coder.outputAt, size) : undefined;
}

/** Decodes `code` (from encodePcm16, of `rawLen` bytes of audio) into `out` at `at`. */
export function decodePcm16(code: Buffer, rawLen: number, out: Buffer, at: number): void {
    const groups = rawLen >> 5;
    const widths = 3;
    const width = (g: number): number => ((code[widths + (g >> 1)] >> ((g & 1) << 2)) & 15) + 1;
    let bits = 0;
    for (let g = 0; g < groups; g++) bits += width(g);
    const data = widths + ((groups + 1) >> 1);
    const whole = bits >> 4;
    // The last 32 bytes are the lanes' low bytes alone when their bits fit in 8.
    const short = (bits & 15) > 0 && (bits & 15) <= 8;
    const word = (unit: number, lane: number): number =>
        unit === whole && short ? code[data + unit * 32 + lane] : code.readUInt16LE(data + unit * 32 + lane * 2);
    let prev = code.readUInt16LE(1);
    let unit = 0;
    let used = 0;
    for (let g = 0; g < groups; g++) {
        const w = width(g);
        const mask = (1 << w) - 1;
        for (let lane = 0; lane < 16; lane++) {
            let u = word(unit, lane) >>> used;
            if (used + w > 16) u |= word(unit + 1, lane) << (16 - used);
            u &= mask;
            prev = (prev + ((u >>> 1) ^ -(u & 1))) & 0xffff;
            out.writeUInt16LE(prev, at + (g * 16 + lane) * 2);
        }
        used += w;
        if (used >= 16) {
            used -= 16;
            unit++;
        }
    }
    const tail = data + whole * 32 + (bits & 15 ? (short ? 16 : 32) : 0);
    code.copy(out, at + groups * 32, tail, tail + rawLen - groups * 32);
}
