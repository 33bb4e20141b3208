// Bounds-checked readers shared by the container parsers: none of them throws on short input.
import type { AudioInfo } from './types';

// ---------------------------------------------------------------------------------------------
// Byte helpers (all bounds-checked)
// ---------------------------------------------------------------------------------------------

export function has(buf: Buffer, off: number, len: number): boolean {
    return off >= 0 && len >= 0 && off + len <= buf.length;
}

export function ascii(buf: Buffer, off: number, len: number): string {
    return has(buf, off, len) ? buf.toString('latin1', off, off + len) : '';
}

export function u16le(buf: Buffer, off: number): number | undefined {
    return has(buf, off, 2) ? buf.readUInt16LE(off) : undefined;
}

export function u32le(buf: Buffer, off: number): number | undefined {
    return has(buf, off, 4) ? buf.readUInt32LE(off) : undefined;
}

export function u32be(buf: Buffer, off: number): number | undefined {
    return has(buf, off, 4) ? buf.readUInt32BE(off) : undefined;
}

/** Little-endian 64-bit as a JS number (exact below 2^53, which covers any real size). */
export function u64le(buf: Buffer, off: number): number | undefined {
    if (!has(buf, off, 8)) return undefined;
    return buf.readUInt32LE(off + 4) * 2 ** 32 + buf.readUInt32LE(off);
}

export function u64be(buf: Buffer, off: number): number | undefined {
    if (!has(buf, off, 8)) return undefined;
    return buf.readUInt32BE(off) * 2 ** 32 + buf.readUInt32BE(off + 4);
}

/** A GUID in its textual form → the mixed-endian bytes WAV and ASF store. */
export function guidBytes(text: string): Buffer {
    const hex = text.replace(/-/g, '');
    const b = Buffer.from(hex, 'hex');
    b.subarray(0, 4).reverse();
    b.subarray(4, 6).reverse();
    b.subarray(6, 8).reverse();
    return b;
}

export function guidAt(buf: Buffer, off: number, guid: Buffer): boolean {
    return has(buf, off, 16) && buf.compare(guid, 0, 16, off, off + 16) === 0;
}

export function msOf(samples: number, rate: number): number | undefined {
    return rate > 0 && Number.isFinite(samples) && samples >= 0 ? Math.round((samples * 1000) / rate) : undefined;
}

/** Copies only the defined fields, so results compare cleanly with deepEqual. */
export function info(fields: AudioInfo): AudioInfo {
    const out: AudioInfo = { container: fields.container, codec: fields.codec };
    for (const k of ['sampleRate', 'channels', 'bitsPerSample', 'durationMs', 'dataOffset', 'dataLength'] as const) {
        const v = fields[k];
        if (v !== undefined && Number.isFinite(v)) out[k] = v;
    }
    return out;
}
