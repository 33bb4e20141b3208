// The hot-word parts of the editor in headless Chromium, in English and Chinese: the picker of a
// recognition node's dialog filled live from the deployed configuration (search, language and word
// count, a warning for a model of another language), and the config dialog's word editor (open,
// bad words marked as typed, save).
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { SisClient } from '../../nodes/lib/cloud/sis-client';
import { createVocabulary, getVocabulary, updateVocabulary } from '../../nodes/lib/cloud/vocabularies';
import { configFor, type Emulator, startCanaryEmulator } from '../helpers/emulator';
import { nodeRedVersion } from '../helpers/nr';
import { makeUserDir, type RedProcess, removeUserDir, startRed } from '../helpers/red-process';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(__dirname, '../..');

declare const RED: {
    nodes: { node(id: string): unknown };
    editor: { edit(n: unknown): void; editConfig(a: string, t: string, id: string): void };
};

const TEXT = {
    'en-US': {
        summary: 'kitchen · chinese_mandarin · 2 word(s)',
        mismatch: 'does not suit the model english_16k_common',
        badLine: 'line 3: "Fan2" — digits are not allowed',
        saved: 'Saved: 3 word(s)',
    },
    'zh-CN': {
        summary: 'kitchen · chinese_mandarin · 2 个词',
        mismatch: '与模型 english_16k_common 的语言不符',
        badLine: '第 3 行："Fan2" — 不能含数字',
        saved: '已保存：3 个词',
    },
} as const;

async function withPage(locale: string, red: RedProcess, run: (page: Page) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(path.join(tmpdir(), 'sis-chromium-'));
    const ctx = await chromium.launchPersistentContext(dir, {
        executablePath: CHROMIUM,
        headless: true,
        locale,
        viewport: { width: 1400, height: 900 },
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage', `--lang=${locale}`],
    });
    const problems: string[] = [];
    try {
        const page = ctx.pages()[0] ?? (await ctx.newPage());
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        await page.goto(red.url);
        await page.waitForFunction(() => typeof RED !== 'undefined' && Boolean(RED.nodes?.node('asr')), null, {
            timeout: 30_000,
        });
        await run(page);
        assert.deepEqual(problems, []);
    } finally {
        await ctx.close();
        rmSync(dir, { recursive: true, force: true });
    }
}

describe(`hot words in the editor (headless Chromium) on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(120_000);
    let emu: Emulator;
    let red: RedProcess;
    let userDir: string;
    let client: SisClient;
    let kitchen: string;

    before(async function () {
        if (!existsSync(CHROMIUM)) {
            if (process.env.CI) throw new Error(`${CHROMIUM} is missing`);
            this.skip();
        }
        emu = await startCanaryEmulator();
        const { node: cfg, credentials } = configFor(emu, 'aksk');
        client = new SisClient({ ...(cfg as { region: string; authType: 'aksk' }), credentials });
        kitchen = await createVocabulary(client, {
            name: 'kitchen',
            language: 'chinese_mandarin',
            contents: ['Kettle', '空调'],
        });
        await createVocabulary(client, { name: 'garden', language: 'chinese_mandarin', contents: ['Mower'] });
        userDir = makeUserDir();
        writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'sis-browser-test', private: true }));
        mkdirSync(path.join(userDir, 'node_modules'));
        symlinkSync(ROOT, path.join(userDir, 'node_modules', 'node-red-contrib-huaweicloud-sis'), 'dir');
        red = await startRed({
            userDir,
            settings: {
                nodesDir: [],
                editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
            },
        });
        await red.deploy([
            { id: 'tab', type: 'tab', label: 'hot words' },
            { ...cfg, credentials },
            {
                id: 'asr',
                type: 'sis-short-asr',
                z: 'tab',
                config: 'cfg',
                property: 'chinese_16k_general',
                audio_format: 'auto',
                vocabulary_id: '',
                x: 200,
                y: 100,
                wires: [[]],
            },
        ]);
    });
    after(async () => {
        await red?.stop();
        await client?.close();
        await emu?.close();
        if (userDir) removeUserDir(userDir);
    });

    for (const locale of ['en-US', 'zh-CN'] as const) {
        const text = TEXT[locale];

        it(`${locale}: a recognition node's picker lists the vocabularies by name, with language and size`, async () => {
            await withPage(locale, red, async (page) => {
                await page.evaluate(() => RED.editor.edit(RED.nodes.node('asr')));
                const input = page.locator('#node-input-vocabulary_id');
                await input.waitFor({ timeout: 10_000 });
                const info = page.locator('.sis-vocabulary-info');
                // Filled live: focusing the box offers both names; typing searches.
                await page.waitForFunction(
                    () => !/…/.test(document.querySelector('.sis-vocabulary-info')?.textContent ?? '…'),
                );
                await input.click();
                await input.pressSequentially('kit', { delay: 30 });
                const items = page.locator('ul.ui-autocomplete li');
                await page.waitForFunction(
                    () => {
                        const lists = Array.from(document.querySelectorAll('ul.ui-autocomplete'));
                        const shown = lists.filter((u) => (u as HTMLElement).style.display !== 'none');
                        return shown.length === 1 && shown[0].querySelectorAll('li').length === 1;
                    },
                    null,
                    { timeout: 10_000 },
                );
                assert.deepEqual(
                    (await items.allInnerTexts()).map((t) => t.trim()),
                    ['kitchen (chinese_mandarin)'],
                );
                await items.first().click();
                assert.equal(await input.inputValue(), kitchen);
                await page.waitForFunction(
                    (want) => (document.querySelector('.sis-vocabulary-info')?.textContent ?? '').includes(want),
                    text.summary,
                    { timeout: 10_000 },
                );
                assert.equal(await page.locator('.sis-vocabulary-warning').count(), 0);
                // A model of another language: a warning.
                await page.selectOption('#node-input-property', 'english_16k_common');
                await page.locator('.sis-vocabulary-warning').waitFor({ timeout: 5000 });
                assert.ok((await info.innerText()).includes(text.mismatch), await info.innerText());
                // A hand-typed ${ENV} is still taken.
                await input.fill('${HOT_WORDS}');
                await page.click('#node-dialog-ok');
                const saved = await page.evaluate(
                    () => (RED.nodes.node('asr') as { vocabulary_id: string }).vocabulary_id,
                );
                assert.equal(saved, '${HOT_WORDS}');
            });
        });

        it(`${locale}: the config dialog opens a vocabulary, marks bad words as typed, and saves`, async () => {
            await withPage(locale, red, async (page) => {
                await page.evaluate(() => RED.editor.editConfig('', 'sis-config', 'cfg'));
                const box = page.locator('#sis-config-vocabularies');
                await box.waitFor({ timeout: 10_000 });
                await box.locator('.sis-vocabulary-load').click();
                await page.waitForFunction(
                    () => document.querySelectorAll('.sis-vocabulary-select option').length === 3,
                );
                await box.locator('.sis-vocabulary-select').selectOption(kitchen);
                await box.locator('.sis-vocabulary-open').click();
                const words = box.locator('.sis-vocabulary-words');
                await page.waitForFunction(() =>
                    (document.querySelector('.sis-vocabulary-words') as HTMLTextAreaElement)?.value.includes('Kettle'),
                );
                assert.equal(await words.inputValue(), 'Kettle\n空调');
                await words.click();
                await page.keyboard.press('End');
                await words.press('Control+End');
                await page.keyboard.type('\nFan2');
                const mark = box.locator('.sis-vocabulary-bad');
                await mark.first().waitFor({ timeout: 5000 });
                assert.equal(await mark.count(), 1);
                assert.equal(
                    (await mark.first().innerText()).trim().startsWith(text.badLine),
                    true,
                    await mark.first().innerText(),
                );
                assert.equal(await box.locator('.sis-vocabulary-save').isDisabled(), true);
                await page.keyboard.press('Backspace');
                await mark.first().waitFor({ state: 'detached', timeout: 5000 });
                assert.equal(await box.locator('.sis-vocabulary-save').isDisabled(), false);
                await box.locator('.sis-vocabulary-save').click();
                await page.waitForFunction(
                    (want) => (document.querySelector('.sis-vocabulary-result')?.textContent ?? '').includes(want),
                    text.saved,
                    { timeout: 10_000 },
                );
                assert.deepEqual((await getVocabulary(client, kitchen)).contents, ['Kettle', '空调', 'Fan']);
                // Put back for the other language's run.
                await createVocabularyWords(client, kitchen);
            });
        });
    }
});

async function createVocabularyWords(client: SisClient, id: string): Promise<void> {
    await updateVocabulary(client, id, { name: 'kitchen', language: 'chinese_mandarin', contents: ['Kettle', '空调'] });
}
