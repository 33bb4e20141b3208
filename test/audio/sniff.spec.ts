// Container and codec recognition from bytes, WAV header helpers, and the real fixture files.
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { bufferFromInt16, downmixToMono, int16FromBuffer } from '../../nodes/lib/audio/pcm';
import { sniffAudio } from '../../nodes/lib/audio/sniff';
import { isWavStart, parseWavHeader } from '../../nodes/lib/audio/wav';
import { chooseAudioFormat, rateOfAudioFormat } from '../../nodes/lib/service/formats';
import {
    adtsFrame,
    asf,
    audioSampleEntry,
    box,
    chunk,
    esds,
    fmtBody,
    guid,
    id3,
    m4a,
    mp3Frame,
    oggPage,
    opusHead,
    refusal,
    sine,
    speexHeader,
    streamInfo,
    u32be,
    u32le,
    u64le,
    vorbisId,
    wav,
} from '../helpers/audio-bytes';

describe('audio sniffing', () => {
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
