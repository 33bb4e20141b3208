// Shared state over TLS (`rediss://`) against a real redis-server with a TLS port: the server is
// verified with the configuration's extra CA, and one that cannot be verified is refused, never
// trusted silently.
import * as assert from 'node:assert/strict';
import { createTestPki } from '../../emulator/tls';
import { SharedState } from '../../nodes/lib/redis/redis';
import {
    REDIS_PASSWORD,
    REDIS_USER,
    type RedisServer,
    requireRedisServer,
    startRedisServer,
} from '../helpers/redis-server';
import { delay, until } from '../helpers/wait';

describe('shared state in Redis over TLS (real redis-server)', function () {
    this.timeout(20_000);
    const pki = createTestPki();
    let redis: RedisServer;
    const states: SharedState[] = [];
    const logs: string[] = [];

    before(async function () {
        const bin = requireRedisServer(this);
        redis = await startRedisServer(bin, { cert: pki.cert, key: pki.key });
    });
    after(async () => {
        await Promise.all(states.map((s) => s.close()));
        await redis?.close();
    });

    function open(ca: string | undefined): SharedState {
        const state = new SharedState(
            { url: String(redis.tlsUrl), username: REDIS_USER, password: REDIS_PASSWORD, ca },
            { warn: (m) => logs.push(`warn ${m}`), log: (m) => logs.push(`log ${m}`) },
        );
        states.push(state);
        return state;
    }

    it('connects to rediss:// verifying the server with the extra CA', async () => {
        assert.match(String(redis.tlsUrl), /^rediss:\/\/127\.0\.0\.1:\d+$/);
        const state = open(pki.caCert);
        await until(() => (state.ready ? true : undefined), 5000);
        assert.equal(await state.command(['PING']), 'PONG');
    });

    it('refuses a server its CA does not vouch for, and says why', async () => {
        logs.length = 0;
        const state = open(undefined);
        await until(() => (logs.some((l) => /certificate/i.test(l)) ? true : undefined), 5000);
        await delay(200);
        assert.equal(state.ready, false);
        assert.ok(!logs.join('\n').includes(REDIS_PASSWORD));
    });
});
