// Every node over HTTPS and WSS, as the cloud serves them: trusted through the configuration's
// CA file, refused with a clear error without it (never a silent skip of the check), and the
// real-time WebSockets through an HTTP CONNECT proxy named by `https_proxy`.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { type Emulator, startCanaryEmulator } from '../helpers/emulator';
import { type Harness, harness } from '../helpers/flow';
import { helper, nodeRedVersion } from '../helpers/nr';
import { delay } from '../helpers/wait';
import { SCENARIOS, type Scenario } from './scenarios';

/** A host name that is not loopback (so proxies apply), led to the emulator by the test proxy. */
const REMOTE_HOST = 'sis.example.test';

interface ConnectProxy {
    url: string;
    targets: string[];
    close(): Promise<void>;
}

/** A small HTTP CONNECT proxy that leads every tunnel to the emulator's port. */
async function startConnectProxy(port: number): Promise<ConnectProxy> {
    const targets: string[] = [];
    const sockets = new Set<net.Socket>();
    const server = http.createServer((_req, res) => res.writeHead(405).end());
    server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
        targets.push(String(req.url));
        const upstream = net.connect(port, '127.0.0.1', () => {
            client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
            if (head.length) upstream.write(head);
            upstream.pipe(client);
            client.pipe(upstream);
        });
        for (const s of [client, upstream]) {
            sockets.add(s);
            s.on('error', () => undefined);
            s.on('close', () => sockets.delete(s));
        }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port: own } = server.address() as net.AddressInfo;
    return {
        url: `http://127.0.0.1:${own}`,
        targets,
        close: () =>
            new Promise<void>((resolve) => {
                for (const s of sockets) s.destroy();
                server.close(() => resolve());
            }),
    };
}

/** Runs one good input of a scenario; resolves when its results or an error are in. */
async function run(h: Harness, scenario: Scenario): Promise<void> {
    for (const m of scenario.inputs ? scenario.inputs() : [scenario.input()]) h.send(m);
    const expected = (): number => {
        if (scenario.expected >= 0) return scenario.expected;
        const last = h.out[0].find((m) => (m.parts as { count?: number } | undefined)?.count !== undefined);
        return (last?.parts as { count: number } | undefined)?.count ?? Number.POSITIVE_INFINITY;
    };
    const end = Date.now() + 20_000;
    while (h.out[0].length < expected() && h.caught.length === 0 && Date.now() < end) await delay(10);
    await delay(100);
}

/** The scenario's good input ends in its results, with no error. */
function assertResults(h: Harness, scenario: Scenario): void {
    assert.deepEqual(
        h.caught.map((m) => (m.sis_error as { message: string }).message),
        [],
    );
    if (scenario.expected >= 0) assert.equal(h.out[0].length, scenario.expected);
    else assert.ok(h.out[0].length > 0);
}

// One run per request path: the submission scenario already follows its job to the end.
const PATHS = SCENARIOS.filter((s) => s.name !== 'sis-job-asr (polling)');

describe(`TLS on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(60_000);
    let emu: Emulator;

    before(async () => {
        emu = await startCanaryEmulator({ tls: true, tlsNames: [REMOTE_HOST], limits: { jobDelayMs: 100 } });
        helper.settings({ sisJobAsrPollMs: 50 } as unknown as Parameters<typeof helper.settings>[0]);
    });
    after(async () => {
        helper.settings({ sisJobAsrPollMs: undefined } as unknown as Parameters<typeof helper.settings>[0]);
        await emu.close();
    });
    beforeEach((done) => {
        helper.startServer(done);
    });
    afterEach(async () => {
        await helper.unload();
        await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
    });

    it('serves HTTPS and WSS with a CA of its own', () => {
        assert.match(emu.url, /^https:\/\//);
        assert.ok(emu.caFile);
    });

    for (const scenario of PATHS) {
        it(`${scenario.name}: works with the emulator's CA in the configuration's CA file`, async () => {
            scenario.prepare(emu);
            const h = await harness(emu, scenario.type, scenario.props, {
                outputs: scenario.outputs,
                configExtra: { caFile: emu.caFile },
            });
            await run(h, scenario);
            assertResults(h, scenario);
        });

        it(`${scenario.name}: without the CA, one clear TLS error and nothing sent`, async () => {
            scenario.prepare(emu);
            const before = emu.log.entries().length;
            const h = await harness(emu, scenario.type, scenario.props, {
                outputs: scenario.outputs,
                configExtra: { maxRetries: 3 },
            });
            await run(h, scenario);
            assert.equal(h.out[0].length, 0);
            assert.ok(h.caught.length >= 1);
            for (const m of h.caught) {
                const info = m.sis_error as { code: string; message: string; retryable: boolean };
                assert.equal(info.code, 'NETWORK');
                assert.match(info.message, /TLS verification/);
                assert.match(info.message, /certificate/i);
                assert.equal(info.retryable, false, 'a certificate problem is not retried');
            }
            assert.equal(emu.log.entries().length, before, 'no request reached the service');
        });
    }

    for (const scenario of PATHS.filter((s) => s.websocket)) {
        it(`${scenario.name}: wss through an HTTP CONNECT proxy named by https_proxy`, async () => {
            const proxy = await startConnectProxy(emu.port);
            const saved = process.env.https_proxy;
            process.env.https_proxy = proxy.url;
            try {
                scenario.prepare(emu);
                const remote = `https://${REMOTE_HOST}:${emu.port}`;
                const h = await harness(emu, scenario.type, scenario.props, {
                    outputs: scenario.outputs,
                    configExtra: { caFile: emu.caFile, endpoint: remote },
                });
                await run(h, scenario);
                assertResults(h, scenario);
                assert.ok(proxy.targets.length >= 1);
                assert.ok(proxy.targets.every((t) => t === `${REMOTE_HOST}:${emu.port}`));
            } finally {
                if (saved === undefined) delete process.env.https_proxy;
                else process.env.https_proxy = saved;
                await proxy.close();
            }
        });
    }
});
