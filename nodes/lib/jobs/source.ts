// Where a transcription job reads its audio: a Buffer staged in OBS, an object already in OBS, or
// a URL the service downloads (docs/protocol/rest.md §2.1 data_url, docs/protocol/obs.md §1).

import { fileExtensionFor, sniffAudio } from '../audio/sniff';
import { AudioFormatError } from '../audio/types';
import {
    type ObjectRef,
    ObsClient,
    parseObjectRef,
    stagingBucket,
    stagingKey,
    uploadMayHaveStored,
} from '../cloud/obs';
import type { SisClient } from '../cloud/sis-client';
import { invalidInput } from '../core/errors';
import { checkPropertyFormat, checkRate, chooseAudioFormat, isRawAudioFormat } from '../service/formats';
import { JOB_MAX_BYTES, JOB_MAX_DURATION_MS } from '../service/limits';

/**
 * Validity of the pre-signed URL handed to the service. The service commits to finishing within
 * 6 h, so 24 h leaves a wide margin (docs/protocol/obs.md §1). A pre-signed URL rather than the plain object
 * URL works whether or not SIS has been authorised on the account's OBS. (With IAM password
 * auth the signing keys are temporary and the URL cannot outlive them.)
 */
export const DATA_URL_TTL_SECONDS = 24 * 3600;

/** Extensions the service's `auto` detection recognises (docs/protocol/rest.md §2.1). */
const AUTO_EXTENSIONS = ['wav', 'mp3', 'm4a', 'spx', 'opus', 'amr', 'wma'];

const CONTENT_TYPES: Record<string, string> = {
    wav: 'audio/wav',
    mp3: 'audio/mpeg',
    m4a: 'audio/mp4',
    opus: 'audio/ogg',
    spx: 'audio/ogg',
    amr: 'audio/amr',
    wma: 'audio/x-ms-wma',
};

export type JobSource =
    | { kind: 'buffer'; audio: Buffer; extension: string }
    | { kind: 'obs'; ref: ObjectRef }
    | { kind: 'url'; url: string };

function checkBuffer(audio: Buffer, property: string, format: string): string {
    if (audio.length === 0) throw invalidInput('msg.payload is an empty Buffer');
    if (audio.length > JOB_MAX_BYTES) {
        throw invalidInput(`the audio is ${audio.length} bytes; a transcription job takes at most ${JOB_MAX_BYTES}`);
    }
    if (isRawAudioFormat(format)) return 'pcm';
    const info = sniffAudio(audio);
    chooseAudioFormat('transcriber', info);
    checkRate(property, info);
    if (info.durationMs !== undefined && info.durationMs > JOB_MAX_DURATION_MS) {
        throw invalidInput(`the audio lasts ${Math.round(info.durationMs / 60_000)} min; at most 5 h are allowed`);
    }
    return fileExtensionFor(info);
}

function parseUrl(text: string): string {
    let url: URL;
    try {
        url = new URL(text);
    } catch {
        throw invalidInput('msg.payload is not a valid URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw invalidInput('msg.payload: only http(s) URLs can be downloaded by the service');
    }
    return url.href;
}

/** Reads the payload and refuses what the service would refuse; nothing is sent yet. */
export function jobSourceOf(payload: unknown, property: string, format: string): JobSource {
    try {
        checkPropertyFormat('transcriber', property, format);
        if (Buffer.isBuffer(payload))
            return { kind: 'buffer', audio: payload, extension: checkBuffer(payload, property, format) };
        if (typeof payload === 'string' && /^https?:\/\//i.test(payload.trim())) {
            return { kind: 'url', url: parseUrl(payload.trim()) };
        }
        const ref = parseObjectRef(payload);
        if (!ref) {
            throw invalidInput(
                'msg.payload must be an audio Buffer, an OBS object { bucket, key } or obs://bucket/key, or an http(s) URL',
            );
        }
        const ext = /\.([a-z0-9]+)$/i.exec(ref.key)?.[1]?.toLowerCase();
        if (format === 'auto' && (!ext || !AUTO_EXTENSIONS.includes(ext))) {
            throw invalidInput(
                `audio_format "auto" needs a known file extension (${AUTO_EXTENSIONS.join(', ')}) on ${ref.key}; set audio_format otherwise`,
            );
        }
        return { kind: 'obs', ref };
    } catch (err) {
        if (err instanceof AudioFormatError) throw invalidInput(err.message);
        throw err;
    }
}

export interface PreparedSource {
    dataUrl: string;
    /** The object staged for this job, to delete once the job has ended. */
    staged?: ObjectRef;
}

/** Stages a Buffer when needed and returns the URL the service reads the audio from. */
export async function prepareSource(
    client: SisClient,
    source: JobSource,
    stagingPrefix: string,
    signal: AbortSignal,
    onStaged: (ref: ObjectRef) => void,
): Promise<PreparedSource> {
    if (source.kind === 'url') return { dataUrl: source.url };
    const obs = new ObsClient(client);
    if (source.kind === 'obs') return { dataUrl: await obs.presignGet(source.ref, DATA_URL_TTL_SECONDS) };
    const ref = { bucket: stagingBucket(client), key: stagingKey(stagingPrefix, source.extension) };
    try {
        await obs.put(ref, source.audio, CONTENT_TYPES[source.extension] ?? 'application/octet-stream', signal);
    } catch (err) {
        // An upload cut off may have been stored; one OBS refused was not, and needs no clean-up.
        if (uploadMayHaveStored(err)) onStaged(ref);
        throw err;
    }
    onStaged(ref);
    return { dataUrl: await obs.presignGet(ref, DATA_URL_TTL_SECONDS), staged: ref };
}
