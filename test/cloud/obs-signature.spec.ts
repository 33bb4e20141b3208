import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import {
    canonicalizedHeaders,
    canonicalizedResource,
    encodeObsKey,
    isPathStyleEndpoint,
    obsSignature,
    obsStringToSign,
    obsUrl,
    presignObsUrl,
    signObsRequest,
} from '../../nodes/lib/cloud/obs-signature';
import { readVectors } from '../helpers/vectors';

interface VectorRequest {
    method: string;
    scheme: string;
    host: string;
    port: number;
    path: string;
    headers: Record<string, string>;
}

interface Vector {
    id: string;
    signature_type: 'none' | 'obs-header' | 'obs-query' | 'aws-v2-header';
    request?: VectorRequest;
    authorization?: string | null;
    string_to_sign?: string;
    signed_url?: string;
    actual_signed_request_headers?: Record<string, string>;
    expires?: number;
}

interface VectorFile {
    generator: { pinned_time: string; pinned_epoch: number };
    credentials: {
        ak: string;
        sk: string;
        temporary: { ak: string; sk: string; security_token: string };
    };
    vectors: Vector[];
}

const file = readVectors<VectorFile>('obs.json');
const PINNED = new Date(file.generator.pinned_epoch * 1000);
const BUCKET = 'sis-audio-stage';

/** Which credentials produced a vector: the one whose AK appears in it. */
function credsFor(text: string): { ak: string; sk: string; securityToken?: string } {
    const t = file.credentials.temporary;
    if (text.includes(t.ak)) return { ak: t.ak, sk: t.sk, securityToken: t.security_token };
    return { ak: file.credentials.ak, sk: file.credentials.sk };
}

/** The plain key behind a virtual-hosted wire path. */
function keyOf(wirePath: string): string {
    return wirePath
        .replace(/^\//, '')
        .split('/')
        .map((s) => decodeURIComponent(s))
        .join('/');
}

/** Headers a caller would pass in: the vector's headers minus those the signer adds itself. */
function callerHeaders(h: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(h)) {
        if (!['authorization', 'date', 'x-obs-security-token'].includes(k.toLowerCase())) out[k] = v;
    }
    return out;
}

describe('obs-signature', () => {
    describe('obs.json: OBS header signatures', () => {
        const headerVectors = file.vectors.filter((v) => v.signature_type === 'obs-header');

        it('has the expected header vectors', () => {
            assert.deepEqual(
                headerVectors.map((v) => v.id),
                [
                    'put-object-virtual-hosted',
                    'get-object-virtual-hosted',
                    'delete-object-virtual-hosted',
                    'put-object-temporary-credentials-special-key',
                    'put-object-md5-meta-acl',
                ],
            );
        });

        for (const v of headerVectors) {
            it(v.id, () => {
                const req = v.request!;
                const creds = credsFor(v.authorization!);
                const signed = signObsRequest({
                    method: req.method,
                    bucket: BUCKET,
                    key: keyOf(req.path),
                    headers: callerHeaders(req.headers),
                    date: PINNED,
                    ...creds,
                });
                assert.equal(signed.stringToSign, v.string_to_sign);
                assert.equal(signed.headers['Authorization'], v.authorization);
                assert.equal(signed.headers['Date'], req.headers['Date']);
                assert.equal(signed.headers['Date'], file.generator.pinned_time);
                assert.equal(signed.headers['x-obs-security-token'], req.headers['x-obs-security-token']);
                // The wire path is the encoded key.
                assert.equal(`/${encodeObsKey(keyOf(req.path))}`, req.path);
                assert.equal(
                    obsUrl('https://obs.cn-north-4.myhuaweicloud.com', BUCKET, keyOf(req.path)),
                    `https://${req.host}${req.path}`,
                );
            });
        }
    });

    describe('obs.json: pre-signed URLs', () => {
        const queryVectors = file.vectors.filter((v) => v.signature_type === 'obs-query');

        it('has the three URL vectors', () => {
            assert.equal(queryVectors.length, 3);
        });

        for (const v of queryVectors) {
            it(v.id, () => {
                const url = new URL(v.signed_url!);
                const creds = credsFor(v.signed_url!);
                const method = v.string_to_sign!.split('\n', 1)[0];
                const { Host: _host, ...headers } = v.actual_signed_request_headers ?? {};
                // The SDK writes the default port into the URL; an endpoint written with it keeps it.
                const presigned = presignObsUrl({
                    method,
                    endpoint: 'https://obs.cn-north-4.myhuaweicloud.com:443',
                    bucket: BUCKET,
                    key: keyOf(url.pathname),
                    expiresEpochSec: v.expires!,
                    headers,
                    ...creds,
                });
                assert.equal(presigned.stringToSign, v.string_to_sign);
                assert.equal(presigned.url, v.signed_url);
            });
        }

        it('leaves out the default port unless the endpoint names it', () => {
            const v = file.vectors.find((x) => x.id === 'presigned-get-url')!;
            const { url } = presignObsUrl({
                method: 'GET',
                endpoint: 'obs.cn-north-4.myhuaweicloud.com',
                bucket: BUCKET,
                key: 'node-red/job-0001.wav',
                expiresEpochSec: v.expires!,
                ...credsFor(v.signed_url!),
            });
            assert.equal(url, v.signed_url!.replace(':443', ''));
        });
    });

    describe('path style (IP / localhost endpoints)', () => {
        const v = file.vectors.find((x) => x.id === 'put-object-path-style-ip-endpoint')!;

        // The official SDK signs this request with AWS V2 ("AWS ak:sig"); we keep the OBS signature,
        // which the emulator verifies. The string to sign is the same, so only the prefix differs.
        it('signs a path-style request with the OBS signature, not the SDK AWS V2 fallback', () => {
            const req = v.request!;
            const endpoint = `${req.scheme}://${req.host}:${req.port}`;
            assert.equal(isPathStyleEndpoint(endpoint), true);
            const key = 'node-red/job-0001.wav';
            assert.equal(obsUrl(endpoint, BUCKET, key), `http://127.0.0.1:9000${req.path}`);
            const signed = signObsRequest({
                method: 'PUT',
                bucket: BUCKET,
                key,
                headers: callerHeaders(req.headers),
                date: PINNED,
                ...credsFor(v.authorization!),
            });
            assert.equal(signed.stringToSign, v.string_to_sign);
            assert.equal(signed.headers['Authorization'], v.authorization!.replace(/^AWS /, 'OBS '));
            assert.match(signed.headers['Authorization'], /^OBS HWEXAMPLEAK000000001:/);
        });

        it('pre-signs path-style URLs with the same resource', () => {
            const { url, stringToSign } = presignObsUrl({
                method: 'GET',
                endpoint: 'http://localhost:9000',
                bucket: BUCKET,
                key: 'a b/语音.wav',
                ak: 'AK',
                sk: 'SK',
                expiresEpochSec: 1735790645,
            });
            assert.equal(stringToSign, `GET\n\n\n1735790645\n/${BUCKET}/a%20b/%E8%AF%AD%E9%9F%B3.wav`);
            assert.ok(
                url.startsWith(
                    `http://localhost:9000/${BUCKET}/a%20b/%E8%AF%AD%E9%9F%B3.wav?AccessKeyId=AK&Expires=1735790645&Signature=`,
                ),
            );
            const sig = new URL(url).searchParams.get('Signature');
            assert.equal(sig, obsSignature('SK', stringToSign));
        });

        it('decides path style from the endpoint host', () => {
            const cases: [string, boolean][] = [
                ['http://127.0.0.1:9000', true],
                ['127.0.0.1', true],
                ['http://localhost:9000/', true],
                ['http://LOCALHOST', true],
                ['http://[::1]:9000', true],
                ['https://10.0.0.5', true],
                ['https://obs.cn-north-4.myhuaweicloud.com', false],
                ['obs.cn-east-3.myhuaweicloud.com', false],
                ['https://localhost.example.com', false],
                ['', false],
            ];
            for (const [ep, expected] of cases) assert.equal(isPathStyleEndpoint(ep), expected, ep);
        });

        it('builds object URLs in both styles', () => {
            assert.equal(
                obsUrl('https://obs.cn-north-4.myhuaweicloud.com', 'b', 'x/y (1).wav'),
                'https://b.obs.cn-north-4.myhuaweicloud.com/x/y%20%281%29.wav',
            );
            assert.equal(
                obsUrl('https://obs.cn-north-4.myhuaweicloud.com/', 'b', 'k', true),
                'https://obs.cn-north-4.myhuaweicloud.com/b/k',
            );
            assert.equal(obsUrl('http://127.0.0.1:9000', 'b', 'k', false), 'http://b.127.0.0.1:9000/k');
            assert.equal(obsUrl('http://[::1]:9000', 'b', 'k'), 'http://[::1]:9000/b/k');
            assert.equal(
                obsUrl('obs.cn-north-4.myhuaweicloud.com', 'b', 'k'),
                'https://b.obs.cn-north-4.myhuaweicloud.com/k',
            );
        });
    });

    describe('encodeObsKey', () => {
        it('encodes each segment, keeps slashes, upper-case hex', () => {
            assert.equal(encodeObsKey('a b/语音 (1).wav'), 'a%20b/%E8%AF%AD%E9%9F%B3%20%281%29.wav');
            assert.equal(encodeObsKey("!*'()"), '%21%2A%27%28%29');
            assert.equal(encodeObsKey('A-Z_a.z~0/9'), 'A-Z_a.z~0/9');
            assert.equal(encodeObsKey('a+b=c&d?e#f%g'), 'a%2Bb%3Dc%26d%3Fe%23f%25g');
            assert.equal(encodeObsKey('//x/'), '//x/');
            assert.equal(encodeObsKey(''), '');
            assert.equal(encodeObsKey('🎤'), '%F0%9F%8E%A4');
        });

        it('does not throw on lone surrogates', () => {
            assert.equal(encodeObsKey('a\uD800b'), 'a%EF%BF%BDb');
        });

        it('round-trips with decodeURIComponent per segment (property)', () => {
            fc.assert(
                fc.property(fc.string({ unit: 'grapheme' }), (key) => {
                    const encoded = encodeObsKey(key);
                    assert.match(encoded, /^[A-Za-z0-9\-_.~%/]*$/);
                    assert.doesNotMatch(encoded, /%[0-9A-F]?[a-f]/);
                    assert.equal(encoded.split('/').map(decodeURIComponent).join('/'), key);
                }),
                { numRuns: 500 },
            );
        });

        it('never throws on arbitrary UTF-16 (property)', () => {
            fc.assert(
                fc.property(fc.string({ unit: 'binary' }), (key) => {
                    encodeObsKey(key);
                }),
            );
        });
    });

    describe('string to sign', () => {
        it('lower-cases, trims, merges and sorts x-obs-* headers only', () => {
            assert.equal(
                canonicalizedHeaders({
                    'X-Obs-Meta-B': ' 2 ',
                    'x-obs-meta-a': '1',
                    'x-obs-meta-b': '3',
                    'Content-Type': 'audio/wav',
                    'x-amz-date': 'ignored',
                    'x-obs-empty': undefined,
                }),
                'x-obs-meta-a:1\nx-obs-meta-b:2,3\n',
            );
        });

        it('keeps empty lines for absent Content-MD5 / Content-Type', () => {
            assert.equal(obsStringToSign({ method: 'get', dateOrExpires: 'D', resource: '/b/k' }), 'GET\n\n\nD\n/b/k');
        });

        it('leaves the Date line empty when x-obs-date is sent', () => {
            const signed = signObsRequest({
                method: 'GET',
                bucket: 'b',
                key: 'k',
                headers: { 'x-obs-date': 'Thu, 02 Jan 2025 03:04:05 GMT' },
                ak: 'AK',
                sk: 'SK',
                date: PINNED,
            });
            assert.equal(signed.stringToSign, 'GET\n\n\n\nx-obs-date:Thu, 02 Jan 2025 03:04:05 GMT\n/b/k');
            assert.equal(signed.headers['Date'], undefined);
        });

        it('signs sub-resources sorted and unencoded, ignores other query parameters', () => {
            assert.equal(
                canonicalizedResource('b', 'k 1', { versionId: 'v/1', acl: '', foo: 'bar', uploads: undefined }),
                '/b/k%201?acl&uploads&versionId=v/1',
            );
            assert.equal(canonicalizedResource('b', ''), '/b/');
        });

        it('does not pass a caller Authorization header through', () => {
            const signed = signObsRequest({
                method: 'DELETE',
                bucket: 'b',
                key: 'k',
                headers: { authorization: 'stale', 'Content-Length': 0 },
                ak: 'AK',
                sk: 'SK',
                date: 'Thu, 02 Jan 2025 03:04:05 GMT',
            });
            assert.equal(signed.headers['authorization'], undefined);
            assert.equal(signed.headers['Content-Length'], '0');
            assert.equal(signed.headers['Authorization'], `OBS AK:${obsSignature('SK', signed.stringToSign)}`);
        });

        it('puts the security token in the query and the resource of a pre-signed URL', () => {
            const { url, stringToSign } = presignObsUrl({
                method: 'GET',
                endpoint: 'https://obs.cn-north-4.myhuaweicloud.com',
                bucket: 'b',
                key: 'k',
                ak: 'AK',
                sk: 'SK',
                securityToken: 'tok+/=',
                expiresEpochSec: 100,
                query: { 'response-content-type': 'audio/wav' },
            });
            assert.equal(
                stringToSign,
                'GET\n\n\n100\n/b/k?response-content-type=audio/wav&x-obs-security-token=tok+/=',
            );
            const params = new URL(url).searchParams;
            assert.equal(params.get('x-obs-security-token'), 'tok+/=');
            assert.equal(params.get('response-content-type'), 'audio/wav');
            assert.equal(params.get('Signature'), obsSignature('SK', stringToSign));
        });
    });
});
