// The shipped example `examples/browser-microphone.json` for real: a started Node-RED with FlowFuse
// Dashboard 2 installed beside this package, its page in headless Chromium with a fake microphone
// fed from a WAV file (the package's Mandarin sample at 48 kHz, made with the package's own
// resampler), recognised by the emulator, the text shown on the page and the spoken answer loaded
// into the page's audio element.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { Resampler } from '../../nodes/lib/audio/resample';
import { configFor, type Emulator, startCanaryEmulator } from '../helpers/emulator';
import { fixture } from '../helpers/fixtures';
import { nodeRedVersion } from '../helpers/nr';
import { makeUserDir, type RedProcess, removeUserDir, startRed } from '../helpers/red-process';
import { wavOf } from '../helpers/stream';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(__dirname, '../..');
const EXAMPLE = path.join(ROOT, 'examples', 'browser-microphone.json');
const DASHBOARD = '@flowfuse/node-red-dashboard';

function dashboardDir(): string | undefined {
    try {
        return path.dirname(require.resolve(`${DASHBOARD}/package.json`, { paths: [ROOT] }));
    } catch {
        return undefined;
    }
}

/** `pcm` (16 kHz 16-bit mono) at `rate`, through the package's resampler. */
function resampled(pcm: Buffer, rate: number): Buffer {
    const samples = new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.length));
    const r = new Resampler(16000, rate);
    const a = r.push(samples);
    const b = r.flush();
    const out = Buffer.alloc((a.length + b.length) * 2);
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, 0);
    Buffer.from(b.buffer, b.byteOffset, b.byteLength).copy(out, a.byteLength);
    return out;
}

/** The emulator's text for speech it has no transcript for: sentence number and duration. */
const UNKNOWN_SPEECH = /^第(\d+)句话，时长(\d+\.\d)秒。$/;

describe(`dashboard microphone in headless Chromium on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(120_000);
    let emu: Emulator;
    let red: RedProcess;
    let userDir: string;
    let scratch: string;
    let micWav: string;

    before(async function () {
        const dashboard = dashboardDir();
        const missing = !existsSync(CHROMIUM) ? CHROMIUM : !dashboard ? `${DASHBOARD} (npm ci)` : undefined;
        if (missing) {
            if (process.env.CI) throw new Error(`${missing} is missing`);
            console.log(`      (skipped: ${missing} is missing)`);
            this.skip();
        }
        emu = await startCanaryEmulator();
        scratch = mkdtempSync(path.join(tmpdir(), 'sis-mic-'));
        // Chromium's fake microphone plays a 48 kHz (or 44.1 kHz) WAV file, in a loop. Half a
        // second of silence first, so that the loop's seam falls in silence.
        const speech = resampled(fixture('zh_16k.pcm'), 48000);
        micWav = path.join(scratch, 'mic-48k.wav');
        writeFileSync(micWav, wavOf(Buffer.concat([Buffer.alloc(48000), speech]), 48000, 1));
        // Both packages installed in the user directory, as users install them (links here).
        userDir = makeUserDir();
        writeFileSync(
            path.join(userDir, 'package.json'),
            JSON.stringify({ name: 'sis-dashboard-test', private: true }),
        );
        mkdirSync(path.join(userDir, 'node_modules', '@flowfuse'), { recursive: true });
        symlinkSync(ROOT, path.join(userDir, 'node_modules', 'node-red-contrib-huaweicloud-sis'), 'dir');
        symlinkSync(dashboard as string, path.join(userDir, 'node_modules', DASHBOARD), 'dir');
        red = await startRed({
            userDir,
            settings: {
                nodesDir: [],
                editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
            },
            startTimeoutMs: 40_000,
        });
        // The example as shipped, its configuration node pointed at this emulator.
        const flow = (JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>[]).map((n) => {
            if (n.type !== 'sis-config') return n;
            const { node, credentials } = configFor(emu, 'aksk');
            return { ...n, ...node, id: n.id, name: n.name, credentials };
        });
        await red.deploy(flow);
    });
    after(async () => {
        await red?.stop();
        await emu?.close();
        if (userDir) removeUserDir(userDir);
        if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    it('browser-microphone.json: speech from the microphone shows as text on the page, and the answer plays there', async () => {
        const profile = mkdtempSync(path.join(tmpdir(), 'sis-chromium-'));
        const ctx = await chromium.launchPersistentContext(profile, {
            executablePath: CHROMIUM,
            headless: true,
            viewport: { width: 1200, height: 900 },
            args: [
                '--no-sandbox',
                '--disable-gpu',
                '--no-first-run',
                '--disable-background-networking',
                '--disable-component-update',
                '--disable-dev-shm-usage',
                '--use-fake-ui-for-media-stream',
                '--use-fake-device-for-media-stream',
                `--use-file-for-fake-audio-capture=${micWav}`,
                '--autoplay-policy=no-user-gesture-required',
            ],
        });
        const problems: string[] = [];
        try {
            const page = ctx.pages()[0] ?? (await ctx.newPage());
            page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
            page.on('console', (m) => {
                if (m.type() === 'error') problems.push(`console: ${m.text()}`);
            });
            await page.goto(`${red.url}/dashboard/microphone`);
            const button = page.locator('.sis-mic-button');
            await button.waitFor({ timeout: 30_000 });
            // Every interim text the page shows, as it shows it.
            await page.evaluate(() => {
                const seen: string[] = [];
                (window as unknown as { seen: string[] }).seen = seen;
                const el = document.querySelector('.sis-interim');
                if (!el) return;
                new MutationObserver(() => {
                    const t = (el.textContent ?? '').trim();
                    if (t) seen.push(t);
                }).observe(el, { childList: true, characterData: true, subtree: true });
            });
            await button.click();
            const status = page.locator('.sis-status');
            /** Waits for `what`; a timeout names what the page said and logged. */
            const expect = async (what: string, p: Promise<unknown>): Promise<void> => {
                try {
                    await p;
                } catch (err) {
                    const said = await status.textContent().catch(() => '?');
                    throw new Error(`${what}: ${(err as Error).message}\npage status: ${said}\n${problems.join('\n')}`);
                }
            };
            // The page captures at the browser's own rate (Chromium's fake device: 44100 or 48000 Hz).
            await expect('listening', status.filter({ hasText: /Microphone at \d+ Hz/ }).waitFor({ timeout: 10_000 }));
            const rate = Number(/at (\d+) Hz/.exec((await status.textContent()) ?? '')?.[1]);
            assert.ok(rate === 44100 || rate === 48000, `capture rate ${rate}`);
            // Two sentences of the loop final on the page, then stop.
            await expect(
                'two final sentences',
                page.waitForFunction(() => document.querySelectorAll('.sis-final').length >= 2, null, {
                    timeout: 30_000,
                }),
            );
            await button.click();
            await expect('the end of the recognition', status.filter({ hasText: 'END' }).waitFor({ timeout: 15_000 }));
            const finals = await page.locator('.sis-final').allTextContents();
            const interims = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);

            // The emulator has no transcript for speech that went through a microphone (it was
            // resampled twice and the loop starts anywhere), so it names each sentence with its
            // duration. The sample's sentences last 0.67 s and 1.34 s: the durations show that the
            // node read the capture rate from the page's WAV header and converted it (audio
            // taken as 16 kHz would last about three times as long).
            assert.ok(finals.length >= 2, `final sentences on the page: ${finals.join(' | ')}`);
            const durations = finals.map((t) => {
                const m = UNKNOWN_SPEECH.exec(t.trim());
                assert.ok(m, `a sentence of the emulator: "${t}"`);
                return Number(m[2]);
            });
            const whole = durations.slice(0, -1); // the last one may be cut by Stop
            for (const d of whole) {
                assert.ok(Math.abs(d - 0.7) <= 0.2 || Math.abs(d - 1.3) <= 0.2, `a sentence of ${d} s: ${finals}`);
            }
            assert.ok(interims.length > 0, 'interim text was shown while a sentence was spoken');
            for (const t of interims) assert.ok(finals.some((f) => f.startsWith(t)) || t.startsWith('第'), t);

            // The answer: a WAV from sis-tts, played in the page's audio element.
            const answer = await page.waitForFunction(
                async () => {
                    const el = document.querySelector('audio.sis-answer') as HTMLAudioElement | null;
                    if (!el?.src.startsWith('blob:') || !(el.duration > 0)) return false;
                    const bytes = new Uint8Array(await (await fetch(el.src)).arrayBuffer());
                    return {
                        size: bytes.length,
                        riff: String.fromCharCode(...bytes.subarray(0, 4)),
                        duration: el.duration,
                    };
                },
                null,
                { timeout: 20_000, polling: 200 },
            );
            const info = (await answer.jsonValue()) as { size: number; riff: string; duration: number };
            assert.equal(info.riff, 'RIFF');
            assert.ok(info.size > 1000 && info.duration > 0.2, JSON.stringify(info));
            assert.deepEqual(problems, []);
        } finally {
            await ctx.close();
            rmSync(profile, { recursive: true, force: true });
        }
    });
});
