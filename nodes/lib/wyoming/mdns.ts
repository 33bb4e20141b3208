// A minimal mDNS responder (RFC 6762, DNS-SD RFC 6763) for one service: `<name>._wyoming._tcp.local`
// with its PTR, SRV, TXT and A records, so Home Assistant's zeroconf discovery finds the server.
// It announces twice a second apart, answers queries for those names (multicast, or unicast to a
// querier that is not on port 5353), and says goodbye (TTL 0) when stopped. Written over
// `node:dgram` because the package's runtime dependencies are `undici` and `ws` only.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { hostname, networkInterfaces } from 'node:os';

export const MDNS_ADDRESS = '224.0.0.251';
export const MDNS_PORT = 5353;
export const SERVICE_TYPE = ['_wyoming', '_tcp', 'local'];
const SERVICES_META = ['_services', '_dns-sd', '_udp', 'local'];

export const TYPE = { A: 1, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, ANY: 255 } as const;
const CLASS_IN = 1;
const CACHE_FLUSH = 0x8000;
const SHARED_TTL = 4500;
const HOST_TTL = 120;

export interface MdnsOptions {
    /** The instance name Home Assistant shows (one DNS label, up to 63 bytes). */
    name: string;
    port: number;
    /** IPv4 addresses to announce (default: every non-internal IPv4 address of the machine). */
    addresses?: string[];
    /** The host name announced, without `.local` (default: the machine's, cleaned). */
    host?: string;
    /** UDP port and group (tests use another port). */
    mdnsPort?: number;
    mdnsAddress?: string;
    /** Join the multicast group (off for a loopback-only test). */
    multicast?: boolean;
}

export interface DnsRecord {
    name: string[];
    type: number;
    ttl: number;
    flush: boolean;
    data: Buffer;
}

export interface DnsQuestion {
    name: string[];
    type: number;
    unicast: boolean;
}

export interface DnsMessage {
    id: number;
    response: boolean;
    questions: DnsQuestion[];
    answers: { name: string[]; type: number; ttl: number; data: Buffer; offset: number }[];
}

// ---------------------------------------------------------------------------------------------
// Wire format
// ---------------------------------------------------------------------------------------------

export function encodeName(labels: readonly string[]): Buffer {
    const parts: Buffer[] = [];
    for (const label of labels) {
        const b = Buffer.from(label, 'utf8');
        if (b.length === 0 || b.length > 63) throw new Error(`the DNS label "${label}" must be 1 to 63 bytes`);
        parts.push(Buffer.from([b.length]), b);
    }
    parts.push(Buffer.from([0]));
    return Buffer.concat(parts);
}

/** A name at `offset` (following compression pointers); returns the labels and the offset after it. */
export function decodeName(msg: Buffer, offset: number): { labels: string[]; next: number } {
    const labels: string[] = [];
    let pos = offset;
    let next = -1;
    for (let jumps = 0; jumps < 32; ) {
        if (pos >= msg.length) throw new Error('a DNS name runs past the message');
        const len = msg[pos];
        if (len === 0) {
            if (next < 0) next = pos + 1;
            return { labels, next };
        }
        if ((len & 0xc0) === 0xc0) {
            if (pos + 1 >= msg.length) throw new Error('a DNS pointer runs past the message');
            if (next < 0) next = pos + 2;
            pos = ((len & 0x3f) << 8) | msg[pos + 1];
            jumps++;
            continue;
        }
        if (len > 63 || pos + 1 + len > msg.length) throw new Error('a DNS label runs past the message');
        labels.push(msg.toString('utf8', pos + 1, pos + 1 + len));
        pos += 1 + len;
    }
    throw new Error('too many DNS name pointers');
}

export function decodeMessage(msg: Buffer): DnsMessage {
    if (msg.length < 12) throw new Error('a DNS message is at least 12 bytes');
    const id = msg.readUInt16BE(0);
    const flags = msg.readUInt16BE(2);
    const qd = msg.readUInt16BE(4);
    const an = msg.readUInt16BE(6);
    let pos = 12;
    const questions: DnsQuestion[] = [];
    for (let i = 0; i < qd; i++) {
        const { labels, next } = decodeName(msg, pos);
        if (next + 4 > msg.length) throw new Error('a DNS question runs past the message');
        const type = msg.readUInt16BE(next);
        const klass = msg.readUInt16BE(next + 2);
        questions.push({ name: labels, type, unicast: (klass & 0x8000) !== 0 });
        pos = next + 4;
    }
    const answers: DnsMessage['answers'] = [];
    for (let i = 0; i < an; i++) {
        const { labels, next } = decodeName(msg, pos);
        if (next + 10 > msg.length) throw new Error('a DNS record runs past the message');
        const type = msg.readUInt16BE(next);
        const ttl = msg.readUInt32BE(next + 4);
        const len = msg.readUInt16BE(next + 8);
        const start = next + 10;
        if (start + len > msg.length) throw new Error('a DNS record runs past the message');
        answers.push({ name: labels, type, ttl, data: msg.subarray(start, start + len), offset: start });
        pos = start + len;
    }
    return { id, response: (flags & 0x8000) !== 0, questions, answers };
}

function encodeRecord(r: DnsRecord): Buffer {
    const name = encodeName(r.name);
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(r.type, 0);
    fixed.writeUInt16BE(CLASS_IN | (r.flush ? CACHE_FLUSH : 0), 2);
    fixed.writeUInt32BE(r.ttl, 4);
    fixed.writeUInt16BE(r.data.length, 8);
    return Buffer.concat([name, fixed, r.data]);
}

/** A response: authoritative answer, with the given questions echoed (for a legacy unicast reply). */
export function encodeResponse(
    id: number,
    answers: readonly DnsRecord[],
    additionals: readonly DnsRecord[],
    questions: readonly DnsQuestion[] = [],
): Buffer {
    const header = Buffer.alloc(12);
    header.writeUInt16BE(id, 0);
    header.writeUInt16BE(0x8400, 2); // QR + AA
    header.writeUInt16BE(questions.length, 4);
    header.writeUInt16BE(answers.length, 6);
    header.writeUInt16BE(0, 8);
    header.writeUInt16BE(additionals.length, 10);
    const qs = questions.map((q) => {
        const tail = Buffer.alloc(4);
        tail.writeUInt16BE(q.type, 0);
        tail.writeUInt16BE(CLASS_IN, 2);
        return Buffer.concat([encodeName(q.name), tail]);
    });
    return Buffer.concat([header, ...qs, ...answers.map(encodeRecord), ...additionals.map(encodeRecord)]);
}

/** A query for `name` and `type` (used by the tests and by nothing else). */
export function encodeQuery(id: number, name: readonly string[], type: number): Buffer {
    const header = Buffer.alloc(12);
    header.writeUInt16BE(id, 0);
    header.writeUInt16BE(1, 4);
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(type, 0);
    tail.writeUInt16BE(CLASS_IN, 2);
    return Buffer.concat([header, encodeName(name), tail]);
}

const sameName = (a: readonly string[], b: readonly string[]): boolean =>
    a.length === b.length && a.every((l, i) => l.toLowerCase() === b[i].toLowerCase());

// ---------------------------------------------------------------------------------------------
// Responder
// ---------------------------------------------------------------------------------------------

/** The machine's host name as one DNS label. */
function hostLabel(raw: string): string {
    const clean = raw
        .split('.')[0]
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-')
        .replace(/^-+|-+$/g, '');
    return clean === '' ? 'node-red' : clean.slice(0, 63);
}

/** Every non-internal IPv4 address of the machine; loopback when there is none. */
export function localAddresses(): string[] {
    const out: string[] = [];
    for (const list of Object.values(networkInterfaces())) {
        for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
    }
    return out.length > 0 ? out : ['127.0.0.1'];
}

/** An instance name as one label: at most 63 bytes of UTF-8, cut on a character boundary. */
export function instanceLabel(name: string): string {
    let out = '';
    for (const ch of name.trim() || 'Huawei SIS') {
        if (Buffer.byteLength(out + ch) > 63) break;
        out += ch;
    }
    return out;
}

export class MdnsResponder {
    private socket: Socket | undefined;
    private timers = new Set<NodeJS.Timeout>();
    private readonly instance: string[];
    private readonly host: string[];
    private readonly port: number;
    private readonly group: string;
    private stopped = false;
    private bound = false;

    constructor(private readonly opts: MdnsOptions) {
        this.instance = [instanceLabel(opts.name), ...SERVICE_TYPE];
        this.host = [hostLabel(opts.host ?? hostname()), 'local'];
        this.port = opts.mdnsPort ?? MDNS_PORT;
        this.group = opts.mdnsAddress ?? MDNS_ADDRESS;
    }

    /** The full instance name, e.g. `Huawei SIS._wyoming._tcp.local`. */
    get fullName(): string {
        return this.instance.join('.');
    }

    private records(ttl: (shared: boolean) => number): {
        ptr: DnsRecord[];
        srv: DnsRecord;
        txt: DnsRecord;
        a: DnsRecord[];
    } {
        const srvData = Buffer.alloc(6);
        srvData.writeUInt16BE(0, 0);
        srvData.writeUInt16BE(0, 2);
        srvData.writeUInt16BE(this.opts.port, 4);
        const addresses =
            this.opts.addresses && this.opts.addresses.length > 0 ? this.opts.addresses : localAddresses();
        return {
            ptr: [
                { name: SERVICE_TYPE, type: TYPE.PTR, ttl: ttl(true), flush: false, data: encodeName(this.instance) },
                { name: SERVICES_META, type: TYPE.PTR, ttl: ttl(true), flush: false, data: encodeName(SERVICE_TYPE) },
            ],
            srv: {
                name: this.instance,
                type: TYPE.SRV,
                ttl: ttl(false),
                flush: true,
                data: Buffer.concat([srvData, encodeName(this.host)]),
            },
            txt: { name: this.instance, type: TYPE.TXT, ttl: ttl(true), flush: true, data: Buffer.from([0]) },
            a: addresses.map((address) => ({
                name: this.host,
                type: TYPE.A,
                ttl: ttl(false),
                flush: true,
                data: Buffer.from(address.split('.').map((n) => Number(n))),
            })),
        };
    }

    private all(ttl: (shared: boolean) => number): DnsRecord[] {
        const r = this.records(ttl);
        return [...r.ptr, r.srv, r.txt, ...r.a];
    }

    private static live(shared: boolean): number {
        return shared ? SHARED_TTL : HOST_TTL;
    }

    /** Binds the mDNS port, joins the group and announces; rejects when the network has no multicast. */
    start(): Promise<void> {
        return new Promise<void>((resolve, reject) => {
            const socket = createSocket({ type: 'udp4', reuseAddr: true });
            this.socket = socket;
            const onError = (err: Error): void => {
                this.socket = undefined;
                socket.close();
                reject(err);
            };
            socket.once('error', onError);
            socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
            socket.bind(this.port, () => {
                if (this.stopped) {
                    socket.close();
                    resolve();
                    return;
                }
                try {
                    if (this.opts.multicast !== false) {
                        socket.addMembership(this.group);
                        socket.setMulticastTTL(255);
                        socket.setMulticastLoopback(true);
                    }
                } catch (err) {
                    onError(err as Error);
                    return;
                }
                socket.removeListener('error', onError);
                socket.on('error', () => undefined);
                this.bound = true;
                this.announce();
                this.later(1000, () => this.announce());
                resolve();
            });
        });
    }

    private later(ms: number, fn: () => void): void {
        const timer = setTimeout(() => {
            this.timers.delete(timer);
            fn();
        }, ms);
        this.timers.add(timer);
    }

    private send(buf: Buffer, port: number, address: string): void {
        if (!this.socket || this.stopped) return;
        this.socket.send(buf, port, address, () => undefined);
    }

    private announce(): void {
        if (this.opts.multicast === false) return;
        this.send(encodeResponse(0, this.all(MdnsResponder.live), []), this.port, this.group);
    }

    private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
        let query: DnsMessage;
        try {
            query = decodeMessage(msg);
        } catch {
            return; // not ours to judge: other hosts' traffic
        }
        if (query.response || query.questions.length === 0) return;
        const r = this.records(MdnsResponder.live);
        const answers: DnsRecord[] = [];
        const add = (list: DnsRecord[]): void => {
            for (const rec of list) if (!answers.includes(rec)) answers.push(rec);
        };
        for (const q of query.questions) {
            const any = q.type === TYPE.ANY;
            if (sameName(q.name, SERVICE_TYPE) && (any || q.type === TYPE.PTR)) add([r.ptr[0]]);
            if (sameName(q.name, SERVICES_META) && (any || q.type === TYPE.PTR)) add([r.ptr[1]]);
            if (sameName(q.name, this.instance)) {
                if (any || q.type === TYPE.SRV) add([r.srv]);
                if (any || q.type === TYPE.TXT) add([r.txt]);
            }
            if (sameName(q.name, this.host) && (any || q.type === TYPE.A)) add(r.a);
        }
        if (answers.length === 0) return;
        // The records a resolver needs next come along as additional records.
        const additionals = [r.srv, r.txt, ...r.a].filter((rec) => !answers.includes(rec));
        const legacy = rinfo.port !== this.port;
        if (legacy || query.questions.some((q) => q.unicast)) {
            // Legacy unicast (RFC 6762 §6.7): the query's id and questions echoed, short TTLs.
            const short = (rec: DnsRecord): DnsRecord => ({ ...rec, ttl: Math.min(rec.ttl, 10) });
            const reply = legacy
                ? encodeResponse(query.id, answers.map(short), additionals.map(short), query.questions)
                : encodeResponse(0, answers, additionals);
            this.send(reply, rinfo.port, rinfo.address);
            return;
        }
        this.send(encodeResponse(0, answers, additionals), this.port, this.group);
    }

    /** Says goodbye (TTL 0) and releases the socket and timers. */
    stop(): Promise<void> {
        if (this.stopped) return Promise.resolve();
        for (const t of this.timers) clearTimeout(t);
        this.timers.clear();
        const socket = this.socket;
        if (!socket) {
            this.stopped = true;
            return Promise.resolve();
        }
        return new Promise<void>((resolve) => {
            const close = (): void => {
                this.stopped = true;
                this.socket = undefined;
                try {
                    socket.close(() => resolve());
                } catch {
                    resolve();
                }
            };
            if (this.opts.multicast === false || !this.bound) {
                close();
                return;
            }
            const goodbye = encodeResponse(
                0,
                this.all(() => 0),
                [],
            );
            try {
                socket.send(goodbye, this.port, this.group, () => close());
            } catch {
                close();
            }
        });
    }
}
