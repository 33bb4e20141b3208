// What the byte sniffers tell about a piece of audio, and the one error this folder raises.

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
