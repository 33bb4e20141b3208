// Fault injection: tests and users arm faults per route; the server takes them as requests arrive.

import type { FaultController, FaultKind, FaultSpec, RouteName } from './types';

export const FAULT_KINDS: readonly FaultKind[] = [
    'status',
    'delay',
    'slow-headers',
    'reset',
    'malformed',
    'truncated',
    'token-expired',
    'ws-close',
    'ws-error',
    'ws-fatal',
];

export const ROUTE_NAMES: readonly RouteName[] = [
    'iam.tokens',
    'iam.projects',
    'iam.securitytokens',
    'short-audio',
    'flash',
    'transcriber.create',
    'transcriber.query',
    'tts',
    'vocabularies',
    'rasr',
    'rtts',
    'short-audio.ws',
    'obs.put',
    'obs.get',
    'obs.head',
    'obs.delete',
];

interface ArmedFault {
    spec: FaultSpec;
    remaining: number;
}

export function createFaultController(): FaultController {
    let armed: ArmedFault[] = [];
    return {
        add(spec) {
            armed.push({ spec: { ...spec }, remaining: spec.count ?? 1 });
        },
        take(route, kinds) {
            for (const fault of armed) {
                if (fault.spec.route !== '*' && fault.spec.route !== route) continue;
                if (kinds && !kinds.includes(fault.spec.kind)) continue;
                fault.remaining -= 1;
                if (fault.remaining <= 0) armed = armed.filter((f) => f !== fault);
                return fault.spec;
            }
            return undefined;
        },
        list: () => armed.map((f) => ({ ...f.spec, count: f.remaining })),
        clear() {
            armed = [];
        },
    };
}

function isNonNegativeNumber(value: unknown): value is number {
    return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** Checks an untrusted fault description (admin API, CLI); returns an error message or the spec. */
export function parseFaultSpec(input: unknown): FaultSpec | string {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return 'a fault must be a JSON object';
    const o = input as Record<string, unknown>;
    const route = o.route ?? '*';
    if (route !== '*' && !ROUTE_NAMES.includes(route as RouteName)) return `unknown route: ${String(route)}`;
    if (!FAULT_KINDS.includes(o.kind as FaultKind)) return `unknown fault kind: ${String(o.kind)}`;
    const spec: FaultSpec = { route: route as RouteName | '*', kind: o.kind as FaultKind };
    for (const key of ['status', 'retryAfter', 'delayMs', 'count', 'afterFrames'] as const) {
        if (o[key] === undefined) continue;
        if (!isNonNegativeNumber(o[key])) return `${key} must be a non-negative number`;
        spec[key] = o[key];
    }
    if (spec.status !== undefined && (spec.status < 100 || spec.status > 599)) return 'status must be 100-599';
    for (const key of ['code', 'message'] as const) {
        if (o[key] === undefined) continue;
        if (typeof o[key] !== 'string') return `${key} must be a string`;
        spec[key] = o[key];
    }
    return spec;
}
