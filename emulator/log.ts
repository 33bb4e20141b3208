// Request log: what clients sent, with secrets masked, so tests can assert on the wire traffic.

import type { LogEntry, RequestLog } from './types';

/** Oldest entries are dropped past this size so long runs (benchmarks) keep a bounded memory. */
const DEFAULT_CAPACITY = 5000;

const SECRET_HEADERS = new Set(['x-auth-token', 'x-subject-token', 'x-security-token', 'x-obs-security-token']);

export function createRequestLog(capacity = DEFAULT_CAPACITY): RequestLog {
    let items: LogEntry[] = [];
    return {
        add(entry) {
            items.push(entry);
            if (items.length > capacity) items = items.slice(items.length - Math.floor(capacity / 2));
        },
        entries: () => items.slice(),
        clear() {
            items = [];
        },
    };
}

function maskValue(value: string): string {
    return value.length <= 8 ? '***' : `${value.slice(0, 4)}***(${value.length})`;
}

/** Keeps the AK and SignedHeaders of an AK/SK or OBS Authorization header, masks the signature. */
function maskAuthorization(value: string): string {
    const sdk = value.indexOf('Signature=');
    if (sdk >= 0) return `${value.slice(0, sdk)}Signature=***`;
    const colon = value.lastIndexOf(':');
    if (value.startsWith('OBS ') || value.startsWith('AWS ')) return `${value.slice(0, colon + 1)}***`;
    return maskValue(value);
}

export function maskHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of Object.keys(headers)) {
        const raw = headers[name];
        if (raw === undefined) continue;
        const value = Array.isArray(raw) ? raw.join(', ') : raw;
        if (name === 'authorization') out[name] = maskAuthorization(value);
        else if (SECRET_HEADERS.has(name)) out[name] = maskValue(value);
        else out[name] = value;
    }
    return out;
}

/** Shortens audio (`data`) and masks passwords and secrets in a JSON body, recursively. */
export function maskBody(body: unknown, depth = 0): unknown {
    if (depth > 8 || body === null || typeof body !== 'object') return body;
    if (Array.isArray(body)) return body.map((item) => maskBody(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
        if ((key === 'password' || key === 'secret' || key === 'securitytoken') && typeof value === 'string') {
            out[key] = '***';
        } else if (key === 'data' && typeof value === 'string' && value.length > 64) {
            out[key] = `${value.slice(0, 16)}...(${value.length} chars)`;
        } else {
            out[key] = maskBody(value, depth + 1);
        }
    }
    return out;
}
