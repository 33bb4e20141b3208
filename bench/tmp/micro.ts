import { readFileSync } from 'node:fs';
import { StreamSession, type SessionHost, type SessionLimits } from '../../nodes/lib/stream-session';
import { startOptions } from '../../nodes/lib/stream-options';
import { AudioIntake } from '../../nodes/lib/stream-intake';
import { BlockPool } from '../../nodes/lib/stream-frames';
import type { SisClient } from '../../nodes/lib/sis-client';

const audio = Buffer.concat([readFileSync('test/fixtures/en_16k.pcm'), readFileSync('test/fixtures/zh_16k.pcm')]);
const { spec, config } = startOptions('continue-stream', { audio_format: 'pcm16k16bit', property: 'chinese_16k_common' }, undefined);
const limits: SessionLimits = { queueBytes: 20 * 32000, replayBytes: 60 * 32000, reconnects: 5, backoffBaseMs: 250, backoffMaxMs: 5000, handshakeTimeoutMs: 10000, replyTimeoutMs: 15000, idleMs: 10000 };
const host: SessionHost = { sentence() {}, event() {}, error(_s, e) { throw e; }, changed() {}, finished() {} };
let sentFrames = 0;
const sessions: StreamSession[] = [];
const handlers: any[] = [];
const fakes: any[] = [];
const pool = new BlockPool(8192, () => 300);
for (let i = 0; i < 100; i++) {
    const fake: any = (fakes[i] = { open: true, bufferedAmount: 0, attach(h: any) { handlers[i] = h; }, sendCommand() {}, sendAudio() { sentFrames++; }, close() { return Promise.resolve(); }, terminate() {} });
    sessions.push(new StreamSession({ key: 's' + i, mode: 'continue-stream', spec, config, client: {} as SisClient, limits, host, intake: new AudioIntake(spec), socket: fake, blocks: pool }));
    handlers[i].message(fake, { resp_type: 'START' });
}
const offsets = sessions.map((_, i) => ((i * 7919 * 2) % (audio.length - 1280)) & ~1);
const N = Number(process.argv[2] ?? 200000);
let t = process.hrtime.bigint();
for (let k = 0; k < N; k++) {
    const i = k % 100;
    if (offsets[i] + 1280 > audio.length) offsets[i] = 0;
    sessions[i].feed(audio.subarray(offsets[i], offsets[i] + 1280));
    offsets[i] += 1280;
    // a final every ~3 s of a session's audio: confirm what was sent
    if (k % 7500 === 7499) for (let j = 0; j < 100; j++) handlers[j].message(fakes[j], { resp_type: 'RESULT', segments: [{ is_final: true, start_time: 0, end_time: 1e9, result: { text: '' } }] });
}
const ns = Number(process.hrtime.bigint() - t);
console.log('ns per chunk', (ns / N).toFixed(0), 'frames', sentFrames);
for (const s of sessions) s.cancel();
