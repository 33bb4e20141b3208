// Which client addresses may connect: a list of addresses and CIDR ranges (IPv4 and IPv6), by
// default loopback and the private and link-local ranges. An IPv4 client seen on a dual-stack
// socket (`::ffff:192.168.1.5`) is matched as the IPv4 address it is.
import { BlockList, isIP } from 'node:net';
import { invalidInput } from '../core/errors';

/** Loopback, RFC 1918 private, link-local, and IPv6 unique-local and link-local ranges. */
export const DEFAULT_ALLOW = [
    '127.0.0.0/8',
    '10.0.0.0/8',
    '172.16.0.0/12',
    '192.168.0.0/16',
    '169.254.0.0/16',
    '::1/128',
    'fc00::/7',
    'fe80::/10',
];

export interface AllowList {
    /** The ranges as given (normalised), for the log. */
    readonly ranges: readonly string[];
    allows(address: string | undefined): boolean;
}

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** The address as it is matched: an IPv4-mapped IPv6 address becomes IPv4, a zone id is dropped. */
export function plainAddress(address: string): string {
    const noZone = address.replace(/%.*$/, '');
    const m = MAPPED_V4.exec(noZone);
    return m ? m[1] : noZone;
}

/**
 * The allow list of a setting: entries separated by commas, spaces or new lines, each an address
 * or `address/prefix`; empty means the default. Throws INVALID_INPUT for an entry that is neither.
 */
export function parseAllowList(setting: unknown): AllowList {
    const text = typeof setting === 'string' ? setting.trim() : '';
    const entries = text === '' ? DEFAULT_ALLOW : text.split(/[\s,;]+/).filter((e) => e !== '');
    const list = new BlockList();
    const ranges: string[] = [];
    for (const entry of entries) {
        const [addr, prefixText, extra] = entry.split('/');
        const plain = plainAddress(addr);
        const family = isIP(plain);
        if (family === 0 || extra !== undefined)
            throw invalidInput(`allow: "${entry}" is not an address or CIDR range`);
        const type = family === 4 ? 'ipv4' : 'ipv6';
        const max = family === 4 ? 32 : 128;
        if (prefixText === undefined) {
            list.addAddress(plain, type);
            ranges.push(plain);
            continue;
        }
        const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
        if (!(prefix >= 0 && prefix <= max)) throw invalidInput(`allow: "${entry}" has an invalid prefix length`);
        list.addSubnet(plain, prefix, type);
        ranges.push(`${plain}/${prefix}`);
    }
    return {
        ranges,
        allows(address: string | undefined): boolean {
            if (!address) return false;
            const plain = plainAddress(address);
            const family = isIP(plain);
            if (family === 0) return false;
            return list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
        },
    };
}
