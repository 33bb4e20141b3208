// Byte builders for synthetic audio containers and small signal helpers, shared by the audio and
// service tests.
import * as assert from 'node:assert/strict';
import { AudioFormatError } from '../../nodes/lib/audio/types';

// ---------------------------------------------------------------------------------------------
// Byte builders for synthetic inputs
// ---------------------------------------------------------------------------------------------

export function u16le(n: number): Buffer {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(n);
    return b;
}

export function u32le(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
}

export function u32be(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
}

export function chunk(id: string, body: Buffer, declaredSize = body.length): Buffer {
    const pad = body.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0);
    return Buffer.concat([Buffer.from(id, 'latin1'), u32le(declaredSize), body, pad]);
}

export interface WavOptions {
    formatTag?: number;
    channels?: number;
    rate?: number;
    bits?: number;
    /** WAVE_FORMAT_EXTENSIBLE with `formatTag` as the subformat */
    extensible?: boolean;
    before?: Buffer[];
    between?: Buffer[];
    data?: Buffer;
    dataSize?: number;
}

export function fmtBody(o: WavOptions): Buffer {
    const channels = o.channels ?? 1;
    const rate = o.rate ?? 16000;
    const bits = o.bits ?? 16;
    const blockAlign = (channels * bits) / 8;
    const base = Buffer.concat([
        u16le(o.extensible ? 0xfffe : (o.formatTag ?? 1)),
        u16le(channels),
        u32le(rate),
        u32le(rate * blockAlign),
        u16le(blockAlign),
        u16le(bits),
    ]);
    if (!o.extensible) return base;
    // KSDATAFORMAT_SUBTYPE_* after its first two bytes (the format tag).
    const guid = Buffer.from('000000001000800000aa00389b71', 'hex');
    return Buffer.concat([base, u16le(22), u16le(bits), u32le(channels === 1 ? 4 : 3), u16le(o.formatTag ?? 1), guid]);
}

export function wav(o: WavOptions = {}): Buffer {
    const data = o.data ?? Buffer.alloc(3200);
    const body = Buffer.concat([
        Buffer.from('WAVE'),
        ...(o.before ?? []),
        chunk('fmt ', fmtBody(o)),
        ...(o.between ?? []),
        Buffer.from('data'),
        u32le(o.dataSize ?? data.length),
        data,
    ]);
    return Buffer.concat([Buffer.from('RIFF'), u32le(body.length), body]);
}

export function id3(size: number): Buffer {
    const syncsafe = [(size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f];
    return Buffer.concat([Buffer.from('ID3'), Buffer.from([4, 0, 0, ...syncsafe]), Buffer.alloc(size)]);
}

/** One MPEG layer III frame; version 1 | 2 | 2.5, rate index 0–2, bitrate index 1–14. */
export function mp3Frame(
    version: 1 | 2 | 2.5,
    rateIndex: number,
    bitrateIndex: number,
    mono: boolean,
    padding = 0,
): Buffer {
    const vbits = version === 1 ? 3 : version === 2 ? 2 : 0;
    const kbps1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
    const kbps2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    const rates: Record<string, number[]> = {
        '1': [44100, 48000, 32000],
        '2': [22050, 24000, 16000],
        '2.5': [11025, 12000, 8000],
    };
    const kbps = (version === 1 ? kbps1 : kbps2)[bitrateIndex];
    const samples = version === 1 ? 1152 : 576;
    const length = Math.floor(((samples / 8) * kbps * 1000) / rates[String(version)][rateIndex]) + padding;
    const frame = Buffer.alloc(length);
    frame[0] = 0xff;
    frame[1] = 0xe0 | (vbits << 3) | (1 << 1) | 1;
    frame[2] = (bitrateIndex << 4) | (rateIndex << 2) | (padding << 1);
    frame[3] = mono ? 0xc0 : 0x00;
    return frame;
}

export function adtsFrame(rateIndex: number, chCfg: number, payload = 100): Buffer {
    const length = 7 + payload;
    const f = Buffer.alloc(length);
    f[0] = 0xff;
    f[1] = 0xf1; // MPEG-4, layer 0, no CRC
    f[2] = (1 << 6) | (rateIndex << 2) | (chCfg >> 2); // AAC LC
    f[3] = ((chCfg & 3) << 6) | ((length >> 11) & 3);
    f[4] = (length >> 3) & 0xff;
    f[5] = ((length & 7) << 5) | 0x1f;
    f[6] = 0xfc; // one raw data block
    return f;
}

export function oggPage(
    packet: Buffer,
    opts: { serial?: number; granule?: bigint; seq?: number; bos?: boolean } = {},
): Buffer {
    const segments: number[] = [];
    let left = packet.length;
    while (left >= 255) {
        segments.push(255);
        left -= 255;
    }
    segments.push(left);
    const h = Buffer.alloc(27);
    h.write('OggS', 0, 'latin1');
    h[4] = 0;
    h[5] = opts.bos ? 2 : 0;
    h.writeBigInt64LE(opts.granule ?? 0n, 6);
    h.writeUInt32LE(opts.serial ?? 0x1234, 14);
    h.writeUInt32LE(opts.seq ?? 0, 18);
    h[26] = segments.length;
    return Buffer.concat([h, Buffer.from(segments), packet]);
}

export function opusHead(channels: number, inputRate: number, preSkip = 312): Buffer {
    return Buffer.concat([
        Buffer.from('OpusHead'),
        Buffer.from([1, channels]),
        u16le(preSkip),
        u32le(inputRate),
        u16le(0),
        Buffer.from([0]),
    ]);
}

export function vorbisId(channels: number, rate: number): Buffer {
    return Buffer.concat([
        Buffer.from('\x01vorbis', 'latin1'),
        u32le(0),
        Buffer.from([channels]),
        u32le(rate),
        u32le(0),
        u32le(128000),
        u32le(0),
        Buffer.from([0xb8, 1]),
    ]);
}

export function speexHeader(rate: number, channels: number): Buffer {
    const b = Buffer.alloc(80);
    b.write('Speex   ', 0, 'latin1');
    b.write('1.2.0', 8, 'latin1');
    b.writeUInt32LE(1, 28);
    b.writeUInt32LE(80, 32);
    b.writeUInt32LE(rate, 36);
    b.writeUInt32LE(rate === 16000 ? 1 : 0, 40);
    b.writeUInt32LE(4, 44);
    b.writeUInt32LE(channels, 48);
    return b;
}

export function box(type: string, ...children: Buffer[]): Buffer {
    const body = Buffer.concat(children);
    return Buffer.concat([u32be(8 + body.length), Buffer.from(type, 'latin1'), body]);
}

export function descriptor(tag: number, body: Buffer): Buffer {
    // Four-byte length form, as most muxers write it.
    const n = body.length;
    return Buffer.concat([
        Buffer.from([tag, 0x80 | ((n >> 21) & 0x7f), 0x80 | ((n >> 14) & 0x7f), 0x80 | ((n >> 7) & 0x7f), n & 0x7f]),
        body,
    ]);
}

export function esds(rateIndex: number, channels: number): Buffer {
    const asc = Buffer.alloc(2);
    asc.writeUInt16BE((2 << 11) | (rateIndex << 7) | (channels << 3));
    const dsi = descriptor(0x05, asc);
    const dcd = descriptor(
        0x04,
        Buffer.concat([Buffer.from([0x40, 0x15, 0, 0, 0]), u32be(128000), u32be(128000), dsi]),
    );
    const es = descriptor(0x03, Buffer.concat([Buffer.from([0, 1, 0]), dcd, descriptor(0x06, Buffer.from([2]))]));
    return box('esds', u32be(0), es);
}

export function audioSampleEntry(type: string, channels: number, rate: number, ...children: Buffer[]): Buffer {
    const fixed = Buffer.alloc(28);
    fixed.writeUInt16BE(1, 6); // data reference index
    fixed.writeUInt16BE(channels, 16);
    fixed.writeUInt16BE(16, 18);
    fixed.writeUInt16BE(rate, 24);
    return box(type, fixed, ...children);
}

export function m4a(entry: Buffer, timescale = 44100, duration = 44100 * 2): Buffer {
    const mdhd = box('mdhd', u32be(0), u32be(0), u32be(0), u32be(timescale), u32be(duration), u32be(0));
    const hdlr = box('hdlr', u32be(0), u32be(0), Buffer.from('soun'), Buffer.alloc(13));
    const stsd = box('stsd', u32be(0), u32be(1), entry);
    const trak = box('trak', box('tkhd', Buffer.alloc(84)), box('mdia', mdhd, hdlr, box('minf', box('stbl', stsd))));
    return Buffer.concat([
        box('ftyp', Buffer.from('M4A '), u32be(0), Buffer.from('M4A isom')),
        box('mdat', Buffer.alloc(64)),
        box('moov', box('mvhd', Buffer.alloc(100)), trak),
    ]);
}

export function streamInfo(rate: number, channels: number, bits: number, totalSamples: number): Buffer {
    const b = Buffer.alloc(4 + 34);
    b[0] = 0x80; // last block, type 0
    b.writeUIntBE(34, 1, 3);
    const d = 4;
    b.writeUInt16BE(4096, d);
    b.writeUInt16BE(4096, d + 2);
    b[d + 10] = (rate >> 12) & 0xff;
    b[d + 11] = (rate >> 4) & 0xff;
    b[d + 12] = ((rate & 0xf) << 4) | ((channels - 1) << 1) | ((bits - 1) >> 4);
    b[d + 13] = (((bits - 1) & 0xf) << 4) | Math.floor(totalSamples / 2 ** 32);
    b.writeUInt32BE(totalSamples % 2 ** 32, d + 14);
    return b;
}

export function guid(text: string): Buffer {
    const b = Buffer.from(text.replace(/-/g, ''), 'hex');
    b.subarray(0, 4).reverse();
    b.subarray(4, 6).reverse();
    b.subarray(6, 8).reverse();
    return b;
}

export function u64le(n: number): Buffer {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    return b;
}

export function asfObject(id: string, body: Buffer): Buffer {
    return Buffer.concat([guid(id), u64le(24 + body.length), body]);
}

export function asf(channels: number, rate: number, durationMs: number): Buffer {
    const fileProps = asfObject(
        '8CABDCA1-A947-11CF-8EE4-00C00C205365',
        Buffer.concat([
            Buffer.alloc(16),
            u64le(0),
            u64le(0),
            u64le(0),
            u64le((durationMs + 3000) * 10000),
            u64le(0),
            u64le(3000),
            Buffer.alloc(16),
        ]),
    );
    const waveFormat = Buffer.concat([u16le(0x161), u16le(channels), u32le(rate), u32le(4000), u16le(1487), u16le(16)]);
    const streamProps = asfObject(
        'B7DC0791-A9B7-11CF-8EE6-00C00C205365',
        Buffer.concat([
            guid('F8699E40-5B4D-11CF-A8FD-00805F5C442B'),
            Buffer.alloc(16),
            u64le(0),
            u32le(waveFormat.length),
            u32le(0),
            u16le(1),
            u32le(0),
            waveFormat,
        ]),
    );
    const objects = Buffer.concat([fileProps, streamProps]);
    return Buffer.concat([
        guid('75B22630-668E-11CF-A6D9-00AA0062CE6C'),
        u64le(30 + objects.length),
        u32le(2),
        Buffer.from([1, 2]),
        objects,
    ]);
}

export function sine(freq: number, rate: number, seconds: number, amplitude = 10000): Int16Array {
    const n = Math.round(rate * seconds);
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
    return out;
}

/** RMS of the middle part (edges hold the filter's start-up). */
export function rms(x: Int16Array): number {
    const from = Math.floor(x.length * 0.1);
    const to = Math.floor(x.length * 0.9);
    let s = 0;
    for (let i = from; i < to; i++) s += x[i] * x[i];
    return Math.sqrt(s / Math.max(1, to - from));
}

export function refusal(fn: () => unknown): AudioFormatError {
    try {
        fn();
    } catch (e) {
        assert.ok(e instanceof AudioFormatError, String(e));
        assert.equal(e.code, 'INVALID_INPUT');
        return e;
    }
    assert.fail('expected an AudioFormatError');
}
