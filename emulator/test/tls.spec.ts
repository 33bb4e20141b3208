// TLS: the DER encoder, the throw-away CA and server certificate, and the emulator serving HTTPS
// and WSS on one port with them.

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { WebSocket } from 'ws';
import { parseArgs } from '../cli';
import { type Emulator, startEmulator } from '../index';
import { createTestPki, ipBytes, type TestPki } from '../tls';
import { integer, oid, time } from '../tls/der';

interface HttpsAnswer {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    text: string;
}

function httpsGet(url: string, headers: Record<string, string>, ca?: string): Promise<HttpsAnswer> {
    return new Promise((resolve, reject) => {
        const req = https.get(url, { headers, ca, agent: false }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }),
            );
        });
        req.on('error', reject);
    });
}

/** The error code of a TLS client refusing the server (undefined when the connection is trusted). */
function connect(port: number, options: tls.ConnectionOptions): Promise<{ authorized: boolean; code?: string }> {
    return new Promise((resolve) => {
        const socket = tls.connect({ host: '127.0.0.1', port, ...options }, () => {
            resolve({ authorized: socket.authorized });
            socket.end();
        });
        socket.on('error', (err: NodeJS.ErrnoException) => resolve({ authorized: false, code: err.code }));
    });
}

const REFUSED = ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT'];

describe('emulator TLS', () => {
    describe('DER encoding', () => {
        it('encodes OIDs, integers, times and IP addresses as DER wants them', () => {
            assert.equal(oid('1.2.840.113549.1.1.11').toString('hex'), '06092a864886f70d01010b');
            assert.equal(oid('2.5.29.19').toString('hex'), '0603551d13');
            assert.equal(integer(0).toString('hex'), '020100');
            assert.equal(integer(128).toString('hex'), '02020080');
            assert.equal(integer(Buffer.from([0, 0, 0x7f])).toString('hex'), '02017f');
            assert.equal(time(new Date('2025-01-02T03:04:05Z')).toString('ascii').slice(2), '250102030405Z');
            assert.equal(time(new Date('2051-01-02T03:04:05Z')).toString('ascii').slice(2), '20510102030405Z');
            assert.equal(ipBytes('127.0.0.1').toString('hex'), '7f000001');
            assert.equal(ipBytes('::1').toString('hex'), `${'0'.repeat(30)}01`);
            assert.equal(ipBytes('fe80::1:2').toString('hex'), 'fe800000000000000000000000010002');
            assert.equal(ipBytes('::ffff:10.0.0.1').toString('hex'), '00000000000000000000ffff0a000001');
        });
    });

    describe('certificates', () => {
        let pki: TestPki;
        before(() => {
            pki = createTestPki();
        });

        for (const keyType of ['ec', 'rsa'] as const) {
            it(`parses with X509Certificate and names localhost, 127.0.0.1 and ::1 (${keyType})`, () => {
                const made = keyType === 'ec' ? pki : createTestPki({ keyType });
                const ca = new X509Certificate(made.caCert);
                const leaf = new X509Certificate(made.cert);
                assert.equal(ca.ca, true);
                assert.equal(leaf.ca, false);
                assert.equal(ca.issuer, ca.subject);
                assert.equal(leaf.issuer, ca.subject);
                assert.ok(ca.verify(ca.publicKey), 'the CA is self-signed');
                assert.ok(leaf.verify(ca.publicKey), 'the CA signed the server certificate');
                assert.ok(leaf.checkIssued(ca));
                assert.equal(leaf.checkHost('localhost'), 'localhost');
                assert.equal(leaf.checkIP('127.0.0.1'), '127.0.0.1');
                assert.equal(leaf.checkIP('::1'), '::1');
                assert.equal(leaf.checkHost('example.com'), undefined);
                assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extendedKeyUsage serverAuth');
                assert.equal(leaf.publicKey.asymmetricKeyType, keyType);
                assert.ok(new Date(leaf.validFrom).getTime() < Date.now());
                assert.ok(new Date(leaf.validTo).getTime() > Date.now() + 24 * 3600_000);
            });
        }

        it('makes a new CA every time', () => {
            const other = createTestPki();
            assert.notEqual(new X509Certificate(other.caCert).subject, new X509Certificate(pki.caCert).subject);
            assert.notEqual(other.cert, pki.cert);
        });

        it('is trusted by a TLS client that has the CA, and refused by one that does not', async () => {
            const server = tls.createServer({ key: pki.key, cert: pki.cert }, (socket) => socket.end());
            await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
            const { port } = server.address() as AddressInfo;
            try {
                assert.deepEqual(await connect(port, { ca: pki.caCert, servername: 'localhost' }), {
                    authorized: true,
                });
                assert.deepEqual(await connect(port, { ca: pki.caCert }), { authorized: true }, 'by IP 127.0.0.1');
                const refused = await connect(port, { servername: 'localhost' });
                assert.ok(REFUSED.includes(String(refused.code)), String(refused.code));
                const otherCa = createTestPki().caCert;
                const wrong = await connect(port, { ca: otherCa, servername: 'localhost' });
                assert.ok(REFUSED.includes(String(wrong.code)), String(wrong.code));
            } finally {
                await new Promise<void>((resolve) => server.close(() => resolve()));
            }
        });
    });

    describe('startEmulator({ tls: true })', () => {
        let emu: Emulator;
        let dir: string;
        before(async () => {
            dir = mkdtempSync(path.join(tmpdir(), 'sis-emulator-test-'));
            emu = await startEmulator({ tls: true, caOut: path.join(dir, 'ca.pem') });
        });
        after(async () => {
            await emu.close();
            rmSync(dir, { recursive: true, force: true });
        });

        it('serves HTTPS with the CA it wrote to caOut, and names wss:// endpoints', async () => {
            assert.match(emu.url, /^https:\/\/127\.0\.0\.1:\d+$/);
            assert.equal(emu.caFile, path.join(dir, 'ca.pem'));
            assert.equal(readFileSync(path.join(dir, 'ca.pem'), 'utf8'), emu.ca);
            const answer = await httpsGet(`${emu.url}/__emulator/config`, {}, emu.ca);
            assert.equal(answer.status, 200, answer.text);
            const config = JSON.parse(answer.text) as Record<string, string>;
            assert.equal(config.endpoint, emu.url);
            assert.equal(config.caFile, emu.caFile);
            assert.match(config.wsEndpoint, /^wss:\/\//);
            const byName = await httpsGet(emu.url.replace('127.0.0.1', 'localhost'), {}, emu.ca);
            assert.equal(byName.status, 404);
            const pem = await httpsGet(`${emu.url}/__emulator/ca.pem`, {}, emu.ca);
            assert.equal(pem.text, emu.ca);
        });

        it('is refused by a client that does not trust the CA', async () => {
            await assert.rejects(httpsGet(`${emu.url}/__emulator/config`, {}), (err: NodeJS.ErrnoException) =>
                REFUSED.includes(String(err.code)),
            );
        });

        it('authenticates SIS calls and opens WSS streams on the same port', async () => {
            const token = emu.issueToken();
            const project = emu.account.projectId;
            const list = await httpsGet(`${emu.url}/v1/${project}/asr/vocabularies`, { 'X-Auth-Token': token }, emu.ca);
            assert.equal(list.status, 200, list.text);
            const wsUrl = `${emu.url.replace(/^https/, 'wss')}/v1/${project}/rasr/short-stream`;
            const ws = new WebSocket(wsUrl, { headers: { 'X-Auth-Token': token }, ca: emu.ca });
            let upgrade: Record<string, string | string[] | undefined> = {};
            ws.once('upgrade', (res) => {
                upgrade = res.headers;
            });
            await new Promise<void>((resolve, reject) => {
                ws.once('open', () => resolve());
                ws.once('error', reject);
            });
            assert.match(String(upgrade['x-request-id']), /^[0-9a-f]{32}$/);
            ws.close();
        });
    });

    it('writes the CA to a temp folder of its own when caOut is not given, and removes it on close', async () => {
        const own = await startEmulator({ tls: true });
        const file = String(own.caFile);
        assert.equal(readFileSync(file, 'utf8'), own.ca);
        await own.close();
        assert.equal(existsSync(file), false);
    });

    describe('the CLI', () => {
        it('reads --tls, --ca-out, --obs-grant-sis, --obs-public and --allow-loopback-urls', () => {
            const { emulator } = parseArgs([
                '--tls',
                '--ca-out',
                '/tmp/x/ca.pem',
                '--obs-grant-sis',
                'bucket-a',
                '--obs-grant-sis',
                'bucket-b',
                '--obs-public',
                'bucket-c',
                '--allow-loopback-urls',
            ]);
            assert.equal(emulator.tls, true);
            assert.equal(emulator.caOut, '/tmp/x/ca.pem');
            assert.deepEqual(emulator.obsGrantSis, ['bucket-a', 'bucket-b']);
            assert.deepEqual(emulator.obsPublic, ['bucket-c']);
            assert.equal(emulator.allowLoopbackUrls, true);
            const plain = parseArgs([]).emulator;
            assert.equal(plain.tls, undefined);
            assert.equal(plain.allowLoopbackUrls, undefined);
        });
    });
});
