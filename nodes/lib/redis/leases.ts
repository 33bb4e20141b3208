// Work items shared by several instances, each held by one of them at a time through a lease, and
// ended exactly once. Every step that must not race is one Lua script, so it runs atomically in
// Redis. Keys, for items of one kind (e.g. `job`) of one group (e.g. a node id):
//
//   <prefix><kind>:<id>            the item's record (JSON), expiring after the item's lifetime
//   <prefix><kind>:<id>:lease      the holder's id, expiring after one lease unless renewed
//   <prefix><kind>:<id>:done       how and by whom the item ended (set once, never replaced)
//   <prefix><group kind>:<group>:<kind>s   the ids of the group's items (a set), for the others to find
//
// A holder renews its leases every third of a lease and acts on an item only while its own
// deadline (the renewal's sending time plus one lease, less a margin) has not passed: Redis
// counts the lease from when it received the renewal, which is later, so another instance can
// claim the item only after the holder has stopped. The `done` mark is taken before anything is
// sent: whoever takes it answers, everyone else drops the item.
import { randomUUID } from 'node:crypto';
import type { SharedState } from './redis';

const REGISTER = `
if redis.call('EXISTS', KEYS[3]) == 1 then return 'done' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX')
redis.call('SADD', KEYS[4], ARGV[5])
local ttl = redis.call('PTTL', KEYS[4])
if ttl < tonumber(ARGV[6]) then redis.call('PEXPIRE', KEYS[4], ARGV[6]) end
local holder = redis.call('GET', KEYS[2])
if not holder then
    redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
    return 'held'
end
if holder == ARGV[3] then
    redis.call('PEXPIRE', KEYS[2], ARGV[4])
    return 'held'
end
return 'taken'
`;

const CLAIM = `
if redis.call('EXISTS', KEYS[3]) == 1 then
    redis.call('SREM', KEYS[4], ARGV[3])
    return {'done'}
end
local record = redis.call('GET', KEYS[1])
if not record then
    redis.call('SREM', KEYS[4], ARGV[3])
    return {'missing'}
end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return {'taken'} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return {'claimed', record}
`;

const RENEW = `
local out = {}
for i = 1, #KEYS, 3 do
    local state
    if redis.call('EXISTS', KEYS[i + 1]) == 1 then
        state = 'done'
    else
        local holder = redis.call('GET', KEYS[i])
        if holder == ARGV[1] then
            redis.call('PEXPIRE', KEYS[i], ARGV[2])
            state = 'held'
        elseif holder then
            state = 'lost'
        else
            redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2])
            state = 'held'
        end
        if state == 'held' and redis.call('EXISTS', KEYS[i + 2]) == 0 then state = 'missing' end
    end
    out[#out + 1] = state
end
return out
`;

const RELEASE = `
for i = 1, #KEYS do
    if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 0
`;

const FINISH = `
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then
    if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('SREM', KEYS[4], ARGV[3])
return 1
`;

export type RegisterResult = 'held' | 'taken' | 'done';
export type ClaimResult = { state: 'claimed'; record: unknown } | { state: 'taken' | 'done' | 'missing' };
/** `missing`: held, but Redis lost the record (restarted without its data): register it again. */
export type RenewResult = 'held' | 'lost' | 'done' | 'missing';

export interface LeaseTableOptions {
    /** Items' kind, in their keys: `job`. */
    kind: string;
    /** The group's kind and id, in the set's key: `node`, a node id. */
    groupKind: string;
    group: string;
    /** This holder's id (newOwnerId). */
    owner: string;
}

/** How long an ended item's mark is kept: longer than any instance may still hold it. */
export const DONE_TTL_MS = 7 * 24 * 3600_000;

export class LeaseTable {
    constructor(
        private readonly state: SharedState,
        private readonly opts: LeaseTableOptions,
    ) {}

    get leaseMs(): number {
        return this.state.leaseMs;
    }

    get owner(): string {
        return this.opts.owner;
    }

    private recordKey(id: string): string {
        return this.state.key(this.opts.kind, id);
    }

    private leaseKey(id: string): string {
        return this.state.key(this.opts.kind, id, 'lease');
    }

    private doneKey(id: string): string {
        return this.state.key(this.opts.kind, id, 'done');
    }

    private setKey(): string {
        return this.state.key(this.opts.groupKind, this.opts.group, `${this.opts.kind}s`);
    }

    /**
     * Records an item (unless it is recorded already), lists it in its group and takes its lease
     * when nobody holds it. `ttlMs` bounds the record's life (and the group set's).
     */
    async register(id: string, record: unknown, ttlMs: number): Promise<RegisterResult> {
        const ttl = Math.max(1000, Math.round(ttlMs));
        const answer = await this.state.script(
            REGISTER,
            [this.recordKey(id), this.leaseKey(id), this.doneKey(id), this.setKey()],
            [JSON.stringify(record), ttl, this.opts.owner, this.leaseMs, id, ttl + DONE_TTL_MS],
        );
        return answer === 'held' || answer === 'done' ? answer : 'taken';
    }

    /** Takes an item nobody holds; an ended or vanished item leaves the group. */
    async claim(id: string): Promise<ClaimResult> {
        const answer = (await this.state.script(
            CLAIM,
            [this.recordKey(id), this.leaseKey(id), this.doneKey(id), this.setKey()],
            [this.opts.owner, this.leaseMs, id],
        )) as unknown[];
        const state = String(answer?.[0]);
        if (state === 'claimed') {
            let record: unknown;
            try {
                record = JSON.parse(String(answer[1]));
            } catch {
                record = undefined;
            }
            return { state: 'claimed', record };
        }
        return { state: state === 'done' || state === 'missing' ? state : 'taken' };
    }

    /** The ids listed in the group. */
    async list(): Promise<string[]> {
        const answer = await this.state.command(['SMEMBERS', this.setKey()]);
        return Array.isArray(answer) ? answer.map(String) : [];
    }

    /** The record of an item, if Redis still has it. */
    async get(id: string): Promise<unknown> {
        const answer = await this.state.command(['GET', this.recordKey(id)]);
        if (answer === null || answer === undefined) return undefined;
        try {
            return JSON.parse(String(answer));
        } catch {
            return undefined;
        }
    }

    /** Renews the leases of the items held (taking any that lapsed and nobody took). */
    async renew(ids: readonly string[]): Promise<Map<string, RenewResult>> {
        const out = new Map<string, RenewResult>();
        if (ids.length === 0) return out;
        const keys = ids.flatMap((id) => [this.leaseKey(id), this.doneKey(id), this.recordKey(id)]);
        const answer = (await this.state.script(RENEW, keys, [this.opts.owner, this.leaseMs])) as unknown[];
        ids.forEach((id, i) => {
            const s = String(answer?.[i]);
            out.set(id, s === 'held' || s === 'done' || s === 'missing' ? s : 'lost');
        });
        return out;
    }

    /** Lets go of items (a redeploy, a stop): another instance may claim them at once. */
    async release(ids: readonly string[]): Promise<void> {
        if (ids.length === 0) return;
        await this.state.script(
            RELEASE,
            ids.map((id) => this.leaseKey(id)),
            [this.opts.owner],
        );
    }

    /** A mark for finish(): how the item ended, by whom, and a nonce for this one attempt. */
    mark(how: string): string {
        return `${how} ${this.opts.owner} ${randomUUID().slice(0, 8)}`;
    }

    /**
     * Ends an item once across all instances: true for the one caller that gets to answer it,
     * false for every other. Asking again with the same mark (after an answer that got lost) is
     * still true; two attempts with different marks never both are, even in one instance.
     */
    async finish(id: string, mark: string): Promise<boolean> {
        const answer = await this.state.script(
            FINISH,
            [this.doneKey(id), this.recordKey(id), this.leaseKey(id), this.setKey()],
            [mark, DONE_TTL_MS, id],
        );
        return Number(answer) === 1;
    }
}
