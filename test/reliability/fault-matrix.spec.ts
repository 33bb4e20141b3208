// Every node against every fault the emulator can inject: each cell ends either retried and
// successful, or in one clear coded error — never a crash, a doubled output or a lost result.
import * as assert from 'node:assert/strict';
import type { FaultSpec } from '../../emulator/types';
import { type Emulator, routeLog, useEmulator } from '../helpers/emulator';
import { harness } from '../helpers/flow';
import { nodeRedVersion } from '../helpers/nr';
import { delay } from '../helpers/wait';
import { SCENARIOS } from './scenarios';

interface Cell {
    name: string;
    faults: (route: string) => FaultSpec[];
    /** 'ok' = retried and succeeded; otherwise the one error code expected. */
    outcome: 'ok' | string | string[];
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
    },
    { name: '500', faults: (r) => [{ route: r as R, kind: 'status', status: 500, count: 1 }], outcome: 'ok' },
    { name: '502', faults: (r) => [{ route: r as R, kind: 'status', status: 502, count: 1 }], outcome: 'ok' },
    { name: '503', faults: (r) => [{ route: r as R, kind: 'status', status: 503, count: 1 }], outcome: 'ok' },
    { name: 'connection reset', faults: (r) => [{ route: r as R, kind: 'reset', count: 1 }], outcome: 'ok' },
    {
        name: 'slow headers past the timeout',
        faults: (r) => [{ route: r as R, kind: 'slow-headers', delayMs: 2500, count: 1 }],
        outcome: 'ok',
    },
    {
        name: 'truncated body',
        faults: (r) => [{ route: r as R, kind: 'truncated', count: 1 }],
        outcome: ['ok', 'PROTOCOL'],
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

    const getEmu = useEmulator();

    let emu: Emulator;
    beforeEach(() => {
        emu = getEmu();
    });

    for (const scenario of SCENARIOS) {
        describe(scenario.type, () => {
            for (const cell of [...HTTP_CELLS, ...WS_CELLS]) {
                if (Boolean(cell.websocket) !== scenario.websocket) continue;
                it(cell.name, async () => {
                    scenario.prepare(emu);
                    const h = await harness(emu, scenario.type, scenario.props, {
                        outputs: scenario.outputs,
                        authType: cell.token ? 'password' : 'aksk',
                        configExtra: { maxRetries: 2, timeout: 1 },
                    });
                    for (const f of cell.faults(scenario.route)) emu.faults.add(f);
                    h.send(scenario.input());
                    const outcomes = Array.isArray(cell.outcome) ? cell.outcome : [cell.outcome];
                    const end = Date.now() + 20_000;
                    while (h.out[0].length < scenario.expected && h.caught.length === 0 && Date.now() < end)
                        await delay(10);
                    // Anything that would double an output or an error arrives in this window.
                    await delay(300);
                    if (h.caught.length > 0) {
                        const code = (h.caught[0].sis_error as { code: string }).code;
                        assert.ok(outcomes.includes(code), `expected ${outcomes.join(' or ')}, got error ${code}`);
                        assert.equal(h.caught.length, 1, 'one error');
                        assert.equal(h.out[0].length, 0, 'no result beside the error');
                    } else {
                        assert.ok(outcomes.includes('ok'), `expected ${outcomes.join(' or ')}, got a result`);
                        assert.equal(h.out[0].length, scenario.expected, 'every result exactly once');
                    }
                    assert.ok(routeLog(emu, scenario.route).length >= 1);
                });
            }
        });
    }
});
