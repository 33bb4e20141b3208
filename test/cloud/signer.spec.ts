import * as assert from 'node:assert/strict';
import { buildQuery, canonicalQuery, canonicalUri, encodeRfc3986, signRequest } from '../../nodes/lib/cloud/signer';
import { readVectors } from '../helpers/vectors';

interface VectorInput {
    ak: string;
    sk: string;
    security_token: string | null;
    x_sdk_date: string;
    endpoint: string;
    method: string;
    path_template: string;
    path_params: Record<string, string>;
    query_params: Record<string, string | string[]>;
    content_type_option?: string;
    body: unknown;
}

interface Vector {
    id: string;
    input: VectorInput;
    expected: {
        canonical_request: string;
        string_to_sign: string;
        signed_headers: string;
        signature: string;
        authorization: string;
        wire: { method: string; url: string; headers: Record<string, string>; body: string; body_sha256: string };
    };
}

const file = readVectors<{ vectors: Vector[] }>('aksk.json');

function dateOf(x: string): Date {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(x);
    assert.ok(m, x);
    return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

/** Builds the request the way the SIS client does, from a vector's caller-side input. */
function requestOf(input: VectorInput): { url: URL; headers: Record<string, string>; body?: string } {
    let path = input.path_template;
    for (const [k, v] of Object.entries(input.path_params)) path = path.replace(`{${k}}`, encodeRfc3986(v));
    const websocket = input.endpoint.startsWith('ws');
    const base = input.endpoint.replace(/^wss:/, 'https:').replace(/^ws:/, 'http:');
    const url = new URL(`${base}${path}${buildQuery(input.query_params)}`);
    const headers: Record<string, string> = {};
    if (!websocket) {
        const ct = input.content_type_option ?? 'application/json';
        if (ct.startsWith('application/json')) headers['content-type'] = 'application/json';
        else {
            headers['content-type'] = ct;
            headers['X-Sdk-Content-Sha256'] = 'UNSIGNED-PAYLOAD';
        }
        headers['X-Project-Id'] = input.path_params.project_id;
    }
    let body: string | undefined;
    if (typeof input.body === 'string') body = input.body;
    else if (input.body !== null && input.body !== undefined) body = JSON.stringify(input.body);
    return { url, headers, body };
}

describe('AK/SK signer (vectors of the official signer)', () => {
    for (const v of file.vectors) {
        it(`${v.id}: canonical request, string to sign and Authorization match`, () => {
            const req = requestOf(v.input);
            const creds = { ak: v.input.ak, sk: v.input.sk, securityToken: v.input.security_token ?? undefined };
            const out = signRequest({ method: v.input.method, ...req }, creds, dateOf(v.input.x_sdk_date));
            assert.equal(out.canonicalRequest, v.expected.canonical_request);
            assert.equal(out.stringToSign, v.expected.string_to_sign);
            assert.equal(out.signedHeaders, v.expected.signed_headers);
            assert.equal(out.signature, v.expected.signature);
            assert.equal(out.authorization, v.expected.authorization);
            const sent = Object.fromEntries(Object.entries(out.headers).map(([k, val]) => [k.toLowerCase(), val]));
            for (const [name, value] of Object.entries(v.expected.wire.headers)) {
                assert.equal(sent[name.toLowerCase()], value, `header ${name}`);
            }
            assert.equal(req.body ?? '', v.expected.wire.body);
        });
    }

    it('canonical URI ends with a slash only in the canonical form and re-encodes segments', () => {
        assert.equal(canonicalUri('/v1/p/asr/short-audio'), '/v1/p/asr/short-audio/');
        assert.equal(canonicalUri('/a%20b/c!d'), '/a%20b/c%21d/');
        assert.equal(canonicalUri('/'), '/');
    });

    it("canonical query sorts by decoded name then value, upper case first, and escapes !*'()", () => {
        assert.equal(canonicalQuery("?b=2&a=z&a=y&B=1&n=a+b!*'()~"), 'B=1&a=y&a=z&b=2&n=a%2Bb%21%2A%27%28%29~');
        assert.equal(canonicalQuery('?flag&x='), 'flag=&x=');
        assert.equal(canonicalQuery(''), '');
    });

    it('a different body, date or secret changes the signature', () => {
        const url = new URL('https://sis-ext.cn-north-4.myhuaweicloud.com/v1/p/tts');
        const date = new Date(Date.UTC(2025, 0, 2, 3, 4, 5));
        const a = signRequest({ method: 'POST', url, headers: {}, body: '{"a":1}' }, { ak: 'A', sk: 'S' }, date);
        const b = signRequest({ method: 'POST', url, headers: {}, body: '{"a":2}' }, { ak: 'A', sk: 'S' }, date);
        const c = signRequest({ method: 'POST', url, headers: {}, body: '{"a":1}' }, { ak: 'A', sk: 'T' }, date);
        const d = signRequest(
            { method: 'POST', url, headers: {}, body: '{"a":1}' },
            { ak: 'A', sk: 'S' },
            new Date(date.getTime() + 1000),
        );
        assert.equal(new Set([a.signature, b.signature, c.signature, d.signature]).size, 4);
    });
});
