// Wyoming event framing, version 1.x: each event is one JSON line `{type, data?, data_length?,
// payload_length?, version?}`, followed by `data_length` bytes of JSON (merged over `data`) and
// `payload_length` bytes of binary. The reader takes bytes in any cut and refuses, with a
// WyomingProtocolError, a header line over MAX_HEADER_BYTES, a length that is negative, not an
// integer or over its bound, and JSON that is not an object.

/** The version written in every header (the protocol's 1.x line). */
export const PROTOCOL_VERSION = '1.9.0';
/** A header line (JSON without its data block) is a few hundred bytes; this is generous. */
export const MAX_HEADER_BYTES = 64 * 1024;
/** An `info` answer with every voice is tens of KiB; a client's data is far smaller. */
export const MAX_DATA_BYTES = 1024 * 1024;
/** Home Assistant sends 1024-sample chunks; 4 MiB is over 20 s of 48 kHz stereo 32-bit audio. */
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;
const MAX_TYPE_LENGTH = 128;

export interface WyomingEvent {
    type: string;
    data: Record<string, unknown>;
    payload?: Buffer;
}

export class WyomingProtocolError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'WyomingProtocolError';
    }
}

function isObject(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function lengthOf(header: Record<string, unknown>, key: string, max: number): number {
    const v = header[key];
    if (v === undefined || v === null) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        throw new WyomingProtocolError(`${key} must be a non-negative integer`);
    }
    if (v > max) throw new WyomingProtocolError(`${key} ${v} is over the limit of ${max} bytes`);
    return v;
}

function parseJson(bytes: Buffer, what: string): Record<string, unknown> {
    let parsed: unknown;
    try {
        parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
        throw new WyomingProtocolError(`${what} is not valid JSON`);
    }
    if (!isObject(parsed)) throw new WyomingProtocolError(`${what} is not a JSON object`);
    return parsed;
}

interface Pending {
    type: string;
    data: Record<string, unknown>;
    dataLength: number;
    payloadLength: number;
}

/** Turns a byte stream into events. After an error it takes nothing more (the stream is lost). */
export class EventReader {
    private chunks: Buffer[] = [];
    private buffered = 0;
    private pending: Pending | undefined;
    private broken = false;

    constructor(
        private readonly limits = {
            header: MAX_HEADER_BYTES,
            data: MAX_DATA_BYTES,
            payload: MAX_PAYLOAD_BYTES,
        },
    ) {}

    /** Bytes held for an event not complete yet. */
    get bufferedBytes(): number {
        return this.buffered;
    }

    /** Takes bytes; returns the events they complete. Throws WyomingProtocolError. */
    push(chunk: Buffer): WyomingEvent[] {
        if (this.broken) return [];
        if (chunk.length > 0) {
            this.chunks.push(chunk);
            this.buffered += chunk.length;
        }
        const out: WyomingEvent[] = [];
        try {
            for (;;) {
                const event = this.next();
                if (!event) break;
                out.push(event);
            }
        } catch (err) {
            this.broken = true;
            this.chunks = [];
            this.buffered = 0;
            throw err;
        }
        return out;
    }

    private joined(): Buffer {
        if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
        return this.chunks[0] ?? Buffer.alloc(0);
    }

    private take(n: number): Buffer {
        const all = this.joined();
        const head = all.subarray(0, n);
        const rest = all.subarray(n);
        this.chunks = rest.length > 0 ? [rest] : [];
        this.buffered = rest.length;
        return head;
    }

    private next(): WyomingEvent | undefined {
        if (!this.pending) {
            if (this.buffered === 0) return undefined;
            // Only the newest chunk can hold the newline that ends a header not found before.
            const all = this.joined();
            const nl = all.indexOf(0x0a);
            if (nl < 0) {
                if (all.length > this.limits.header) {
                    throw new WyomingProtocolError(`a header line is longer than ${this.limits.header} bytes`);
                }
                return undefined;
            }
            if (nl > this.limits.header) {
                throw new WyomingProtocolError(`a header line is longer than ${this.limits.header} bytes`);
            }
            const line = this.take(nl + 1).subarray(0, nl);
            const text = line.toString('utf8').trim();
            if (text === '') return this.next(); // blank lines between events are tolerated
            const header = parseJson(Buffer.from(text), 'a header line');
            const type = header.type;
            if (typeof type !== 'string' || type === '' || type.length > MAX_TYPE_LENGTH) {
                throw new WyomingProtocolError('a header has no event type');
            }
            const data = header.data;
            if (data !== undefined && data !== null && !isObject(data)) {
                throw new WyomingProtocolError('the data of a header is not a JSON object');
            }
            this.pending = {
                type,
                data: isObject(data) ? { ...data } : {},
                dataLength: lengthOf(header, 'data_length', this.limits.data),
                payloadLength: lengthOf(header, 'payload_length', this.limits.payload),
            };
        }
        const p = this.pending;
        if (this.buffered < p.dataLength + p.payloadLength) return undefined;
        this.pending = undefined;
        if (p.dataLength > 0) Object.assign(p.data, parseJson(this.take(p.dataLength), 'a data block'));
        const event: WyomingEvent = { type: p.type, data: p.data };
        if (p.payloadLength > 0) event.payload = Buffer.from(this.take(p.payloadLength));
        return event;
    }
}

/** One event as bytes, its data in a data block as the protocol's own library writes it. */
export function encodeEvent(type: string, data?: Record<string, unknown>, payload?: Buffer): Buffer {
    const header: Record<string, unknown> = { type, version: PROTOCOL_VERSION };
    let dataBytes: Buffer | undefined;
    if (data && Object.keys(data).length > 0) {
        dataBytes = Buffer.from(JSON.stringify(data), 'utf8');
        header.data_length = dataBytes.length;
    }
    if (payload && payload.length > 0) header.payload_length = payload.length;
    const line = Buffer.from(`${JSON.stringify(header)}\n`, 'utf8');
    const parts: Buffer[] = [line];
    if (dataBytes) parts.push(dataBytes);
    if (payload && payload.length > 0) parts.push(payload);
    return parts.length === 1 ? line : Buffer.concat(parts);
}
