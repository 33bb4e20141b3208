import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { Mp3HeadFilter } from '../../nodes/lib/audio/mp3';
import { joinAudio, joinMp3, joinWav, pcmFormat, wavHeader } from '../../nodes/lib/tts/join';

// ---------------------------------------------------------------------------------------------
// Independent readers and writers for the checks (not the module's own parsers)
// ---------------------------------------------------------------------------------------------

function writeWav(samples: Buffer, rate: number, opts: { list?: boolean; oddTail?: boolean } = {}): Buffer {
    const fmt = Buffer.alloc(24);
    fmt.write('fmt ', 0, 'latin1');
    fmt.writeUInt32LE(16, 4);
    fmt.writeUInt16LE(1, 8);
    fmt.writeUInt16LE(1, 10);
    fmt.writeUInt32LE(rate, 12);
    fmt.writeUInt32LE(rate * 2, 16);
    fmt.writeUInt16LE(2, 20);
    fmt.writeUInt16LE(16, 22);
    const list = opts.list ? Buffer.concat([Buffer.from('LIST\x05\x00\x00\x00INFOx\x00', 'latin1')]) : Buffer.alloc(0);
    const body = opts.oddTail ? Buffer.concat([samples, Buffer.from([0x7f])]) : samples;
    const dataHead = Buffer.alloc(8);
    dataHead.write('data', 0, 'latin1');
    dataHead.writeUInt32LE(body.length, 4);
    const riff = Buffer.alloc(12);
    riff.write('RIFF', 0, 'latin1');
    riff.writeUInt32LE(4 + fmt.length + list.length + 8 + body.length, 4);
    riff.write('WAVE', 8, 'latin1');
    return Buffer.concat([riff, fmt, list, dataHead, body]);
}

interface ReadWav {
    riffSize: number;
    rate: number;
    bits: number;
    channels: number;
    data: Buffer;
    chunks: string[];
}

/** Walks every RIFF chunk; fails on sizes that do not add up to the file. */
function readWav(buf: Buffer): ReadWav {
    assert.equal(buf.toString('latin1', 0, 4), 'RIFF');
    assert.equal(buf.toString('latin1', 8, 12), 'WAVE');
    const riffSize = buf.readUInt32LE(4);
    assert.equal(riffSize, buf.length - 8, 'RIFF size is the file size - 8');
    let off = 12;
    const chunks: string[] = [];
    let rate = 0;
    let bits = 0;
    let channels = 0;
    let data: Buffer | undefined;
    while (off < buf.length) {
        const id = buf.toString('latin1', off, off + 4);
        const size = buf.readUInt32LE(off + 4);
        chunks.push(id);
        if (id === 'fmt ') {
            channels = buf.readUInt16LE(off + 10);
            rate = buf.readUInt32LE(off + 12);
            bits = buf.readUInt16LE(off + 22);
        }
        if (id === 'data') data = buf.subarray(off + 8, off + 8 + size);
        off += 8 + size + (size & 1);
    }
    assert.equal(off, buf.length, 'chunks end exactly at the end of the file');
    assert.ok(data);
    return { riffSize, rate, bits, channels, data, chunks };
}

/** Frame headers used below and their lengths, computed by hand from the MPEG tables. */
const MP3_KINDS = {
    // MPEG-1 layer III, 128 kbit/s, 44.1 kHz, mono: 144 * 128000 / 44100 = 417 (+1 padded)
    mpeg1: { head: [0xff, 0xfb, 0x90, 0xc4], len: 417, side: 17 },
    // MPEG-2 layer III, 32 kbit/s, 16 kHz, mono: 72 * 32000 / 16000 = 144
    mpeg2: { head: [0xff, 0xf3, 0x48, 0xc4], len: 144, side: 9 },
    // MPEG-2.5 layer III, 16 kbit/s, 8 kHz, mono: 72 * 16000 / 8000 = 144
    mpeg25: { head: [0xff, 0xe3, 0x28, 0xc4], len: 144, side: 9 },
} as const;
type Mp3Kind = keyof typeof MP3_KINDS;

function frame(kind: Mp3Kind, fill: number, padded = false): Buffer {
    const k = MP3_KINDS[kind];
    const f = Buffer.alloc(k.len + (padded ? 1 : 0), fill & 0x7f);
    Buffer.from(k.head).copy(f);
    if (padded) f[2] |= 0x02;
    return f;
}

function infoFrame(kind: Mp3Kind, tag: 'Xing' | 'Info' | 'VBRI'): Buffer {
    const f = frame(kind, 0);
    f.write(tag, tag === 'VBRI' ? 36 : 4 + MP3_KINDS[kind].side, 'latin1');
    return f;
}

function id3v2(body: number, footer = false): Buffer {
    const head = Buffer.from([0x49, 0x44, 0x33, 4, 0, footer ? 0x10 : 0, 0, 0, (body >> 7) & 0x7f, body & 0x7f]);
    return Buffer.concat([
        head,
        Buffer.alloc(body, 0x41),
        footer ? Buffer.from('3DI\x04\x00\x10\x00\x00\x00\x00', 'latin1') : Buffer.alloc(0),
    ]);
}

const ID3V1 = Buffer.concat([Buffer.from('TAG', 'latin1'), Buffer.alloc(125, 0x20)]);

/** Walks frame by frame from `start`: every frame must begin with a sync word and be followed by the next. */
function walkFrames(buf: Buffer, start: number, kind: Mp3Kind): number {
    let off = start;
    let frames = 0;
    while (off < buf.length) {
        assert.equal(buf[off], 0xff, `sync at ${off}`);
        assert.equal(buf[off + 1] & 0xe0, 0xe0, `sync at ${off}`);
        const padded = (buf[off + 2] & 0x02) !== 0;
        const infoAt = off + 4 + MP3_KINDS[kind].side;
        assert.ok(!['Xing', 'Info'].includes(buf.toString('latin1', infoAt, infoAt + 4)), 'no info frame');
        assert.notEqual(buf.toString('latin1', off + 36, off + 40), 'VBRI', 'no VBRI frame');
        off += MP3_KINDS[kind].len + (padded ? 1 : 0);
        frames++;
    }
    assert.equal(off, buf.length, 'the last frame ends the file');
    return frames;
}

describe('sis-tts audio joining', () => {
    describe('WAV', () => {
        it('one RIFF header whose sizes match the joined samples (property)', () => {
            const part = fc.record({
                samples: fc
                    .uint8Array({ maxLength: 400, size: 'medium' })
                    .map((a) => Buffer.from(a.subarray(0, a.length & ~1))),
                list: fc.boolean(),
                oddTail: fc.boolean(),
            });
            fc.assert(
                fc.property(
                    fc.array(part, { minLength: 1, maxLength: 8 }),
                    fc.constantFrom(8000, 16000),
                    (parts, rate) => {
                        const files = parts.map((p) => writeWav(p.samples, rate, p));
                        const joined = joinWav(files);
                        const wav = readWav(joined.audio);
                        assert.deepEqual(wav.chunks, ['fmt ', 'data'], 'exactly one fmt and one data chunk');
                        assert.equal(wav.rate, rate);
                        assert.equal(wav.bits, 16);
                        assert.equal(wav.channels, 1);
                        // A partial sample at the end of a part is dropped so the next part stays aligned.
                        assert.deepEqual(wav.data, Buffer.concat(parts.map((p) => p.samples)));
                        assert.equal(joined.sampleRate, rate);
                        assert.equal(joined.durationMs, Math.round((wav.data.length * 1000) / (rate * 2)));
                    },
                ),
                { numRuns: 300 },
            );
        });

        it('pads an odd data chunk and counts the pad in the RIFF size only', () => {
            const odd = wavHeader({ ...pcmFormat(8000), blockAlign: 1, bitsPerSample: 8, byteRate: 8000 }, 3);
            const file = Buffer.concat([odd, Buffer.from([1, 2, 3])]);
            const joined = joinWav([file, file]);
            const wav = readWav(joined.audio);
            assert.equal(wav.data.length, 6);
            const single = joinWav([file]);
            assert.equal(readWav(single.audio).data.length, 3);
            assert.equal(single.audio.length, 44 + 3 + 1);
        });

        it('refuses parts that are not WAV or differ in format', () => {
            assert.throws(() => joinWav([Buffer.from('not a wav at all')]), { code: 'PROTOCOL' });
            const a = writeWav(Buffer.alloc(4), 8000);
            const b = writeWav(Buffer.alloc(4), 16000);
            assert.throws(() => joinWav([a, b]), { code: 'PROTOCOL' });
        });

        it('writes an open-sized header for streams', () => {
            const h = wavHeader(pcmFormat(16000));
            assert.equal(h.length, 44);
            assert.equal(h.readUInt32LE(4), 0xffffffff);
            assert.equal(h.readUInt32LE(40), 0xffffffff);
            assert.equal(h.readUInt32LE(24), 16000);
        });
    });

    describe('MP3', () => {
        const file = fc.record({
            frames: fc.array(fc.tuple(fc.nat(127), fc.boolean()), { minLength: 0, maxLength: 12 }),
            id3: fc.option(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.boolean())),
            info: fc.option(fc.constantFrom('Xing' as const, 'Info' as const, 'VBRI' as const)),
            v1: fc.boolean(),
        });

        function build(
            kind: Mp3Kind,
            f: {
                frames: [number, boolean][];
                id3: [number, boolean] | null;
                info: 'Xing' | 'Info' | 'VBRI' | null;
                v1: boolean;
            },
        ): Buffer {
            return Buffer.concat([
                f.id3 ? id3v2(f.id3[0], f.id3[1]) : Buffer.alloc(0),
                f.info ? infoFrame(kind, f.info) : Buffer.alloc(0),
                ...f.frames.map(([fill, padded]) => frame(kind, fill, kind === 'mpeg1' && padded)),
                f.v1 ? ID3V1 : Buffer.alloc(0),
            ]);
        }

        it('keeps the frames in order, back to back, without repeated tags or info frames (property)', () => {
            fc.assert(
                fc.property(
                    fc.constantFrom<Mp3Kind>('mpeg1', 'mpeg2', 'mpeg25'),
                    fc.array(file, { minLength: 1, maxLength: 6, size: 'medium' }),
                    (kind, files) => {
                        const built = files.map((f) => build(kind, f));
                        const joined = joinMp3(built);
                        const audio = joined.audio;
                        if (files.length === 1) {
                            assert.deepEqual(audio, built[0], 'a single file is kept as it is');
                            return;
                        }
                        const firstWithFrames = files.find((f) => f.frames.length > 0);
                        let start = 0;
                        if (firstWithFrames?.id3) {
                            const tag = id3v2(firstWithFrames.id3[0], firstWithFrames.id3[1]);
                            assert.deepEqual(audio.subarray(0, tag.length), tag, 'the first file keeps its ID3 tag');
                            start = tag.length;
                        }
                        const frames = walkFrames(audio, start, kind);
                        assert.equal(
                            frames,
                            files.reduce((n, f) => n + f.frames.length, 0),
                        );
                        // Frame bodies come out in the order they went in.
                        const fills = files.flatMap((f) => f.frames.map(([fill]) => fill));
                        let off = start;
                        fills.forEach((fill) => {
                            assert.equal(audio[off + 8], fill);
                            off += MP3_KINDS[kind].len + ((audio[off + 2] & 0x02) !== 0 ? 1 : 0);
                        });
                    },
                ),
                { numRuns: 300 },
            );
        });

        it('reports the duration from the frames, and refuses bytes that hold no frame', () => {
            const joined = joinAudio('mp3', [Buffer.concat([frame('mpeg2', 1), frame('mpeg2', 2)])], 16000);
            assert.equal(joined.sampleRate, 16000);
            assert.equal(joined.durationMs, 72);
            assert.throws(() => joinMp3([Buffer.from('definitely not mpeg audio')]), { code: 'PROTOCOL' });
        });

        it('strips the head of a stream however its bytes are cut (property)', () => {
            fc.assert(
                fc.property(
                    file,
                    fc.boolean(),
                    fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 40 }),
                    (f, keepId3, cuts) => {
                        const kind: Mp3Kind = 'mpeg2';
                        const bytes = build(kind, { ...f, v1: false });
                        const filter = new Mp3HeadFilter(keepId3);
                        const out: Buffer[] = [];
                        let off = 0;
                        for (const n of cuts) {
                            if (off >= bytes.length) break;
                            out.push(filter.push(bytes.subarray(off, off + n)));
                            off += n;
                        }
                        if (off < bytes.length) out.push(filter.push(bytes.subarray(off)));
                        out.push(filter.flush());
                        const tag = f.id3 ? id3v2(f.id3[0], f.id3[1]) : Buffer.alloc(0);
                        const expected = Buffer.concat([
                            keepId3 ? tag : Buffer.alloc(0),
                            ...f.frames.map(([fill]) => frame(kind, fill)),
                        ]);
                        assert.deepEqual(Buffer.concat(out), expected);
                    },
                ),
                { numRuns: 300 },
            );
        });
    });

    describe('PCM', () => {
        it('is the parts one after the other, whole samples only', () => {
            const joined = joinAudio(
                'pcm',
                [Buffer.from([1, 2, 3, 4]), Buffer.from([5, 6, 7]), Buffer.from([8, 9])],
                8000,
            );
            assert.deepEqual(joined.audio, Buffer.from([1, 2, 3, 4, 5, 6, 8, 9]));
            assert.equal(joined.durationMs, 1);
        });
    });
});
