// The service's size, length and duration limits, read by the input checks and the editors.

/** Short audio: the base64 text may be at most 4 MB and the audio last at most one minute (docs/protocol/rest.md §1.1). */
export const SHORT_AUDIO_MAX_BASE64_CHARS = 4 * 1024 * 1024;
export const SHORT_AUDIO_MAX_DURATION_MS = 60_000;

/** Flash recognition: at most 100 MB and 120 minutes (docs/protocol/rest.md §3.3). */
export const FLASH_MAX_BYTES = 100 * 1024 * 1024;
export const FLASH_MAX_DURATION_MS = 120 * 60_000;

/** Transcription jobs: at most 300 MB and 5 hours (docs/protocol/rest.md §2.3). */
export const JOB_MAX_BYTES = 300 * 1024 * 1024;
export const JOB_MAX_DURATION_MS = 5 * 3600_000;

/** Characters per text-to-speech REST request (docs/protocol/rest.md §4.1, §4.5). */
export const TTS_MAX_TEXT_LENGTH = 500;

/** Voices whose real-time synthesis takes up to 10000 characters (docs/protocol/websocket.md §3.1); others 500. */
export const RTTS_LONG_TEXT_VOICES: ReadonlySet<string> = new Set([
    'chinese_huaxiaomei_common',
    'chinese_huaxiaofei_common',
    'chinese_huaxiaolong_common',
    'chinese_huaxiaorui_common',
    'chinese_huaxiaohe_common',
    'chinese_huaxiaoye_common',
    'chinese_huaxiaoxue_common',
    'chinese_huaxiaojiao_common',
    'chinese_huaxiaohui_common',
    'chinese_huaxiaokang_common',
    'chinese_huaxiaokun_common',
    'chinese_huaxiaoquan_common',
    'english_amy_common',
    'english_alvin_common',
]);
export const RTTS_LONG_TEXT_LENGTH = 10_000;

/** Real-time recognition frames: the smallest and largest binary frame at each rate (docs/protocol/websocket.md §1.5). */
export const RASR_FRAME_BYTES: Readonly<Record<8000 | 16000, { min: number; max: number }>> = {
    8000: { min: 160, max: 32768 },
    16000: { min: 320, max: 65536 },
};
