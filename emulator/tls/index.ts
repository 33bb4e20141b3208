// TLS for the emulator: a throw-away CA and a server certificate for localhost, 127.0.0.1 and ::1,
// both made at start with Node's own crypto (see x509.ts). Nothing is kept between runs.

import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pem } from './der';
import { buildCertificate, KeyUsage, OID } from './x509';

export { buildCertificate, ipBytes, KeyUsage } from './x509';

export interface TestPki {
    /** The throw-away CA's certificate (PEM): what a client must trust. */
    caCert: string;
    /** The server certificate (PEM), signed by the CA. */
    cert: string;
    /** The server's private key (PKCS#8 PEM). */
    key: string;
}

export interface PkiOptions {
    /** Key algorithm of both certificates: ECDSA P-256 (default, fast) or RSA 2048. */
    keyType?: 'ec' | 'rsa';
    /** Names the server certificate is valid for; default localhost, 127.0.0.1, ::1. */
    dnsNames?: string[];
    ipAddresses?: string[];
    /** Validity from now; default 30 days. Both start an hour back to tolerate clock skew. */
    validDays?: number;
}

const HOUR = 3600_000;

function keyPair(type: 'ec' | 'rsa'): { privateKey: KeyObject; publicKey: KeyObject } {
    return type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** A fresh CA and a server certificate it signed. */
export function createTestPki(opts: PkiOptions = {}): TestPki {
    const type = opts.keyType ?? 'ec';
    const now = Date.now();
    const notBefore = new Date(now - HOUR);
    const notAfter = new Date(now + (opts.validDays ?? 30) * 24 * HOUR);
    const ca = keyPair(type);
    const caName = {
        organization: 'sis-emulator',
        commonName: `sis-emulator throw-away CA ${randomBytes(4).toString('hex')}`,
    };
    const caDer = buildCertificate({
        subject: caName,
        issuer: caName,
        publicKey: ca.publicKey,
        issuerKey: ca.privateKey,
        issuerPublicKey: ca.publicKey,
        notBefore,
        notAfter,
        ca: true,
        keyUsage: [KeyUsage.digitalSignature, KeyUsage.keyCertSign, KeyUsage.cRLSign],
    });
    const leaf = keyPair(type);
    const leafDer = buildCertificate({
        subject: { organization: 'sis-emulator', commonName: 'localhost' },
        issuer: caName,
        publicKey: leaf.publicKey,
        issuerKey: ca.privateKey,
        issuerPublicKey: ca.publicKey,
        notBefore,
        notAfter,
        ca: false,
        keyUsage: type === 'rsa' ? [KeyUsage.digitalSignature, KeyUsage.keyEncipherment] : [KeyUsage.digitalSignature],
        extKeyUsage: [OID.serverAuth],
        dnsNames: opts.dnsNames ?? ['localhost'],
        ipAddresses: opts.ipAddresses ?? ['127.0.0.1', '::1'],
    });
    return {
        caCert: pem('CERTIFICATE', caDer),
        cert: pem('CERTIFICATE', leafDer),
        key: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    };
}

/** Writes the CA certificate to `file`, or to `sis-emulator-ca.pem` in a new temp folder; returns the path. */
export function writeCaFile(caCert: string, file?: string): string {
    const target = file ? path.resolve(file) : path.join(mkdtempSync(path.join(tmpdir(), 'sis-emulator-')), 'ca.pem');
    writeFileSync(target, caCert);
    return target;
}
