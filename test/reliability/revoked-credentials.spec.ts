// Password (IAM token) authentication when the service stops accepting credentials before their
// expiry, as after a password change or revoked sessions: every node, on every request path, gets
// a fresh token (and fresh temporary AK/SK for OBS staging) and the next input succeeds; a refusal
// that persists ends in one AUTH_FAILED after one renewal, never in a loop.
import * as assert from 'node:assert/strict';
import type { FaultSpec } from '../../emulator/types';
import { type Emulator, routeLog, useEmulator } from '../helpers/emulator';
import { type Harness, harness } from '../helpers/flow';
import { helper, nodeRedVersion } from '../helpers/nr';
import { delay } from '../helpers/wait';
import { SCENARIOS, type Scenario } from './scenarios';

/** Scenarios whose Buffer input is staged in OBS with temporary AK/SK. */
const STAGING = new Set(['sis-flash-asr', 'sis-job-asr']);

const TOKEN_MUST_BE_UPDATED = {
    kind: 'status',
    status: 401,
    code: 'APIG.0307',
    message: 'The token must be updated.',
} as const;

/** Messages a scenario's good input yields (a real-time speech stream: its last part says). */
function expectedOf(scenario: Scenario, out: Record<string, unknown>[]): number {
    if (scenario.expected >= 0) return scenario.expected;
    const last = out.find((m) => (m.parts as { count?: number } | undefined)?.count !== undefined);
    return (last?.parts as { count: number } | undefined)?.count ?? Number.POSITIVE_INFINITY;
}

/** Sends one good input and waits until it ended: its results, or an error. */
async function runInput(h: Harness, scenario: Scenario): Promise<Record<string, unknown>[]> {
    const before = h.out[0].length;
    const errors = h.caught.length;
    for (const m of scenario.inputs ? scenario.inputs() : [scenario.input()]) h.send(m);
    const end = Date.now() + 15_000;
    const mine = () => h.out[0].slice(before);
    while (mine().length < expectedOf(scenario, mine()) && h.caught.length === errors && Date.now() < end) {
        await delay(10);
    }
    // Anything that would double a result or add an error arrives in this window.
    await delay(300);
    return mine();
}

describe(`revoked credentials (password auth) on Node-RED ${nodeRedVersion()}`, function () {
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

    let count = 0;
    async function start(scenario: Scenario): Promise<Harness> {
        scenario.prepare(emu);
        return harness(emu, scenario.type, scenario.props, {
            outputs: scenario.outputs,
            authType: 'password',
            configExtra: { maxRetries: 2, timeout: 5 },
            id: `r-${++count}`,
        });
    }

    // The polling scenario differs from the submission one only in the route its faults go to.
    const distinct = SCENARIOS.filter((s) => s.name !== 'sis-job-asr (polling)');
    for (const scenario of distinct) {
        describe(scenario.name, () => {
            it('every token (and temporary AK/SK) revoked between inputs: the next input succeeds', async () => {
                const h = await start(scenario);
                const first = await runInput(h, scenario);
                assert.equal(h.caught.length, 0, 'the first input succeeds');
                assert.ok(first.length > 0);
                assert.equal(routeLog(emu, 'iam.tokens').length, 1);
                emu.log.clear();
                emu.revokeTokens();
                emu.revokeTemporaryCredentials();
                const second = await runInput(h, scenario);
                assert.deepEqual(
                    h.caught.map((m) => m.sis_error),
                    [],
                    'no error after the revocation',
                );
                assert.equal(second.length, expectedOf(scenario, second), 'every result exactly once');
                assert.equal(routeLog(emu, 'iam.tokens').length, 1, 'one new token');
                const refused = emu.log.entries().filter((e) => e.status === 401 || e.status === 403);
                assert.ok(refused.length >= 1, 'the revoked credentials were presented and refused');
                if (STAGING.has(scenario.type)) {
                    // Staging: OBS refuses the keys, IAM refuses the token asked for new ones, then both are new.
                    assert.deepEqual(
                        routeLog(emu, 'obs.put').map((e) => [e.status, e.error_code]),
                        [
                            [403, 'InvalidAccessKeyId'],
                            [200, undefined],
                        ],
                    );
                    assert.deepEqual(
                        routeLog(emu, 'iam.securitytokens').map((e) => [e.status, e.error_code]),
                        [
                            [401, 'APIG.0307'],
                            [201, undefined],
                        ],
                    );
                } else {
                    const onRoute = routeLog(emu, scenario.route).filter((e) => e.status === 401);
                    assert.equal(onRoute.length, 1);
                    assert.equal(onRoute[0].error_code, 'APIG.0307');
                }
            });
        });
    }

    for (const scenario of SCENARIOS) {
        const { route } = scenario;
        it(`${scenario.name}: a refusal that persists on ${route} gives one AUTH_FAILED after one renewal`, async () => {
            const h = await start(scenario);
            emu.faults.add({ route: route as FaultSpec['route'], ...TOKEN_MUST_BE_UPDATED, count: 100 });
            const results = await runInput(h, scenario);
            assert.equal(h.caught.length, 1, 'one error');
            assert.equal((h.caught[0].sis_error as { code: string }).code, 'AUTH_FAILED');
            assert.equal(results.length, 0, 'no result beside the error');
            assert.equal(routeLog(emu, route).length, 2, 'refused twice: the first token, then the fresh one');
            assert.equal(routeLog(emu, 'iam.tokens').length, 2, 'one renewal, no loop');
        });
    }

    for (const scenario of SCENARIOS.filter((s) => STAGING.has(s.type) && s.name !== 'sis-job-asr (polling)')) {
        it(`${scenario.name}: IAM refusing the token for temporary AK/SK every time gives one AUTH_FAILED`, async () => {
            const h = await start(scenario);
            emu.faults.add({ route: 'iam.securitytokens', ...TOKEN_MUST_BE_UPDATED, count: 100 });
            await runInput(h, scenario);
            assert.equal(h.caught.length, 1, 'one error');
            const info = h.caught[0].sis_error as { code: string; message: string };
            assert.equal(info.code, 'AUTH_FAILED');
            assert.match(info.message, /The token must be updated/);
            // The upload wants keys: it asks IAM with the cached token, renews it once and asks once
            // more, then gives up. Nothing reached OBS, so there is no staged object to clean up.
            assert.deepEqual(
                emu.log.entries().map((e) => [e.route, e.status]),
                [
                    ['iam.tokens', 201],
                    ['iam.securitytokens', 401],
                    ['iam.tokens', 201],
                    ['iam.securitytokens', 401],
                ],
            );
            assert.equal(h.out[0].length, 0);
        });

        it(`${scenario.name}: OBS refusing the temporary AK/SK every time gives one AUTH_FAILED`, async () => {
            const h = await start(scenario);
            emu.faults.add({ route: 'obs.put', kind: 'status', status: 403, code: 'InvalidSecurity', count: 100 });
            await runInput(h, scenario);
            assert.equal(h.caught.length, 1, 'one error');
            const info = h.caught[0].sis_error as { code: string; service_code?: string };
            assert.equal(info.code, 'AUTH_FAILED');
            assert.equal(info.service_code, 'InvalidSecurity');
            assert.equal(routeLog(emu, 'obs.put').length, 2);
            assert.equal(routeLog(emu, 'iam.securitytokens').length, 2, 'new keys once');
            assert.equal(routeLog(emu, 'iam.tokens').length, 1);
            assert.equal(h.out[0].length, 0);
        });
    }
});
