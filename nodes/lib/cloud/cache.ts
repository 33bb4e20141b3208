// A value fetched once and shared: concurrent callers wait for the same fetch (single flight),
// and a value close to expiry is refreshed ahead of time.

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

    /** Drops the cached value (only if it still is `which`, when given). */
    invalidate(which?: T): void {
        if (which === undefined || this.value === which) this.value = undefined;
    }
}
