// MPEG audio (Layer I/II/III, MPEG-1/2/2.5): frame-header parsing for duration, rate and
// channels, plus a per-granule loudness estimate read from the Layer III side information.
// Samples are not decoded: a granule's global_gain is its quantiser step, which follows the
// loudest spectral content, so silence reads far below speech without running a full decoder.
// (part2_3_length is useless for this: a CBR encoder spends its bits on silence too.)

const BITRATES: Record<string, readonly number[]> = {
    '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    '2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const SAMPLE_RATES: Record<number, readonly number[]> = {
    1: [44100, 48000, 32000],
    2: [22050, 24000, 16000],
    25: [11025, 12000, 8000],
};

export interface Mp3FrameHeader {
    /** 1, 2 or 25 (MPEG-2.5). */
    version: 1 | 2 | 25;
    layer: 1 | 2 | 3;
    crc: boolean;
    bitrateKbps: number;
    sampleRate: number;
    padding: boolean;
    channels: 1 | 2;
    frameLength: number;
    samplesPerFrame: number;
}

export function parseFrameHeader(buf: Buffer, pos: number): Mp3FrameHeader | undefined {
    if (pos + 4 > buf.length || buf[pos] !== 0xff || (buf[pos + 1] & 0xe0) !== 0xe0) return undefined;
    const b1 = buf[pos + 1];
    const b2 = buf[pos + 2];
    const b3 = buf[pos + 3];
    const versionBits = (b1 >> 3) & 3;
    const layerBits = (b1 >> 1) & 3;
    if (versionBits === 1 || layerBits === 0) return undefined;
    const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 25;
    const layer = (4 - layerBits) as 1 | 2 | 3;
    const bitrateIndex = b2 >> 4;
    const rateIndex = (b2 >> 2) & 3;
    if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
    const bitrateKbps = BITRATES[`${version === 1 ? 1 : 2}-${layer}`][bitrateIndex];
    const sampleRate = SAMPLE_RATES[version][rateIndex];
    const padding = ((b2 >> 1) & 1) === 1;
    const channels = b3 >> 6 === 3 ? 1 : 2;
    let frameLength: number;
    let samplesPerFrame: number;
    if (layer === 1) {
        frameLength = (Math.floor((12000 * bitrateKbps) / sampleRate) + (padding ? 1 : 0)) * 4;
        samplesPerFrame = 384;
    } else if (layer === 2 || version === 1) {
        frameLength = Math.floor((144000 * bitrateKbps) / sampleRate) + (padding ? 1 : 0);
        samplesPerFrame = 1152;
    } else {
        frameLength = Math.floor((72000 * bitrateKbps) / sampleRate) + (padding ? 1 : 0);
        samplesPerFrame = 576;
    }
    return {
        version,
        layer,
        crc: (b1 & 1) === 0,
        bitrateKbps,
        sampleRate,
        padding,
        channels,
        frameLength,
        samplesPerFrame,
    };
}

/** Reads `n` bits MSB-first. */
class BitReader {
    private bit = 0;
    constructor(
        private readonly buf: Buffer,
        private pos: number,
    ) {}
    read(n: number): number {
        let v = 0;
        for (let i = 0; i < n; i++) {
            const byte = this.buf[this.pos] ?? 0;
            v = (v << 1) | ((byte >> (7 - this.bit)) & 1);
            if (++this.bit === 8) {
                this.bit = 0;
                this.pos++;
            }
        }
        return v;
    }
}

/** Global gain per granule (loudest channel; 0 when the granule codes no spectral values). */
function granuleGains(buf: Buffer, pos: number, h: Mp3FrameHeader): number[] {
    const r = new BitReader(buf, pos + 4 + (h.crc ? 2 : 0));
    const mpeg1 = h.version === 1;
    r.read(mpeg1 ? 9 : 8); // main_data_begin
    r.read(mpeg1 ? (h.channels === 1 ? 5 : 3) : h.channels === 1 ? 1 : 2); // private bits
    if (mpeg1) r.read(4 * h.channels); // scfsi
    const granules = mpeg1 ? 2 : 1;
    const out: number[] = [];
    for (let g = 0; g < granules; g++) {
        let gain = 0;
        for (let c = 0; c < h.channels; c++) {
            const part23 = r.read(12);
            r.read(9); // big_values
            const globalGain = r.read(8);
            r.read(mpeg1 ? 59 - 29 : 63 - 29); // rest of this granule/channel's side info
            if (part23 > 0 && globalGain > gain) gain = globalGain;
        }
        out.push(gain);
    }
    return out;
}

export interface Mp3Info {
    sampleRate: number;
    channels: number;
    layer: 1 | 2 | 3;
    frames: number;
    durationMs: number;
    /** Layer III only: global gain per granule, in time order. */
    granuleGains: number[];
    samplesPerGranule: number;
}

function id3v2Length(buf: Buffer): number {
    if (buf.length >= 10 && buf.toString('latin1', 0, 3) === 'ID3') {
        const size = ((buf[6] & 0x7f) << 21) | ((buf[7] & 0x7f) << 14) | ((buf[8] & 0x7f) << 7) | (buf[9] & 0x7f);
        return 10 + size + (buf[5] & 0x10 ? 10 : 0);
    }
    return 0;
}

/** True when the buffer starts (after any ID3v2 tag) with two chained MPEG frames. */
export function looksLikeMp3(buf: Buffer): boolean {
    const start = id3v2Length(buf);
    if (start > 0 && start <= buf.length) return true;
    const h = parseFrameHeader(buf, start);
    if (!h) return false;
    const next = start + h.frameLength;
    return next >= buf.length || parseFrameHeader(buf, next) !== undefined;
}

/** Walks the frames; undefined when no frame is found. Junk between frames is skipped. */
export function parseMp3(buf: Buffer): Mp3Info | undefined {
    let pos = id3v2Length(buf);
    let first: Mp3FrameHeader | undefined;
    let frames = 0;
    let samples = 0;
    const gains: number[] = [];
    while (pos + 4 <= buf.length) {
        const h = parseFrameHeader(buf, pos);
        // A header must agree with the first one (rate, layer), or it is a false sync inside data.
        if (!h || (first && (h.sampleRate !== first.sampleRate || h.layer !== first.layer))) {
            pos++;
            continue;
        }
        if (pos + h.frameLength > buf.length && first) break;
        first ??= h;
        frames++;
        samples += h.samplesPerFrame;
        if (h.layer === 3) gains.push(...granuleGains(buf, pos, h));
        pos += h.frameLength;
    }
    if (!first) return undefined;
    return {
        sampleRate: first.sampleRate,
        channels: first.channels,
        layer: first.layer,
        frames,
        durationMs: Math.round((samples * 1000) / first.sampleRate),
        granuleGains: gains,
        samplesPerGranule: first.version === 1 ? first.samplesPerFrame / 2 : first.samplesPerFrame,
    };
}
