// The lossless coder of 16-bit PCM the replay store uses (format: pcm-codec.wat). Coding runs in
// WebAssembly, once per chunk of a live stream; decoding, only for a replay, is plain JavaScript.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The most bytes of audio coded at once. */
export const PCM_CODE_MAX_BYTES = 4096;

/** Where the coder's memory is free for its caller: after the input and the output areas. */
const RESERVED_BYTES = 16 * 1024;
const PAGE = 64 * 1024;

/**
 * One instance of the coder with its own memory: the samples to code go at `input`, `encode`
 * writes their code at `output`, and the memory from `free` on is the caller's (the replay store
 * keeps its blocks there, so that a code is copied into its block within the same memory).
 */
export interface PcmCoder {
    readonly bytes: Buffer;
    readonly input: number;
    readonly output: number;
    readonly free: number;
    /** Codes the `samples` samples at `input`; returns the code's length (the code is at `output`). */
    encode(samples: number): number;
}

let compiled: WebAssembly.Module | null | undefined;

function coderModule(): WebAssembly.Module | undefined {
    if (compiled === undefined) {
        try {
            compiled = new WebAssembly.Module(readFileSync(join(__dirname, 'pcm-codec.wasm')));
        } catch {
            // A runtime without WebAssembly SIMD: the audio is kept as it is.
            compiled = null;
        }
    }
    return compiled ?? undefined;
}

/** A coder with `room` bytes of its memory free for the caller, or undefined when this runtime cannot code. */
export function newPcmCoder(room = 0): PcmCoder | undefined {
    const module = coderModule();
    if (!module) return undefined;
    const api = new WebAssembly.Instance(module).exports;
    const memory = api.memory as WebAssembly.Memory;
    const at = (name: string): number => (api[name] as WebAssembly.Global).value as number;
    const output = at('output');
    if (output + PCM_CODE_MAX_BYTES + 256 > RESERVED_BYTES) throw new Error('pcm-codec.wasm: unexpected memory layout');
    const pages = Math.ceil((RESERVED_BYTES + room) / PAGE) - memory.buffer.byteLength / PAGE;
    if (pages > 0) memory.grow(pages);
    return {
        // Taken after growing, and the memory never grows again: the view stays valid.
        bytes: Buffer.from(memory.buffer),
        input: at('input'),
        output,
        free: RESERVED_BYTES,
        encode: api.encode as (samples: number) => number,
    };
}

/** Whether this runtime can code PCM (WebAssembly with SIMD). */
export const pcmCoderAvailable = coderModule() !== undefined;

/** Decodes `code` (from a PcmCoder, of `rawLen` bytes of audio) into `out` at `at`. */
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
