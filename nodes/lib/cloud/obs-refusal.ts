// Which OBS refusals fresh temporary credentials may cure. Apart from obs.ts, so that SisClient
// (which retries with fresh credentials) and obs.ts (which uses SisClient) import no circle.
import { SisError } from '../core/errors';

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
