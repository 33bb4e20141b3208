// One error type for every failure the nodes report, mapped to the contract's error shape.

/** The project's own codes; the service's `SIS.*` codes are used as they come. */
export type LocalErrorCode =
    | 'INVALID_INPUT'
    | 'NOT_CONFIGURED'
    | 'AUTH_FAILED'
    | 'RATE_LIMITED'
    | 'TIMEOUT'
    | 'NETWORK'
    | 'SERVICE_UNAVAILABLE'
    | 'PROTOCOL'
    | 'NOT_FOUND'
    | 'REQUEST_REJECTED'
    | 'CANCELLED';

/** `msg.sis_error` as the contract fixes it. */
export interface SisErrorInfo {
    code: string;
    message: string;
    status?: number;
    trace_id?: string;
    service_code?: string;
    /** The API gateway's `X-Request-Id` of the refused request, for support cases. */
    request_id?: string;
    retryable: boolean;
}

export interface SisErrorOptions {
    status?: number;
    traceId?: string;
    serviceCode?: string;
    requestId?: string;
    retryable?: boolean;
    cause?: unknown;
}

export class SisError extends Error {
    readonly code: string;
    readonly status?: number;
    readonly traceId?: string;
    readonly serviceCode?: string;
    readonly requestId?: string;
    readonly retryable: boolean;

    constructor(code: string, message: string, opts: SisErrorOptions = {}) {
        super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
        this.name = 'SisError';
        this.code = code;
        this.status = opts.status;
        this.traceId = opts.traceId;
        this.serviceCode = opts.serviceCode;
        this.requestId = opts.requestId;
        this.retryable = opts.retryable ?? false;
    }

    /** The same error in other words (its code, status and ids kept), caused by this one. */
    rephrased(message: string): SisError {
        return new SisError(this.code, message, {
            status: this.status,
            traceId: this.traceId,
            serviceCode: this.serviceCode,
            requestId: this.requestId,
            retryable: this.retryable,
            cause: this,
        });
    }

    toInfo(): SisErrorInfo {
        const info: SisErrorInfo = { code: this.code, message: this.message, retryable: this.retryable };
        if (this.status !== undefined) info.status = this.status;
        if (this.traceId !== undefined) info.trace_id = this.traceId;
        if (this.serviceCode !== undefined) info.service_code = this.serviceCode;
        if (this.requestId !== undefined) info.request_id = this.requestId;
        return info;
    }
}

export function invalidInput(message: string): SisError {
    return new SisError('INVALID_INPUT', message);
}

// SIS codes whose remedy in the service's error table is "retry" (docs/protocol/errors.md §2).
const RETRYABLE_SIS = new Set([
    'SIS.0001',
    'SIS.0033',
    'SIS.0100',
    'SIS.0206',
    'SIS.0302',
    'SIS.0303',
    'SIS.0305',
    'SIS.0306',
    'SIS.0307',
    'SIS.0312',
    'SIS.0401',
    'SIS.0412',
    'SIS.0413',
    'SIS.0414',
    'SIS.0417',
    'SIS.0536',
    'SIS.0538',
    'SIS.0605',
]);

export function isRetryableSisCode(code: string): boolean {
    return RETRYABLE_SIS.has(code);
}

interface ServiceErrorBody {
    error_code?: unknown;
    error_msg?: unknown;
    trace_id?: unknown;
    request_id?: unknown;
    error?: { code?: unknown; message?: unknown; title?: unknown };
}

function str(v: unknown): string | undefined {
    return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function parseBody(body: Buffer | string): ServiceErrorBody | undefined {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (!text.trim().startsWith('{')) return undefined;
    try {
        const parsed: unknown = JSON.parse(text);
        return parsed !== null && typeof parsed === 'object' ? (parsed as ServiceErrorBody) : undefined;
    } catch {
        return undefined;
    }
}

function statusText(status: number): string {
    return `HTTP ${status}`;
}

/**
 * What to do about service codes whose own message does not say it. SIS.0609: the service could not
 * read the audio from OBS, which in the cloud means the bucket has not granted SIS read access.
 */
const HINTS: Readonly<Record<string, string>> = {
    'SIS.0609':
        'SIS could not read the audio from OBS: grant SIS read access to the bucket (OBS console → the bucket → ' +
        'Permissions → authorise the SIS service), make the object readable, or send the audio as a Buffer so ' +
        'the node stages it with a pre-signed URL',
};

/** The service's hint for a code, to add to a message, or an empty string. */
export function hintFor(code: string | undefined): string {
    const hint = code ? HINTS[code] : undefined;
    return hint ? `. ${hint}` : '';
}

export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** The gateway's request id of an answer (header, or the body's `request_id`). */
function requestIdOf(headers: ResponseHeaders | undefined, parsed: ServiceErrorBody | undefined): string | undefined {
    const h = headers?.['x-request-id'];
    return str(Array.isArray(h) ? h[0] : h) ?? str(parsed?.request_id);
}

/**
 * Maps a non-2xx answer of SIS, the API gateway or IAM to a SisError. The SIS code wins when
 * present (clients branch on `error_code`, not on the status: docs/protocol/errors.md §1). The
 * gateway's request id goes on the error and into its message, so a log line is enough for a
 * support case.
 */
export function errorFromResponse(
    status: number,
    body: Buffer | string,
    what = 'request',
    headers?: ResponseHeaders,
): SisError {
    const parsed = parseBody(body);
    const code = str(parsed?.error_code) ?? str(parsed?.error?.code);
    const requestId = requestIdOf(headers, parsed);
    const text =
        str(parsed?.error_msg) ?? str(parsed?.error?.message) ?? str(parsed?.error?.title) ?? statusText(status);
    const message = text + hintFor(code);
    const traceId = str(parsed?.trace_id);
    const base = { status, traceId, requestId };
    const rid = requestId ? `, request ${requestId}` : '';
    if (code?.startsWith('SIS.')) {
        return new SisError(code, `${what} failed: ${message} (${code}${rid})`, {
            ...base,
            serviceCode: code,
            retryable: isRetryableSisCode(code),
        });
    }
    const serviceCode = code && !/^\d+$/.test(code) ? code : undefined;
    const suffix = serviceCode ? ` (${serviceCode}${rid})` : ` (HTTP ${status}${rid})`;
    if (status === 401 || status === 403) {
        return new SisError('AUTH_FAILED', `${what} refused: ${message}${suffix}`, { ...base, serviceCode });
    }
    if (status === 429) {
        return new SisError('RATE_LIMITED', `${what} throttled: ${message}${suffix}`, {
            ...base,
            serviceCode,
            retryable: true,
        });
    }
    if (status === 404) {
        return new SisError('NOT_FOUND', `${what} failed: ${message}${suffix}`, { ...base, serviceCode });
    }
    if (status >= 500) {
        return new SisError('SERVICE_UNAVAILABLE', `${what} failed: ${message}${suffix}`, {
            ...base,
            serviceCode,
            retryable: true,
        });
    }
    return new SisError('REQUEST_REJECTED', `${what} rejected: ${message}${suffix}`, { ...base, serviceCode });
}

const TIMEOUT_CODES = new Set([
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
    'ETIMEDOUT',
    'TIMEOUT',
]);

function errCode(err: unknown): string | undefined {
    if (err !== null && typeof err === 'object') {
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string') return code;
        const cause = (err as { cause?: unknown }).cause;
        if (cause !== undefined && cause !== err) return errCode(cause);
    }
    return undefined;
}

function isTlsFailure(code: string): boolean {
    return (
        code.startsWith('ERR_TLS') ||
        code.startsWith('CERT_') ||
        code.startsWith('UNABLE_TO_') ||
        code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
        code === 'SELF_SIGNED_CERT_IN_CHAIN' ||
        code === 'ERR_SSL_WRONG_VERSION_NUMBER'
    );
}

function errName(err: unknown): string | undefined {
    return err instanceof Error ? err.name : undefined;
}

/** Maps a local failure (socket, DNS, TLS, timeout, abort) to a SisError. */
export function errorFromException(err: unknown, what = 'request'): SisError {
    if (err instanceof SisError) return err;
    const code = errCode(err);
    const detail = err instanceof Error ? err.message : String(err);
    if (errName(err) === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') {
        return new SisError('CANCELLED', `${what} cancelled`, { cause: err });
    }
    if (code && isTlsFailure(code)) {
        // A certificate problem does not heal by itself: never retried, never bypassed.
        return new SisError('NETWORK', `${what} failed: TLS verification: ${detail} (${code})`, { cause: err });
    }
    if (code && TIMEOUT_CODES.has(code)) {
        return new SisError('TIMEOUT', `${what} timed out (${code})`, { retryable: true, cause: err });
    }
    return new SisError('NETWORK', `${what} failed: ${detail}${code ? ` (${code})` : ''}`, {
        retryable: true,
        cause: err,
    });
}

/** Any thrown value as a SisError: own errors as they are, input errors by their code, the rest by cause. */
export function toSisError(err: unknown, what = 'request'): SisError {
    if (err instanceof SisError) return err;
    if (err instanceof Error && (err as { code?: unknown }).code === 'INVALID_INPUT') {
        return new SisError('INVALID_INPUT', err.message);
    }
    return errorFromException(err, what);
}
