// Replies and error bodies in the two shapes the cloud uses (SIS service, API gateway), plus OBS XML.

import { randomUUID } from 'node:crypto';

/** What a route handler answers; the server writes it (and may spoil it when a fault is armed). */
export interface Reply {
    status: number;
    headers?: Record<string, string | number>;
    /** Raw body; `json` is serialised when `body` is absent. */
    body?: Buffer | string;
    json?: unknown;
    /** Error code for the request log. */
    errorCode?: string;
    /** Close the connection after answering (e.g. a body that was not read). */
    close?: boolean;
}

/** A SIS service error (`{error_code, error_msg}`); handlers throw it, the server answers it. */
export class SisError extends Error {
    constructor(
        public readonly code: string,
        message: string,
        public readonly extra?: Record<string, unknown>,
    ) {
        super(message);
        this.name = 'SisError';
    }
}

/** A gateway request id: 32 lower-case hex characters, new for every request. */
export function requestId(): string {
    return randomUUID().replaceAll('-', '');
}

/**
 * The `X-Request-Id` header of an answer. Every answer carries one, as Huawei's API gateway sends
 * it (docs/protocol/errors.md §1); a gateway error body's `request_id` is the same value.
 */
export function answerRequestId(reply: Reply | undefined, fallback: string): string {
    const json = reply?.json as { request_id?: unknown } | undefined;
    if (json && typeof json === 'object' && typeof json.request_id === 'string') return json.request_id;
    return fallback;
}

// Upgrade requests keep their id here until the WebSocket handshake answers (ws/index.ts).
const UPGRADE_IDS = new WeakMap<object, string>();

export function setUpgradeRequestId(req: object, id: string): void {
    UPGRADE_IDS.set(req, id);
}

export function upgradeRequestId(req: object): string {
    let id = UPGRADE_IDS.get(req);
    if (!id) {
        id = requestId();
        UPGRADE_IDS.set(req, id);
    }
    return id;
}

export function traceId(): string {
    return randomUUID();
}

const STATUS_401 = new Set(['SIS.0101', 'SIS.0102']);
const STATUS_403 = new Set(['SIS.0103']);
const STATUS_429 = new Set(['SIS.0312', 'SIS.0536']);
const STATUS_500 = new Set([
    'SIS.0001',
    'SIS.0003',
    'SIS.0100',
    'SIS.0302',
    'SIS.0303',
    'SIS.0305',
    'SIS.0306',
    'SIS.0307',
    'SIS.0401',
    'SIS.0413',
    'SIS.0417',
    'SIS.0605',
]);
const STATUS_504 = new Set(['SIS.0033', 'SIS.0412', 'SIS.0414', 'SIS.0538']);

/** HTTP status of a SIS code: the emulator's mapping of docs/protocol/errors.md §4 (Huawei publishes none). */
export function sisStatus(code: string): number {
    if (STATUS_401.has(code)) return 401;
    if (STATUS_403.has(code)) return 403;
    if (STATUS_429.has(code)) return 429;
    if (STATUS_500.has(code)) return 500;
    if (STATUS_504.has(code)) return 504;
    return 400;
}

export function sisReply(code: string, message: string, extra?: Record<string, unknown>, status?: number): Reply {
    return {
        status: status ?? sisStatus(code),
        json: { error_code: code, error_msg: message, ...extra },
        errorCode: code,
    };
}

export function apigReply(status: number, code: string, message: string): Reply {
    return { status, json: { error_code: code, error_msg: message, request_id: requestId() }, errorCode: code };
}

export const AUTH_PREFIX = 'Incorrect IAM authentication information: ';

export function authFailure(detail: string): Reply {
    return apigReply(401, 'APIG.0301', AUTH_PREFIX + detail);
}

export function apiNotFound(): Reply {
    return apigReply(404, 'APIG.0101', 'The API does not exist or has not been published in the environment.');
}

export function entityTooLarge(): Reply {
    return { ...apigReply(413, 'APIG.0201', 'Request entity too large.'), close: true };
}

/** Default gateway error for a fault that names only a status. */
export function gatewayReplyForStatus(status: number, code?: string, message?: string): Reply {
    if (code?.startsWith('SIS.')) return sisReply(code, message ?? 'injected fault', undefined, status);
    const defaults: Record<number, [string, string]> = {
        400: ['APIG.0201', 'API request error.'],
        401: ['APIG.0301', `${AUTH_PREFIX}decrypt token fail`],
        403: ['APIG.0302', 'The IAM user is not authorized to access the API.'],
        404: ['APIG.0101', 'The API does not exist.'],
        413: ['APIG.0201', 'Request entity too large.'],
        429: [
            'APIG.0308',
            'The throttling threshold has been reached: policy user over ratelimit,limit:20,time:1 minute',
        ],
        502: ['APIG.0201', 'Backend unavailable.'],
        503: ['APIG.0201', 'Backend unavailable.'],
        504: ['APIG.0201', 'Backend timeout.'],
    };
    const [defCode, defMessage] = defaults[status] ?? ['APIG.0201', 'An unexpected error occurred.'];
    return apigReply(status, code ?? defCode, message ?? defMessage);
}

function xmlEscape(text: string): string {
    return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** OBS error in its XML shape (docs/protocol/obs.md §3). */
export function obsErrorReply(status: number, code: string, message: string, resource: string, head = false): Reply {
    const id = requestId().slice(0, 24).toUpperCase();
    const xml =
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>` +
        `<Resource>${xmlEscape(resource)}</Resource><RequestId>${id}</RequestId>` +
        `<HostId>${xmlEscape('sis-emulator')}</HostId></Error>`;
    return {
        status,
        headers: { 'Content-Type': 'application/xml', 'x-obs-request-id': id, 'x-obs-error-code': code },
        body: head ? '' : xml,
        errorCode: code,
    };
}

export function jsonReply(status: number, json: unknown, headers?: Record<string, string | number>): Reply {
    return { status, json, headers };
}
