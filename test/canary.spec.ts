// The canary guard itself: a secret that reaches a log line fails the unload.
import * as assert from 'node:assert/strict';
import { CANARY, textOf } from './helpers/canary';
import { asFlow, coreNode, helper } from './helpers/nr';
import { delay } from './helpers/wait';

describe('canary guard', () => {
    beforeEach((done) => {
        helper.startServer(done);
    });
    afterEach((done) => {
        helper.stopServer(done);
    });

    it('fails the unload when a secret was logged', async () => {
        const flow = [
            { id: 'tab', type: 'tab' },
            {
                id: 'f',
                type: 'function',
                z: 'tab',
                x: 1,
                y: 1,
                func: `node.warn(${JSON.stringify(`leak ${CANARY}`)}); return msg;`,
                wires: [[]],
            },
        ];
        await helper.load(coreNode('function/10-function.js'), asFlow(flow));
        helper.getNode('f').receive({ payload: 1 });
        await delay(50);
        await assert.rejects(helper.unload(), /secret reached/);
    });

    it('reads through cycles and elides bytes', () => {
        const a: Record<string, unknown> = { b: Buffer.from(CANARY) };
        a.self = a;
        assert.ok(!textOf(a).includes(CANARY));
        assert.match(textOf(a), /<cycle>/);
    });
});
