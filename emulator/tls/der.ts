// A minimal DER (ASN.1 Distinguished Encoding Rules) encoder: just the types an X.509 v3
// certificate needs. Each function returns the complete TLV (tag, length, value) as a Buffer.

function length(n: number): Buffer {
    if (n < 0x80) return Buffer.from([n]);
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Any TLV: `tag` is the full identifier octet (class, constructed bit and number < 31). */
export function tlv(tag: number, value: Buffer): Buffer {
    return Buffer.concat([Buffer.from([tag]), length(value.length), value]);
}

export function sequence(...items: Buffer[]): Buffer {
    return tlv(0x30, Buffer.concat(items));
}

export function set(...items: Buffer[]): Buffer {
    return tlv(0x31, Buffer.concat(items));
}

export function boolean(value: boolean): Buffer {
    return tlv(0x01, Buffer.from([value ? 0xff : 0x00]));
}

/** INTEGER from a small non-negative number or from big-endian unsigned bytes. */
export function integer(value: number | Buffer): Buffer {
    let bytes: Buffer;
    if (typeof value === 'number') {
        if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`integer: ${value}`);
        const out: number[] = [];
        for (let v = value; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
        bytes = Buffer.from(out.length ? out : [0]);
    } else {
        let start = 0;
        while (start < value.length - 1 && value[start] === 0) start++;
        bytes = value.subarray(start);
        if (bytes.length === 0) bytes = Buffer.from([0]);
    }
    // Two's complement: a leading 1 bit would make it negative.
    if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return tlv(0x02, bytes);
}

/** BIT STRING whose last `unusedBits` bits of the final byte are padding. */
export function bitString(bytes: Buffer, unusedBits = 0): Buffer {
    return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

export function octetString(bytes: Buffer): Buffer {
    return tlv(0x04, bytes);
}

export function nullValue(): Buffer {
    return Buffer.from([0x05, 0x00]);
}

/** OBJECT IDENTIFIER from its dotted form, e.g. `2.5.4.3`. */
export function oid(dotted: string): Buffer {
    const arcs = dotted.split('.').map((a) => {
        const n = Number(a);
        if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`oid: ${dotted}`);
        return n;
    });
    if (arcs.length < 2) throw new RangeError(`oid: ${dotted}`);
    const out: number[] = [];
    const base128 = (n: number) => {
        const chunk: number[] = [n & 0x7f];
        for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
        out.push(...chunk);
    };
    base128(arcs[0] * 40 + arcs[1]);
    for (const arc of arcs.slice(2)) base128(arc);
    return tlv(0x06, Buffer.from(out));
}

export function utf8String(text: string): Buffer {
    return tlv(0x0c, Buffer.from(text, 'utf8'));
}

/** UTCTime (years 1950–2049) or GeneralizedTime (other years), as RFC 5280 §4.1.2.5 requires. */
export function time(date: Date): Buffer {
    const iso = date.toISOString(); // 2025-01-02T03:04:05.000Z
    const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
    const year = date.getUTCFullYear();
    if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(digits.slice(2), 'ascii'));
    return tlv(0x18, Buffer.from(digits, 'ascii'));
}

/** Context-specific `[n]` EXPLICIT: a constructed wrapper around one complete TLV. */
export function explicit(n: number, inner: Buffer): Buffer {
    return tlv(0xa0 | n, inner);
}

/** Context-specific `[n]` IMPLICIT of a primitive type: the raw value under tag `[n]`. */
export function implicitPrimitive(n: number, value: Buffer): Buffer {
    return tlv(0x80 | n, value);
}

/** PEM armour of DER bytes. */
export function pem(label: string, der: Buffer): string {
    const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
    return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
