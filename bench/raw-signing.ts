// The benchmarks' own request signing, written for the raw clients and the floor nodes so that
// neither uses any module of the package: SDK-HMAC-SHA256 (the API gateway's AK/SK signature) and
// the OBS V2 signature (HMAC-SHA1). Only what the benchmarks send is covered: paths of unreserved
// characters and `/`, query values that are already encoded once, no security token. It imports
// nothing but node:crypto, so the bench can transpile it alone into a Node-RED module folder.
import { createHash, createHmac } from 'node:crypto';

export interface RawKeys {
    ak: string;
    sk: string;
}

/** `YYYYMMDDTHHMMSSZ`. */
function sdkDate(now: Date): string {
    const iso = now.toISOString();
    return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/** The canonical query: pairs sorted by name then value, as sent (the bench encodes values once). */
function canonicalQuery(query: string): string {
    if (!query) return '';
    return query
        .split('&')
        .map((p) => (p.includes('=') ? p : `${p}=`))
        .sort()
        .join('&');
}

/**
 * Headers of a request signed with SDK-HMAC-SHA256: the given ones plus X-Sdk-Date, Host and
 * Authorization. `headers` names must be lower case (every one is signed).
 */
export function signSdk(
    method: string,
    host: string,
    path: string,
    query: string,
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    keys: RawKeys,
    now = new Date(),
): Record<string, string> {
    const all: Record<string, string> = { ...headers, host, 'x-sdk-date': sdkDate(now) };
    const names = Object.keys(all).sort();
    let canonicalHeaders = '';
    for (const n of names) canonicalHeaders += `${n}:${all[n].trim()}\n`;
    const signedHeaders = names.join(';');
    const payload = createHash('sha256')
        .update(body ?? '')
        .digest('hex');
    const canonical = `${method}\n${path.endsWith('/') ? path : `${path}/`}\n${canonicalQuery(query)}\n${canonicalHeaders}\n${signedHeaders}\n${payload}`;
    const hashed = createHash('sha256').update(canonical).digest('hex');
    const toSign = `SDK-HMAC-SHA256\n${all['x-sdk-date']}\n${hashed}`;
    const signature = createHmac('sha256', keys.sk).update(toSign).digest('hex');
    all.authorization = `SDK-HMAC-SHA256 Access=${keys.ak}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return all;
}

/**
 * Headers of an OBS request (path style, `/{bucket}/{key}`, key of unreserved characters and `/`)
 * signed with the OBS V2 signature: Date and Authorization added, Content-MD5 when there is a body.
 */
export function signObs(
    method: string,
    bucket: string,
    key: string,
    contentType: string | undefined,
    body: Buffer | undefined,
    keys: RawKeys,
    now = new Date(),
): Record<string, string> {
    const headers: Record<string, string> = { date: now.toUTCString() };
    let md5 = '';
    if (body) {
        md5 = createHash('md5').update(body).digest('base64');
        headers['content-md5'] = md5;
        headers['content-type'] = contentType ?? 'application/octet-stream';
    }
    const toSign = `${method}\n${md5}\n${body ? headers['content-type'] : ''}\n${headers.date}\n/${bucket}/${key}`;
    headers.authorization = `OBS ${keys.ak}:${createHmac('sha1', keys.sk).update(toSign).digest('base64')}`;
    return headers;
}
