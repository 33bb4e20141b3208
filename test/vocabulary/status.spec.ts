// The statuses of sis-vocabulary as the editor receives them from a real Node-RED process (its
// catalogues loaded, `lang` set): readable text with the numbers filled in, in English and Chinese.
import * as assert from 'node:assert/strict';
import WebSocket from 'ws';
import { configFor, type Emulator, startCanaryEmulator } from '../helpers/emulator';
import { nodeRedVersion } from '../helpers/nr';
import { type RedProcess, removeUserDir, startRed } from '../helpers/red-process';
import { until } from '../helpers/wait';

interface StatusEvent {
    topic: string;
    data: { text?: string; fill?: string };
}

/** Status texts of node `id`, as the editor's comms connection receives them. */
async function watchStatuses(red: RedProcess, id: string): Promise<{ texts: string[]; close(): void }> {
    const ws = new WebSocket(`${red.url.replace(/^http/, 'ws')}/comms`);
    await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
    });
    ws.send(JSON.stringify({ subscribe: 'status/#' }));
    const texts: string[] = [];
    ws.on('message', (data: Buffer) => {
        const parsed = JSON.parse(data.toString('utf8')) as StatusEvent | StatusEvent[];
        for (const event of Array.isArray(parsed) ? parsed : [parsed]) {
            if (event.topic === `status/${id}` && event.data?.text) texts.push(event.data.text);
        }
    });
    return { texts, close: () => ws.close() };
}

describe(`sis-vocabulary statuses in a Node-RED process ${nodeRedVersion()}`, function () {
    this.timeout(60_000);
    let emu: Emulator;
    before(async () => {
        emu = await startCanaryEmulator();
    });
    after(async () => {
        await emu?.close();
    });

    for (const [lang, saved, listed] of [
        // The emulator keeps the first test's vocabulary: the list then holds two.
        ['en-US', 'saved: 3 word(s)', '1 vocabulary(ies)'],
        ['zh-CN', '已保存：3 个词', '2 个热词表'],
    ] as const) {
        it(`${lang}: readable text with the counts`, async () => {
            const red = await startRed({ settings: { lang } });
            try {
                const { node: cfg, credentials } = configFor(emu, 'aksk');
                await red.deploy([
                    { id: 'tab', type: 'tab', label: 'vocabulary' },
                    { ...cfg, credentials },
                    {
                        id: 'create',
                        type: 'inject',
                        z: 'tab',
                        props: [
                            {
                                p: 'payload',
                                v: JSON.stringify({
                                    name: `status_${lang.replace('-', '_')}`,
                                    contents: ['Kettle', '空调', 'Oven'],
                                }),
                                vt: 'json',
                            },
                        ],
                        repeat: '',
                        once: false,
                        wires: [['voc']],
                    },
                    { id: 'voc', type: 'sis-vocabulary', z: 'tab', config: 'cfg', action: 'create', wires: [['list']] },
                    {
                        id: 'list',
                        type: 'change',
                        z: 'tab',
                        rules: [{ t: 'set', p: 'action', pt: 'msg', to: 'list', tot: 'str' }],
                        wires: [['voc2']],
                    },
                    { id: 'voc2', type: 'sis-vocabulary', z: 'tab', config: 'cfg', action: 'list', wires: [[]] },
                ]);
                const first = await watchStatuses(red, 'voc');
                const second = await watchStatuses(red, 'voc2');
                try {
                    await red.inject('create');
                    await until(() => (first.texts.includes(saved) ? true : undefined), 10_000).catch(() =>
                        assert.fail(`statuses of voc: ${JSON.stringify(first.texts)}`),
                    );
                    await until(() => (second.texts.includes(listed) ? true : undefined), 10_000).catch(() =>
                        assert.fail(`statuses of voc2: ${JSON.stringify(second.texts)}`),
                    );
                    for (const text of [...first.texts, ...second.texts]) {
                        assert.doesNotMatch(text, /sis-config\.|__count__/, `a catalogue key in "${text}"`);
                    }
                } finally {
                    first.close();
                    second.close();
                }
            } finally {
                await red.stop();
                removeUserDir(red.userDir);
            }
        });
    }
});
