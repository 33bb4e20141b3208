// WebSocket APIs of the emulator: RASR (three modes), short-audio over WebSocket, and RTTS.
// The core authenticates the upgrade request, then hands the raw socket to one of these.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { upgradeRequestId } from '../reply';
import type { EmulatorContext, Principal, RouteName, UpgradeHandler } from '../types';
import { Connection } from './connection';
import { RasrSession } from './rasr-session';
import type { StreamMode } from './recognizer';
import { RttsSession } from './rtts-session';

// One server for every upgrade: `noServer` mode only performs handshakes, it holds no sockets.
let server: WebSocketServer | undefined;
function wss(): WebSocketServer {
    if (!server) {
        server = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4 * 1024 * 1024 });
        // The 101 answer carries the gateway's X-Request-Id like every other answer.
        server.on('headers', (headers: string[], req: IncomingMessage) => {
            headers.push(`X-Request-Id: ${upgradeRequestId(req)}`);
        });
    }
    return server;
}

/** `/v1/{project_id}/rasr/{mode}` → mode; undefined for anything else. */
export function rasrModeOf(url: string | undefined): StreamMode | undefined {
    const m = /\/rasr\/(short-stream|continue-stream|sentence-stream)\/?(?:\?|$)/.exec(url ?? '');
    return m ? (m[1] as StreamMode) : undefined;
}

function reject(req: IncomingMessage, socket: Duplex, status: number, code: string, message: string): void {
    const id = upgradeRequestId(req);
    const body = JSON.stringify({ error_code: code, error_msg: message, request_id: id });
    try {
        socket.end(
            `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Internal Server Error'}\r\n` +
                `Content-Type: application/json\r\nX-Request-Id: ${id}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
    } catch {
        socket.destroy();
    }
}

function upgrade(
    ctx: EmulatorContext,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    principal: Principal,
    route: RouteName,
    start: (conn: Connection) => void,
): void {
    try {
        socket.on('error', () => socket.destroy());
        wss().handleUpgrade(req, socket, head, (ws: WebSocket) => {
            try {
                start(new Connection(ctx, ws, req, principal, route));
            } catch {
                ws.terminate();
            }
        });
    } catch {
        socket.destroy();
    }
}

export const handleRasrUpgrade: UpgradeHandler = (ctx, req, socket, head, principal) => {
    const mode = rasrModeOf(req.url);
    if (!mode)
        return reject(
            req,
            socket,
            404,
            'APIG.0101',
            'The API does not exist or has not been published in the environment.',
        );
    upgrade(ctx, req, socket, head, principal, 'rasr', (conn) => new RasrSession(conn, mode));
};

export const handleShortAudioWsUpgrade: UpgradeHandler = (ctx, req, socket, head, principal) => {
    upgrade(ctx, req, socket, head, principal, 'short-audio.ws', (conn) => new RasrSession(conn, 'short-audio'));
};

export const handleRttsUpgrade: UpgradeHandler = (ctx, req, socket, head, principal) => {
    upgrade(ctx, req, socket, head, principal, 'rtts', (conn) => new RttsSession(conn));
};
