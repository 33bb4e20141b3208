// A real MQTT broker for the device suites: Debian's Mosquitto, started on a free loopback port
// with its own configuration file in a temporary folder (anonymous clients, no persistence), and
// restartable on the same port. MQTT clients for the simulated devices come from the `mqtt`
// package of the Node-RED under test (the one its core mqtt nodes use).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { resolveInRuntime } from './node-red-runtime';
import { freePort } from './red-process';
import { delay } from './wait';

/** Where Debian's `mosquitto` package puts the broker. */
const CANDIDATES = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'];

export const MOSQUITTO = CANDIDATES.find((p) => existsSync(p));

/**
 * For a suite's `before`: skips the suite when Mosquitto is not installed, or fails when CI is set
 * (CI installs it, so a missing broker there is a broken set-up, not a reason to skip).
 */
export function requireMosquitto(ctx: Mocha.Context): string {
    if (MOSQUITTO) return MOSQUITTO;
    const why = 'Mosquitto is not installed (apt-get install -y mosquitto)';
    if (process.env.CI) throw new Error(`${why}: the MQTT device tests are required in CI`);
    console.log(`      (skipped: ${why})`);
    ctx.skip();
}

export interface Broker {
    port: number;
    url: string;
    /** Stops the broker (SIGTERM; SIGKILL after 5 s). */
    stop(): Promise<void>;
    /** Starts it again on the same port, with the same configuration. */
    start(): Promise<void>;
    /** Everything the broker logged. */
    output(): string;
    /** The broker's process id (0 while stopped). */
    pid(): number;
    /** Stops it and removes its folder. */
    close(): Promise<void>;
}

async function listening(port: number, ms: number, child: ChildProcess, log: () => string): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
        if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}):\n${log()}`);
        const ok = await new Promise<boolean>((resolve) => {
            const socket = net.connect(port, '127.0.0.1');
            socket.once('connect', () => {
                socket.destroy();
                resolve(true);
            });
            socket.once('error', () => resolve(false));
        });
        if (ok) return;
        if (Date.now() > end) throw new Error(`mosquitto did not listen on ${port} within ${ms} ms:\n${log()}`);
        await delay(25);
    }
}

export async function startMosquitto(): Promise<Broker> {
    if (!MOSQUITTO) throw new Error('mosquitto is not installed');
    const dir = mkdtempSync(path.join(tmpdir(), 'sis-mosquitto-'));
    const port = await freePort();
    const conf = path.join(dir, 'mosquitto.conf');
    writeFileSync(
        conf,
        [
            `listener ${port} 127.0.0.1`,
            'allow_anonymous true',
            'persistence false',
            'log_dest stderr',
            'log_type error',
            'log_type warning',
            'log_type notice',
            // Audio chunks are small, but a page of several devices may queue a few hundred.
            'max_queued_messages 10000',
            '',
        ].join('\n'),
    );
    let text = '';
    let child: ChildProcess | undefined;
    const start = async (): Promise<void> => {
        const c = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
        c.stdout?.on('data', (b: Buffer) => {
            text += b.toString('utf8');
        });
        c.stderr?.on('data', (b: Buffer) => {
            text += b.toString('utf8');
        });
        child = c;
        await listening(port, 10_000, c, () => text);
    };
    const stop = async (): Promise<void> => {
        const c = child;
        child = undefined;
        if (!c || c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
        c.kill('SIGTERM');
        const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
    };
    await start();
    return {
        port,
        url: `mqtt://127.0.0.1:${port}`,
        stop,
        start,
        output: () => text,
        pid: () => child?.pid ?? 0,
        close: async () => {
            await stop();
            rmSync(dir, { recursive: true, force: true });
        },
    };
}

/** The part of an mqtt.js client the device suites use. */
export interface MqttClient {
    connected: boolean;
    publish(topic: string, payload: Buffer | string, opts: { qos: 0 | 1 }, cb?: (err?: Error) => void): MqttClient;
    subscribe(topic: string | string[], opts: { qos: 0 | 1 }, cb?: (err: Error | null) => void): MqttClient;
    on(event: 'message', fn: (topic: string, payload: Buffer) => void): MqttClient;
    on(event: 'connect' | 'close' | 'offline' | 'reconnect', fn: () => void): MqttClient;
    on(event: 'error', fn: (err: Error) => void): MqttClient;
    end(force?: boolean, opts?: object, cb?: () => void): MqttClient;
}

interface MqttModule {
    connect(url: string, opts: Record<string, unknown>): MqttClient;
}

/**
 * An MQTT client connected to `url` (resolves once connected). As a device's firmware would:
 * QoS 0 publishes are not queued while disconnected (they are lost, as on a microcontroller), and
 * the client reconnects every `reconnectMs`.
 */
export async function mqttClient(url: string, clientId: string, reconnectMs = 200): Promise<MqttClient> {
    const mqtt = require(resolveInRuntime('mqtt')) as MqttModule;
    const client = mqtt.connect(url, {
        clientId,
        reconnectPeriod: reconnectMs,
        connectTimeout: 5000,
        queueQoSZero: false,
        clean: true,
    });
    client.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${clientId} did not connect to ${url}`)), 10_000);
        client.on('connect', () => {
            clearTimeout(timer);
            resolve();
        });
    });
    return client;
}

export function closeClient(client: MqttClient | undefined): Promise<void> {
    return new Promise((resolve) => {
        if (!client) resolve();
        else client.end(true, {}, () => resolve());
    });
}
