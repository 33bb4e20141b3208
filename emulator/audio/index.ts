// Audio for the emulator: decoding, recognition, synthesis and the transcript registry.

export { type Decoded, decodeAudio, detectFormat } from './decode';
export { AudioError } from './errors';
export { FingerprintCollector } from './fingerprint';
export { RAW_FORMATS, type RawFormat, rawFormat, sampleRateOfProperty } from './formats';
export { encodeG711 } from './g711';
export { parseMp3 } from './mp3';
export { type Recognition, type RecognizeOptions, recognize } from './recognize';
export { encodeSpeech, registerSpeech, type SynthSpeech, type SynthWord, synthesize, synthesizeSpeech } from './synth';
export * as text from './text';
export { createTranscriptRegistry, sha256Hex } from './transcripts';
export { EnergyVad, type VadEvent } from './vad';
export { DEFAULT_VOICE, isVoice, rttsTextLimit, voiceHasSubtitles, voiceRates } from './voices';
export { parseWav } from './wav';
