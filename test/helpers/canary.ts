// The canary: one value used as every secret in the suites. Whatever a test loaded into Node-RED
// is searched for it when the flow is unloaded: log calls, and everything a harness collected
// (messages, errors, statuses). Finding it fails the test.

export const CANARY = 'CanarySecret-7f3e9a1c-do-not-leak';
export const CANARY_PASSWORD = 'CanaryPassword-5b2d8e4f-do-not-leak';

const observed: unknown[] = [];

/** Adds values to scan at the next unload. */
export function observe(value: unknown): void {
    observed.push(value);
}

/** JSON-like text of anything, tolerant of cycles, with Buffers and functions elided. */
export function textOf(value: unknown): string {
    const seen = new WeakSet<object>();
    return (
        JSON.stringify(value, (_key, v: unknown) => {
            if (Buffer.isBuffer(v) || v instanceof Uint8Array) return '<bytes>';
            if (typeof v === 'function') return '<fn>';
            if (v instanceof Error) return { name: v.name, message: v.message, stack: v.stack };
            if (v !== null && typeof v === 'object') {
                if (seen.has(v)) return '<cycle>';
                seen.add(v);
                const ctor = (v as { constructor?: { name?: string } }).constructor?.name;
                if (ctor === 'IncomingMessage' || ctor === 'ServerResponse' || ctor === 'Socket') return `<${ctor}>`;
            }
            return v;
        }) ?? ''
    );
}

/** Scans and forgets what was observed; returns a description of any leak. */
export function findLeak(extra: unknown): string | undefined {
    const text = textOf([extra, observed]);
    observed.length = 0;
    for (const secret of [CANARY, CANARY_PASSWORD]) {
        const at = text.indexOf(secret);
        if (at >= 0) return text.slice(Math.max(0, at - 300), at + 60);
    }
    return undefined;
}
