// A tiny MPEG-2 / MPEG-2.5 Layer III writer for the TTS output. It does not run a psychoacoustic
// encoder: each 576-sample granule codes at most two spectral lines (a fundamental and its octave)
// with Huffman table 1, scaled by the granule's level through global_gain. Every frame is a
// standard mono CBR frame (16 kHz: MPEG-2 at 32 kbit/s; 8 kHz: MPEG-2.5 at 16 kbit/s, both 144
// bytes), so ordinary decoders play a hum that follows the speech rhythm, and silence is coded
// with empty side information.

const FRAME_BYTES = 144;
const SIDE_INFO_BYTES = 9;
export const MP3_SAMPLES_PER_FRAME = 576;

class BitWriter {
    private bitPos = 0;
    constructor(private readonly buf: Buffer) {}
    write(value: number, bits: number): void {
        for (let i = bits - 1; i >= 0; i--) {
            if ((value >> i) & 1) this.buf[this.bitPos >> 3] |= 0x80 >> (this.bitPos & 7);
            this.bitPos++;
        }
    }
    get length(): number {
        return this.bitPos;
    }
}

/** Huffman table 1 (values 0/1), indexed by x*2+y: [code, length]. */
const TABLE1: readonly (readonly [number, number])[] = [
    [1, 1],
    [1, 3],
    [1, 2],
    [0, 3],
];

function frameHeader(sampleRate: 8000 | 16000): Buffer {
    // sync, version (MPEG-2 = 10, MPEG-2.5 = 00), layer III, no CRC; bitrate index; rate index 2;
    // mono, original.
    return Buffer.from(sampleRate === 16000 ? [0xff, 0xf3, 0x48, 0xc4] : [0xff, 0xe3, 0x28, 0xc4]);
}

/** Main data for one granule: the lines in `lines` set to +1. */
function mainData(lines: readonly number[]): { bits: number; bigValues: number; data: Buffer } {
    const top = Math.max(...lines);
    const bigValues = Math.floor(top / 2) + 1;
    const data = Buffer.alloc(Math.ceil((bigValues * 4) / 8) + 1);
    const w = new BitWriter(data);
    for (let pair = 0; pair < bigValues; pair++) {
        const x = lines.includes(pair * 2) ? 1 : 0;
        const y = lines.includes(pair * 2 + 1) ? 1 : 0;
        const [code, len] = TABLE1[x * 2 + y];
        w.write(code, len);
        if (x) w.write(0, 1); // sign: positive
        if (y) w.write(0, 1);
    }
    return { bits: w.length, bigValues, data };
}

/**
 * One frame per granule. `levels[i]` is the granule's RMS (0…32767); `toneHz` the hum's pitch.
 */
export function encodeToneMp3(levels: readonly number[], toneHz: number, sampleRate: 8000 | 16000): Buffer {
    const header = frameHeader(sampleRate);
    const lineHz = sampleRate / 2 / 576;
    const base = Math.max(1, Math.min(200, Math.round(toneHz / lineHz)));
    const voiced = mainData([base, base * 2]);
    const out = Buffer.alloc(levels.length * FRAME_BYTES);
    for (let i = 0; i < levels.length; i++) {
        const frame = out.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES);
        header.copy(frame, 0);
        const level = levels[i];
        if (level < 1) continue; // all-zero side info: a silent granule
        // xr = 2^((global_gain - 210) / 4) for a coded value of 1; the factor 1.3 was measured so
        // that the decoded RMS lands near `level`.
        const gain = Math.round(210 + 4 * Math.log2((level * 1.3) / 32768));
        const side = new BitWriter(frame.subarray(4, 4 + SIDE_INFO_BYTES));
        side.write(0, 8); // main_data_begin: no bit reservoir
        side.write(0, 1); // private bit
        side.write(voiced.bits, 12); // part2_3_length (no scale factors)
        side.write(voiced.bigValues, 9);
        side.write(Math.max(1, Math.min(255, gain)), 8);
        side.write(0, 9); // scalefac_compress: no scale factor bits
        side.write(0, 1); // window_switching_flag: long blocks
        side.write(1, 5); // table_select × 3: table 1 everywhere
        side.write(1, 5);
        side.write(1, 5);
        side.write(7, 4); // region0_count
        side.write(7, 3); // region1_count
        side.write(0, 1); // scalefac_scale
        side.write(0, 1); // count1table_select
        voiced.data.copy(frame, 4 + SIDE_INFO_BYTES);
    }
    return out;
}
