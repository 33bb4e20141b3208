// X.509 v3 certificates built with Node's own crypto: keys from generateKeyPairSync, the
// TBSCertificate DER-encoded here (RFC 5280 §4.1) and signed with crypto.sign. Enough for a
// throw-away CA and the server certificate it signs; nothing here parses certificates.

import { createHash, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import {
    bitString,
    boolean,
    explicit,
    implicitPrimitive,
    integer,
    nullValue,
    octetString,
    oid,
    sequence,
    set,
    time,
    utf8String,
} from './der';

const OID = {
    commonName: '2.5.4.3',
    organizationName: '2.5.4.10',
    subjectKeyIdentifier: '2.5.29.14',
    keyUsage: '2.5.29.15',
    subjectAltName: '2.5.29.17',
    basicConstraints: '2.5.29.19',
    authorityKeyIdentifier: '2.5.29.35',
    extKeyUsage: '2.5.29.37',
    serverAuth: '1.3.6.1.5.5.7.3.1',
    ecdsaWithSha256: '1.2.840.10045.4.3.2',
    sha256WithRsa: '1.2.840.113549.1.1.11',
};

/** keyUsage bits (RFC 5280 §4.2.1.3), numbered from the most significant bit of the first byte. */
export const KeyUsage = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

export interface CertificateSpec {
    /** Subject common name (and organisation, when given). */
    subject: { commonName: string; organization?: string };
    /** The subject's public key. */
    publicKey: KeyObject;
    /** Issuer name and signing key; the subject's own for a self-signed certificate. */
    issuer: { commonName: string; organization?: string };
    issuerKey: KeyObject;
    /** Public key of the issuer, for the authority key identifier. */
    issuerPublicKey: KeyObject;
    notBefore: Date;
    notAfter: Date;
    /** basicConstraints cA (critical). */
    ca: boolean;
    keyUsage: number[];
    extKeyUsage?: string[];
    /** subjectAltName entries: DNS names and IP addresses (v4 or v6 text). */
    dnsNames?: string[];
    ipAddresses?: string[];
    /** Serial number bytes; 16 random bytes when absent. */
    serial?: Buffer;
}

function name(n: { commonName: string; organization?: string }): Buffer {
    const rdns: Buffer[] = [];
    if (n.organization) rdns.push(set(sequence(oid(OID.organizationName), utf8String(n.organization))));
    rdns.push(set(sequence(oid(OID.commonName), utf8String(n.commonName))));
    return sequence(...rdns);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
    return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

/** DER BIT STRING of a keyUsage set: trailing zero bits dropped, as DER requires. */
function keyUsageBits(bits: number[]): Buffer {
    const highest = Math.max(...bits);
    const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
    for (const bit of bits) bytes[Math.floor(bit / 8)] |= 0x80 >> (bit % 8);
    return bitString(bytes, 7 - (highest % 8));
}

/** Network-order bytes of an IPv4 or IPv6 address in text form. */
export function ipBytes(text: string): Buffer {
    const family = isIP(text);
    if (family === 4) return Buffer.from(text.split('.').map(Number));
    if (family !== 6) throw new Error(`not an IP address: ${text}`);
    let body = text;
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
    if (v4) {
        const [a, b, c, d] = v4[1].split('.').map(Number);
        body = `${body.slice(0, -v4[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
    }
    const [head, tail] = body.split('::') as [string, string | undefined];
    const part = (s: string | undefined) => (s ? s.split(':') : []);
    const left = part(head);
    const right = part(tail);
    const groups =
        tail === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill('0'), ...right];
    const out = Buffer.alloc(16);
    for (const [i, g] of groups.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
    return out;
}

function keyIdentifier(publicKey: KeyObject): Buffer {
    // RFC 5280 §4.2.1.2 leaves the method open; a SHA-1 of the SubjectPublicKeyInfo is unique enough.
    return createHash('sha1')
        .update(publicKey.export({ type: 'spki', format: 'der' }))
        .digest();
}

function signatureAlgorithm(key: KeyObject): Buffer {
    if (key.asymmetricKeyType === 'ec') return sequence(oid(OID.ecdsaWithSha256));
    if (key.asymmetricKeyType === 'rsa') return sequence(oid(OID.sha256WithRsa), nullValue());
    throw new Error(`unsupported key type ${key.asymmetricKeyType}`);
}

/** A DER-encoded, signed X.509 v3 certificate. */
export function buildCertificate(spec: CertificateSpec): Buffer {
    const serial = Buffer.from(spec.serial ?? randomBytes(16));
    serial[0] &= 0x7f; // positive
    if (serial[0] === 0) serial[0] = 0x01; // and no leading zero byte to strip
    const algorithm = signatureAlgorithm(spec.issuerKey);

    const extensions: Buffer[] = [
        extension(OID.basicConstraints, true, spec.ca ? sequence(boolean(true)) : sequence()),
        extension(OID.keyUsage, true, keyUsageBits(spec.keyUsage)),
    ];
    if (spec.extKeyUsage?.length) {
        extensions.push(extension(OID.extKeyUsage, false, sequence(...spec.extKeyUsage.map((id) => oid(id)))));
    }
    const altNames = [
        ...(spec.dnsNames ?? []).map((dns) => implicitPrimitive(2, Buffer.from(dns, 'ascii'))),
        ...(spec.ipAddresses ?? []).map((ip) => implicitPrimitive(7, ipBytes(ip))),
    ];
    if (altNames.length) extensions.push(extension(OID.subjectAltName, false, sequence(...altNames)));
    extensions.push(extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(spec.publicKey))));
    extensions.push(
        extension(
            OID.authorityKeyIdentifier,
            false,
            sequence(implicitPrimitive(0, keyIdentifier(spec.issuerPublicKey))),
        ),
    );

    const tbs = sequence(
        explicit(0, integer(2)), // version v3
        integer(serial),
        algorithm,
        name(spec.issuer),
        sequence(time(spec.notBefore), time(spec.notAfter)),
        name(spec.subject),
        spec.publicKey.export({ type: 'spki', format: 'der' }),
        explicit(3, sequence(...extensions)),
    );
    // ECDSA signatures come out DER-encoded (Ecdsa-Sig-Value), as X.509 wants them.
    const signature = sign('sha256', tbs, spec.issuerKey);
    return sequence(tbs, algorithm, bitString(signature));
}

export { OID };
