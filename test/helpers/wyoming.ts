// A small Wyoming client for the tests, written apart from the server's code so each checks the
// other: it writes events as Home Assistant's integration does (data inline in the header, or in
// a data block) and reads every event the server sends, with its arrival time.
import { connect, type Socket } from 'node:net';

export interface ClientEvent {
    type: string;
    data: Record<string, unknown>;
    payload?: Buffer;
    at: number;
}

export interface WyomingClient {
    socket: Socket;
    events: ClientEvent[];
    closed: boolean;
    send(type: string, data?: Record<string, unknown>, payload?: Buffer, opts?: { dataBlock?: boolean }): void;
    raw(bytes: Buffer | string): void;
    /** Waits for the next event of `type` after those already taken, and returns it. */
    next(type: string, ms?: number): Promise<ClientEvent>;
    /** Waits until the connection is closed by the server. */
    closedBy(ms?: number): Promise<void>;
    close(): void;
}

export function encode(type: string, data?: Record<string, unknown>, payload?: Buffer, dataBlock = false): Buffer {
    const header: Record<string, unknown> = { type, version: '1.9.0' };
    let block: Buffer | undefined;
    if (data && Object.keys(data).length > 0) {
        if (dataBlock) {
            block = Buffer.from(JSON.stringify(data));
            header.data_length = block.length;
        } else header.data = data;
    }
    if (payload && payload.length > 0) header.payload_length = payload.length;
    return Buffer.concat([
        Buffer.from(`${JSON.stringify(header)}\n`),
        block ?? Buffer.alloc(0),
        payload ?? Buffer.alloc(0),
    ]);
}

export function wyomingClient(port: number, host = '127.0.0.1'): Promise<WyomingClient> {
    return new Promise((resolve, reject) => {
        const socket = connect({ port, host });
        const events: ClientEvent[] = [];
        let buf = Buffer.alloc(0);
        let taken = 0;
        const client: WyomingClient = {
            socket,
            events,
            closed: false,
            send: (type, data, payload, opts) => {
                socket.write(encode(type, data, payload, opts?.dataBlock ?? false));
            },
            raw: (bytes) => {
                socket.write(bytes);
            },
            next: async (type, ms = 10_000) => {
                const end = Date.now() + ms;
                for (;;) {
                    const i = events.findIndex((e, k) => k >= taken && e.type === type);
                    if (i >= 0) {
                        taken = i + 1;
                        return events[i];
                    }
                    if (Date.now() > end) {
                        throw new Error(`no ${type} within ${ms} ms; got ${events.map((e) => e.type).join(', ')}`);
                    }
                    if (client.closed && i < 0)
                        throw new Error(`closed before ${type}; got ${events.map((e) => e.type).join(', ')}`);
                    await new Promise((r) => setTimeout(r, 5));
                }
            },
            closedBy: async (ms = 5000) => {
                const end = Date.now() + ms;
                while (!client.closed) {
                    if (Date.now() > end) throw new Error('the server did not close the connection');
                    await new Promise((r) => setTimeout(r, 5));
                }
            },
            close: () => socket.destroy(),
        };
        socket.on('data', (chunk: Buffer) => {
            buf = Buffer.concat([buf, chunk]);
            for (;;) {
                const nl = buf.indexOf(0x0a);
                if (nl < 0) return;
                const header = JSON.parse(buf.subarray(0, nl).toString('utf8')) as Record<string, unknown>;
                const dl = Number(header.data_length ?? 0);
                const pl = Number(header.payload_length ?? 0);
                if (buf.length < nl + 1 + dl + pl) return;
                const data = { ...((header.data as Record<string, unknown>) ?? {}) };
                if (dl > 0) Object.assign(data, JSON.parse(buf.subarray(nl + 1, nl + 1 + dl).toString('utf8')));
                const event: ClientEvent = { type: String(header.type), data, at: Date.now() };
                if (pl > 0) event.payload = Buffer.from(buf.subarray(nl + 1 + dl, nl + 1 + dl + pl));
                events.push(event);
                buf = buf.subarray(nl + 1 + dl + pl);
            }
        });
        socket.on('close', () => {
            client.closed = true;
        });
        socket.on('error', () => undefined);
        socket.once('connect', () => resolve(client));
        socket.once('error', reject);
    });
}

/** Home Assistant's STT request: transcribe, audio-start, 1024-sample chunks, audio-stop. */
export async function haTranscribe(
    client: WyomingClient,
    pcm: Buffer,
    opts: { language?: string; rate?: number; width?: number; channels?: number; samplesPerChunk?: number } = {},
): Promise<void> {
    const rate = opts.rate ?? 16000;
    const width = opts.width ?? 2;
    const channels = opts.channels ?? 1;
    const chunkBytes = (opts.samplesPerChunk ?? 1024) * width * channels;
    client.send('transcribe', opts.language === undefined ? {} : { language: opts.language });
    client.send('audio-start', { rate, width, channels, timestamp: null });
    for (let i = 0; i < pcm.length; i += chunkBytes) {
        client.send('audio-chunk', { rate, width, channels, timestamp: null }, pcm.subarray(i, i + chunkBytes));
    }
    client.send('audio-stop', { timestamp: null });
}

/** The PCM bytes of every audio-chunk between two indexes of `events`. */
export function audioOf(events: ClientEvent[], from = 0, to = events.length): Buffer {
    return Buffer.concat(
        events.slice(from, to).flatMap((e) => (e.type === 'audio-chunk' && e.payload ? [e.payload] : [])),
    );
}

/**
 * The test helper gives nodes an `RED._` that returns the key; this makes the built node of
 * `type` render its own catalog (`locales/<lang>/<type>.json`, `__name__` values) as Node-RED's
 * i18n does, so tests see the status text a user sees.
 */
export function renderCatalog(type: string, lang = 'en-US'): void {
    const path = require('node:path') as typeof import('node:path');
    const fs = require('node:fs') as typeof import('node:fs');
    const file = require.resolve(`../../dist/nodes/${type}.js`);
    const catalog = JSON.parse(
        fs.readFileSync(path.join(path.dirname(file), 'locales', lang, `${type}.json`), 'utf8'),
    ) as Record<string, unknown>;
    const render = (key: string, subs: Record<string, unknown> = {}): string => {
        let cur: unknown = catalog;
        for (const part of key.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[part];
        if (typeof cur !== 'string') return key;
        return cur.replace(/__(\w+)__/g, (_, name: string) => String(subs[name] ?? ''));
    };
    const original = require(file) as ((RED: Record<string, unknown>) => void) & { rendered?: boolean };
    if (original.rendered) return;
    const wrapped = Object.assign(
        (RED: Record<string, unknown>) => {
            RED._ = render;
            return original(RED);
        },
        { rendered: true },
    );
    (require.cache[file] as NodeModule).exports = wrapped;
}
