// When to ask the service about a job again: quickly at first, then more slowly (docs/protocol/rest.md §2.3
// suggests 2 s for the first 30 s, then 5 s, then 15 s), and further apart after failures.

export const DEFAULT_POLL_MS = 2000;
/** Bounds of the runtime setting `sisJobAsrPollMs` (small values are for tests). */
export const MIN_POLL_MS = 10;
export const MAX_POLL_MS = 60_000;
/** Bounds of the node's own setting, in seconds: gentle enough for the real service. */
export const MIN_NODE_POLL_S = 0.5;

export const DEFAULT_TIMEOUT_MIN = 360;
export const MAX_TIMEOUT_MIN = 72 * 60;

function finite(value: unknown): number | undefined {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() ? Number(value) : NaN;
    return Number.isFinite(n) ? n : undefined;
}

/** The base interval: the node's setting (seconds), else the runtime setting (ms), else 2 s. */
export function pollBaseMs(nodeSeconds: unknown, runtimeMs: unknown): number {
    const own = finite(nodeSeconds);
    if (own !== undefined && own > 0)
        return Math.round(Math.min(MAX_POLL_MS / 1000, Math.max(MIN_NODE_POLL_S, own)) * 1000);
    const runtime = finite(runtimeMs);
    if (runtime !== undefined && runtime > 0) return Math.round(Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, runtime)));
    return DEFAULT_POLL_MS;
}

/** The node's overall timeout per job, in ms (setting in minutes, default 6 h, at most 72 h). */
export function jobTimeoutMs(minutes: unknown): number {
    const m = finite(minutes);
    const value = m !== undefined && m > 0 ? Math.min(MAX_TIMEOUT_MIN, m) : DEFAULT_TIMEOUT_MIN;
    return Math.round(value * 60_000);
}

/** The regular delay before the next query of a job that has been running for `elapsedMs`. */
export function pollDelay(elapsedMs: number, baseMs: number): number {
    if (elapsedMs < 15 * baseMs) return baseMs;
    if (elapsedMs < 150 * baseMs) return Math.round(2.5 * baseMs);
    return Math.round(7.5 * baseMs);
}

/** The delay after `failures` consecutive failed queries (throttling, outages): doubling, capped. */
export function failureDelay(failures: number, baseMs: number): number {
    return Math.round(Math.min(15 * baseMs, baseMs * 2 ** Math.max(1, failures)));
}

/** ±10 % so many jobs submitted together do not query in lock-step. */
export function jitter(ms: number, random: () => number = Math.random): number {
    return Math.max(0, Math.round(ms * (0.9 + 0.2 * random())));
}
