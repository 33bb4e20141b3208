// The shared-state library against a real redis-server: the connection with a user and password,
// leases taken once, renewed, lost and taken over, the `done` mark taken by exactly one of many
// racers, and what happens when Redis restarts with or without its data.
import * as assert from 'node:assert/strict';
import { boundedMessage } from '../../nodes/lib/jobs/shared-jobs';
import { LeaseTable } from '../../nodes/lib/redis/leases';
import { loadRedis, SharedState } from '../../nodes/lib/redis/redis';
import {
    REDIS_PASSWORD,
    REDIS_USER,
    type RedisServer,
    requireRedisServer,
    startRedisServer,
} from '../helpers/redis-server';
import { delay, until } from '../helpers/wait';

const LEASE_MS = 600;

describe('shared state in Redis (real redis-server)', function () {
    this.timeout(20_000);
    let redis: RedisServer;
    const states: SharedState[] = [];
    const logs: string[] = [];

    before(async function () {
        const bin = requireRedisServer(this);
        redis = await startRedisServer(bin);
    });
    after(async () => {
        await Promise.all(states.map((s) => s.close()));
        await redis?.close();
    });
    afterEach(async () => {
        await Promise.all(states.splice(0).map((s) => s.close()));
        if (redis) await redis.command('FLUSHALL');
    });

    function open(extra: Partial<ConstructorParameters<typeof SharedState>[0]> = {}): SharedState {
        const state = new SharedState(
            { url: redis.url, username: REDIS_USER, password: REDIS_PASSWORD, leaseMs: LEASE_MS, ...extra },
            { warn: (m) => logs.push(`warn ${m}`), log: (m) => logs.push(`log ${m}`) },
        );
        states.push(state);
        return state;
    }

    async function connected(state: SharedState): Promise<SharedState> {
        await until(() => (state.ready ? true : undefined), 5000);
        return state;
    }

    function table(state: SharedState, owner: string): LeaseTable {
        return new LeaseTable(state, { kind: 'job', groupKind: 'node', group: 'n1', owner });
    }

    it('names the package to install when the client is missing', () => {
        assert.throws(
            () => loadRedis([], 'redis-package-that-is-not-installed'),
            (err: Error & { code?: string }) =>
                err.code === 'NOT_CONFIGURED' && /npm install redis-package-that-is-not-installed/.test(err.message),
        );
        const bad = open({ url: 'http://127.0.0.1:1' });
        assert.match(bad.error ?? '', /redis:\/\/ or rediss:\/\//);
    });

    it('connects with its user and password; a wrong password is reported without the password', async () => {
        const state = await connected(open());
        assert.equal(await state.command(['PING']), 'PONG');
        const wrong = open({ password: 'WrongCanaryPassword-1' });
        await until(() => (logs.some((l) => /unreachable|WRONGPASS|invalid/i.test(l)) ? true : undefined), 5000);
        assert.equal(wrong.ready, false);
        assert.ok(!logs.join('\n').includes('WrongCanaryPassword-1'), logs.join('\n'));
        assert.ok(!logs.join('\n').includes(REDIS_PASSWORD));
    });

    it('one holder per item: registered and held, taken by nobody else until its lease lapses', async () => {
        const state = await connected(open());
        const a = table(state, 'A');
        const b = table(state, 'B');
        assert.equal(await a.register('j1', { job_id: 'j1' }, 60_000), 'held');
        assert.deepEqual(await a.list(), ['j1']);
        assert.deepEqual(await b.claim('j1'), { state: 'taken' });
        assert.equal(await b.register('j1', { job_id: 'other' }, 60_000), 'taken', 'a second record does not replace');
        assert.deepEqual(await a.get('j1'), { job_id: 'j1' });
        // A renews for two leases: B still cannot take it.
        for (let i = 0; i < 4; i++) {
            await delay(LEASE_MS / 3);
            assert.equal((await a.renew(['j1'])).get('j1'), 'held');
            assert.deepEqual(await b.claim('j1'), { state: 'taken' });
        }
        // A stops renewing: one lease later B takes it, and A learns it lost it.
        await delay(LEASE_MS + 50);
        assert.deepEqual(await b.claim('j1'), { state: 'claimed', record: { job_id: 'j1' } });
        assert.equal((await a.renew(['j1'])).get('j1'), 'lost');
        // A release by someone who does not hold it changes nothing; by the holder, frees it at once.
        await a.release(['j1']);
        assert.deepEqual(await a.claim('j1'), { state: 'taken' });
        await b.release(['j1']);
        assert.equal((await a.claim('j1')).state, 'claimed');
    });

    it('exactly one of many racers takes the done mark; the winner may ask again after a lost answer', async () => {
        const state = await connected(open());
        const racers = Array.from({ length: 12 }, (_, i) => table(state, `owner${i}`));
        for (let round = 0; round < 20; round++) {
            const id = `race${round}`;
            await racers[0].register(id, { job_id: id }, 60_000);
            const marks = racers.map((r) => r.mark('result'));
            const wins = await Promise.all(racers.map((r, i) => r.finish(id, marks[i])));
            assert.equal(wins.filter(Boolean).length, 1, `round ${round}`);
            const winner = wins.indexOf(true);
            assert.equal(await racers[winner].finish(id, marks[winner]), true, 'same mark again');
            assert.equal(await racers[winner].finish(id, racers[winner].mark('result')), false, 'a new attempt');
            // Ended: gone from the group, nobody can hold or record it again.
            assert.deepEqual(await racers[1].claim(id), { state: 'done' });
            assert.equal(await racers[2].register(id, { job_id: id }, 60_000), 'done');
            assert.equal((await racers[0].renew([id])).get(id), 'done');
        }
        assert.deepEqual(await racers[0].list(), []);
    });

    it('fails fast while Redis is down, and keeps or re-takes its leases after a restart', async () => {
        const state = await connected(open());
        const a = table(state, 'A');
        assert.equal(await a.register('j1', { job_id: 'j1' }, 60_000), 'held');
        await redis.stop();
        await until(() => (state.ready ? undefined : true), 5000);
        const t0 = Date.now();
        await assert.rejects(a.renew(['j1']), /not connected|Redis/);
        assert.ok(Date.now() - t0 < 500, 'no offline queue');
        await redis.start();
        await connected(state);
        // The data was saved on shutdown; the scripts are loaded again (NOSCRIPT after a restart).
        assert.equal((await a.renew(['j1'])).get('j1'), 'held');
        assert.deepEqual(await table(state, 'B').claim('j1'), { state: 'taken' });
        assert.ok(logs.some((l) => /reachable again/.test(l)));
        // A Redis that lost its data: the holder learns the record is missing (and holds the lease).
        await redis.command('FLUSHALL');
        assert.equal((await a.renew(['j1'])).get('j1'), 'missing');
        assert.equal(await a.register('j1', { job_id: 'j1' }, 60_000), 'held');
        assert.deepEqual(await a.list(), ['j1']);
    });

    it('keys live under the prefix; records expire with their lifetime', async () => {
        const state = await connected(open({ prefix: 'test-prefix:' }));
        const a = table(state, 'A');
        await a.register('j1', { job_id: 'j1' }, 1000);
        const keys = (await redis.command('KEYS', '*')).split('\r\n').filter((l) => l.includes(':'));
        assert.deepEqual(keys.sort(), ['test-prefix:job:j1', 'test-prefix:job:j1:lease', 'test-prefix:node:n1:jobs']);
        await delay(1100);
        assert.deepEqual(await a.claim('j1'), { state: 'missing' });
        assert.deepEqual(await a.list(), []);
    });

    it('bounds the kept message of a shared record', () => {
        const big = 'x'.repeat(40_000);
        const { msg, dropped } = boundedMessage({ a: big, b: big, topic: 't', _msgid: 'm', c: 1 }, 64 * 1024);
        assert.deepEqual(Object.keys(msg), ['_msgid', 'topic', 'a', 'c']);
        assert.deepEqual(dropped, ['b']);
    });
});
