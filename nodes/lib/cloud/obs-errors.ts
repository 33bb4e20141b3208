// OBS error answers as SisErrors, and which of them refuse the credentials themselves (so that
// fresh temporary AK/SK may succeed). Apart from obs.ts so the client can tell them without a circle.
import { SisError } from '../core/errors';

function xmlField(body: string, name: string): string | undefined {
    const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(body);
    return m?.[1];
}

/** Maps an OBS error answer (XML body, or none for HEAD: then the `x-obs-error-code` header) to a SisError. */
export function obsError(status: number, body: Buffer, what: string, headers: Record<string, string> = {}): SisError {
    const text = body.toString('utf8');
    const code = xmlField(text, 'Code') ?? (headers['x-obs-error-code'] || undefined);
    const message = xmlField(text, 'Message') ?? `HTTP ${status}`;
    // OBS names its request id in the body and in its own header (docs/protocol/obs.md §3).
    const requestId =
        xmlField(text, 'RequestId') ?? (headers['x-obs-request-id'] || headers['x-request-id'] || undefined);
    const rid = requestId ? `, request ${requestId}` : '';
    const detail = `${what} failed: ${message}${code ? ` (${code}${rid})` : ` (HTTP ${status}${rid})`}`;
    const opts = { status, serviceCode: code, requestId };
    if (status === 401 || status === 403) return new SisError('AUTH_FAILED', detail, opts);
    if (status === 404) return new SisError('NOT_FOUND', detail, opts);
    if (status === 429) return new SisError('RATE_LIMITED', detail, { ...opts, retryable: true });
    if (status >= 500) return new SisError('SERVICE_UNAVAILABLE', detail, { ...opts, retryable: true });
    return new SisError('REQUEST_REJECTED', detail, opts);
}

// OBS codes that refuse the credentials themselves (obs.md §3, §8): an AK OBS does not know (a
// temporary key revoked or expired), a security token that is invalid or expired.
const CREDENTIAL_CODES = new Set(['InvalidAccessKeyId', 'InvalidSecurity', 'InvalidToken', 'ExpiredToken']);

/**
 * Whether OBS refused a request because of its credentials, so that fresh temporary AK/SK may
 * succeed: the codes above, and `AccessDenied` when its message speaks of an expired or invalid
 * token (a permission refusal, such as a bucket's ACL, is not one: fresh keys would not help).
 */
export function isObsCredentialRefusal(err: unknown): boolean {
    if (!(err instanceof SisError) || (err.status !== 401 && err.status !== 403)) return false;
    if (err.serviceCode && CREDENTIAL_CODES.has(err.serviceCode)) return true;
    return err.serviceCode === 'AccessDenied' && /token|expired/i.test(err.message);
}
