import * as assert from 'node:assert/strict';
import { shortAudioBody } from '../../nodes/lib/recognition/short-asr';

describe('the short-audio request body', () => {
    it('is the JSON of the config and the base64 audio, for clips of one and of several pieces of base64', () => {
        const config = { audio_format: 'pcm16k16bit', property: 'chinese_16k_general', 说明: '"引号"' };
        for (const n of [1, 2, 3, 48 * 1024, 48 * 1024 + 1, 32000 * 30]) {
            const audio = Buffer.alloc(n);
            for (let i = 0; i < n; i++) audio[i] = (i * 7919) & 0xff;
            const body = shortAudioBody(config, audio);
            assert.equal(
                body.toString('utf8'),
                JSON.stringify({ config, data: audio.toString('base64') }),
                `${n} bytes`,
            );
        }
    });
});
