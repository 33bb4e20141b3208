// ITU-T G.711 A-law and µ-law, after the classic Sun reference implementation (g711.c).

function alawToLinear(value: number): number {
    const a = value ^ 0x55;
    let t = (a & 0x0f) << 4;
    const seg = (a & 0x70) >> 4;
    if (seg === 0) t += 8;
    else t = (t + 0x108) << (seg - 1);
    return a & 0x80 ? t : -t;
}

function ulawToLinear(value: number): number {
    const u = ~value & 0xff;
    const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
    return u & 0x80 ? 0x84 - t : t - 0x84;
}

/** Lookup tables: decoding is one array read per sample. */
export const ALAW_TABLE: Int16Array = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i));
export const ULAW_TABLE: Int16Array = Int16Array.from({ length: 256 }, (_, i) => ulawToLinear(i));

const ALAW_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
const ULAW_SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];

function segment(value: number, ends: readonly number[]): number {
    for (let i = 0; i < ends.length; i++) if (value <= ends[i]) return i;
    return ends.length;
}

export function linearToAlaw(sample: number): number {
    let pcm = sample >> 3;
    let mask: number;
    if (pcm >= 0) mask = 0xd5;
    else {
        mask = 0x55;
        pcm = -pcm - 1;
    }
    const seg = segment(pcm, ALAW_SEG_END);
    if (seg >= 8) return 0x7f ^ mask;
    let aval = seg << 4;
    aval |= seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
    return aval ^ mask;
}

export function linearToUlaw(sample: number): number {
    let pcm = sample >> 2;
    let mask: number;
    if (pcm < 0) {
        pcm = -pcm;
        mask = 0x7f;
    } else mask = 0xff;
    if (pcm > 8159) pcm = 8159;
    pcm += 0x84 >> 2;
    const seg = segment(pcm, ULAW_SEG_END);
    if (seg >= 8) return 0x7f ^ mask;
    return ((seg << 4) | ((pcm >> (seg + 1)) & 0x0f)) ^ mask;
}

export function encodeG711(samples: Int16Array, law: 'alaw' | 'ulaw'): Buffer {
    const out = Buffer.allocUnsafe(samples.length);
    const encode = law === 'alaw' ? linearToAlaw : linearToUlaw;
    for (let i = 0; i < samples.length; i++) out[i] = encode(samples[i]);
    return out;
}
