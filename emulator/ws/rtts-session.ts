// One real-time TTS connection (docs/protocol/websocket.md §3): one synthesis, streamed as binary chunks of
// about 100 ms, with subtitle RESULTs after each sentence's audio when asked, then END.
import {
    DEFAULT_VOICE,
    encodeG711,
    encodeSpeech,
    isVoice,
    registerSpeech,
    rttsTextLimit,
    type SynthSpeech,
    type SynthWord,
    synthesizeSpeech,
    voiceHasSubtitles,
    voiceRates,
} from '../audio';
import type { FaultSpec } from '../types';
import { type Connection, newTraceId } from './connection';

type RttsFormat = 'pcm' | 'alaw' | 'ulaw' | 'mp3';

interface RttsRequest {
    text: string;
    format: RttsFormat;
    sampleRate: 8000 | 16000;
    property: string;
    speed: number;
    pitch: number;
    volume: number;
    subtitle?: 'word_level' | 'phoneme_level';
}

type Invalid = { code: string; message: string };

function intIn(
    cfg: Record<string, unknown>,
    key: string,
    min: number,
    max: number,
    fallback: number,
): number | Invalid {
    const v = cfg[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
        return { code: 'SIS.0415', message: `'${key}' must be an integer from ${min} to ${max}` };
    }
    return v;
}

export function parseRttsStart(msg: Record<string, unknown>): RttsRequest | Invalid {
    const text = msg.text;
    if (typeof text !== 'string' || text.trim() === '') return { code: 'SIS.0415', message: 'text cannot be empty' };
    const raw = msg.config ?? {};
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        return { code: 'SIS.0415', message: "'config' must be an object" };
    }
    const cfg = raw as Record<string, unknown>;
    const format = cfg.audio_format ?? 'pcm';
    if (format !== 'pcm' && format !== 'alaw' && format !== 'ulaw' && format !== 'mp3') {
        return { code: 'SIS.0410', message: "'audio_format' is invalid" };
    }
    const property = cfg.property ?? DEFAULT_VOICE;
    if (typeof property !== 'string' || !isVoice(property))
        return { code: 'SIS.0411', message: "'property' is invalid" };
    const rateText = cfg.sample_rate ?? '8000';
    const rate = rateText === '8000' ? 8000 : rateText === '16000' ? 16000 : undefined;
    if (rate === undefined || !voiceRates(property).includes(rate)) {
        return { code: 'SIS.0402', message: "'sample_rate' is invalid for this voice" };
    }
    if ([...text].length > rttsTextLimit(property)) {
        return { code: 'SIS.0604', message: `text is longer than ${rttsTextLimit(property)} characters` };
    }
    const speed = intIn(cfg, 'speed', -500, 500, 0);
    if (typeof speed !== 'number') return speed;
    const pitch = intIn(cfg, 'pitch', -500, 500, 0);
    if (typeof pitch !== 'number') return pitch;
    const volume = intIn(cfg, 'volume', 0, 100, 50);
    if (typeof volume !== 'number') return volume;
    const subtitle = cfg.subtitle;
    if (subtitle !== undefined && subtitle !== 'word_level' && subtitle !== 'phoneme_level') {
        return { code: 'SIS.0415', message: "'subtitle' must be word_level or phoneme_level" };
    }
    return {
        text,
        format,
        sampleRate: rate,
        property,
        speed,
        pitch,
        volume,
        // Voices without timestamp support synthesise normally, without subtitles.
        subtitle: subtitle !== undefined && voiceHasSubtitles(property) ? subtitle : undefined,
    };
}

function encode(speech: SynthSpeech, format: RttsFormat): Buffer {
    if (format === 'alaw' || format === 'ulaw') return encodeG711(speech.samples, format);
    return encodeSpeech(speech, format);
}

/** Bytes per chunk: about 100 ms, whole MP3 frames. */
function chunkBytes(format: RttsFormat, rate: number): number {
    if (format === 'mp3') return 144 * Math.max(1, Math.round(100 / ((576 / rate) * 1000)));
    return (rate / 10) * (format === 'pcm' ? 2 : 1);
}

function subtitleItems(words: SynthWord[], phonemes: boolean, counter: { n: number }): Record<string, unknown>[] {
    return words.map((w) => {
        const item: Record<string, unknown> = {
            start_time: w.start_time,
            end_time: w.end_time,
            word_index: w.word_index,
            text: w.text,
        };
        if (phonemes) {
            // Emulator choice: a CJK character is one phoneme, a Latin word one phoneme per letter.
            const parts =
                /^[\p{L}]+$/u.test(w.text) && !/[\u3400-\u9fff]/.test(w.text) ? [...w.text.toLowerCase()] : [w.text];
            const span = w.end_time - w.start_time;
            item.phonemes = parts.map((phoneme, i) => ({
                phoneme,
                start_time: w.start_time + Math.round((span * i) / parts.length),
                end_time: w.start_time + Math.round((span * (i + 1)) / parts.length),
                phoneme_index: counter.n++,
            }));
        }
        return item;
    });
}

export class RttsSession {
    private started = false;
    private traceId: string | undefined;

    constructor(private readonly conn: Connection) {
        conn.armIdle(conn.ctx.limits.wsIdleMs, () => {
            if (this.started) conn.close(1000);
            else conn.fatal('SIS.0416', 'waited too long for the text', newTraceId());
        });
        conn.ws.on('message', (data, isBinary) => {
            try {
                this.onMessage(data.toString(), isBinary);
            } catch {
                conn.error('SIS.0413', 'TTS internal error', this.traceId);
            }
        });
    }

    private onMessage(textFrame: string, isBinary: boolean): void {
        if (this.conn.closed) return;
        if (isBinary) {
            this.conn.log.ws.frames++;
            return;
        }
        let msg: unknown;
        try {
            msg = JSON.parse(textFrame);
        } catch {
            this.conn.log.ws.commands.push('INVALID');
            this.conn.error('SIS.0415', 'request is not valid JSON', this.traceId);
            return;
        }
        const body =
            typeof msg === 'object' && msg !== null && !Array.isArray(msg) ? (msg as Record<string, unknown>) : {};
        const command = typeof body.command === 'string' ? body.command : 'INVALID';
        this.conn.log.ws.commands.push(command);
        if (command !== 'START') {
            this.conn.error('SIS.0415', "'command' is invalid", this.traceId);
            return;
        }
        if (this.started) {
            this.conn.error('SIS.0418', 'this connection already has a synthesis task', this.traceId);
            return;
        }
        const req = parseRttsStart(body);
        if ('code' in req) {
            this.conn.error(req.code, req.message);
            return;
        }
        this.started = true;
        this.traceId = newTraceId();
        this.conn.touchIdle();
        this.conn.send({ resp_type: 'START', trace_id: this.traceId });
        this.stream(req, this.traceId, this.conn.takeFault());
    }

    private stream(req: RttsRequest, traceId: string, fault: FaultSpec | undefined): void {
        const speech = synthesizeSpeech(req.text, req);
        const audio = encode(speech, req.format);
        if (req.format !== 'alaw' && req.format !== 'ulaw') registerSpeech(this.conn.ctx, speech, audio);
        const size = chunkBytes(req.format, req.sampleRate);
        const bytesPerMs = audio.length / Math.max(1, (speech.samples.length * 1000) / speech.sampleRate);
        const bySentence: SynthWord[][] = speech.sentences.map(() => []);
        for (const w of speech.words) bySentence[w.sentence]?.push(w);
        let sentence = 0;
        const counter = { n: 0 };
        let sent = 0;
        for (let offset = 0; offset < audio.length; offset += size) {
            if (fault && sent >= (fault.afterFrames ?? 0)) {
                this.fire(fault, traceId);
                return;
            }
            const chunk = audio.subarray(offset, Math.min(audio.length, offset + size));
            if (chunk.length > 0) this.conn.sendBinary(chunk);
            sent++;
            if (req.subtitle) {
                const reachedMs = (offset + chunk.length) / bytesPerMs;
                while (sentence < bySentence.length) {
                    const words = bySentence[sentence];
                    const end = words.at(-1)?.end_time ?? 0;
                    if (end > reachedMs && offset + size < audio.length) break;
                    if (words.length > 0) {
                        const result = subtitleItems(words, req.subtitle === 'phoneme_level', counter);
                        this.conn.send({ resp_type: 'RESULT', trace_id: traceId, result });
                    }
                    sentence++;
                }
            }
            if (this.conn.closed) return;
        }
        if (fault) {
            this.fire(fault, traceId);
            return;
        }
        this.conn.send({ resp_type: 'END', trace_id: traceId, reason: 'NORMAL' });
    }

    private fire(fault: FaultSpec, traceId: string): void {
        if (fault.kind === 'ws-close') this.conn.terminate();
        else if (fault.kind === 'ws-error') {
            this.conn.error(fault.code ?? 'SIS.0417', fault.message ?? 'TTS engine error', traceId);
            this.conn.send({ resp_type: 'END', trace_id: traceId, reason: 'ERROR' });
        } else this.conn.fatal(fault.code ?? 'SIS.0413', fault.message ?? 'TTS internal error', traceId);
    }
}
