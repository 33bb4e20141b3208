// The API gateway's X-Request-Id of a refused request reaches the flow author: on
// `msg.sis_error.request_id` and in the error's message (so the log line is enough for a support
// case), for SIS REST, IAM, OBS and WebSocket handshakes alike; and a flash request for an object
// SIS may not read says what to grant.
import * as assert from 'node:assert/strict';
import type { FaultSpec } from '../../emulator/types';
import { configFor, type Emulator, routeLog, useEmulator } from '../helpers/emulator';
import { fixture, transcript } from '../helpers/fixtures';
import { type Harness, harness } from '../helpers/flow';
import { asFlow, helper, loadNode, nodeRedVersion } from '../helpers/nr';
import { until } from '../helpers/wait';

const zh = fixture('zh_16k.wav');
const zhPcm = fixture('zh_16k.pcm');

interface Case {
    name: string;
    type: string;
    props: Record<string, unknown>;
    outputs?: number;
    authType?: 'aksk' | 'password';
    fault: FaultSpec;
    inputs: Record<string, unknown>[];
}

const CASES: Case[] = [
    {
        name: 'SIS REST (short audio)',
        type: 'sis-short-asr',
        props: { property: 'chinese_16k_common', audio_format: 'auto' },
        fault: { route: 'short-audio', kind: 'status', status: 400, code: 'SIS.0032', message: 'bad request' },
        inputs: [{ payload: zh }],
    },
    {
        name: 'IAM (token request)',
        type: 'sis-short-asr',
        props: { property: 'chinese_16k_common', audio_format: 'auto' },
        authType: 'password',
        fault: { route: 'iam.tokens', kind: 'status', status: 403, code: 'IAM.0002', message: 'forbidden' },
        inputs: [{ payload: zh }],
    },
    {
        name: 'OBS (staging upload)',
        type: 'sis-flash-asr',
        props: { property: 'chinese_16k_conversation', audio_format: 'auto', stagingPrefix: 'node-red/' },
        fault: { route: 'obs.put', kind: 'status', status: 403, code: 'AccessDenied', message: 'Access Denied' },
        inputs: [{ payload: zh }],
    },
    {
        name: 'WebSocket handshake (real-time recognition)',
        type: 'sis-stream-asr',
        props: { mode: 'continue-stream', property: 'chinese_16k_general', audio_format: 'pcm16k16bit' },
        outputs: 2,
        fault: { route: 'rasr', kind: 'status', status: 403, code: 'APIG.0302', message: 'forbidden' },
        inputs: [
            { payload: zhPcm.subarray(0, 6400), session: 'r' },
            { control: 'end', session: 'r' },
        ],
    },
];

function errorOf(h: Harness): { request_id?: string; message: string; code: string } {
    return h.caught[0].sis_error as { request_id?: string; message: string; code: string };
}

describe(`request ids of refused requests on Node-RED ${nodeRedVersion()}`, () => {
    const getEmu = useEmulator();
    let emu: Emulator;
    beforeEach(() => {
        emu = getEmu();
    });

    for (const c of CASES) {
        it(`${c.name}: on msg.sis_error.request_id and in the message`, async () => {
            emu.faults.add({ count: 10, ...c.fault });
            const h = await harness(emu, c.type, c.props, {
                outputs: c.outputs ?? 1,
                authType: c.authType,
                configExtra: { maxRetries: 0 },
            });
            for (const m of c.inputs) h.send(m);
            await until(() => (h.caught.length > 0 ? true : undefined), 10_000);
            const refused = routeLog(emu, c.fault.route as string).filter((e) => e.status >= 400);
            assert.ok(refused.length >= 1, 'the request was refused');
            const info = errorOf(h);
            // The gateway's id is its X-Request-Id; OBS names its own (x-obs-request-id, RequestId).
            const id = c.fault.route.startsWith('obs.') ? info.request_id : refused[refused.length - 1].request_id;
            if (c.fault.route.startsWith('obs.')) assert.match(String(id), /^[0-9A-F]{24}$/);
            else assert.match(String(id), /^[0-9a-f]{32}$/);
            assert.equal(info.request_id, id);
            assert.ok(info.message.includes(`request ${id}`), info.message);
        });
    }

    it('without a Catch node, the line Node-RED logs names the request id', async () => {
        emu.faults.add({ route: 'short-audio', kind: 'status', status: 400, code: 'SIS.0032', message: 'bad' });
        const { node: cfg, credentials } = configFor(emu, 'aksk', { maxRetries: 0 });
        await helper.load(
            [loadNode('sis-config'), loadNode('sis-short-asr')],
            asFlow([
                { id: 'tab', type: 'tab', label: 'test' },
                cfg,
                { id: 'n1', z: 'tab', type: 'sis-short-asr', config: 'cfg', property: 'chinese_16k_common', wires: [] },
            ]),
            { cfg: credentials },
        );
        helper.getNode('n1').receive({ payload: zh });
        const line = await until(() =>
            (helper.log().args as unknown[][])
                .map((a) => a[0] as { level?: number; msg?: unknown })
                .find((e) => e.level === 20 && String(e.msg).includes('SIS.0032')),
        );
        const id = routeLog(emu, 'short-audio')[0].request_id;
        assert.ok(String(line.msg).includes(`request ${id}`), String(line.msg));
    });

    it('a flash request for an object SIS may not read says what to grant', async () => {
        emu.setBucketAcl('private-recordings', { sisRead: false, publicRead: false });
        emu.transcripts.register(zh, transcript('zh_16k.wav'));
        const h = await harness(emu, 'sis-flash-asr', {
            property: 'chinese_16k_conversation',
            audio_format: 'auto',
        });
        h.send({ payload: 'obs://private-recordings/meeting.wav' });
        await until(() => (h.caught.length > 0 ? true : undefined), 10_000);
        const info = errorOf(h);
        assert.equal(info.code, 'SIS.0609');
        assert.match(info.message, /grant SIS read access to the bucket/);
    });
});
