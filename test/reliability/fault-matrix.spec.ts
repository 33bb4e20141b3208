// Every node against every fault the emulator can inject: each cell ends either retried and
// successful, or in one clear coded error — never a crash, a doubled output or a lost result.
import * as assert from 'node:assert/strict';
import type { FaultSpec } from '../../emulator/types';
import { type Emulator, routeLog, useEmulator } from '../helpers/emulator';
import { harness } from '../helpers/flow';
import { helper, nodeRedVersion } from '../helpers/nr';
import { delay } from '../helpers/wait';
import { SCENARIOS } from './scenarios';

interface Cell {
    name: string;
    faults: (route: string) => FaultSpec[];
    /** 'ok' = retried and succeeded; otherwise the one error code expected. */
    outcome: 'ok' | string | string[];
    /** The outcome for a request that must not be repeated once sent (a job submission). */
    once?: string | string[];
    /** Only for token (password) authentication. */
    token?: boolean;
    websocket?: boolean;
}

type R = FaultSpec['route'];

const HTTP_CELLS: Cell[] = [
    {
        name: '429 with Retry-After',
        faults: (r) => [{ route: r as R, kind: 'status', status: 429, retryAfter: 0, count: 1 }],
        outcome: 'ok',
        once: 'RATE_LIMITED',
    },
    {
        name: '500',
        faults: (r) => [{ route: r as R, kind: 'status', status: 500, count: 1 }],
        outcome: 'ok',
        once: 'SERVICE_UNAVAILABLE',
    },
    {
        name: '502',
        faults: (r) => [{ route: r as R, kind: 'status', status: 502, count: 1 }],
        outcome: 'ok',
        once: 'SERVICE_UNAVAILABLE',
    },
    {
        name: '503',
        faults: (r) => [{ route: r as R, kind: 'status', status: 503, count: 1 }],
        outcome: 'ok',
        once: 'SERVICE_UNAVAILABLE',
    },
    {
        name: 'connection reset',
        faults: (r) => [{ route: r as R, kind: 'reset', count: 1 }],
        outcome: 'ok',
        once: 'NETWORK',
    },
    {
        name: 'slow headers past the timeout',
        faults: (r) => [{ route: r as R, kind: 'slow-headers', delayMs: 2500, count: 1 }],
        outcome: 'ok',
        once: 'TIMEOUT',
    },
    {
        name: 'truncated body',
        faults: (r) => [{ route: r as R, kind: 'truncated', count: 1 }],
        outcome: ['ok', 'PROTOCOL'],
        once: ['NETWORK', 'PROTOCOL'],
    },
    { name: 'malformed body', faults: (r) => [{ route: r as R, kind: 'malformed', count: 1 }], outcome: 'PROTOCOL' },
    {
        name: '401 expired token',
        faults: (r) => [{ route: r as R, kind: 'token-expired', count: 1 }],
        outcome: 'ok',
        token: true,
    },
    {
        name: '503 that never ends',
        faults: (r) => [{ route: r as R, kind: 'status', status: 503, count: 100 }],
        outcome: 'SERVICE_UNAVAILABLE',
    },
    {
        name: '429 that never ends',
        faults: (r) => [{ route: r as R, kind: 'status', status: 429, retryAfter: 0, count: 100 }],
        outcome: 'RATE_LIMITED',
    },
    {
        name: 'a SIS engine error',
        faults: (r) => [{ route: r as R, kind: 'status', status: 500, code: 'SIS.0605', count: 100 }],
        outcome: 'SIS.0605',
    },
];

const WS_CELLS: Cell[] = [
    {
        name: '401 expired token at the handshake',
        faults: (r) => [{ route: r as R, kind: 'token-expired', count: 1 }],
        outcome: 'ok',
        token: true,
        websocket: true,
    },
    {
        name: 'WebSocket closed mid-stream',
        faults: (r) => [{ route: r as R, kind: 'ws-close', afterFrames: 2, count: 1 }],
        outcome: 'ok',
        websocket: true,
    },
    {
        name: 'ERROR frame',
        faults: (r) => [{ route: r as R, kind: 'ws-error', code: 'SIS.0305', count: 1 }],
        outcome: 'SIS.0305',
        websocket: true,
    },
    {
        name: 'FATAL_ERROR frame',
        faults: (r) => [{ route: r as R, kind: 'ws-fatal', code: 'SIS.0302', count: 1 }],
        outcome: 'SIS.0302',
        websocket: true,
    },
];

describe(`fault matrix on Node-RED ${nodeRedVersion()}`, function () {
    this.timeout(30_000);

    const getEmu = useEmulator({ limits: { jobDelayMs: 100 } });
    before(() => {
        helper.settings({ sisJobAsrPollMs: 50 } as unknown as Parameters<typeof helper.settings>[0]);
    });
    after(() => {
        helper.settings({ sisJobAsrPollMs: undefined } as unknown as Parameters<typeof helper.settings>[0]);
    });

    let emu: Emulator;
    beforeEach(() => {
        emu = getEmu();
    });

    let cellCount = 0;
    for (const scenario of SCENARIOS) {
        describe(scenario.name, () => {
            for (const cell of [...HTTP_CELLS, ...WS_CELLS]) {
                if (Boolean(cell.websocket) !== scenario.websocket) continue;
                it(cell.name, async () => {
                    scenario.prepare(emu);
                    const h = await harness(emu, scenario.type, scenario.props, {
                        outputs: scenario.outputs,
                        authType: cell.token ? 'password' : 'aksk',
                        configExtra: { maxRetries: 2, timeout: 1 },
                        // A fresh id per cell: a job still followed by the last cell's node is not this cell's.
                        id: `n-${++cellCount}`,
                    });
                    for (const f of cell.faults(scenario.route)) emu.faults.add(f);
                    for (const m of scenario.inputs ? scenario.inputs() : [scenario.input()]) h.send(m);
                    const wanted =
                        scenario.outcomes?.[cell.name] ??
                        (scenario.repeatable ? cell.outcome : (cell.once ?? cell.outcome));
                    const outcomes = Array.isArray(wanted) ? wanted : [wanted];
                    // A real-time speech stream has no count up front: its last part carries it.
                    const expected = (): number => {
                        if (scenario.expected >= 0) return scenario.expected;
                        const last = h.out[0].find(
                            (m) => (m.parts as { count?: number } | undefined)?.count !== undefined,
                        );
                        return (last?.parts as { count: number } | undefined)?.count ?? Number.POSITIVE_INFINITY;
                    };
                    const budget = outcomes.includes('waiting') ? 3000 : 20_000;
                    const end = Date.now() + budget;
                    while (h.out[0].length < expected() && h.caught.length === 0 && Date.now() < end) await delay(10);
                    // Anything that would double an output or an error arrives in this window.
                    await delay(300);
                    if (outcomes.includes('waiting')) {
                        // Still following the job: neither a result nor an error yet.
                        assert.deepEqual([h.out[0].length, h.caught.length], [0, 0]);
                    } else if (h.caught.length > 0) {
                        const code = (h.caught[0].sis_error as { code: string }).code;
                        assert.ok(outcomes.includes(code), `expected ${outcomes.join(' or ')}, got error ${code}`);
                        assert.equal(h.caught.length, 1, 'one error');
                        if (scenario.partialOnError) {
                            // Parts delivered before the failure stay delivered; the sequence is never completed.
                            assert.ok(
                                h.out[0].every((m) => (m.parts as { count?: number } | undefined)?.count === undefined),
                            );
                        } else {
                            assert.equal(h.out[0].length, 0, 'no result beside the error');
                        }
                    } else {
                        assert.ok(outcomes.includes('ok'), `expected ${outcomes.join(' or ')}, got a result`);
                        assert.equal(
                            h.out[0].length,
                            expected(),
                            `every result exactly once: ${JSON.stringify(emu.log.entries().map((e) => [e.route, e.status]))} ${JSON.stringify(h.out[0].map((m) => [m.payload, (m.sis_result as { job_id?: string }).job_id]))}`,
                        );
                    }
                    assert.ok(
                        routeLog(emu, scenario.route).length >= 1 || emu.faults.list().length < cell.faults('x').length,
                        'the request reached the route under test',
                    );
                });
            }
        });
    }
});
