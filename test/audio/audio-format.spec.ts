import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { bufferFromInt16, downmixToMono, int16FromBuffer } from '../../nodes/lib/audio/pcm';
import { Resampler, resample } from '../../nodes/lib/audio/resample';
import { describeAudio, fileExtensionFor, sniffAudio } from '../../nodes/lib/audio/sniff';
import { AudioFormatError, type AudioInfo } from '../../nodes/lib/audio/types';
import { isWavStart, parseWavHeader } from '../../nodes/lib/audio/wav';
import {
    ASR_PROPERTIES,
    type AsrApi,
    AUDIO_FORMATS,
    bytesPerSecond,
    checkPropertyFormat,
    checkRate,
    chooseAudioFormat,
    FLASH_FORMATS,
    FLASH_PROPERTIES,
    RASR_FORMATS,
    RASR_PROPERTIES,
    rateOfAudioFormat,
    SHORT_AUDIO_FORMATS,
    SHORT_AUDIO_PROPERTIES,
    sampleRateOfProperty,
    TRANSCRIBER_FORMATS,
    TRANSCRIBER_PROPERTIES,
} from '../../nodes/lib/service/formats';
import {
    findTtsVoice,
    TTS_AUDIO_FORMATS,
    TTS_DEFAULT_VOICE,
    TTS_PITCH_RANGE,
    TTS_SAMPLE_RATES,
    TTS_SPEED_RANGE,
    TTS_VOICES,
    TTS_VOLUME_RANGE,
} from '../../nodes/lib/service/voices';

// ---------------------------------------------------------------------------------------------
// Byte builders for synthetic inputs
// ---------------------------------------------------------------------------------------------

function u16le(n: number): Buffer {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(n);
    return b;
}

function u32le(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
}

function u32be(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b;
}

function chunk(id: string, body: Buffer, declaredSize = body.length): Buffer {
    const pad = body.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0);
    return Buffer.concat([Buffer.from(id, 'latin1'), u32le(declaredSize), body, pad]);
}

interface WavOptions {
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

function fmtBody(o: WavOptions): Buffer {
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

function wav(o: WavOptions = {}): Buffer {
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

function id3(size: number): Buffer {
    const syncsafe = [(size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f];
    return Buffer.concat([Buffer.from('ID3'), Buffer.from([4, 0, 0, ...syncsafe]), Buffer.alloc(size)]);
}

/** One MPEG layer III frame; version 1 | 2 | 2.5, rate index 0–2, bitrate index 1–14. */
function mp3Frame(version: 1 | 2 | 2.5, rateIndex: number, bitrateIndex: number, mono: boolean, padding = 0): Buffer {
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

function adtsFrame(rateIndex: number, chCfg: number, payload = 100): Buffer {
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

function oggPage(
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

function opusHead(channels: number, inputRate: number, preSkip = 312): Buffer {
    return Buffer.concat([
        Buffer.from('OpusHead'),
        Buffer.from([1, channels]),
        u16le(preSkip),
        u32le(inputRate),
        u16le(0),
        Buffer.from([0]),
    ]);
}

function vorbisId(channels: number, rate: number): Buffer {
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

function speexHeader(rate: number, channels: number): Buffer {
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

function box(type: string, ...children: Buffer[]): Buffer {
    const body = Buffer.concat(children);
    return Buffer.concat([u32be(8 + body.length), Buffer.from(type, 'latin1'), body]);
}

function descriptor(tag: number, body: Buffer): Buffer {
    // Four-byte length form, as most muxers write it.
    const n = body.length;
    return Buffer.concat([
        Buffer.from([tag, 0x80 | ((n >> 21) & 0x7f), 0x80 | ((n >> 14) & 0x7f), 0x80 | ((n >> 7) & 0x7f), n & 0x7f]),
        body,
    ]);
}

function esds(rateIndex: number, channels: number): Buffer {
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

function audioSampleEntry(type: string, channels: number, rate: number, ...children: Buffer[]): Buffer {
    const fixed = Buffer.alloc(28);
    fixed.writeUInt16BE(1, 6); // data reference index
    fixed.writeUInt16BE(channels, 16);
    fixed.writeUInt16BE(16, 18);
    fixed.writeUInt16BE(rate, 24);
    return box(type, fixed, ...children);
}

function m4a(entry: Buffer, timescale = 44100, duration = 44100 * 2): Buffer {
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

function streamInfo(rate: number, channels: number, bits: number, totalSamples: number): Buffer {
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

function guid(text: string): Buffer {
    const b = Buffer.from(text.replace(/-/g, ''), 'hex');
    b.subarray(0, 4).reverse();
    b.subarray(4, 6).reverse();
    b.subarray(6, 8).reverse();
    return b;
}

function u64le(n: number): Buffer {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    return b;
}

function asfObject(id: string, body: Buffer): Buffer {
    return Buffer.concat([guid(id), u64le(24 + body.length), body]);
}

function asf(channels: number, rate: number, durationMs: number): Buffer {
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

function sine(freq: number, rate: number, seconds: number, amplitude = 10000): Int16Array {
    const n = Math.round(rate * seconds);
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
    return out;
}

/** RMS of the middle part (edges hold the filter's start-up). */
function rms(x: Int16Array): number {
    const from = Math.floor(x.length * 0.1);
    const to = Math.floor(x.length * 0.9);
    let s = 0;
    for (let i = from; i < to; i++) s += x[i] * x[i];
    return Math.sqrt(s / Math.max(1, to - from));
}

function refusal(fn: () => unknown): AudioFormatError {
    try {
        fn();
    } catch (e) {
        assert.ok(e instanceof AudioFormatError, String(e));
        assert.equal(e.code, 'INVALID_INPUT');
        return e;
    }
    assert.fail('expected an AudioFormatError');
}

// ---------------------------------------------------------------------------------------------

describe('audio-format', () => {
    describe('sniffAudio: WAV', () => {
        it('reads a plain 16 kHz PCM WAV', () => {
            assert.deepEqual(sniffAudio(wav()), {
                container: 'wav',
                codec: 'pcm',
                sampleRate: 16000,
                channels: 1,
                bitsPerSample: 16,
                durationMs: 100,
                dataOffset: 44,
                dataLength: 3200,
            });
        });

        it('reads A-law and µ-law WAV', () => {
            const a = sniffAudio(wav({ formatTag: 6, bits: 8, rate: 8000, data: Buffer.alloc(800) }));
            assert.equal(a.codec, 'alaw');
            assert.equal(a.durationMs, 100);
            const u = sniffAudio(wav({ formatTag: 7, bits: 8, rate: 8000, data: Buffer.alloc(1600) }));
            assert.equal(u.codec, 'ulaw');
            assert.equal(u.durationMs, 200);
        });

        it('reads WAVE_FORMAT_EXTENSIBLE with PCM, A-law and µ-law subformats', () => {
            for (const [tag, codec] of [
                [1, 'pcm'],
                [6, 'alaw'],
                [7, 'ulaw'],
                [3, 'float'],
            ] as const) {
                const bits = tag === 1 ? 16 : tag === 3 ? 32 : 8;
                const got = sniffAudio(wav({ extensible: true, formatTag: tag, bits, channels: 2 }));
                assert.equal(got.codec, codec);
                assert.equal(got.channels, 2);
                assert.equal(got.dataOffset, 12 + 8 + 40 + 8);
            }
        });

        it('steps over LIST, fact and odd-sized chunks with their pad byte', () => {
            const list = chunk('LIST', Buffer.from('INFOISFT\x05\x00\x00\x00sox!\x00', 'latin1'));
            const odd = chunk('junk', Buffer.alloc(3));
            const fact = chunk('fact', u32le(1600));
            const buf = wav({ before: [list, odd], between: [fact], data: Buffer.alloc(320) });
            const got = sniffAudio(buf);
            assert.equal(got.codec, 'pcm');
            assert.equal(got.dataOffset, buf.length - 320);
            assert.equal(got.dataLength, 320);
            assert.equal(got.durationMs, 10);
        });

        it('treats a data size of 0 or 0xFFFFFFFF (streaming writers) as "to the end"', () => {
            for (const dataSize of [0, 0xffffffff]) {
                const got = sniffAudio(wav({ dataSize, data: Buffer.alloc(6400) }));
                assert.equal(got.dataLength, 6400);
                assert.equal(got.durationMs, 200);
                assert.equal(parseWavHeader(wav({ dataSize }))?.declaredDataLength, undefined);
            }
        });

        it('clamps the data length of a truncated file', () => {
            const full = wav({ data: Buffer.alloc(32000) });
            const got = sniffAudio(full.subarray(0, 44 + 1000));
            assert.equal(got.dataLength, 1000);
            assert.equal(parseWavHeader(full.subarray(0, 44 + 1000))?.declaredDataLength, 32000);
        });

        it('reads what it can of a WAV cut inside its header', () => {
            const full = wav();
            assert.deepEqual(sniffAudio(full.subarray(0, 40)), {
                container: 'wav',
                codec: 'pcm',
                sampleRate: 16000,
                channels: 1,
                bitsPerSample: 16,
            });
            assert.deepEqual(sniffAudio(full.subarray(0, 20)), { container: 'wav', codec: 'unknown' });
            assert.equal(parseWavHeader(full.subarray(0, 40)), undefined);
        });

        it('reads RF64 with its ds64 data size', () => {
            const ds64 = chunk('ds64', Buffer.concat([u64le(0), u64le(640), u64le(320), u32le(0)]));
            const b = wav({ before: [ds64], dataSize: 0xffffffff, data: Buffer.alloc(640) });
            b.write('RF64', 0, 'latin1');
            assert.equal(parseWavHeader(b)?.declaredDataLength, 640);
            assert.equal(sniffAudio(b).dataLength, 640);
        });

        it('finds fmt after data when data has a size', () => {
            const data = chunk('data', Buffer.alloc(320));
            const body = Buffer.concat([Buffer.from('WAVE'), data, chunk('fmt ', fmtBody({ rate: 8000 }))]);
            const b = Buffer.concat([Buffer.from('RIFF'), u32le(body.length), body]);
            const got = sniffAudio(b);
            assert.equal(got.sampleRate, 8000);
            assert.equal(got.dataOffset, 20);
            assert.equal(got.dataLength, 320);
        });
    });

    describe('sniffAudio: MP3', () => {
        it('reads MPEG-1, -2 and -2.5 layer III frames', () => {
            const cases: [1 | 2 | 2.5, number, number][] = [
                [1, 0, 44100],
                [1, 1, 48000],
                [2, 2, 16000],
                [2, 0, 22050],
                [2.5, 2, 8000],
            ];
            for (const [version, rateIndex, rate] of cases) {
                const frames = Array.from({ length: 10 }, () => mp3Frame(version, rateIndex, 9, true));
                const got = sniffAudio(Buffer.concat(frames));
                const spf = version === 1 ? 1152 : 576;
                assert.deepEqual(got, {
                    container: 'mp3',
                    codec: 'mp3',
                    sampleRate: rate,
                    channels: 1,
                    durationMs: Math.round((10 * spf * 1000) / rate),
                });
            }
        });

        it('reads stereo and skips an ID3v2 tag (and padding after it)', () => {
            const frames = Array.from({ length: 5 }, (_, i) => mp3Frame(1, 0, 9, false, i & 1));
            const got = sniffAudio(Buffer.concat([id3(1000), Buffer.alloc(7), ...frames]));
            assert.equal(got.container, 'mp3');
            assert.equal(got.channels, 2);
            assert.equal(got.sampleRate, 44100);
        });

        it('accepts a trailing ID3v1 tag when counting frames', () => {
            const frames = Array.from({ length: 4 }, () => mp3Frame(2, 2, 4, true));
            const tag = Buffer.concat([Buffer.from('TAG'), Buffer.alloc(125)]);
            assert.equal(sniffAudio(Buffer.concat([...frames, tag])).durationMs, 144);
        });

        it('estimates duration from the bitrate when frames cannot be walked to the end', () => {
            const frames = Array.from({ length: 4 }, () => mp3Frame(2, 2, 4, true));
            const got = sniffAudio(Buffer.concat([...frames, Buffer.alloc(1000)]));
            // 32 kbit/s: (4 × 144 + 1000) bytes × 8 / 32
            assert.equal(got.durationMs, Math.round(((4 * 144 + 1000) * 8) / 32));
        });

        it('uses the frame count of a Xing header', () => {
            const first = mp3Frame(1, 0, 9, true);
            first.write('Xing', 4 + 17, 'latin1');
            first.writeUInt32BE(1, 4 + 17 + 4);
            first.writeUInt32BE(100, 4 + 17 + 8);
            const got = sniffAudio(Buffer.concat([first, mp3Frame(1, 0, 9, true)]));
            assert.equal(got.durationMs, Math.round((100 * 1152 * 1000) / 44100));
        });

        it('rejects a sync word not followed by another frame', () => {
            const b = Buffer.concat([mp3Frame(1, 0, 9, true), Buffer.from([1, 2, 3, 4, 5, 6])]);
            assert.equal(sniffAudio(b).container, 'unknown');
        });
    });

    describe('sniffAudio: other containers', () => {
        it('reads AAC ADTS', () => {
            const frames = Array.from({ length: 8 }, () => adtsFrame(8, 1));
            assert.deepEqual(sniffAudio(Buffer.concat(frames)), {
                container: 'aac',
                codec: 'aac',
                sampleRate: 16000,
                channels: 1,
                durationMs: 512,
            });
            const stereo = sniffAudio(Buffer.concat([id3(20), adtsFrame(4, 2), adtsFrame(4, 2)]));
            assert.equal(stereo.sampleRate, 44100);
            assert.equal(stereo.channels, 2);
        });

        it('reads OGG Opus with the input rate of OpusHead and the duration from the last granule', () => {
            const b = Buffer.concat([
                oggPage(opusHead(1, 16000), { bos: true }),
                oggPage(Buffer.from('OpusTags'), { seq: 1 }),
                oggPage(Buffer.alloc(50), { seq: 2, granule: 48000n + 312n }),
                oggPage(Buffer.alloc(50), { seq: 3, granule: 96000n + 312n }),
            ]);
            assert.deepEqual(sniffAudio(b), {
                container: 'ogg',
                codec: 'opus',
                sampleRate: 16000,
                channels: 1,
                durationMs: 2000,
            });
        });

        it('leaves the rate of OGG Opus undefined when OpusHead does not record it', () => {
            const got = sniffAudio(oggPage(opusHead(2, 0), { bos: true }));
            assert.equal(got.codec, 'opus');
            assert.equal(got.sampleRate, undefined);
            assert.equal(got.channels, 2);
        });

        it('reads OGG Vorbis and OGG Speex', () => {
            const v = sniffAudio(
                Buffer.concat([
                    oggPage(vorbisId(2, 44100), { bos: true }),
                    oggPage(Buffer.alloc(9), { granule: 44100n, seq: 1 }),
                ]),
            );
            assert.deepEqual(v, {
                container: 'ogg',
                codec: 'vorbis',
                sampleRate: 44100,
                channels: 2,
                durationMs: 1000,
            });
            const s = sniffAudio(oggPage(speexHeader(16000, 1), { bos: true }));
            assert.deepEqual(s, { container: 'ogg', codec: 'speex', sampleRate: 16000, channels: 1 });
        });

        it('reads an unknown OGG stream as ogg/unknown', () => {
            assert.deepEqual(sniffAudio(oggPage(Buffer.from('\x80theora', 'latin1'), { bos: true })), {
                container: 'ogg',
                codec: 'unknown',
            });
        });

        it('reads M4A (ftyp, mp4a, esds) with rate, channels and duration', () => {
            const got = sniffAudio(m4a(audioSampleEntry('mp4a', 2, 44100, esds(8, 1))));
            // The AudioSpecificConfig (16 kHz mono) wins over the sample entry.
            assert.deepEqual(got, { container: 'mp4', codec: 'aac', sampleRate: 16000, channels: 1, durationMs: 2000 });
        });

        it('falls back to the sample entry without esds, and to mp4/unknown without moov', () => {
            const got = sniffAudio(m4a(audioSampleEntry('mp4a', 1, 22050)));
            assert.equal(got.sampleRate, 22050);
            assert.equal(got.channels, 1);
            const bare = box('ftyp', Buffer.from('isom'), u32be(0));
            assert.deepEqual(sniffAudio(bare), { container: 'mp4', codec: 'unknown' });
            assert.equal(sniffAudio(m4a(audioSampleEntry('samr', 1, 8000))).codec, 'amr-nb');
        });

        it('reads AMR-NB and AMR-WB', () => {
            const nbFrame = Buffer.concat([Buffer.from([7 << 3]), Buffer.alloc(31)]); // 12.2 kbit/s
            const nb = sniffAudio(Buffer.concat([Buffer.from('#!AMR\n'), nbFrame, nbFrame, nbFrame]));
            assert.deepEqual(nb, { container: 'amr', codec: 'amr-nb', sampleRate: 8000, channels: 1, durationMs: 60 });
            const wbFrame = Buffer.concat([Buffer.from([8 << 3]), Buffer.alloc(60)]);
            const wb = sniffAudio(Buffer.concat([Buffer.from('#!AMR-WB\n'), wbFrame, wbFrame]));
            assert.deepEqual(wb, { container: 'amr', codec: 'amr-wb', sampleRate: 16000, channels: 1, durationMs: 40 });
        });

        it('reads FLAC STREAMINFO', () => {
            const got = sniffAudio(Buffer.concat([Buffer.from('fLaC'), streamInfo(44100, 2, 24, 441000)]));
            assert.deepEqual(got, {
                container: 'flac',
                codec: 'flac',
                sampleRate: 44100,
                channels: 2,
                bitsPerSample: 24,
                durationMs: 10000,
            });
            const tagged = sniffAudio(Buffer.concat([id3(10), Buffer.from('fLaC'), streamInfo(16000, 1, 16, 0)]));
            assert.deepEqual(tagged, {
                container: 'flac',
                codec: 'flac',
                sampleRate: 16000,
                channels: 1,
                bitsPerSample: 16,
            });
        });

        it('reads WMA/ASF by its header GUID, with the audio stream properties', () => {
            assert.deepEqual(sniffAudio(asf(1, 16000, 2500)), {
                container: 'asf',
                codec: 'wma',
                sampleRate: 16000,
                channels: 1,
                bitsPerSample: 16,
                durationMs: 2500,
            });
            assert.deepEqual(sniffAudio(asf(1, 16000, 2500).subarray(0, 16)), { container: 'asf', codec: 'wma' });
        });

        it('answers unknown for raw PCM, text, and tiny or empty buffers', () => {
            const raw = bufferFromInt16(sine(440, 16000, 0.2));
            assert.deepEqual(sniffAudio(raw), { container: 'unknown', codec: 'unknown' });
            assert.deepEqual(sniffAudio(Buffer.from('hello world, not audio')), {
                container: 'unknown',
                codec: 'unknown',
            });
            assert.deepEqual(sniffAudio(Buffer.alloc(0)), { container: 'unknown', codec: 'unknown' });
            assert.deepEqual(sniffAudio(Buffer.from('RIF')), { container: 'unknown', codec: 'unknown' });
        });

        it('never throws on arbitrary bytes (property)', () => {
            fc.assert(
                fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
                    const got = sniffAudio(Buffer.from(bytes));
                    assert.equal(typeof got.container, 'string');
                }),
                { numRuns: 2000 },
            );
        });

        it('never throws on bytes behind a real magic number or a damaged real header (property)', () => {
            const prefixes = [
                Buffer.from('RIFF\x00\x00\x00\x00WAVE', 'latin1'),
                Buffer.from('RF64\xff\xff\xff\xffWAVEds64', 'latin1'),
                Buffer.from('#!AMR\n'),
                Buffer.from('#!AMR-WB\n'),
                Buffer.from('fLaC'),
                Buffer.from('OggS\x00\x02', 'latin1'),
                Buffer.from('\x00\x00\x00\x20ftypM4A ', 'latin1'),
                Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x05', 'latin1'),
                Buffer.from([0xff, 0xfb, 0x90, 0xc4]),
                Buffer.from([0xff, 0xf1, 0x50, 0x80]),
                guid('75B22630-668E-11CF-A6D9-00AA0062CE6C'),
            ];
            const reals = [
                wav({ extensible: true, data: Buffer.alloc(16) }),
                m4a(audioSampleEntry('mp4a', 2, 44100, esds(8, 1))),
                asf(2, 44100, 1000),
                Buffer.concat([
                    oggPage(opusHead(1, 16000), { bos: true }),
                    oggPage(Buffer.alloc(20), { granule: 960n }),
                ]),
                Buffer.concat([Buffer.from('fLaC'), streamInfo(44100, 2, 16, 1000)]),
            ];
            fc.assert(
                fc.property(fc.nat(prefixes.length - 1), fc.uint8Array({ maxLength: 300 }), (i, tail) => {
                    sniffAudio(Buffer.concat([prefixes[i], Buffer.from(tail)]));
                }),
                { numRuns: 3000 },
            );
            fc.assert(
                fc.property(fc.nat(reals.length - 1), fc.nat(1000), fc.nat(255), fc.nat(1000), (i, at, value, cut) => {
                    const b = Buffer.from(reals[i]);
                    b[at % b.length] = value;
                    sniffAudio(b.subarray(0, cut % (b.length + 1)));
                }),
                { numRuns: 3000 },
            );
        });
    });

    describe('chooseAudioFormat', () => {
        const pcm16 = sniffAudio(wav());
        const pcm8 = sniffAudio(wav({ rate: 8000 }));
        const alaw8 = sniffAudio(wav({ formatTag: 6, bits: 8, rate: 8000 }));
        const ulaw16 = sniffAudio(wav({ formatTag: 7, bits: 8, rate: 16000 }));
        const stereo = sniffAudio(wav({ channels: 2 }));
        const wav44 = sniffAudio(wav({ rate: 44100 }));
        const wav8bit = sniffAudio(wav({ bits: 8 }));
        const float = sniffAudio(wav({ formatTag: 3, bits: 32 }));
        const adpcm: AudioInfo = { container: 'wav', codec: 'ima-adpcm', sampleRate: 8000, channels: 1 };
        const mp3: AudioInfo = { container: 'mp3', codec: 'mp3', sampleRate: 16000, channels: 1 };
        const mp3Stereo: AudioInfo = { ...mp3, channels: 2 };
        const aac: AudioInfo = { container: 'aac', codec: 'aac', sampleRate: 16000, channels: 1 };
        const m4aInfo: AudioInfo = { container: 'mp4', codec: 'aac', sampleRate: 16000, channels: 1 };
        const opus: AudioInfo = { container: 'ogg', codec: 'opus', sampleRate: 16000, channels: 1 };
        const speex: AudioInfo = { container: 'ogg', codec: 'speex', sampleRate: 16000, channels: 1 };
        const vorbis: AudioInfo = { container: 'ogg', codec: 'vorbis', sampleRate: 16000, channels: 1 };
        const amrNb: AudioInfo = { container: 'amr', codec: 'amr-nb', sampleRate: 8000, channels: 1 };
        const amrWb: AudioInfo = { container: 'amr', codec: 'amr-wb', sampleRate: 16000, channels: 1 };
        const flac: AudioInfo = { container: 'flac', codec: 'flac', sampleRate: 16000, channels: 1 };
        const wma: AudioInfo = { container: 'asf', codec: 'wma', sampleRate: 16000, channels: 1 };
        const unknown: AudioInfo = { container: 'unknown', codec: 'unknown' };

        function table(api: AsrApi, cases: [AudioInfo, string | null][]): void {
            for (const [a, expected] of cases) {
                if (expected === null) {
                    const e = refusal(() => chooseAudioFormat(api, a));
                    assert.ok(e.message.length > 20);
                } else {
                    const got = chooseAudioFormat(api, a);
                    assert.equal(got, expected, `${api} ${describeAudio(a)}`);
                    assert.ok(AUDIO_FORMATS[api].includes(got), `${got} is a ${api} format`);
                }
            }
        }

        it('short-audio', () => {
            table('short-audio', [
                [pcm16, 'wav'],
                [pcm8, 'wav'],
                [alaw8, 'wav'],
                [ulaw16, 'wav'],
                [stereo, null],
                [wav44, null],
                [wav8bit, null],
                [float, null],
                [adpcm, null],
                [mp3, 'mp3'],
                [mp3Stereo, null],
                [aac, 'aac'],
                [m4aInfo, 'auto'],
                [wma, 'auto'],
                [amrNb, 'amr'],
                [amrWb, 'amrwb'],
                [opus, null],
                [flac, null],
                [unknown, null],
            ]);
        });

        it('flash', () => {
            table('flash', [
                [pcm16, 'wav'],
                [stereo, 'wav'],
                [alaw8, 'wav'],
                [float, null],
                [mp3Stereo, 'mp3'],
                [aac, 'aac'],
                [m4aInfo, 'm4a'],
                [opus, 'opus'],
                [vorbis, null],
                [speex, null],
                [amrWb, null],
                [flac, null],
                [wma, null],
                [unknown, null],
            ]);
        });

        it('transcriber', () => {
            table('transcriber', [
                [pcm16, 'auto'],
                [stereo, 'auto'],
                [adpcm, 'auto'],
                [float, null],
                [mp3, 'auto'],
                [m4aInfo, 'auto'],
                [opus, 'auto'],
                [speex, 'auto'],
                [vorbis, null],
                [amrNb, 'auto'],
                [wma, 'auto'],
                [aac, null],
                [flac, null],
                [unknown, null],
            ]);
        });

        it('rasr (WAV whose header the stream node strips)', () => {
            table('rasr', [
                [pcm16, 'pcm16k16bit'],
                [pcm8, 'pcm8k16bit'],
                [alaw8, 'alaw8k8bit'],
                [ulaw16, 'ulaw16k8bit'],
                [stereo, null],
                [wav44, null],
                [mp3, null],
                [amrWb, null],
                [unknown, null],
            ]);
        });

        it('says what is wrong and what is accepted', () => {
            const e = refusal(() => chooseAudioFormat('short-audio', stereo));
            assert.match(e.message, /short-audio/);
            assert.match(e.message, /mono/);
            const u = refusal(() => chooseAudioFormat('flash', unknown));
            assert.match(u.message, /audio_format/);
            assert.equal(u.name, 'AudioFormatError');
        });

        it('gives the transcriber a file extension its detection understands', () => {
            assert.equal(fileExtensionFor(pcm16), 'wav');
            assert.equal(fileExtensionFor(m4aInfo), 'm4a');
            assert.equal(fileExtensionFor(opus), 'opus');
            assert.equal(fileExtensionFor(speex), 'spx');
            assert.equal(fileExtensionFor(wma), 'wma');
            assert.equal(fileExtensionFor(amrWb), 'amr');
            assert.equal(fileExtensionFor(unknown), 'bin');
        });
    });

    describe('rates', () => {
        it('sampleRateOfProperty', () => {
            assert.equal(sampleRateOfProperty('chinese_8k_common'), 8000);
            assert.equal(sampleRateOfProperty('chinese_16k_conversation'), 16000);
            assert.equal(sampleRateOfProperty('english_8k_common'), 8000);
            assert.equal(sampleRateOfProperty('chinese_xiaoyan_common'), undefined);
            assert.equal(sampleRateOfProperty('chinese_18k_common'), undefined);
            assert.equal(sampleRateOfProperty(''), undefined);
        });

        it('every ASR property names its rate', () => {
            for (const api of Object.keys(ASR_PROPERTIES) as AsrApi[]) {
                for (const p of ASR_PROPERTIES[api]) assert.ok(sampleRateOfProperty(p), p);
            }
        });

        it('checkRate names both rates when they disagree', () => {
            const e = refusal(() => checkRate('chinese_8k_common', { sampleRate: 16000 }));
            assert.equal(e.message, 'audio is 16000 Hz but property chinese_8k_common expects 8000 Hz');
            checkRate('chinese_16k_common', sniffAudio(wav()));
            checkRate('chinese_16k_common', {});
            checkRate('unknown_model', { sampleRate: 44100 });
            refusal(() => checkRate('chinese_16k_common', { sampleRate: 44100 }));
        });

        it('rateOfAudioFormat and bytesPerSecond', () => {
            assert.equal(rateOfAudioFormat('pcm16k16bit'), 16000);
            assert.equal(rateOfAudioFormat('pcm8k16bit'), 8000);
            assert.equal(rateOfAudioFormat('alaw16k8bit'), 16000);
            assert.equal(rateOfAudioFormat('v3_8k4bit'), 8000);
            assert.equal(rateOfAudioFormat('amr'), 8000);
            assert.equal(rateOfAudioFormat('amrwb'), 16000);
            assert.equal(rateOfAudioFormat('mp3'), undefined);
            assert.equal(rateOfAudioFormat('toString'), undefined);
            assert.equal(bytesPerSecond('pcm16k16bit'), 32000);
            assert.equal(bytesPerSecond('pcm8k16bit'), 16000);
            assert.equal(bytesPerSecond('ulaw16k8bit'), 16000);
            assert.equal(bytesPerSecond('alaw8k8bit'), 8000);
            assert.equal(bytesPerSecond('vox8k4bit'), 4000);
            assert.equal(bytesPerSecond('wav'), undefined);
            assert.equal(bytesPerSecond('__proto__'), undefined);
        });

        it('checkPropertyFormat', () => {
            checkPropertyFormat('short-audio', 'chinese_16k_general', 'wav');
            checkPropertyFormat('short-audio', 'chinese_16k_general', 'auto');
            checkPropertyFormat('rasr', 'chinese_8k_general', 'alaw8k8bit');
            checkPropertyFormat('flash', 'chinese_8k_common', 'm4a');
            assert.match(
                refusal(() => checkPropertyFormat('short-audio', 'chinese_16k_general', 'aac')).message,
                /accepts/,
            );
            assert.match(refusal(() => checkPropertyFormat('short-audio', 'english_16k_common', 'mp3')).message, /wav/);
            assert.match(
                refusal(() => checkPropertyFormat('flash', 'chinese_16k_common', 'wav')).message,
                /not available/,
            );
            assert.match(
                refusal(() => checkPropertyFormat('rasr', 'chinese_16k_common', 'mp3')).message,
                /not available/,
            );
            assert.match(
                refusal(() => checkPropertyFormat('rasr', 'chinese_16k_common', 'pcm8k16bit')).message,
                /8000 Hz/,
            );
            refusal(() => checkPropertyFormat('short-audio', 'chinese_8k_common', 'amrwb'));
        });
    });

    describe('tables', () => {
        it('lists the documented formats per API', () => {
            assert.equal(SHORT_AUDIO_FORMATS.length, 12);
            assert.deepEqual([...FLASH_FORMATS], ['wav', 'mp3', 'm4a', 'aac', 'opus']);
            assert.ok(TRANSCRIBER_FORMATS.includes('auto'));
            assert.ok(TRANSCRIBER_FORMATS.includes('vox8k4bit'));
            assert.equal(RASR_FORMATS.length, 6);
            for (const f of RASR_FORMATS) assert.ok(rateOfAudioFormat(f));
        });

        it('lists the documented properties per API, without duplicates', () => {
            assert.ok(SHORT_AUDIO_PROPERTIES.includes('chinese_16k_travel'));
            assert.deepEqual([...FLASH_PROPERTIES], ['chinese_8k_common', 'chinese_16k_conversation']);
            assert.ok(TRANSCRIBER_PROPERTIES.includes('chinese_8k_general'));
            assert.ok(RASR_PROPERTIES.includes('chinese_16k_court'));
            for (const list of [...Object.values(ASR_PROPERTIES), ...Object.values(AUDIO_FORMATS)]) {
                assert.equal(new Set(list).size, list.length);
            }
        });

        it('lists TTS voices with their constraints', () => {
            assert.deepEqual([...TTS_AUDIO_FORMATS], ['wav', 'mp3', 'pcm']);
            assert.deepEqual([...TTS_SAMPLE_RATES], ['8000', '16000']);
            assert.deepEqual(TTS_SPEED_RANGE, { min: -500, max: 500, default: 0 });
            assert.deepEqual(TTS_PITCH_RANGE, { min: -500, max: 500, default: 0 });
            assert.deepEqual(TTS_VOLUME_RANGE, { min: 0, max: 100, default: 50 });
            assert.equal(new Set(TTS_VOICES.map((v) => v.property)).size, TTS_VOICES.length);
            assert.equal(findTtsVoice(TTS_DEFAULT_VOICE)?.premium, false);
            assert.deepEqual(findTtsVoice('chinese_huaxiaolong_common')?.sampleRates, ['16000']);
            assert.deepEqual(findTtsVoice('chinese_huanvxia_literature')?.sampleRates, ['16000']);
            assert.equal(findTtsVoice('chinese_huaxiaofei_common')?.ssml, true);
            assert.equal(findTtsVoice('chinese_huaxiaoxia_common')?.pitch, false);
            assert.equal(findTtsVoice('chinese_xiaoqi_common')?.pitch, true);
            assert.equal(findTtsVoice('nope'), undefined);
        });
    });

    describe('WAV helpers', () => {
        it('parseWavHeader reads the first chunk of a stream whose data continues later', () => {
            const full = wav({ data: Buffer.alloc(64000) });
            const h = parseWavHeader(full.subarray(0, 1024));
            assert.deepEqual(h, {
                codec: 'pcm',
                formatTag: 1,
                sampleRate: 16000,
                channels: 1,
                bitsPerSample: 16,
                blockAlign: 2,
                byteRate: 32000,
                dataOffset: 44,
                declaredDataLength: 64000,
            });
            // The header alone (no sample yet) is still a header.
            assert.equal(parseWavHeader(full.subarray(0, 44))?.dataOffset, 44);
        });

        it('parseWavHeader answers undefined for non-WAV bytes', () => {
            assert.equal(parseWavHeader(Buffer.alloc(100)), undefined);
            assert.equal(parseWavHeader(bufferFromInt16(sine(300, 16000, 0.1))), undefined);
            assert.equal(parseWavHeader(Buffer.from('RIFF\x00\x00\x00\x00AVI LIST', 'latin1')), undefined);
            assert.equal(isWavStart(Buffer.from('RIFF\x00\x00\x00\x00WAVE', 'latin1')), true);
            assert.equal(isWavStart(Buffer.from('RIFF')), false);
        });

        it('int16 conversion round-trips and ignores an odd trailing byte', () => {
            const s = Int16Array.from([0, 1, -1, 32767, -32768]);
            assert.deepEqual(int16FromBuffer(bufferFromInt16(s)), s);
            assert.equal(int16FromBuffer(Buffer.alloc(5)).length, 2);
        });

        it('downmixToMono averages channels', () => {
            assert.deepEqual(
                downmixToMono(Int16Array.from([100, 300, -32768, -32768, 32767, 32767]), 2),
                Int16Array.from([200, -32768, 32767]),
            );
            assert.deepEqual(downmixToMono(Int16Array.from([3, 6, 9, 1]), 3), Int16Array.from([6]));
            const mono = Int16Array.from([1, 2]);
            const copy = downmixToMono(mono, 1);
            assert.deepEqual(copy, mono);
            assert.notEqual(copy, mono);
            refusal(() => downmixToMono(mono, 0));
            refusal(() => downmixToMono(mono, 1.5));
        });

        it('downmixToMono keeps floor(n / channels) frames within range (property)', () => {
            fc.assert(
                fc.property(
                    fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 200 }),
                    fc.integer({ min: 1, max: 8 }),
                    (xs, ch) => {
                        const out = downmixToMono(Int16Array.from(xs), ch);
                        assert.equal(out.length, Math.floor(xs.length / ch));
                        for (let f = 0; f < out.length; f++) {
                            const frame = xs.slice(f * ch, f * ch + ch);
                            assert.ok(out[f] >= Math.min(...frame) && out[f] <= Math.max(...frame));
                        }
                    },
                ),
            );
        });
    });

    describe('resampler', () => {
        const sources = [8000, 11025, 22050, 32000, 44100, 48000];

        it('gives ceil(n·to/from) samples for every supported source rate', () => {
            for (const from of sources) {
                for (const to of [8000, 16000]) {
                    const n = Math.round(from * 0.25) + 7;
                    assert.equal(
                        resample(new Int16Array(n), from, to).length,
                        Math.ceil((n * to) / from),
                        `${from}→${to}`,
                    );
                }
            }
        });

        it('passes a 1 kHz tone at its level', () => {
            for (const from of sources) {
                for (const to of [8000, 16000]) {
                    const out = resample(sine(1000, from, 0.5), from, to);
                    const ratio = rms(out) / rms(sine(1000, to, 0.5));
                    assert.ok(Math.abs(ratio - 1) < 0.02, `${from}→${to}: ${ratio}`);
                }
            }
        });

        it('removes what would alias (tones above the new Nyquist frequency)', () => {
            const cases: [number, number, number][] = [
                [48000, 16000, 10000],
                [44100, 16000, 12000],
                [32000, 8000, 5000],
                [22050, 8000, 6000],
                [48000, 8000, 15000],
            ];
            for (const [from, to, tone] of cases) {
                const input = sine(tone, from, 0.5);
                const out = resample(input, from, to);
                const db = 20 * Math.log10(Math.max(1e-9, rms(out)) / rms(input));
                assert.ok(db < -50, `${from}→${to} at ${tone} Hz: ${db.toFixed(1)} dB`);
            }
        });

        it('upsampling keeps a tone and adds no images', () => {
            const out = resample(sine(2000, 8000, 0.5), 8000, 16000);
            const ref = sine(2000, 16000, 0.5);
            assert.ok(Math.abs(rms(out) / rms(ref) - 1) < 0.02);
            // Sample-by-sample close to the ideal tone away from the edges.
            let maxErr = 0;
            for (let i = 800; i < out.length - 800; i++) maxErr = Math.max(maxErr, Math.abs(out[i] - ref[i]));
            assert.ok(maxErr < 150, `max error ${maxErr}`);
        });

        it('streams: chunked input gives the same samples as one call (property)', () => {
            fc.assert(
                fc.property(
                    fc.constantFrom(...sources),
                    fc.constantFrom(8000, 16000),
                    fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
                    (from, to, sizes) => {
                        const total = sizes.reduce((a, b) => a + b, 0);
                        const input = sine(440, from, total / from);
                        const whole = resample(input, from, to);
                        const r = new Resampler(from, to);
                        const parts: number[] = [];
                        let off = 0;
                        for (const n of sizes) {
                            parts.push(...r.push(input.subarray(off, off + n)));
                            off += n;
                        }
                        parts.push(...r.flush());
                        assert.deepEqual(Int16Array.from(parts), whole);
                    },
                ),
                { numRuns: 60 },
            );
        });

        it('can be reused after flush, and copies when the rates are equal', () => {
            const r = new Resampler(48000, 16000);
            const a = [...r.push(sine(300, 48000, 0.05)), ...r.flush()];
            const b = [...r.push(sine(300, 48000, 0.05)), ...r.flush()];
            assert.deepEqual(a, b);
            const s = sine(300, 16000, 0.01);
            assert.deepEqual(resample(s, 16000, 16000), s);
        });

        it('refuses unusable rates', () => {
            refusal(() => new Resampler(0, 16000));
            refusal(() => new Resampler(44100.5, 16000));
            refusal(() => resample(new Int16Array(4), 16000, -1));
            assert.equal(Resampler.supports(44100, 16000), true);
            assert.equal(Resampler.supports(44100, 15999), false);
        });
    });

    describe('fixtures (real files, when present)', () => {
        const dir = path.resolve(__dirname, '../fixtures');
        const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.(wav|mp3|pcm|raw)$/i.test(f)) : [];

        it('has fixtures or skips', function () {
            if (files.length === 0) this.skip();
        });

        for (const name of files) {
            it(name, () => {
                const buf = readFileSync(path.join(dir, name));
                const got = sniffAudio(buf);
                const ext = path.extname(name).slice(1).toLowerCase();
                const expectedRate = /(^|_)8k/.test(name) ? 8000 : /(^|_)16k/.test(name) ? 16000 : undefined;
                if (ext === 'pcm' || ext === 'raw') {
                    assert.equal(got.container, 'unknown');
                    refusal(() => chooseAudioFormat('short-audio', got));
                    return;
                }
                assert.equal(got.container, ext);
                if (expectedRate) assert.equal(got.sampleRate, expectedRate);
                assert.ok((got.durationMs ?? 0) > 0);
                if (ext === 'mp3') {
                    assert.equal(chooseAudioFormat('short-audio', got), 'mp3');
                    return;
                }
                const codec = /alaw/.test(name) ? 'alaw' : /[uµ]law|mulaw/.test(name) ? 'ulaw' : 'pcm';
                assert.equal(got.codec, codec);
                const h = parseWavHeader(buf);
                assert.equal(h?.dataOffset, got.dataOffset);
                assert.equal((got.dataOffset ?? 0) + (got.dataLength ?? 0) <= buf.length, true);
                if (/stereo/.test(name)) {
                    assert.equal(got.channels, 2);
                    refusal(() => chooseAudioFormat('short-audio', got));
                    const mono = downmixToMono(int16FromBuffer(buf.subarray(got.dataOffset)), 2);
                    assert.equal(mono.length, Math.floor((got.dataLength ?? 0) / 4));
                } else {
                    assert.equal(got.channels, 1);
                    assert.equal(chooseAudioFormat('short-audio', got), 'wav');
                    const raw = chooseAudioFormat('rasr', got);
                    assert.equal(rateOfAudioFormat(raw), expectedRate ?? got.sampleRate);
                }
            });
        }
    });
});
