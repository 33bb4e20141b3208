// The container and codec of a Buffer, from its bytes alone; never throws.
import { sniffAdts, sniffAmr, sniffAsf, sniffFlac, sniffMp4, sniffOgg } from './containers';
import { skipId3, sniffMp3 } from './mp3-sniff';
import type { AudioContainer, AudioInfo } from './types';
import { sniffWav } from './wav';

const UNKNOWN: AudioInfo = Object.freeze({ container: 'unknown', codec: 'unknown' });

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
