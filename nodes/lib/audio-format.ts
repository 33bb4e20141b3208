/**
 * Audio intake for the recognition nodes: recognise a container/codec from its bytes, map it to the
 * `audio_format` value each SIS API expects, check sample rates against the model, and the small
 * PCM helpers the streaming node needs. Also the tables of allowed values that feed validation and
 * the editor's dropdowns (source: sis-api/rest.md §1–§4 and websocket.md §1.3–§1.5).
 *
 * Every parser reads only within bounds and never throws; the only error raised here is
 * `AudioFormatError` (code `INVALID_INPUT`), by the documented choose/check functions.
 */

// ---------------------------------------------------------------------------------------------
// Types and error
// ---------------------------------------------------------------------------------------------

export type AsrApi = 'short-audio' | 'flash' | 'transcriber' | 'rasr';

export type AudioContainer = 'wav' | 'mp3' | 'ogg' | 'aac' | 'mp4' | 'amr' | 'flac' | 'asf' | 'unknown';

export type AudioCodec =
    | 'pcm'
    | 'float'
    | 'alaw'
    | 'ulaw'
    | 'ms-adpcm'
    | 'ima-adpcm'
    | 'mp3'
    | 'aac'
    | 'opus'
    | 'vorbis'
    | 'speex'
    | 'flac'
    | 'amr-nb'
    | 'amr-wb'
    | 'alac'
    | 'wma'
    | 'unknown';

export interface AudioInfo {
    container: AudioContainer;
    codec: AudioCodec;
    sampleRate?: number;
    channels?: number;
    bitsPerSample?: number;
    durationMs?: number;
    /** WAV only: where the sample bytes start. */
    dataOffset?: number;
    /** WAV only: how many sample bytes are present in the buffer from `dataOffset`. */
    dataLength?: number;
}

/** Refusal of an input before anything is sent; `code` matches the project's documented codes. */
export class AudioFormatError extends Error {
    readonly code = 'INVALID_INPUT' as const;

    constructor(message: string) {
        super(message);
        this.name = 'AudioFormatError';
    }
}

const UNKNOWN: AudioInfo = Object.freeze({ container: 'unknown', codec: 'unknown' });

// ---------------------------------------------------------------------------------------------
// Tables of allowed values
// ---------------------------------------------------------------------------------------------

/** Raw (headerless) formats: name → sample rate and bits per sample. rest.md §1.2, §2.1. */
const RAW_FORMATS: Readonly<Record<string, { rate: 8000 | 16000; bits: number }>> = {
    pcm16k16bit: { rate: 16000, bits: 16 },
    pcm8k16bit: { rate: 8000, bits: 16 },
    ulaw16k8bit: { rate: 16000, bits: 8 },
    ulaw8k8bit: { rate: 8000, bits: 8 },
    alaw16k8bit: { rate: 16000, bits: 8 },
    alaw8k8bit: { rate: 8000, bits: 8 },
    vox8k4bit: { rate: 8000, bits: 4 },
    v3_8k4bit: { rate: 8000, bits: 4 },
};

/** rest.md §1.2 (short-audio over HTTP). */
export const SHORT_AUDIO_FORMATS = [
    'pcm16k16bit',
    'pcm8k16bit',
    'ulaw16k8bit',
    'ulaw8k8bit',
    'alaw16k8bit',
    'alaw8k8bit',
    'mp3',
    'aac',
    'wav',
    'amr',
    'amrwb',
    'auto',
] as const;

/** rest.md §3.1 (flash). */
export const FLASH_FORMATS = ['wav', 'mp3', 'm4a', 'aac', 'opus'] as const;

/** rest.md §2.1 (transcriber jobs); `audio_format` is optional there. */
export const TRANSCRIBER_FORMATS = [
    'auto',
    'pcm16k16bit',
    'pcm8k16bit',
    'ulaw16k8bit',
    'ulaw8k8bit',
    'alaw16k8bit',
    'alaw8k8bit',
    'vox8k4bit',
    'v3_8k4bit',
] as const;

/** websocket.md §1.3 (real-time ASR): raw mono samples only. */
export const RASR_FORMATS = [
    'pcm16k16bit',
    'pcm8k16bit',
    'ulaw16k8bit',
    'ulaw8k8bit',
    'alaw16k8bit',
    'alaw8k8bit',
] as const;

export const AUDIO_FORMATS: Readonly<Record<AsrApi, readonly string[]>> = {
    'short-audio': SHORT_AUDIO_FORMATS,
    flash: FLASH_FORMATS,
    transcriber: TRANSCRIBER_FORMATS,
    rasr: RASR_FORMATS,
};

/** rest.md §1.3. */
export const SHORT_AUDIO_PROPERTIES = [
    'chinese_8k_common',
    'chinese_16k_common',
    'chinese_16k_general',
    'chinese_16k_travel',
    'sichuan_16k_common',
    'cantonese_16k_common',
    'shanghai_16k_common',
    'english_8k_common',
    'english_16k_common',
] as const;

/** rest.md §3.1. */
export const FLASH_PROPERTIES = ['chinese_8k_common', 'chinese_16k_conversation'] as const;

/** rest.md §2.1. */
export const TRANSCRIBER_PROPERTIES = [
    'chinese_8k_general',
    'chinese_16k_media',
    'chinese_8k_common',
    'chinese_16k_conversation',
    'chinese_8k_bank',
    'chinese_8k_insurance',
    'sichuan_8k_common',
] as const;

/** websocket.md §1.4 (the partly unreadable `english_16k_…` entry is left out). */
export const RASR_PROPERTIES = [
    'chinese_8k_common',
    'chinese_16k_common',
    'chinese_8k_general',
    'chinese_16k_general',
    'sichuan_16k_common',
    'cantonese_16k_common',
    'shanghai_16k_common',
    'chinese_16k_court',
    'chinese_16k_it',
] as const;

export const ASR_PROPERTIES: Readonly<Record<AsrApi, readonly string[]>> = {
    'short-audio': SHORT_AUDIO_PROPERTIES,
    flash: FLASH_PROPERTIES,
    transcriber: TRANSCRIBER_PROPERTIES,
    rasr: RASR_PROPERTIES,
};

/**
 * Models that take only some of their API's formats (rest.md §1.3, websocket.md §1.4); every other
 * model takes all formats of its API.
 */
export const PROPERTY_FORMATS: Readonly<Record<AsrApi, Readonly<Record<string, readonly string[]>>>> = {
    'short-audio': {
        chinese_16k_general: ['pcm16k16bit', 'mp3', 'wav'],
        chinese_16k_travel: ['pcm16k16bit', 'mp3', 'wav', 'aac'],
        english_8k_common: ['wav'],
        english_16k_common: ['wav'],
    },
    flash: {},
    transcriber: {},
    rasr: {
        chinese_8k_general: ['pcm8k16bit', 'alaw8k8bit', 'ulaw8k8bit'],
    },
};

export type TtsSampleRate = '8000' | '16000';

export interface TtsVoice {
    /** the `config.property` value */
    readonly property: string;
    /** display name as the service documents it */
    readonly name: string;
    /** premium voices are billed per 50 characters */
    readonly premium: boolean;
    readonly sampleRates: readonly TtsSampleRate[];
    /** premium voices do not support `pitch` (rest.md §4.1) */
    readonly pitch: boolean;
    /** accepts SSML in `text` (rest.md §4.4) */
    readonly ssml: boolean;
}

const BOTH_RATES: readonly TtsSampleRate[] = ['8000', '16000'];
const ONLY_16K: readonly TtsSampleRate[] = ['16000'];

function commonVoice(property: string, name: string): TtsVoice {
    return { property, name, premium: false, sampleRates: BOTH_RATES, pitch: true, ssml: false };
}

function premiumVoice(property: string, name: string, opts: { only16k?: boolean; ssml?: boolean } = {}): TtsVoice {
    return {
        property,
        name,
        premium: true,
        sampleRates: opts.only16k ? ONLY_16K : BOTH_RATES,
        pitch: false,
        ssml: opts.ssml === true,
    };
}

/** rest.md §4.3 (union of all sources, as the service accepts it). */
export const TTS_VOICES: readonly TtsVoice[] = [
    commonVoice('chinese_xiaoqi_common', '小琪'),
    commonVoice('chinese_xiaoyu_common', '小宇'),
    commonVoice('chinese_xiaoyan_common', '小燕'),
    commonVoice('chinese_xiaowang_common', '小王'),
    commonVoice('chinese_xiaowen_common', '小雯'),
    commonVoice('chinese_xiaojing_common', '小婧'),
    commonVoice('chinese_xiaosong_common', '小宋'),
    commonVoice('chinese_xiaoxia_common', '小夏'),
    commonVoice('chinese_xiaodai_common', '小呆'),
    commonVoice('chinese_xiaoqian_common', '小倩'),
    commonVoice('english_cameal_common', 'cameal'),
    premiumVoice('chinese_huaxiaoxia_common', '华小夏'),
    premiumVoice('chinese_huaxiaogang_common', '华晓刚'),
    premiumVoice('chinese_huaxiaolu_common', '华小璐'),
    premiumVoice('chinese_huaxiaoshu_common', '华小舒'),
    premiumVoice('chinese_huaxiaowei_common', '华小唯'),
    premiumVoice('chinese_huaxiaoliang_common', '华小靓'),
    premiumVoice('chinese_huaxiaodong_common', '华晓东'),
    premiumVoice('chinese_huaxiaoyan_common', '华小颜'),
    premiumVoice('chinese_huaxiaoxuan_common', '华小萱'),
    premiumVoice('chinese_huaxiaowen_common', '华小雯'),
    premiumVoice('chinese_huaxiaoyang_common', '华晓阳'),
    premiumVoice('chinese_huaxiaomin_common', '华小闽', { ssml: true }),
    premiumVoice('chinese_huanvxia_literature', '华女侠', { only16k: true }),
    premiumVoice('chinese_huaxiaoxuan_literature', '华晓悬', { only16k: true }),
    premiumVoice('chinese_huaxiaomei_common', '华小美', { ssml: true }),
    premiumVoice('chinese_huaxiaofei_common', '华小飞', { ssml: true }),
    premiumVoice('chinese_huaxiaolong_common', '华小龙', { only16k: true, ssml: true }),
    premiumVoice('chinese_huaxiaorui_common', '华小蕊', { only16k: true, ssml: true }),
    premiumVoice('chinese_huaxiaoru_common', '华小汝'),
    premiumVoice('chinese_huaxiaohan_common', '华小涵'),
    premiumVoice('chinese_huaxiaoning_common', '华小宁'),
    premiumVoice('chinese_huaxiaozhen_common', '华小珍'),
    premiumVoice('chinese_huaxiaoman_common', '华小曼'),
    premiumVoice('chinese_huaxiaofang_common', '华小芳'),
    premiumVoice('chinese_huaxiaojun_common', '华小筠'),
    premiumVoice('chinese_huaxiaohe_common', '华小荷', { ssml: true }),
    premiumVoice('chinese_huaxiaoye_common', '华小叶', { ssml: true }),
    premiumVoice('chinese_huaxiaoxue_common', '华小雪', { ssml: true }),
    premiumVoice('chinese_huaxiaojiao_common', '华小娇', { ssml: true }),
    premiumVoice('chinese_huaxiaohui_common', '华小辉', { ssml: true }),
    premiumVoice('chinese_huaxiaokang_common', '华小康', { ssml: true }),
    premiumVoice('chinese_huaxiaokun_common', '华小坤', { ssml: true }),
    premiumVoice('chinese_huaxiaoquan_common', '华小泉', { ssml: true }),
    premiumVoice('english_alvin_common', 'alvin'),
    premiumVoice('english_amy_common', 'amy'),
];

export const TTS_PROPERTIES: readonly string[] = TTS_VOICES.map((v) => v.property);
export const TTS_DEFAULT_VOICE = 'chinese_xiaoyan_common';
export const TTS_AUDIO_FORMATS = ['wav', 'mp3', 'pcm'] as const;
export const TTS_DEFAULT_AUDIO_FORMAT = 'wav';
export const TTS_SAMPLE_RATES: readonly TtsSampleRate[] = BOTH_RATES;
export const TTS_DEFAULT_SAMPLE_RATE: TtsSampleRate = '8000';
/** Characters per REST request (rest.md §4.1, §4.5). */
export const TTS_MAX_TEXT_LENGTH = 500;

export interface IntRange {
    readonly min: number;
    readonly max: number;
    readonly default: number;
}

export const TTS_SPEED_RANGE: IntRange = { min: -500, max: 500, default: 0 };
export const TTS_PITCH_RANGE: IntRange = { min: -500, max: 500, default: 0 };
export const TTS_VOLUME_RANGE: IntRange = { min: 0, max: 100, default: 50 };

export function findTtsVoice(property: string): TtsVoice | undefined {
    return TTS_VOICES.find((v) => v.property === property);
}

// ---------------------------------------------------------------------------------------------
// Rates of models and raw formats
// ---------------------------------------------------------------------------------------------

/** The rate a model expects, from the `_8k_` / `_16k_` in its name. */
export function sampleRateOfProperty(property: string): 8000 | 16000 | undefined {
    const m = /(?:^|_)(8|16)k(?:_|$)/.exec(property);
    if (!m) return undefined;
    return m[1] === '8' ? 8000 : 16000;
}

/** The rate implied by an `audio_format` value (raw formats and AMR), else undefined. */
export function rateOfAudioFormat(format: string): 8000 | 16000 | undefined {
    if (format === 'amr') return 8000;
    if (format === 'amrwb') return 16000;
    return Object.hasOwn(RAW_FORMATS, format) ? RAW_FORMATS[format].rate : undefined;
}

/** Bytes per second of a raw mono format (`pcm16k16bit` → 32000), else undefined. */
export function bytesPerSecond(rawFormat: string): number | undefined {
    if (!Object.hasOwn(RAW_FORMATS, rawFormat)) return undefined;
    const f = RAW_FORMATS[rawFormat];
    return (f.rate * f.bits) / 8;
}

export function isRawAudioFormat(format: string): boolean {
    return Object.hasOwn(RAW_FORMATS, format);
}

/** Refuses audio whose known rate differs from the rate in the model name. */
export function checkRate(property: string, info: Pick<AudioInfo, 'sampleRate'>): void {
    const expected = sampleRateOfProperty(property);
    const actual = info.sampleRate;
    if (expected === undefined || actual === undefined || actual === expected) return;
    throw new AudioFormatError(`audio is ${actual} Hz but property ${property} expects ${expected} Hz`);
}

/** Refuses a `property`/`audio_format` pair the API does not take (rest.md §1.3, websocket.md §1.4). */
export function checkPropertyFormat(api: AsrApi, property: string, audioFormat: string): void {
    const props = ASR_PROPERTIES[api];
    if (!props.includes(property)) {
        throw new AudioFormatError(`property ${property} is not available for ${API_LABEL[api]}`);
    }
    if (!AUDIO_FORMATS[api].includes(audioFormat)) {
        throw new AudioFormatError(`audio_format ${audioFormat} is not available for ${API_LABEL[api]}`);
    }
    const restricted = PROPERTY_FORMATS[api][property];
    if (restricted && audioFormat !== 'auto' && !restricted.includes(audioFormat)) {
        throw new AudioFormatError(
            `property ${property} accepts audio_format ${restricted.join(', ')} only, not ${audioFormat}`,
        );
    }
    const impliedRate = rateOfAudioFormat(audioFormat);
    if (impliedRate !== undefined) checkRate(property, { sampleRate: impliedRate });
}

// ---------------------------------------------------------------------------------------------
// Byte helpers (all bounds-checked)
// ---------------------------------------------------------------------------------------------

function has(buf: Buffer, off: number, len: number): boolean {
    return off >= 0 && len >= 0 && off + len <= buf.length;
}

function ascii(buf: Buffer, off: number, len: number): string {
    return has(buf, off, len) ? buf.toString('latin1', off, off + len) : '';
}

function u16le(buf: Buffer, off: number): number | undefined {
    return has(buf, off, 2) ? buf.readUInt16LE(off) : undefined;
}

function u32le(buf: Buffer, off: number): number | undefined {
    return has(buf, off, 4) ? buf.readUInt32LE(off) : undefined;
}

function u32be(buf: Buffer, off: number): number | undefined {
    return has(buf, off, 4) ? buf.readUInt32BE(off) : undefined;
}

/** Little-endian 64-bit as a JS number (exact below 2^53, which covers any real size). */
function u64le(buf: Buffer, off: number): number | undefined {
    if (!has(buf, off, 8)) return undefined;
    return buf.readUInt32LE(off + 4) * 2 ** 32 + buf.readUInt32LE(off);
}

function u64be(buf: Buffer, off: number): number | undefined {
    if (!has(buf, off, 8)) return undefined;
    return buf.readUInt32BE(off) * 2 ** 32 + buf.readUInt32BE(off + 4);
}

/** A GUID in its textual form → the mixed-endian bytes WAV and ASF store. */
function guidBytes(text: string): Buffer {
    const hex = text.replace(/-/g, '');
    const b = Buffer.from(hex, 'hex');
    b.subarray(0, 4).reverse();
    b.subarray(4, 6).reverse();
    b.subarray(6, 8).reverse();
    return b;
}

function guidAt(buf: Buffer, off: number, guid: Buffer): boolean {
    return has(buf, off, 16) && buf.compare(guid, 0, 16, off, off + 16) === 0;
}

function msOf(samples: number, rate: number): number | undefined {
    return rate > 0 && Number.isFinite(samples) && samples >= 0 ? Math.round((samples * 1000) / rate) : undefined;
}

/** Copies only the defined fields, so results compare cleanly with deepEqual. */
function info(fields: AudioInfo): AudioInfo {
    const out: AudioInfo = { container: fields.container, codec: fields.codec };
    for (const k of ['sampleRate', 'channels', 'bitsPerSample', 'durationMs', 'dataOffset', 'dataLength'] as const) {
        const v = fields[k];
        if (v !== undefined && Number.isFinite(v)) out[k] = v;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// WAV
// ---------------------------------------------------------------------------------------------

export type WavCodec = 'pcm' | 'float' | 'alaw' | 'ulaw' | 'ms-adpcm' | 'ima-adpcm' | 'mp3' | 'unknown';

export interface WavHeader {
    codec: WavCodec;
    /** WAVE format tag; for WAVE_FORMAT_EXTENSIBLE, the tag of the subformat. */
    formatTag: number;
    sampleRate: number;
    channels: number;
    bitsPerSample: number;
    blockAlign: number;
    byteRate: number;
    /** offset of the first sample byte */
    dataOffset: number;
    /** size the header declares; undefined when a streaming writer left it open (0 or 0xFFFFFFFF) */
    declaredDataLength?: number;
}

const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
const KSDATAFORMAT_SUFFIX = guidBytes('00000000-0000-0010-8000-00aa00389b71').subarray(4);

const WAV_CODECS: Readonly<Record<number, WavCodec>> = {
    1: 'pcm',
    2: 'ms-adpcm',
    3: 'float',
    6: 'alaw',
    7: 'ulaw',
    17: 'ima-adpcm',
    85: 'mp3',
};

interface WavFmt {
    formatTag: number;
    channels: number;
    sampleRate: number;
    byteRate: number;
    blockAlign: number;
    bitsPerSample: number;
}

function parseFmtChunk(buf: Buffer, off: number, size: number): WavFmt | undefined {
    if (size < 14 || !has(buf, off, 14)) return undefined;
    let formatTag = buf.readUInt16LE(off);
    const bitsPerSample = size >= 16 ? (u16le(buf, off + 14) ?? 0) : 0;
    // WAVE_FORMAT_EXTENSIBLE keeps the real format code in the first two bytes of its subformat GUID.
    if (formatTag === WAVE_FORMAT_EXTENSIBLE && size >= 40 && has(buf, off + 24, 16)) {
        const sub = off + 24;
        formatTag = buf.compare(KSDATAFORMAT_SUFFIX, 0, 12, sub + 4, sub + 16) === 0 ? buf.readUInt16LE(sub) : 0;
    }
    return {
        formatTag,
        channels: buf.readUInt16LE(off + 2),
        sampleRate: buf.readUInt32LE(off + 4),
        byteRate: buf.readUInt32LE(off + 8),
        blockAlign: buf.readUInt16LE(off + 12),
        bitsPerSample,
    };
}

/** True when the buffer starts like a WAV file (RIFF/RF64 … WAVE). */
export function isWavStart(buf: Buffer): boolean {
    const riff = ascii(buf, 0, 4);
    return (riff === 'RIFF' || riff === 'RF64') && ascii(buf, 8, 4) === 'WAVE';
}

interface WavScan {
    fmt?: WavFmt;
    dataOffset?: number;
    declared?: number;
}

/** RF64 keeps the real 64-bit data size in its `ds64` chunk. */
function rf64DataSize(buf: Buffer): number | undefined {
    if (ascii(buf, 0, 4) !== 'RF64' || ascii(buf, 12, 4) !== 'ds64') return undefined;
    return u64le(buf, 28);
}

function scanWavChunks(buf: Buffer): WavScan {
    const scan: WavScan = {};
    let off = 12;
    while (has(buf, off, 8)) {
        const id = ascii(buf, off, 4);
        const size = buf.readUInt32LE(off + 4);
        const body = off + 8;
        if (id === 'fmt ') {
            scan.fmt = parseFmtChunk(buf, body, size);
        } else if (id === 'data') {
            scan.dataOffset = body;
            const open = size === 0 || size === 0xffffffff;
            scan.declared = open ? rf64DataSize(buf) : size;
            // The data chunk usually runs to the end; only look further when fmt is still missing.
            if (scan.fmt || open) return scan;
        }
        // Chunks are word-aligned: an odd size is followed by one pad byte.
        off = body + size + (size & 1);
    }
    return scan;
}

/**
 * Reads a WAV header from the start of `buf` (typically the first chunk of a stream: the data may
 * continue in later chunks). Undefined when the bytes are not a WAV header or the header is cut
 * before the start of the `data` chunk.
 */
export function parseWavHeader(buf: Buffer): WavHeader | undefined {
    if (!isWavStart(buf)) return undefined;
    const { fmt, dataOffset, declared } = scanWavChunks(buf);
    if (!fmt || dataOffset === undefined) return undefined;
    const header: WavHeader = {
        codec: WAV_CODECS[fmt.formatTag] ?? 'unknown',
        formatTag: fmt.formatTag,
        sampleRate: fmt.sampleRate,
        channels: fmt.channels,
        bitsPerSample: fmt.bitsPerSample,
        blockAlign: fmt.blockAlign,
        byteRate: fmt.byteRate,
        dataOffset,
    };
    if (declared !== undefined) header.declaredDataLength = declared;
    return header;
}

function sniffWav(buf: Buffer): AudioInfo | undefined {
    if (!isWavStart(buf)) return undefined;
    const h = parseWavHeader(buf);
    if (!h) {
        // A WAV whose header is cut short: say what we can.
        const { fmt } = scanWavChunks(buf);
        if (!fmt) return { container: 'wav', codec: 'unknown' };
        return info({
            container: 'wav',
            codec: WAV_CODECS[fmt.formatTag] ?? 'unknown',
            sampleRate: fmt.sampleRate,
            channels: fmt.channels,
            bitsPerSample: fmt.bitsPerSample,
        });
    }
    const available = Math.max(0, buf.length - h.dataOffset);
    const dataLength = h.declaredDataLength === undefined ? available : Math.min(h.declaredDataLength, available);
    const byteRate = wavByteRate(h);
    return info({
        container: 'wav',
        codec: h.codec,
        sampleRate: h.sampleRate,
        channels: h.channels,
        bitsPerSample: h.bitsPerSample,
        durationMs: byteRate > 0 ? Math.round((dataLength * 1000) / byteRate) : undefined,
        dataOffset: h.dataOffset,
        dataLength,
    });
}

/** For linear and G.711 formats the byte rate follows from the layout; trust the header otherwise. */
function wavByteRate(h: WavHeader): number {
    const linear = h.codec === 'pcm' || h.codec === 'float' || h.codec === 'alaw' || h.codec === 'ulaw';
    if (linear && h.channels > 0 && h.bitsPerSample > 0) {
        return h.sampleRate * h.channels * Math.ceil(h.bitsPerSample / 8);
    }
    return h.byteRate;
}

// ---------------------------------------------------------------------------------------------
// ID3v2 (in front of MP3, ADTS and sometimes FLAC)
// ---------------------------------------------------------------------------------------------

/** Offset after any ID3v2 tags at the start of the buffer. */
function skipId3(buf: Buffer): number {
    let off = 0;
    while (ascii(buf, off, 3) === 'ID3' && has(buf, off, 10)) {
        const s = [buf[off + 6], buf[off + 7], buf[off + 8], buf[off + 9]];
        if (s.some((b) => b & 0x80)) break; // not synchsafe: not a tag
        const size = (s[0] << 21) | (s[1] << 14) | (s[2] << 7) | s[3];
        const footer = buf[off + 5] & 0x10 ? 10 : 0;
        off += 10 + size + footer;
    }
    return off;
}

// ---------------------------------------------------------------------------------------------
// MP3 (MPEG 1/2/2.5 layer III)
// ---------------------------------------------------------------------------------------------

interface MpegFrame {
    version: 1 | 2 | 2.5;
    sampleRate: number;
    bitrateKbps: number;
    channels: number;
    length: number;
    samples: number;
}

const MPEG1_L3_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_L3_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const MPEG_RATES: Readonly<Record<string, readonly number[]>> = {
    '1': [44100, 48000, 32000],
    '2': [22050, 24000, 16000],
    '2.5': [11025, 12000, 8000],
};

function mpegFrameAt(buf: Buffer, off: number): MpegFrame | undefined {
    if (!has(buf, off, 4) || buf[off] !== 0xff || (buf[off + 1] & 0xe0) !== 0xe0) return undefined;
    const b1 = buf[off + 1];
    const b2 = buf[off + 2];
    const versionBits = (b1 >> 3) & 3;
    if (versionBits === 1 || ((b1 >> 1) & 3) !== 1) return undefined; // reserved version / not layer III
    const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
    const bitrateIndex = b2 >> 4;
    const rateIndex = (b2 >> 2) & 3;
    if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined; // free / bad / reserved
    const bitrateKbps = (version === 1 ? MPEG1_L3_KBPS : MPEG2_L3_KBPS)[bitrateIndex];
    const sampleRate = MPEG_RATES[String(version)][rateIndex];
    const samples = version === 1 ? 1152 : 576;
    const padding = (b2 >> 1) & 1;
    const length = Math.floor(((samples / 8) * bitrateKbps * 1000) / sampleRate) + padding;
    const channels = buf[off + 3] >> 6 === 3 ? 1 : 2;
    return { version, sampleRate, bitrateKbps, channels, length, samples };
}

function sameStream(a: MpegFrame, b: MpegFrame): boolean {
    return a.version === b.version && a.sampleRate === b.sampleRate;
}

/** A frame header that is followed by another one (or by the end of the buffer) is trusted. */
function confirmedMpegFrame(buf: Buffer, off: number): MpegFrame | undefined {
    const f = mpegFrameAt(buf, off);
    if (!f) return undefined;
    const next = off + f.length;
    if (next + 4 > buf.length) return f;
    const g = mpegFrameAt(buf, next);
    return g && sameStream(f, g) ? f : undefined;
}

/** Frame count from a Xing/Info header in the first frame, if any. */
function xingFrames(buf: Buffer, off: number, f: MpegFrame): number | undefined {
    const sideInfo = f.version === 1 ? (f.channels === 1 ? 17 : 32) : f.channels === 1 ? 9 : 17;
    const x = off + 4 + sideInfo;
    const tag = ascii(buf, x, 4);
    if (tag !== 'Xing' && tag !== 'Info') return undefined;
    const flags = u32be(buf, x + 4);
    return flags !== undefined && flags & 1 ? u32be(buf, x + 8) : undefined;
}

/** Walks the frames; the count is exact when the walk reaches the end of the buffer. */
function countMpegFrames(buf: Buffer, start: number, first: MpegFrame): { frames: number; complete: boolean } {
    let off = start;
    let frames = 0;
    while (off < buf.length) {
        const f = mpegFrameAt(buf, off);
        if (!f || !sameStream(first, f)) {
            // An ID3v1 tag may close the file.
            return { frames, complete: buf.length - off === 128 && ascii(buf, off, 3) === 'TAG' };
        }
        frames++;
        off += f.length;
    }
    return { frames, complete: true };
}

const MPEG_SEARCH_WINDOW = 64 * 1024;

function sniffMp3(buf: Buffer, start: number): AudioInfo | undefined {
    // Without an ID3 tag the stream must start at once; after a tag some padding is tolerated.
    const limit = start > 0 ? Math.min(buf.length, start + MPEG_SEARCH_WINDOW) : 1;
    for (let off = start; off < limit; off++) {
        const f = confirmedMpegFrame(buf, off);
        if (f) return mp3Info(buf, off, f);
    }
    return undefined;
}

function mp3Info(buf: Buffer, off: number, f: MpegFrame): AudioInfo {
    const xing = xingFrames(buf, off, f);
    let durationMs: number | undefined;
    if (xing !== undefined) {
        durationMs = msOf(xing * f.samples, f.sampleRate);
    } else {
        const walk = countMpegFrames(buf, off, f);
        durationMs = walk.complete
            ? msOf(walk.frames * f.samples, f.sampleRate)
            : Math.round(((buf.length - off) * 8) / f.bitrateKbps);
    }
    return info({ container: 'mp3', codec: 'mp3', sampleRate: f.sampleRate, channels: f.channels, durationMs });
}

// ---------------------------------------------------------------------------------------------
// AAC ADTS
// ---------------------------------------------------------------------------------------------

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

interface AdtsFrame {
    sampleRate: number;
    channels: number;
    length: number;
    samples: number;
}

function adtsFrameAt(buf: Buffer, off: number): AdtsFrame | undefined {
    if (!has(buf, off, 7) || buf[off] !== 0xff || (buf[off + 1] & 0xf6) !== 0xf0) return undefined;
    const rateIndex = (buf[off + 2] >> 2) & 0xf;
    const chCfg = ((buf[off + 2] & 1) << 2) | (buf[off + 3] >> 6);
    const length = ((buf[off + 3] & 3) << 11) | (buf[off + 4] << 3) | (buf[off + 5] >> 5);
    const headerLength = buf[off + 1] & 1 ? 7 : 9;
    if (rateIndex >= AAC_RATES.length || length < headerLength) return undefined;
    return {
        sampleRate: AAC_RATES[rateIndex],
        channels: chCfg === 7 ? 8 : chCfg,
        length,
        samples: ((buf[off + 6] & 3) + 1) * 1024,
    };
}

function sniffAdts(buf: Buffer, start: number): AudioInfo | undefined {
    const f = adtsFrameAt(buf, start);
    if (!f) return undefined;
    const next = start + f.length;
    if (next + 7 <= buf.length) {
        const g = adtsFrameAt(buf, next);
        if (!g || g.sampleRate !== f.sampleRate) return undefined;
    }
    let off = start;
    let samples = 0;
    let complete = true;
    while (off < buf.length) {
        const g = adtsFrameAt(buf, off);
        if (!g) {
            complete = false;
            break;
        }
        samples += g.samples;
        off += g.length;
    }
    return info({
        container: 'aac',
        codec: 'aac',
        sampleRate: f.sampleRate,
        // Channel configuration 0 means "defined in the stream": unknown here.
        channels: f.channels > 0 ? f.channels : undefined,
        durationMs: complete ? msOf(samples, f.sampleRate) : undefined,
    });
}

// ---------------------------------------------------------------------------------------------
// OGG (Opus, Vorbis, Speex, FLAC)
// ---------------------------------------------------------------------------------------------

interface OggPage {
    granule: number | undefined;
    serial: number;
    bodyOffset: number;
    bodyLength: number;
}

function oggPageAt(buf: Buffer, off: number): OggPage | undefined {
    if (ascii(buf, off, 4) !== 'OggS' || !has(buf, off, 27) || buf[off + 4] !== 0) return undefined;
    const segments = buf[off + 26];
    if (!has(buf, off + 27, segments)) return undefined;
    let bodyLength = 0;
    for (let i = 0; i < segments; i++) bodyLength += buf[off + 27 + i];
    const hi = buf.readUInt32LE(off + 10);
    const lo = buf.readUInt32LE(off + 6);
    // -1 means "no packet ends on this page".
    const granule = hi === 0xffffffff && lo === 0xffffffff ? undefined : hi * 2 ** 32 + lo;
    return { granule, serial: buf.readUInt32LE(off + 14), bodyOffset: off + 27 + segments, bodyLength };
}

/** The granule position of the last page of the same stream (the first page holds headers only). */
function lastGranule(buf: Buffer, serial: number): number | undefined {
    for (let off = buf.lastIndexOf('OggS'); off > 0; off = buf.lastIndexOf('OggS', off - 1)) {
        const page = oggPageAt(buf, off);
        if (page && page.serial === serial && page.granule !== undefined) return page.granule;
    }
    return undefined;
}

function sniffOgg(buf: Buffer): AudioInfo | undefined {
    const page = oggPageAt(buf, 0);
    if (!page) return undefined;
    const p = page.bodyOffset;
    const granule = lastGranule(buf, page.serial);
    if (ascii(buf, p, 8) === 'OpusHead') {
        const rate = u32le(buf, p + 12);
        const preSkip = u16le(buf, p + 10) ?? 0;
        return info({
            container: 'ogg',
            codec: 'opus',
            sampleRate: rate ? rate : undefined, // 0 = input rate not recorded
            channels: has(buf, p + 9, 1) ? buf[p + 9] : undefined,
            // Opus granule positions always count 48 kHz samples.
            durationMs: granule !== undefined ? msOf(Math.max(0, granule - preSkip), 48000) : undefined,
        });
    }
    if (ascii(buf, p, 7) === '\x01vorbis') {
        const rate = u32le(buf, p + 12);
        return oggInfo('vorbis', rate, has(buf, p + 11, 1) ? buf[p + 11] : undefined, granule);
    }
    if (ascii(buf, p, 8) === 'Speex   ') {
        return oggInfo('speex', u32le(buf, p + 36), u32le(buf, p + 48), granule);
    }
    if (ascii(buf, p, 5) === '\x7fFLAC' && ascii(buf, p + 9, 4) === 'fLaC') {
        const si = streamInfoAt(buf, p + 13);
        return oggInfo('flac', si?.sampleRate, si?.channels, granule, si?.bitsPerSample);
    }
    return { container: 'ogg', codec: 'unknown' };
}

function oggInfo(
    codec: AudioCodec,
    rate: number | undefined,
    channels: number | undefined,
    granule: number | undefined,
    bitsPerSample?: number,
): AudioInfo {
    return info({
        container: 'ogg',
        codec,
        sampleRate: rate ? rate : undefined,
        channels: channels ? channels : undefined,
        bitsPerSample,
        durationMs: granule !== undefined && rate ? msOf(granule, rate) : undefined,
    });
}

// ---------------------------------------------------------------------------------------------
// FLAC
// ---------------------------------------------------------------------------------------------

interface StreamInfo {
    sampleRate: number;
    channels: number;
    bitsPerSample: number;
    totalSamples: number;
}

/** STREAMINFO block header (4 bytes) + 34 bytes of body at `off`. */
function streamInfoAt(buf: Buffer, off: number): StreamInfo | undefined {
    if (!has(buf, off, 4 + 18) || (buf[off] & 0x7f) !== 0) return undefined;
    const d = off + 4;
    const sampleRate = (buf[d + 10] << 12) | (buf[d + 11] << 4) | (buf[d + 12] >> 4);
    const channels = ((buf[d + 12] >> 1) & 7) + 1;
    const bitsPerSample = (((buf[d + 12] & 1) << 4) | (buf[d + 13] >> 4)) + 1;
    const totalSamples = (buf[d + 13] & 0xf) * 2 ** 32 + buf.readUInt32BE(d + 14);
    return { sampleRate, channels, bitsPerSample, totalSamples };
}

function sniffFlac(buf: Buffer, start: number): AudioInfo | undefined {
    if (ascii(buf, start, 4) !== 'fLaC') return undefined;
    const si = streamInfoAt(buf, start + 4);
    if (!si) return { container: 'flac', codec: 'flac' };
    return info({
        container: 'flac',
        codec: 'flac',
        sampleRate: si.sampleRate || undefined,
        channels: si.channels,
        bitsPerSample: si.bitsPerSample,
        // 0 total samples means "unknown".
        durationMs: si.totalSamples > 0 ? msOf(si.totalSamples, si.sampleRate) : undefined,
    });
}

// ---------------------------------------------------------------------------------------------
// AMR
// ---------------------------------------------------------------------------------------------

// Frame sizes in bytes including the one-byte header, indexed by frame type (RFC 4867 §5.3).
const AMR_NB_FRAME = [13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1];
const AMR_WB_FRAME = [18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1];

function sniffAmr(buf: Buffer): AudioInfo | undefined {
    const wb = ascii(buf, 0, 9) === '#!AMR-WB\n';
    if (!wb && ascii(buf, 0, 6) !== '#!AMR\n') return undefined;
    const sizes = wb ? AMR_WB_FRAME : AMR_NB_FRAME;
    let off = wb ? 9 : 6;
    let frames = 0;
    while (off < buf.length) {
        off += sizes[(buf[off] >> 3) & 0xf];
        frames++;
    }
    return {
        container: 'amr',
        codec: wb ? 'amr-wb' : 'amr-nb',
        sampleRate: wb ? 16000 : 8000,
        channels: 1,
        durationMs: frames * 20, // 20 ms per frame
    };
}

// ---------------------------------------------------------------------------------------------
// MP4 / M4A (ISO base media)
// ---------------------------------------------------------------------------------------------

interface Box {
    type: string;
    body: number;
    end: number;
}

function boxes(buf: Buffer, start: number, end: number): Box[] {
    const out: Box[] = [];
    let off = start;
    while (off + 8 <= end && out.length < 1024) {
        let size = buf.readUInt32BE(off);
        const type = ascii(buf, off, 4 + 4).slice(4);
        let body = off + 8;
        if (size === 1) {
            size = u64be(buf, off + 8) ?? 0;
            body += 8;
        } else if (size === 0) {
            size = end - off; // box runs to the end
        }
        if (size < body - off) break;
        out.push({ type, body, end: Math.min(off + size, end) });
        off += size;
    }
    return out;
}

function child(buf: Buffer, parent: Box, type: string): Box | undefined {
    return boxes(buf, parent.body, parent.end).find((b) => b.type === type);
}

function path(buf: Buffer, from: Box, types: readonly string[]): Box | undefined {
    let box: Box | undefined = from;
    for (const t of types) {
        if (!box) return undefined;
        box = child(buf, box, t);
    }
    return box;
}

interface Mp4Audio {
    codec: AudioCodec;
    sampleRate?: number;
    channels?: number;
    bitsPerSample?: number;
    durationMs?: number;
}

const MP4_CODECS: Readonly<Record<string, AudioCodec>> = {
    mp4a: 'aac',
    alac: 'alac',
    Opus: 'opus',
    fLaC: 'flac',
    samr: 'amr-nb',
    sawb: 'amr-wb',
    '.mp3': 'mp3',
};

/** Reads an MPEG-4 descriptor length (up to four 7-bit groups). */
function descriptorAt(buf: Buffer, off: number, end: number): { tag: number; body: number; len: number } | undefined {
    if (off + 2 > end) return undefined;
    let len = 0;
    let p = off + 1;
    for (let i = 0; i < 4 && p < end; i++, p++) {
        len = (len << 7) | (buf[p] & 0x7f);
        if (!(buf[p] & 0x80)) return { tag: buf[off], body: p + 1, len };
    }
    return undefined;
}

/** AudioSpecificConfig from an `esds` box: the real rate/channels of an AAC track. */
function parseEsds(buf: Buffer, esds: Box): { codec: AudioCodec; sampleRate?: number; channels?: number } {
    const es = descriptorAt(buf, esds.body + 4, esds.end);
    if (es?.tag !== 0x03) return { codec: 'aac' };
    const flags = buf[es.body + 2] ?? 0;
    let p = es.body + 3;
    if (flags & 0x80) p += 2; // streamDependenceFlag
    if (flags & 0x40) p += 1 + (buf[p] ?? 0); // URL_Flag
    if (flags & 0x20) p += 2; // OCRstreamFlag
    const dc = descriptorAt(buf, p, esds.end);
    if (dc?.tag !== 0x04 || !has(buf, dc.body, 13)) return { codec: 'aac' };
    const objectType = buf[dc.body];
    // 0x69 / 0x6B are MPEG-2 / MPEG-1 audio (MP3 in MP4).
    if (objectType === 0x69 || objectType === 0x6b) return { codec: 'mp3' };
    const dsi = descriptorAt(buf, dc.body + 13, esds.end);
    if (dsi?.tag !== 0x05 || !has(buf, dsi.body, 2)) return { codec: 'aac' };
    const asc = buf.readUInt16BE(dsi.body);
    const rateIndex = (asc >> 7) & 0xf;
    const chCfg = (asc >> 3) & 0xf;
    // Index 15 means an explicit 24-bit rate follows; rare enough to leave to the sample entry.
    return {
        codec: 'aac',
        sampleRate: rateIndex < AAC_RATES.length ? AAC_RATES[rateIndex] : undefined,
        channels: chCfg > 0 && chCfg < 7 ? chCfg : chCfg === 7 ? 8 : undefined,
    };
}

function parseSampleEntry(buf: Buffer, stsd: Box): Mp4Audio | undefined {
    const entry = boxes(buf, stsd.body + 8, stsd.end)[0];
    if (!entry) return undefined;
    const codec = MP4_CODECS[entry.type];
    if (!codec) return { codec: 'unknown' };
    const e = entry.body;
    if (!has(buf, e, 28)) return { codec };
    const version = buf.readUInt16BE(e + 8);
    const out: Mp4Audio = {
        codec,
        channels: buf.readUInt16BE(e + 16) || undefined,
        bitsPerSample: buf.readUInt16BE(e + 18) || undefined,
        sampleRate: buf.readUInt16BE(e + 24) || undefined, // integer part of 16.16
    };
    const childStart = e + 28 + (version === 1 ? 16 : version === 2 ? 36 : 0);
    const esds = boxes(buf, childStart, entry.end).find((b) => b.type === 'esds');
    if (esds && codec === 'aac') {
        const asc = parseEsds(buf, esds);
        out.codec = asc.codec;
        out.sampleRate = asc.sampleRate ?? out.sampleRate;
        out.channels = asc.channels ?? out.channels;
    }
    if (out.codec === 'aac' || out.codec === 'mp3') out.bitsPerSample = undefined;
    return out;
}

function mdhdDurationMs(buf: Buffer, mdhd: Box | undefined): number | undefined {
    if (!mdhd || !has(buf, mdhd.body, 4)) return undefined;
    const v1 = buf[mdhd.body] === 1;
    const timescale = u32be(buf, mdhd.body + (v1 ? 20 : 12));
    const duration = v1 ? u64be(buf, mdhd.body + 24) : u32be(buf, mdhd.body + 16);
    if (!timescale || duration === undefined || duration === 0xffffffff) return undefined;
    return msOf(duration, timescale);
}

function sniffMp4(buf: Buffer): AudioInfo | undefined {
    if (ascii(buf, 4, 4) !== 'ftyp') return undefined;
    const top: Box = { type: '', body: 0, end: buf.length };
    const moov = child(buf, top, 'moov');
    const traks = moov ? boxes(buf, moov.body, moov.end).filter((b) => b.type === 'trak') : [];
    for (const trak of traks) {
        const mdia = child(buf, trak, 'mdia');
        if (!mdia) continue;
        const hdlr = child(buf, mdia, 'hdlr');
        if (hdlr && ascii(buf, hdlr.body + 8, 4) !== 'soun') continue;
        const stsd = path(buf, mdia, ['minf', 'stbl', 'stsd']);
        const audio = stsd ? parseSampleEntry(buf, stsd) : undefined;
        if (!audio) continue;
        return info({ container: 'mp4', ...audio, durationMs: mdhdDurationMs(buf, child(buf, mdia, 'mdhd')) });
    }
    return { container: 'mp4', codec: 'unknown' };
}

// ---------------------------------------------------------------------------------------------
// ASF (WMA)
// ---------------------------------------------------------------------------------------------

const ASF_HEADER = guidBytes('75B22630-668E-11CF-A6D9-00AA0062CE6C');
const ASF_FILE_PROPERTIES = guidBytes('8CABDCA1-A947-11CF-8EE4-00C00C205365');
const ASF_STREAM_PROPERTIES = guidBytes('B7DC0791-A9B7-11CF-8EE6-00C00C205365');
const ASF_AUDIO_MEDIA = guidBytes('F8699E40-5B4D-11CF-A8FD-00805F5C442B');

function sniffAsf(buf: Buffer): AudioInfo | undefined {
    if (!guidAt(buf, 0, ASF_HEADER)) return undefined;
    const out: AudioInfo = { container: 'asf', codec: 'wma' };
    const headerEnd = Math.min(buf.length, u64le(buf, 16) ?? 0);
    let off = 30;
    for (let n = 0; off + 24 <= headerEnd && n < 256; n++) {
        const size = u64le(buf, off + 16) ?? 0;
        if (size < 24) break;
        if (guidAt(buf, off, ASF_FILE_PROPERTIES)) {
            const play = u64le(buf, off + 64); // 100 ns units
            const preroll = u64le(buf, off + 80); // ms
            if (play !== undefined && preroll !== undefined) {
                out.durationMs = Math.max(0, Math.round(play / 10000 - preroll));
            }
        } else if (guidAt(buf, off, ASF_STREAM_PROPERTIES) && guidAt(buf, off + 24, ASF_AUDIO_MEDIA)) {
            // WAVEFORMATEX follows the fixed part of the stream properties object.
            const wf = off + 78;
            if (has(buf, wf, 16) && out.sampleRate === undefined) {
                out.channels = buf.readUInt16LE(wf + 2);
                out.sampleRate = buf.readUInt32LE(wf + 4);
                out.bitsPerSample = buf.readUInt16LE(wf + 14) || undefined;
            }
        }
        off += size;
    }
    return info(out);
}

// ---------------------------------------------------------------------------------------------
// sniffAudio
// ---------------------------------------------------------------------------------------------

/** Recognises the container and codec of `buf` from its bytes; never throws. */
export function sniffAudio(buf: Buffer): AudioInfo {
    if (!Buffer.isBuffer(buf) || buf.length < 4) return { ...UNKNOWN };
    const found =
        sniffWav(buf) ??
        sniffAmr(buf) ??
        sniffOgg(buf) ??
        sniffMp4(buf) ??
        sniffAsf(buf) ??
        sniffFlac(buf, 0) ??
        sniffAfterId3(buf);
    return found ?? { ...UNKNOWN };
}

function sniffAfterId3(buf: Buffer): AudioInfo | undefined {
    const start = skipId3(buf);
    return sniffFlac(buf, start) ?? sniffAdts(buf, start) ?? sniffMp3(buf, start);
}

/** Short human description for messages, e.g. "WAV (pcm, 44100 Hz, 2 channels)". */
export function describeAudio(a: AudioInfo): string {
    if (a.container === 'unknown') return 'unrecognised audio';
    const parts: string[] = [a.codec === 'unknown' ? 'unknown codec' : a.codec];
    if (a.bitsPerSample && (a.codec === 'pcm' || a.codec === 'float')) parts[0] += ` ${a.bitsPerSample}-bit`;
    if (a.sampleRate) parts.push(`${a.sampleRate} Hz`);
    if (a.channels) parts.push(a.channels === 1 ? 'mono' : `${a.channels} channels`);
    return `${CONTAINER_LABEL[a.container]} (${parts.join(', ')})`;
}

const CONTAINER_LABEL: Readonly<Record<AudioContainer, string>> = {
    wav: 'WAV',
    mp3: 'MP3',
    ogg: 'OGG',
    aac: 'AAC (ADTS)',
    mp4: 'M4A/MP4',
    amr: 'AMR',
    flac: 'FLAC',
    asf: 'WMA/ASF',
    unknown: 'unknown',
};

/** A file extension matching the bytes; the transcriber's `auto` detection goes by extension. */
export function fileExtensionFor(a: AudioInfo): string {
    switch (a.container) {
        case 'ogg':
            return a.codec === 'opus' ? 'opus' : a.codec === 'speex' ? 'spx' : 'ogg';
        case 'mp4':
            return 'm4a';
        case 'asf':
            return 'wma';
        case 'unknown':
            return 'bin';
        default:
            return a.container;
    }
}

// ---------------------------------------------------------------------------------------------
// chooseAudioFormat
// ---------------------------------------------------------------------------------------------

const API_LABEL: Readonly<Record<AsrApi, string>> = {
    'short-audio': 'short-audio ASR',
    flash: 'flash ASR',
    transcriber: 'recording-file (job) ASR',
    rasr: 'real-time (stream) ASR',
};

const ACCEPTS: Readonly<Record<AsrApi, string>> = {
    'short-audio': 'WAV (16-bit PCM, A-law or µ-law; 8 or 16 kHz), MP3, AAC, AMR, AMR-WB, M4A or WMA, all mono',
    flash: 'WAV, MP3, M4A, AAC or OGG/Opus',
    transcriber: 'WAV (PCM, A-law, µ-law or ADPCM), MP3, M4A, OGG/Opus, OGG/Speex, AMR or WMA',
    rasr: 'mono 16-bit PCM, A-law or µ-law at 8 or 16 kHz (raw, or WAV whose header is stripped)',
};

function refuse(api: AsrApi, a: AudioInfo, why?: string): never {
    if (a.container === 'unknown') {
        throw new AudioFormatError(
            `cannot recognise the audio format from its bytes; set audio_format explicitly (${API_LABEL[api]} accepts ${ACCEPTS[api]})`,
        );
    }
    const reason = why ? `: ${why}` : '';
    throw new AudioFormatError(
        `${API_LABEL[api]} cannot take ${describeAudio(a)}${reason}; it accepts ${ACCEPTS[api]}`,
    );
}

function isG711OrPcm16(a: AudioInfo): boolean {
    return (a.codec === 'pcm' && a.bitsPerSample === 16) || a.codec === 'alaw' || a.codec === 'ulaw';
}

function requireMono(api: AsrApi, a: AudioInfo): void {
    if (a.channels !== undefined && a.channels !== 1) refuse(api, a, 'only mono audio is accepted');
}

function requireTelephonyRate(api: AsrApi, a: AudioInfo): 8000 | 16000 {
    if (a.sampleRate === 8000 || a.sampleRate === 16000) return a.sampleRate;
    return refuse(api, a, 'only 8000 Hz or 16000 Hz is accepted');
}

function chooseShortAudio(a: AudioInfo): string {
    const api = 'short-audio';
    switch (a.container) {
        case 'wav':
            if (!isG711OrPcm16(a)) refuse(api, a, 'WAV must hold 16-bit PCM, A-law or µ-law');
            requireMono(api, a);
            requireTelephonyRate(api, a);
            return 'wav';
        case 'mp3':
            requireMono(api, a);
            return 'mp3';
        case 'aac':
            requireMono(api, a);
            return 'aac';
        case 'amr':
            return a.codec === 'amr-wb' ? 'amrwb' : 'amr';
        case 'mp4':
        case 'asf':
            // No explicit value exists for M4A/WMA: the engine's own detection handles them.
            requireMono(api, a);
            return 'auto';
        default:
            return refuse(api, a);
    }
}

function chooseFlash(a: AudioInfo): string {
    const api = 'flash';
    switch (a.container) {
        case 'wav':
            if (a.codec !== 'pcm' && a.codec !== 'alaw' && a.codec !== 'ulaw') {
                refuse(api, a, 'WAV must hold PCM, A-law or µ-law');
            }
            return 'wav';
        case 'mp3':
            return 'mp3';
        case 'aac':
            return 'aac';
        case 'mp4':
            if (a.codec !== 'aac' && a.codec !== 'unknown') refuse(api, a, 'M4A must hold AAC');
            return 'm4a';
        case 'ogg':
            if (a.codec !== 'opus') refuse(api, a, 'OGG must hold Opus');
            return 'opus';
        default:
            return refuse(api, a);
    }
}

function chooseTranscriber(a: AudioInfo): string {
    const api = 'transcriber';
    const wavOk = ['pcm', 'alaw', 'ulaw', 'ms-adpcm', 'ima-adpcm'];
    const ok =
        (a.container === 'wav' && wavOk.includes(a.codec)) ||
        a.container === 'mp3' ||
        a.container === 'mp4' ||
        a.container === 'amr' ||
        a.container === 'asf' ||
        (a.container === 'ogg' && (a.codec === 'opus' || a.codec === 'speex'));
    return ok ? 'auto' : refuse(api, a);
}

function chooseRasr(a: AudioInfo): string {
    const api = 'rasr';
    if (a.container !== 'wav' || !isG711OrPcm16(a)) return refuse(api, a);
    requireMono(api, a);
    const k = requireTelephonyRate(api, a) === 16000 ? '16k' : '8k';
    return a.codec === 'pcm' ? `pcm${k}16bit` : `${a.codec}${k}8bit`;
}

/**
 * The `audio_format` value an API expects for the sniffed bytes (the node's `audio_format: "auto"`).
 * Throws `AudioFormatError` when the API cannot take the format or the bytes are not recognised.
 */
export function chooseAudioFormat(api: AsrApi, a: AudioInfo): string {
    switch (api) {
        case 'short-audio':
            return chooseShortAudio(a);
        case 'flash':
            return chooseFlash(a);
        case 'transcriber':
            return chooseTranscriber(a);
        case 'rasr':
            return chooseRasr(a);
        default:
            throw new AudioFormatError(`unknown API ${String(api)}`);
    }
}

// ---------------------------------------------------------------------------------------------
// PCM helpers for the streaming node
// ---------------------------------------------------------------------------------------------

/** Little-endian 16-bit samples of `buf` (a trailing odd byte is ignored); always a copy. */
export function int16FromBuffer(buf: Buffer): Int16Array {
    const n = buf.length >> 1;
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) out[i] = buf.readInt16LE(i * 2);
    return out;
}

/** Little-endian bytes of 16-bit samples. */
export function bufferFromInt16(samples: Int16Array): Buffer {
    const out = Buffer.alloc(samples.length * 2);
    for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i], i * 2);
    return out;
}

/** Averages interleaved channels into one; a trailing partial frame is dropped. */
export function downmixToMono(samples: Int16Array, channels: number): Int16Array {
    if (!Number.isInteger(channels) || channels < 1) {
        throw new AudioFormatError(`cannot downmix audio with ${channels} channels`);
    }
    if (channels === 1) return samples.slice();
    const frames = Math.floor(samples.length / channels);
    const out = new Int16Array(frames);
    for (let f = 0; f < frames; f++) {
        let sum = 0;
        const base = f * channels;
        for (let c = 0; c < channels; c++) sum += samples[base + c];
        out[f] = Math.round(sum / channels);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Resampler (windowed-sinc low-pass, polyphase)
// ---------------------------------------------------------------------------------------------

function gcd(a: number, b: number): number {
    let x = a;
    let y = b;
    while (y !== 0) {
        const r = x % y;
        x = y;
        y = r;
    }
    return x;
}

// Zero crossings of the sinc on each side: ~70 dB stop band with the Blackman window.
const SINC_ZERO_CROSSINGS = 16;
// Pass band edge as a fraction of the lower Nyquist frequency; the transition band lies above it.
const CUTOFF = 0.9;
const MAX_PHASES = 4096;

function blackman(x: number): number {
    // x in [-1, 1]
    const t = Math.PI * (x + 1);
    return 0.42 - 0.5 * Math.cos(t) + 0.08 * Math.cos(2 * t);
}

function sinc(x: number): number {
    return x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
}

/**
 * Streaming sample-rate converter for 16-bit mono audio (equal rates pass through untouched). Output sample n sits at input position
 * n·from/to; a low-pass at 0.9 × the lower Nyquist frequency removes what would alias when
 * downsampling (and images when upsampling). Kernels are precomputed per phase.
 */
export class Resampler {
    private readonly step: number; // input samples per output sample, as the ratio from/to
    private readonly num: number; // from / g
    private readonly den: number; // to / g  (= number of phases)
    private readonly half: number; // kernel half-width in input samples
    private readonly kernels: Float64Array[];
    private pending: Float64Array = new Float64Array(0);
    private base = 0; // absolute index of pending[0]
    private consumed = 0; // absolute count of input samples received
    private outIndex = 0;

    constructor(
        readonly fromRate: number,
        readonly toRate: number,
    ) {
        if (!Resampler.supports(fromRate, toRate)) {
            throw new AudioFormatError(`cannot resample from ${fromRate} Hz to ${toRate} Hz`);
        }
        const g = gcd(fromRate, toRate);
        this.num = fromRate / g;
        this.den = toRate / g;
        this.step = fromRate / toRate;
        // Cut-off in cycles per input sample.
        const fc = (CUTOFF * Math.min(fromRate, toRate)) / 2 / fromRate;
        this.half = Math.ceil(SINC_ZERO_CROSSINGS / (2 * fc));
        this.kernels = [];
        for (let p = 0; p < this.den; p++) this.kernels.push(this.kernel(p / this.den, fc));
    }

    static supports(fromRate: number, toRate: number): boolean {
        const ok = (r: number) => Number.isInteger(r) && r >= 1000 && r <= 384000;
        return ok(fromRate) && ok(toRate) && toRate / gcd(fromRate, toRate) <= MAX_PHASES;
    }

    /** Taps for input offsets -half+1 … half relative to floor(t), fractional part `frac`. */
    private kernel(frac: number, fc: number): Float64Array {
        const taps = new Float64Array(2 * this.half);
        let sum = 0;
        for (let j = 0; j < taps.length; j++) {
            const x = j - this.half + 1 - frac;
            const w = Math.abs(x) < this.half ? blackman(x / this.half) : 0;
            taps[j] = 2 * fc * sinc(2 * fc * x) * w;
            sum += taps[j];
        }
        // Unity gain at DC.
        for (let j = 0; j < taps.length; j++) taps[j] /= sum;
        return taps;
    }

    /** Feeds samples; returns the output samples that are now complete. */
    push(samples: Int16Array): Int16Array {
        if (this.fromRate === this.toRate) return samples.slice();
        const merged = new Float64Array(this.pending.length + samples.length);
        merged.set(this.pending);
        merged.set(samples, this.pending.length);
        this.pending = merged;
        this.consumed += samples.length;
        return this.produce(this.consumed);
    }

    /** Ends the stream: the remaining output, computed with silence after the last sample. The
     * resampler can then take a new stream. */
    flush(): Int16Array {
        if (this.fromRate === this.toRate) return new Int16Array(0);
        const total = this.consumed;
        const pad = new Float64Array(this.pending.length + this.half + 1);
        pad.set(this.pending);
        this.pending = pad;
        const out = this.produce(this.base + pad.length, total);
        // Ready for a new stream.
        this.pending = new Float64Array(0);
        this.base = 0;
        this.consumed = 0;
        this.outIndex = 0;
        return out;
    }

    /** Emits outputs whose taps lie below `available`; with `limit`, only those at positions < limit. */
    private produce(available: number, limit = Number.POSITIVE_INFINITY): Int16Array {
        const out: number[] = [];
        for (;;) {
            const whole = Math.floor((this.outIndex * this.num) / this.den);
            if (whole >= limit || whole + this.half >= available) break;
            const phase = (this.outIndex * this.num) % this.den;
            out.push(this.convolve(whole, this.kernels[phase]));
            this.outIndex++;
        }
        this.trim();
        return Int16Array.from(out);
    }

    private convolve(whole: number, taps: Float64Array): number {
        let acc = 0;
        const first = whole - this.half + 1;
        for (let j = 0; j < taps.length; j++) {
            const i = first + j - this.base;
            // Samples before the start of the stream are silence.
            if (i >= 0 && i < this.pending.length) acc += taps[j] * this.pending[i];
        }
        return Math.max(-32768, Math.min(32767, Math.round(acc)));
    }

    /** Drops input that no future output can reach. */
    private trim(): void {
        const nextWhole = Math.floor((this.outIndex * this.num) / this.den);
        const keepFrom = Math.max(this.base, nextWhole - this.half + 1);
        const drop = Math.min(keepFrom - this.base, this.pending.length);
        if (drop > 0) {
            this.pending = this.pending.slice(drop);
            this.base += drop;
        }
    }

    /** Input samples per output sample. */
    get ratio(): number {
        return this.step;
    }
}

/** One-shot conversion of 16-bit mono samples; output length is ceil(n·to/from). */
export function resample(samples: Int16Array, fromRate: number, toRate: number): Int16Array {
    const r = new Resampler(fromRate, toRate);
    const a = r.push(samples);
    const b = r.flush();
    const out = new Int16Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
}
