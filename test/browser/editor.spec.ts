// The editor in a real headless Chromium (Debian's package, driven by playwright-core), against a
// started Node-RED loading dist/nodes: the palette, every dialog in both languages with its help,
// a deploy from the editor, and a demo flow run from its inject button to a debug message.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { configFor, type Emulator, startCanaryEmulator } from '../helpers/emulator';
import { fixture, transcript } from '../helpers/fixtures';
import { nodeRedVersion } from '../helpers/nr';
import { makeUserDir, type RedProcess, removeUserDir, startRed } from '../helpers/red-process';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    'node-red': { nodes: Record<string, string> };
};
const TYPES = Object.keys(pkg['node-red'].nodes).filter((t) => t !== 'sis-config');

function catalog(lang: string, type: string): Record<string, unknown> {
    const file = path.join(ROOT, 'locales', lang, `${type}.json`);
    return (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>)[type];
}

/** The first words of a node's help (its palette tooltip), to know the right help is showing. */
function helpOpening(lang: string, type: string): string {
    const html = readFileSync(path.join(ROOT, 'locales', lang, `${type}.html`), 'utf8');
    const first = html
        .split('\n')
        .map((l) => l.trim())
        .find((l) => l && !l.startsWith('<'));
    return (first ?? '').slice(0, 12);
}

/** A flow with one node of every type, and a working demo: file in → short ASR → debug. */
function demoFlow(emu: Emulator): Record<string, unknown>[] {
    const { node: cfg, credentials } = configFor(emu, 'aksk');
    const z = 'demo';
    const flow: Record<string, unknown>[] = [
        { id: z, type: 'tab', label: 'demo' },
        { ...cfg, credentials },
        {
            id: 'inject',
            type: 'inject',
            z,
            name: 'speak',
            props: [{ p: 'filename', v: path.join(ROOT, 'test/fixtures/zh_16k.wav'), vt: 'str' }],
            repeat: '',
            crontab: '',
            once: false,
            onceDelay: 0.1,
            topic: '',
            x: 120,
            y: 80,
            wires: [['file']],
        },
        {
            id: 'file',
            type: 'file in',
            z,
            filename: 'filename',
            filenameType: 'msg',
            format: '',
            x: 300,
            y: 80,
            wires: [['asr']],
        },
        {
            id: 'asr',
            type: 'sis-short-asr',
            z,
            config: cfg.id,
            property: 'chinese_16k_common',
            audio_format: 'auto',
            add_punc: 'yes',
            output: 'single',
            x: 480,
            y: 80,
            wires: [['debug']],
        },
        {
            id: 'debug',
            type: 'debug',
            z,
            name: 'heard',
            active: true,
            tosidebar: true,
            complete: 'payload',
            x: 660,
            y: 80,
            wires: [],
        },
    ];
    TYPES.filter((t) => t !== 'sis-short-asr').forEach((type, i) => {
        const outputs = type === 'sis-stream-asr' ? [[], []] : [[]];
        flow.push({ id: `n-${type}`, type, z, config: cfg.id, x: 200 + 180 * i, y: 200, wires: outputs });
    });
    return flow;
}

async function launch(locale: string): Promise<{ ctx: BrowserContext; page: Page; problems: string[]; dir: string }> {
    const dir = mkdtempSync(path.join(tmpdir(), 'sis-chromium-'));
    const ctx = await chromium.launchPersistentContext(dir, {
        executablePath: CHROMIUM,
        headless: true,
        locale,
        viewport: { width: 1400, height: 900 },
        args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--disable-dev-shm-usage',
            `--lang=${locale}`,
        ],
    });
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    return { ctx, page, problems, dir };
}

async function openEditor(page: Page, red: RedProcess): Promise<void> {
    await page.goto(red.url);
    await page.waitForFunction(() => typeof RED !== 'undefined' && Boolean(RED.nodes?.node('asr')), null, {
        timeout: 30_000,
    });
}

declare const RED: {
    nodes: {
        filterNodes(f: { type: string }): { id: string }[];
        node(id: string): unknown;
        getType(t: string): { category: string; paletteLabel?: unknown } | undefined;
    };
    editor: { edit(n: unknown): void; editConfig(name: string, type: string, id: string): void };
    sidebar: { show(tab: string): void; help: { show(type: string): void } };
};

type EditedNode = Record<string, unknown> & { _def: { defaults: Record<string, { value?: unknown }> } };

/**
 * The rows the templates take from resources/sis-editor.js, in an open dialog: the configuration
 * select Node-RED makes of the config row, lists with options and the node's value, and each yes/no
 * select offering its default first and showing the node's (flipped) value.
 */
async function checkSharedRows(page: Page, tray: Locator, id: string): Promise<void> {
    assert.equal(await tray.locator('select#node-input-config').count(), 1, `${id}: config select`);
    // (No named functions inside: the page has no __name helper for the names the test build keeps.)
    const state = await page.evaluate((nid) => {
        const node = RED.nodes.node(nid) as EditedNode;
        return Object.entries(node._def.defaults).map(([field, d]) => {
            const el = document.querySelector(`#node-input-${field}`) as HTMLSelectElement | null;
            const options = el && el.tagName === 'SELECT' ? Array.from(el.options) : [];
            return {
                field,
                flag: d.value === 'yes' || d.value === 'no',
                options: options.map((o) => o.value),
                texts: options.map((o) => o.textContent ?? ''),
                value: el?.value,
                node: node[field],
                other: d.value === 'yes' ? 'no' : 'yes',
                def: d.value,
            };
        });
    }, id);
    for (const f of state.filter((r) => r.flag)) {
        assert.deepEqual(f.options, [f.def, f.other], `${id}.${f.field}: options, default first`);
        assert.equal(f.value, f.node, `${id}.${f.field}: the node's value`);
        assert.ok(
            f.texts.every((t) => t && !/\.flag\./.test(t)),
            `${id}.${f.field}: translated answers ${f.texts}`,
        );
    }
    for (const l of state.filter((r) => r.field === 'property' || r.field === 'audio_format')) {
        assert.ok(l.options.length > 1, `${id}.${l.field}: filled (${l.options.length})`);
        if (l.node !== undefined) assert.equal(l.value, l.node, `${id}.${l.field}: the node's value`);
    }
}

/**
 * Chinese text renders as glyphs (a CJK font is installed): two different characters of a dialog,
 * drawn in the font of its labels, make two different images, and neither is the image of U+E000
 * (private use, in no font). Without a CJK font every character draws as that same box.
 */
async function checkCjkGlyphs(page: Page, type: string, text: string): Promise<void> {
    const chars = [...new Set(text.match(/[\u4e00-\u9fff]/g) ?? [])].slice(0, 2);
    assert.equal(chars.length, 2, `${type}: Chinese characters in the dialog`);
    // (No named functions inside: the page has no __name helper for the names the test build keeps.)
    const images = await page.evaluate(
        (drawn) => {
            const trays = document.querySelectorAll('#red-ui-editor-stack .red-ui-tray');
            const label = trays[trays.length - 1]?.querySelector('label') ?? document.body;
            const canvas = document.createElement('canvas');
            canvas.width = 48;
            canvas.height = 48;
            const g = canvas.getContext('2d') as CanvasRenderingContext2D;
            g.font = `32px ${getComputedStyle(label).fontFamily}`;
            g.textBaseline = 'top';
            return drawn.map((c) => {
                g.clearRect(0, 0, 48, 48);
                g.fillText(c, 4, 4);
                const alpha = g.getImageData(0, 0, 48, 48).data.filter((_, i) => i % 4 === 3);
                return Array.from(alpha, (a) => (a > 127 ? '#' : '.')).join('');
            });
        },
        [...chars, '\ue000'],
    );
    const [first, second, missing] = images;
    assert.notEqual(first, second, `${type}: "${chars[0]}" and "${chars[1]}" draw alike (no CJK font?)`);
    assert.ok(first !== missing && second !== missing, `${type}: Chinese draws as a missing glyph (no CJK font?)`);
}

/** Screenshots of every dialog, for review (git-ignored). */
const SHOTS = path.join(__dirname, 'screenshots');

/**
 * The yes/no rows as checkboxes that mirror the stored "yes"/"no" select, and nothing cut or
 * wrapped: every visible label on one line, every placeholder inside its input.
 */
async function checkLayout(page: Page, id: string): Promise<void> {
    const found = await page.evaluate((nid) => {
        const node = RED.nodes.node(nid) as EditedNode;
        const flags = Object.entries(node._def.defaults)
            .filter(([, d]) => d.value === 'yes' || d.value === 'no')
            .map(([field]) => {
                const box = document.querySelector(`#node-input-${field}-check`) as HTMLInputElement | null;
                const select = document.querySelector(`#node-input-${field}`) as HTMLSelectElement | null;
                return { field, box: Boolean(box), checked: box?.checked, value: select?.value };
            });
        const form = document.querySelector('.red-ui-tray:last-child .sis-dialog');
        const wrapped: string[] = [];
        const cut: string[] = [];
        const ctx = document.createElement('canvas').getContext('2d');
        for (const label of Array.from(form?.querySelectorAll('.form-row > label') ?? []) as HTMLElement[]) {
            if (!label.offsetParent || !label.innerText.trim()) continue;
            const line = Number.parseFloat(getComputedStyle(label).lineHeight) || 20;
            if (label.offsetHeight > line * 1.5 || label.scrollWidth > label.clientWidth + 1) {
                wrapped.push(label.innerText.trim());
            }
        }
        for (const input of Array.from(form?.querySelectorAll('input[placeholder]') ?? []) as HTMLInputElement[]) {
            if (!input.offsetParent || !input.placeholder || !ctx) continue;
            ctx.font = getComputedStyle(input).font;
            if (ctx.measureText(input.placeholder).width > input.clientWidth - 8) cut.push(input.placeholder);
        }
        return { flags, wrapped, cut, form: Boolean(form) };
    }, id);
    assert.ok(found.form, `${id}: the dialog has the package's dialog class`);
    for (const f of found.flags) {
        assert.ok(f.box, `${id}.${f.field}: a checkbox`);
        assert.equal(f.checked, f.value === 'yes', `${id}.${f.field}: checkbox mirrors the stored value`);
    }
    assert.deepEqual(found.wrapped, [], `${id}: wrapped labels`);
    assert.deepEqual(found.cut, [], `${id}: cut placeholders`);
}

const haveBrowser = existsSync(CHROMIUM);

describe(`editor in headless Chromium on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(120_000);
    let emu: Emulator;
    let red: RedProcess;
    let userDir: string;

    before(async function () {
        if (!haveBrowser) {
            // CI installs Debian's chromium; elsewhere these tests need it too.
            if (process.env.CI) throw new Error(`${CHROMIUM} is missing`);
            this.skip();
        }
        emu = await startCanaryEmulator();
        emu.transcripts.register(fixture('zh_16k.wav'), transcript('zh_16k.wav'));
        // No catalogue look-ups from the palette manager: this machine has no route to them.
        // The package is installed in the user directory, as users install it (a link to this
        // checkout): its catalogues then load under its own namespace.
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
        await red.deploy(demoFlow(emu));
    });
    after(async () => {
        await red?.stop();
        await emu?.close();
        if (userDir) removeUserDir(userDir);
    });

    it('serves resources/sis-editor.js to the editor, installed as a module and from nodesDir', async () => {
        const script = '/resources/node-red-contrib-huaweicloud-sis/sis-editor.js';
        const source = readFileSync(path.join(ROOT, 'resources', 'sis-editor.js'), 'utf8');
        // The default of startRed: nodesDir at the package root, which Node-RED loads as a module.
        const fromNodesDir = await startRed();
        try {
            for (const url of [red.url, fromNodesDir.url]) {
                const res = await fetch(`${url}${script}`);
                assert.equal(res.status, 200, url);
                assert.match(res.headers.get('content-type') ?? '', /javascript/);
                assert.equal(await res.text(), source);
            }
        } finally {
            await fromNodesDir.stop();
            removeUserDir(fromNodesDir.userDir);
        }
    });

    for (const [locale, lang] of [
        ['en-US', 'en-US'],
        ['zh-CN', 'zh-CN'],
    ]) {
        it(`${locale}: the palette shows every node, each dialog opens translated with its help, and saves`, async () => {
            const { ctx, page, problems, dir } = await launch(locale);
            try {
                await openEditor(page, red);
                for (const type of TYPES) {
                    const entry = page.locator(`#red-ui-palette .red-ui-palette-node[data-palette-type="${type}"]`);
                    await entry.waitFor({ state: 'attached', timeout: 20_000 });
                    const label = (await entry.textContent())?.replace(/\s+/g, ' ').trim();
                    assert.equal(label, catalog(lang, type).paletteLabel, `palette label of ${type}`);
                    const category = await page.evaluate((t) => RED.nodes.getType(t)?.category, type);
                    assert.equal(category, 'Huawei SIS');
                }
                for (const type of TYPES) {
                    const id = type === 'sis-short-asr' ? 'asr' : `n-${type}`;
                    // Every yes/no field set to its non-default answer first, for its dialog to show.
                    await page.evaluate((nid) => {
                        const node = RED.nodes.node(nid) as EditedNode;
                        for (const [field, d] of Object.entries(node._def.defaults)) {
                            if (d.value === 'yes' || d.value === 'no') node[field] = d.value === 'yes' ? 'no' : 'yes';
                        }
                        RED.editor.edit(node);
                    }, id);
                    const tray = page.locator('#red-ui-editor-stack .red-ui-tray').last();
                    await tray.locator('#node-input-config').waitFor({ state: 'attached', timeout: 10_000 });
                    await page.waitForTimeout(200);
                    await checkSharedRows(page, tray, id);
                    await checkLayout(page, id);
                    mkdirSync(SHOTS, { recursive: true });
                    await tray.screenshot({ path: path.join(SHOTS, `${locale}-${type}.png`) });
                    // A checkbox changes the stored string, which stays "yes" or "no".
                    const flag = await page.evaluate((nid) => {
                        const node = RED.nodes.node(nid) as EditedNode;
                        return Object.keys(node._def.defaults).find(
                            (f) => f === 'add_punc' || f === 'interim_results' || f === 'cache',
                        );
                    }, id);
                    if (flag) {
                        const before = await page.locator(`#node-input-${flag}`).inputValue();
                        await page.locator(`#node-input-${flag}-check`).click();
                        const after = await page.locator(`#node-input-${flag}`).inputValue();
                        assert.deepEqual([before, after].sort(), ['no', 'yes'], `${type}.${flag} toggled`);
                        await page.locator(`#node-input-${flag}-check`).click();
                    }
                    const text = (await tray.innerText()).replace(/\s+/g, ' ');
                    assert.doesNotMatch(text, /sis-[a-z-]+\.[a-z]/, `raw catalogue key in the ${type} dialog`);
                    const labels = catalog(lang, type).label as Record<string, string>;
                    assert.ok(
                        Object.values(labels).some((l) => text.includes(l)),
                        `${type} dialog shows its ${lang} labels`,
                    );
                    if (lang === 'zh-CN') await checkCjkGlyphs(page, type, text);
                    await page.click('#node-dialog-ok');
                    await tray.waitFor({ state: 'detached', timeout: 10_000 });
                    await page.evaluate((t) => RED.sidebar.help.show(t), type);
                    // The help renders asynchronously; wait for its text rather than a fixed time.
                    const opening = helpOpening(lang, type);
                    const helpText = await page
                        .waitForFunction(
                            (start) => {
                                const el = document.querySelector('#red-ui-sidebar');
                                const text = el instanceof HTMLElement ? el.innerText : '';
                                return text.includes(start) ? text : false;
                            },
                            opening,
                            { timeout: 10_000 },
                        )
                        .then((h) => h.jsonValue() as Promise<string>)
                        .catch(() => '');
                    assert.ok(helpText.length > 200, `${type} help is shown`);
                    assert.doesNotMatch(helpText, /sis-[a-z-]+\.[a-z]/, `raw key in the ${type} help`);
                }
                assert.deepEqual(problems, []);
            } finally {
                await ctx.close();
                rmSync(dir, { recursive: true, force: true });
            }
        });
    }

    for (const locale of ['en-US', 'zh-CN']) {
        it(`${locale}: the config dialog folds its advanced rows, and Test tests what the dialog holds`, async () => {
            const { ctx, page, problems, dir } = await launch(locale);
            try {
                await openEditor(page, red);
                await page.evaluate(() => RED.editor.editConfig('', 'sis-config', 'cfg'));
                const tray = page.locator('#red-ui-editor-stack .red-ui-tray').last();
                await tray.locator('#node-config-input-region').waitFor({ state: 'visible', timeout: 10_000 });
                await page.waitForTimeout(300);
                assert.equal(await tray.locator('.sis-fold[data-fold="advanced"]').count(), 1);
                // Endpoints are set (the emulator's): the advanced rows are open, so nothing set is hidden.
                assert.ok(await tray.locator('#node-config-input-endpoint').isVisible());
                await checkLayout(page, 'cfg');
                mkdirSync(SHOTS, { recursive: true });
                await tray.screenshot({ path: path.join(SHOTS, `${locale}-sis-config.png`) });
                const result = tray.locator('#sis-config-test-result');
                const shows = async (re: RegExp): Promise<string> => {
                    const end = Date.now() + 15_000;
                    let text = '';
                    while (Date.now() < end) {
                        text = (await result.innerText()).trim();
                        if (re.test(text)) return text;
                        await page.waitForTimeout(100);
                    }
                    throw new Error(`Test result ${JSON.stringify(text)} does not match ${re}`);
                };
                if (locale === 'en-US') {
                    // The SK field holds __PWRD__ (untouched): the deployed SK is used.
                    assert.equal(await tray.locator('#node-config-input-sk').inputValue(), '__PWRD__');
                    await tray.locator('#sis-config-test').click();
                    await shows(new RegExp(`^Connected: project ${emu.account.projectId}$`));
                    // A wrong SK typed in the dialog: the result goes at once, and Test fails.
                    await tray.locator('#node-config-input-sk').fill('wrong-secret-typed-in-the-dialog');
                    assert.equal((await result.innerText()).trim(), '');
                    await tray.locator('#sis-config-test').click();
                    const failed = await shows(/^Failed: AUTH_FAILED/);
                    assert.ok(!failed.includes('wrong-secret-typed-in-the-dialog'));
                    // Password auth with empty fields: no stale "Connected".
                    await tray.locator('#node-config-input-authType').selectOption('password');
                    assert.equal((await result.innerText()).trim(), '');
                    await tray.locator('#sis-config-test').click();
                    await shows(/^Failed: NOT_CONFIGURED/);
                }
                await page.click('#node-config-dialog-cancel');
                assert.deepEqual(problems, []);
            } finally {
                await ctx.close();
                rmSync(dir, { recursive: true, force: true });
            }
        });
    }

    it('deploys from the editor and runs the demo from its inject button to a debug message', async () => {
        const { ctx, page, problems, dir } = await launch('en-US');
        try {
            await openEditor(page, red);
            // A change made in the editor, then deployed from the editor.
            await page.evaluate(() => RED.editor.edit(RED.nodes.node('asr')));
            await page.locator('#node-input-name').fill('heard it');
            await page.click('#node-dialog-ok');
            await page.click('#red-ui-header-button-deploy');
            // The nodes placed only to test their dialogs are not fully configured: confirm.
            const confirm = page.getByRole('button', { name: /Confirm deploy/ });
            await confirm.click({ timeout: 3000 }).catch(() => undefined);
            const deployedName = async (): Promise<string | undefined> => {
                const flows = (await (await fetch(`${red.url}/flows`)).json()) as { id: string; name?: string }[];
                return flows.find((n) => n.id === 'asr')?.name;
            };
            const end = Date.now() + 15_000;
            while ((await deployedName()) !== 'heard it' && Date.now() < end) await page.waitForTimeout(100);
            assert.equal(await deployedName(), 'heard it');
            await page.evaluate(() => RED.sidebar.show('debug'));
            await page.locator('g.red-ui-flow-node-group[id="inject"] .red-ui-flow-node-button').click();
            const message = page.locator('.red-ui-debug-msg-payload, .red-ui-debug-msg-element').filter({
                hasText: transcript('zh_16k.wav')[0],
            });
            await message.first().waitFor({ timeout: 20_000 });
            // The status under the node is words with its number, as the runtime sent it.
            const status = page.locator('g.red-ui-flow-node-group[id="asr"] .red-ui-flow-node-status-label');
            const end2 = Date.now() + 10_000;
            while ((await status.textContent()) !== '1 sentence' && Date.now() < end2) await page.waitForTimeout(100);
            assert.equal(await status.textContent(), '1 sentence');
            assert.deepEqual(problems, []);
        } finally {
            await ctx.close();
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
