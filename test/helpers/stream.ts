// Helpers of the sis-stream-asr suites: a WAV writer for synthetic inputs and a chunked sender.
import { delay } from './wait';

/** A canonical 44-byte WAV header in front of `data`. */
export function wavOf(data: Buffer, rate: number, channels: number, bits = 16, formatTag = 1): Buffer {
    const h = Buffer.alloc(44);
    h.write('RIFF', 0, 'latin1');
    h.writeUInt32LE(36 + data.length, 4);
    h.write('WAVEfmt ', 8, 'latin1');
    h.writeUInt32LE(16, 16);
    h.writeUInt16LE(formatTag, 20);
    h.writeUInt16LE(channels, 22);
    h.writeUInt32LE(rate, 24);
    h.writeUInt32LE((rate * channels * bits) / 8, 28);
    h.writeUInt16LE((channels * bits) / 8, 32);
    h.writeUInt16LE(bits, 34);
    h.write('data', 36, 'latin1');
    h.writeUInt32LE(data.length, 40);
    return Buffer.concat([h, data]);
}

/** Sends `audio` in chunks of `size` bytes, optionally pausing `pauseMs` between chunks. */
export async function sendChunks(
    send: (msg: Record<string, unknown>) => void,
    audio: Buffer,
    size: number,
    extra: Record<string, unknown> = {},
    pauseMs = 0,
): Promise<number> {
    let count = 0;
    for (let i = 0; i < audio.length; i += size) {
        send({ ...extra, payload: audio.subarray(i, i + size) });
        count++;
        if (pauseMs > 0) await delay(pauseMs);
    }
    return count;
}

/** A TCP forwarder to `port` on loopback whose client-to-server direction can be stalled, like a congested uplink. */
export async function startStallableForwarder(port: number): Promise<{
    url: string;
    stall(): void;
    close(): Promise<void>;
}> {
    const net = await import('node:net');
    const clients = new Set<import('node:net').Socket>();
    const sockets = new Set<import('node:net').Socket>();
    let stalled = false;
    const server = net.createServer((client) => {
        const upstream = net.connect(port, '127.0.0.1');
        for (const s of [client, upstream]) {
            sockets.add(s);
            s.on('close', () => sockets.delete(s));
            s.on('error', () => undefined);
        }
        clients.add(client);
        client.on('close', () => clients.delete(client));
        if (!stalled) client.pipe(upstream);
        upstream.pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port: own } = server.address() as import('node:net').AddressInfo;
    return {
        url: `http://127.0.0.1:${own}`,
        stall: () => {
            stalled = true;
            for (const c of clients) {
                c.unpipe();
                c.pause();
            }
        },
        close: () => {
            for (const s of sockets) s.destroy();
            return new Promise((resolve) => server.close(() => resolve()));
        },
    };
}
