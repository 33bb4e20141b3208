// Status texts as a person reads them: words with their numbers, in Node-RED's language (en-US and
// zh-CN), never a catalog key; failures with a short reason beside the code.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SisError } from '../../nodes/lib/core/errors';
import { formatAge, JobStatus } from '../../nodes/lib/jobs/status';
import { formatBytes, packageLanguage, runtimeLanguage, translator } from '../../nodes/lib/red/i18n';
import { StatusTracker, shortReason } from '../../nodes/lib/red/node-io';
import type { Node } from '../../nodes/lib/red/types';
import { useEmulator } from '../helpers/emulator';
import { fixture } from '../helpers/fixtures';
import { harness } from '../helpers/flow';
import { CATALOG_KEY, helper } from '../helpers/nr';
import { until } from '../helpers/wait';

type Status = { fill?: string; shape?: string; text?: string };

function fakeNode(): { node: Node; shown: Status[] } {
    const shown: Status[] = [];
    return { node: { status: (s: Status) => shown.push(s) } as unknown as Node, shown };
}

function statusKeys(lang: string): string[] {
    const file = path.resolve(__dirname, '../../locales', lang, 'sis-config.json');
    const status = (JSON.parse(readFileSync(file, 'utf8')) as { 'sis-config': { status: Record<string, unknown> } })[
        'sis-config'
    ].status;
    const keys: string[] = [];
    const walk = (o: Record<string, unknown>, prefix: string): void => {
        for (const [k, v] of Object.entries(o)) {
            if (typeof v === 'string') keys.push(`${prefix}${k.replace(/_(one|other)$/, '')}`);
            else walk(v as Record<string, unknown>, `${prefix}${k}.`);
        }
    };
    walk(status, '');
    return [...new Set(keys)].sort();
}

describe('status texts', () => {
    const en = translator('en-US');
    const zh = translator('zh-CN');

    it('picks the language as Node-RED does: the lang setting, else LC_ALL, LC_MESSAGES, LANG; else English', () => {
        assert.equal(runtimeLanguage({ lang: 'zh-CN' }, {}), 'zh-CN');
        assert.equal(runtimeLanguage({ lang: 'zh' }, {}), 'zh-CN');
        assert.equal(runtimeLanguage({}, { LANG: 'zh_CN.UTF-8' }), 'zh-CN');
        assert.equal(runtimeLanguage({}, { LC_ALL: 'en_GB.UTF-8', LANG: 'zh_CN.UTF-8' }), 'en-US');
        assert.equal(runtimeLanguage({ lang: 'fr' }, {}), 'en-US');
        assert.equal(runtimeLanguage(undefined, {}), 'en-US');
        assert.equal(packageLanguage('EN-us'), 'en-US');
    });

    it('fills in numbers, with singular and plural in English', () => {
        const t = (key: string, subs?: Record<string, string | number>) => en(`sis-config.status.${key}`, subs);
        assert.equal(t('sentences', { count: 1 }), '1 sentence');
        assert.equal(t('sentences', { count: 2 }), '2 sentences');
        assert.equal(t('sessions', { count: 3 }), '3 sessions');
        assert.equal(t('staging', { size: formatBytes(3_100_000) }), 'staging 3.1 MB');
        assert.equal(t('jobs', { count: 1, age: '5 s' }), '1 job, oldest 5 s');
        assert.equal(t('parts', { count: 4 }), '4 audio parts');
        assert.equal(zh('sis-config.status.sentences', { count: 1 }), '1 句');
        assert.equal(zh('sis-config.status.sessions', { count: 3 }), '3 路会话');
        assert.equal(formatAge(42_400, zh), '42 秒');
        assert.deepEqual([512, 48_200, 3_100_000, 250_000_000].map(formatBytes), [
            '512 B',
            '48 KB',
            '3.1 MB',
            '250 MB',
        ]);
    });

    it('has the same status texts in both catalogs, each rendering to words with every number filled in', () => {
        assert.deepEqual(statusKeys('zh-CN'), statusKeys('en-US'));
        const subs = {
            count: 2,
            age: '5 s',
            n: 5,
            h: 1,
            m: '05',
            size: '3.1 MB',
            seconds: '1.5',
            reason: 'x',
            code: 'Y',
        };
        for (const t of [en, zh]) {
            for (const key of statusKeys('en-US')) {
                const text = t(`sis-config.status.${key}`, subs);
                assert.doesNotMatch(text, CATALOG_KEY, key);
                assert.doesNotMatch(text, /__\w+__/, key);
            }
        }
    });

    it('gives a failure a short reason beside its code', () => {
        assert.equal(shortReason('AUTH_FAILED', en), 'credentials refused (AUTH_FAILED)');
        assert.equal(shortReason('SIS.0032', en), 'service error (SIS.0032)');
        assert.equal(shortReason('SOMETHING_NEW', en), 'failed (SOMETHING_NEW)');
        assert.equal(shortReason('TIMEOUT', zh), '超时（TIMEOUT）');
        const { node, shown } = fakeNode();
        new StatusTracker(node, en).fail(new SisError('RATE_LIMITED', 'slow down'));
        assert.deepEqual(shown, [{ fill: 'red', shape: 'ring', text: 'throttled (RATE_LIMITED)' }]);
    });

    it('shows a job node’s pending jobs with the oldest one’s age, then the outcome', () => {
        let now = 1_000_000;
        const { node, shown } = fakeNode();
        const status = new JobStatus(node, zh, () => now);
        status.beginSubmit('staging', 3_100_000);
        assert.equal(shown.at(-1)?.text, '正在暂存 3.1 MB');
        status.add('a', now);
        now += 5000;
        status.add('b', now);
        status.endSubmit();
        assert.equal(shown.at(-1)?.text, '2 个任务，最早 5 秒');
        status.remove('a', { sentences: 3 });
        status.remove('b', { sentences: 3 });
        assert.equal(shown.at(-1)?.text, '3 句');
        status.close();
    });
});

describe('status texts in a Node-RED set to zh-CN', function () {
    this.timeout(20_000);
    const getEmu = useEmulator({}, ['zh_16k.wav']);
    before(() => helper.settings({ lang: 'zh-CN' } as Parameters<typeof helper.settings>[0]));
    after(() => helper.settings({ lang: undefined } as Parameters<typeof helper.settings>[0]));

    const texts = (h: { statuses: Record<string, unknown>[] }): string[] =>
        h.statuses.map((s) => String((s.status as Status).text ?? ''));

    it('short ASR: the sentence count and a refused request in Chinese', async () => {
        const emu = getEmu();
        const h = await harness(emu, 'sis-short-asr', { property: 'chinese_16k_general' });
        h.send({ payload: fixture('zh_16k.wav') });
        await h.completions(1);
        assert.deepEqual(texts(h).slice(-2), ['请求中', '1 句']);
        emu.faults.add({ route: 'short-audio', kind: 'status', status: 400, code: 'SIS.0032' });
        h.send({ payload: fixture('zh_16k.wav') });
        await h.errors(1);
        await until(() => (texts(h).at(-1) === '服务返回错误（SIS.0032）' ? true : undefined));
    });

    it('text to speech: the length of the audio in Chinese', async () => {
        const h = await harness(getEmu(), 'sis-tts', {});
        h.send({ payload: '你好，世界。' });
        await h.completions(1);
        assert.match(texts(h).at(-1) ?? '', /^\d+\.\d 秒音频$/);
        assert.equal(texts(h)[0], '合成中');
    });
});
