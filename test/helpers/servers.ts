// Small real servers on loopback for what the emulator does not model: an HTTP CONNECT proxy,
// a TLS server with a throw-away certificate, and a server that counts concurrent requests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export interface Running {
    url: string;
    port: number;
    close(): Promise<void>;
}

function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
}

function track(server: net.Server): Set<net.Socket> {
    const sockets = new Set<net.Socket>();
    server.on('connection', (s: net.Socket) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
    });
    return sockets;
}

async function listen(server: net.Server): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as net.AddressInfo).port;
}

/** A CONNECT proxy that tunnels every target to `targetPort` on loopback and records the targets. */
export async function startConnectProxy(targetPort: number): Promise<Running & { targets: string[] }> {
    const targets: string[] = [];
    const server = http.createServer((_req, res) => {
        res.writeHead(405).end();
    });
    const sockets = track(server);
    server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
        targets.push(req.url ?? '');
        const upstream = net.connect(targetPort, '127.0.0.1', () => {
            client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
            if (head.length) upstream.write(head);
            upstream.pipe(client);
            client.pipe(upstream);
        });
        sockets.add(upstream);
        upstream.on('close', () => sockets.delete(upstream));
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
    });
    const port = await listen(server);
    return { url: `http://127.0.0.1:${port}`, port, targets, close: () => closeServer(server, sockets) };
}

/** A self-signed certificate for 127.0.0.1 made with openssl. */
export function makeCertificate(): { key: string; cert: string } {
    const dir = mkdtempSync(path.join(tmpdir(), 'sis-cert-'));
    try {
        execFileSync(
            'openssl',
            [
                'req',
                '-x509',
                '-newkey',
                'rsa:2048',
                '-nodes',
                '-days',
                '1',
                '-subj',
                '/CN=127.0.0.1',
                '-addext',
                'subjectAltName=IP:127.0.0.1',
                '-keyout',
                path.join(dir, 'key.pem'),
                '-out',
                path.join(dir, 'cert.pem'),
            ],
            { stdio: 'ignore' },
        );
        return {
            key: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
            cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
        };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** A TLS server answering `{"ok":true}`. */
export async function startTlsServer(key: string, cert: string): Promise<Running> {
    const server = https.createServer({ key, cert }, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    const sockets = track(server);
    const port = await listen(server);
    return { url: `https://127.0.0.1:${port}`, port, close: () => closeServer(server, sockets) };
}

/** Answers every request after `delayMs` and records the highest number in flight at once. */
export async function startCountingServer(delayMs: number): Promise<Running & { peak(): number; total(): number }> {
    let active = 0;
    let peak = 0;
    let total = 0;
    const server = http.createServer((_req, res) => {
        active++;
        total++;
        peak = Math.max(peak, active);
        setTimeout(() => {
            active--;
            res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        }, delayMs);
    });
    const sockets = track(server);
    const port = await listen(server);
    return {
        url: `http://127.0.0.1:${port}`,
        port,
        peak: () => peak,
        total: () => total,
        close: () => closeServer(server, sockets),
    };
}
