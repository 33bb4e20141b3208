// The statuses a started Node-RED publishes to the editor (over its comms WebSocket), in the
// language of its `lang` setting: words with their numbers, never a catalog key.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';

import WebSocket = require('ws');

import { configFor, type Emulator, startCanaryEmulator } from '../helpers/emulator';
import { CATALOG_KEY } from '../helpers/nr';
import { type RedProcess, removeUserDir, startRed } from '../helpers/red-process';
import { until } from '../helpers/wait';

const FIXTURE = path.resolve(__dirname, '../fixtures/zh_16k.wav');

interface Published {
    topic: string;
    data: { text?: string; fill?: string };
}

/** Collects what the runtime publishes under `status/#`, as the editor receives it. */
async function watchStatuses(red: RedProcess): Promise<{ seen: Map<string, string[]>; close(): void }> {
    const seen = new Map<string, string[]>();
    const ws = new WebSocket(`${red.url.replace(/^http/, 'ws')}/comms`);
    await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
    });
    ws.on('message', (data) => {
        for (const m of JSON.parse(String(data)) as Published[]) {
            if (!m.topic.startsWith('status/') || typeof m.data?.text !== 'string') continue;
            const id = m.topic.slice('status/'.length);
            seen.set(id, [...(seen.get(id) ?? []), m.data.text]);
        }
    });
    ws.send(JSON.stringify({ subscribe: 'status/#' }));
    return { seen, close: () => ws.close() };
}

function flow(emu: Emulator): Record<string, unknown>[] {
    const { node: cfg, credentials } = configFor(emu, 'aksk');
    return [
        { id: 'tab', type: 'tab', label: 'statuses' },
        { ...cfg, credentials },
        { id: 'unset', type: 'sis-short-asr', z: 'tab', config: '', wires: [[]] },
        { id: 'go-asr', type: 'inject', z: 'tab', wires: [['read']] },
        { id: 'read', type: 'file in', z: 'tab', filename: FIXTURE, format: '', wires: [['asr']] },
        { id: 'asr', type: 'sis-short-asr', z: 'tab', config: 'cfg', property: 'chinese_16k_general', wires: [[]] },
        { id: 'go-tts', type: 'inject', z: 'tab', payload: '你好，世界。', payloadType: 'str', wires: [['tts']] },
        { id: 'tts', type: 'sis-tts', z: 'tab', config: 'cfg', wires: [[]] },
    ];
}

describe('statuses in a started Node-RED', function () {
    this.timeout(60_000);
    let emu: Emulator;
    before(async () => {
        emu = await startCanaryEmulator();
    });
    after(async () => {
        await emu.close();
    });

    const expected: Record<string, { unset: string; asr: RegExp; tts: RegExp }> = {
        'en-US': { unset: 'not configured', asr: /^\d+ sentences?$/, tts: /^\d+\.\d s of audio$/ },
        'zh-CN': { unset: '未配置', asr: /^\d+ 句$/, tts: /^\d+\.\d 秒音频$/ },
    };

    for (const [lang, want] of Object.entries(expected)) {
        it(`shows words with their numbers in ${lang}`, async () => {
            const red = await startRed({ settings: { lang } });
            try {
                const statuses = await watchStatuses(red);
                await red.deploy(flow(emu));
                await red.inject('go-asr');
                await red.inject('go-tts');
                const last = (id: string): string | undefined => statuses.seen.get(id)?.at(-1);
                await until(() => (last('asr') && want.asr.test(last('asr') ?? '') ? true : undefined), 20_000);
                await until(() => (last('tts') && want.tts.test(last('tts') ?? '') ? true : undefined), 20_000);
                assert.equal(last('unset'), want.unset);
                statuses.close();
                const all = [...statuses.seen.values()].flat();
                assert.deepEqual(
                    all.filter((text) => CATALOG_KEY.test(text)),
                    [],
                );
            } finally {
                await red.stop();
                removeUserDir(red.userDir);
            }
        });
    }
});
