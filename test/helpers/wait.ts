/** Resolves with the next `event` emitted by `emitter`, or rejects after `ms`. */
export function nextEvent<T>(
    emitter: {
        once(event: string, fn: (v: T) => void): unknown;
        removeListener(event: string, fn: (v: T) => void): unknown;
    },
    event: string,
    ms = 5000,
): Promise<T> {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            emitter.removeListener(event, onEvent);
            reject(new Error(`no ${event} within ${ms} ms`));
        }, ms);
        const onEvent = (v: T): void => {
            clearTimeout(timer);
            resolve(v);
        };
        emitter.once(event, onEvent);
    });
}

export function delay(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value other than undefined. */
export async function until<T>(check: () => T | undefined, ms = 5000, step = 10): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
        const v = check();
        if (v !== undefined) return v;
        if (Date.now() > end) throw new Error('condition not met in time');
        await delay(step);
    }
}
