// A value fetched once and shared: concurrent callers wait for the same fetch (single flight),
// a value close to expiry is refreshed ahead of time, and a value the service refuses is dropped
// and fetched again, once.

export type Freshness = 'fresh' | 'stale' | 'expired';

export class SharedValue<T> {
    private value?: T;
    private inflight?: Promise<T>;

    /**
     * @param fetcher produces a new value
     * @param freshness 'stale' values are refreshed but still used if the refresh fails
     */
    constructor(
        private readonly fetcher: () => Promise<T>,
        private readonly freshness: (value: T) => Freshness = () => 'fresh',
    ) {}

    async get(): Promise<T> {
        const current = this.value;
        const state = current === undefined ? 'expired' : this.freshness(current);
        if (current !== undefined && state === 'fresh') return current;
        try {
            return await this.refresh();
        } catch (err) {
            // An IAM hiccup during the early-refresh window must not fail requests the old value still serves.
            if (current !== undefined && state === 'stale' && this.value === current) return current;
            throw err;
        }
    }

    private refresh(): Promise<T> {
        if (!this.inflight) {
            this.inflight = this.fetcher().then(
                (v) => {
                    this.value = v;
                    this.inflight = undefined;
                    return v;
                },
                (err: unknown) => {
                    this.inflight = undefined;
                    throw err;
                },
            );
        }
        return this.inflight;
    }

    /** The cached value, if any, without fetching. */
    peek(): T | undefined {
        return this.value;
    }

    /**
     * Runs `work`, which takes the value through the getter it is given (as often as it needs: a
     * request retried after a 5xx asks again). When `work` fails with an error `refused` says
     * condemns the value it used, that value is dropped and `work` runs once more with a fresh one.
     * A failure to get the value is never retried here (the fetch has its own retries).
     */
    async use<R>(work: (get: () => Promise<T>) => Promise<R>, refused: (err: unknown) => boolean): Promise<R> {
        for (let attempt = 0; ; attempt++) {
            let used: T | undefined;
            let fetchFailed = false;
            const get = async (): Promise<T> => {
                try {
                    used = await this.get();
                    return used;
                } catch (err) {
                    fetchFailed = true;
                    throw err;
                }
            };
            try {
                return await work(get);
            } catch (err) {
                if (attempt > 0 || used === undefined || fetchFailed || !refused(err)) throw err;
                // Only the value that was refused: another caller may already hold a fresh one.
                this.invalidate(used);
            }
        }
    }

    /** Drops the cached value (only if it still is `which`, when given). */
    invalidate(which?: T): void {
        if (which === undefined || this.value === which) this.value = undefined;
    }
}
