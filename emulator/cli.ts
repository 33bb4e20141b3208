#!/usr/bin/env node
// `sis-emulator`: runs the local SIS emulator until SIGINT/SIGTERM and prints how to reach it.

import { parseFaultSpec } from './faults';
import { type EmulatorOptions, startEmulator } from './index';
import type { FaultSpec } from './types';

const USAGE = `Usage: sis-emulator [--port N] [--host H] [--job-delay MS] [--fault JSON]...
                    [--tls [--ca-out FILE]] [--obs-grant-sis BUCKET]... [--obs-public BUCKET]...
                    [--allow-loopback-urls]

  --port N                port to listen on (default 8790; 0 picks a free port)
  --host H                interface to listen on (default 127.0.0.1)
  --job-delay MS          how long transcriber jobs stay WAITING (default 1500)
  --fault JSON            arm a fault, e.g. '{"route":"tts","kind":"status","status":429,"count":3}'
  --tls                   serve HTTPS and WSS with a certificate for localhost, 127.0.0.1 and ::1,
                          signed by a throw-away CA made at start
  --ca-out FILE           with --tls: write the CA certificate (PEM) here (default: a temp folder)
  --obs-grant-sis BUCKET  let SIS read the bucket (flash, plain OBS URLs); buckets are private
                          otherwise (pre-signed URLs always work); creates the bucket if needed
  --obs-public BUCKET     make the bucket public-read (creates it if needed)
  --allow-loopback-urls   accept data_url/callback_url on localhost, 127.x, ::1 (the cloud takes
                          domain names only; URLs of the emulator's own OBS are always accepted)
`;

interface CliOptions {
    emulator: EmulatorOptions;
    faults: FaultSpec[];
}

function fail(message: string): never {
    process.stderr.write(`sis-emulator: ${message}\n\n${USAGE}`);
    process.exit(2);
}

export const DEFAULT_PORT = 8790;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function integer(value: string | undefined, name: string): number {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < 0) fail(`${name} needs a non-negative integer`);
    return n;
}

export function parseArgs(argv: string[]): CliOptions {
    // A fixed default port lets the example flows point at the emulator without editing.
    const options: CliOptions = { emulator: { port: DEFAULT_PORT }, faults: [] };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = argv[i + 1];
        switch (arg) {
            case '--port':
                options.emulator.port = integer(value, arg);
                i++;
                break;
            case '--host':
                if (!value) fail('--host needs a value');
                options.emulator.host = value;
                i++;
                break;
            case '--job-delay':
                options.emulator.limits = { ...options.emulator.limits, jobDelayMs: integer(value, arg) };
                i++;
                break;
            case '--tls':
                options.emulator.tls = true;
                break;
            case '--ca-out':
                if (!value) fail('--ca-out needs a file name');
                options.emulator.caOut = value;
                i++;
                break;
            case '--obs-grant-sis':
            case '--obs-public': {
                if (!value || !BUCKET_NAME.test(value)) fail(`${arg} needs an OBS bucket name`);
                const key = arg === '--obs-grant-sis' ? 'obsGrantSis' : 'obsPublic';
                options.emulator[key] = [...(options.emulator[key] ?? []), value];
                i++;
                break;
            }
            case '--allow-loopback-urls':
                options.emulator.allowLoopbackUrls = true;
                break;
            case '--fault': {
                let parsed: unknown;
                try {
                    parsed = JSON.parse(value ?? '');
                } catch {
                    fail('--fault needs a JSON object');
                }
                const spec = parseFaultSpec(parsed);
                if (typeof spec === 'string') fail(spec);
                options.faults.push(spec);
                i++;
                break;
            }
            case '--help':
            case '-h':
                process.stdout.write(USAGE);
                process.exit(0);
                break;
            default:
                fail(`unknown argument ${arg}`);
        }
    }
    if (options.emulator.caOut !== undefined && !options.emulator.tls) fail('--ca-out needs --tls');
    return options;
}

async function main(): Promise<void> {
    const options = parseArgs(process.argv.slice(2));
    const emulator = await startEmulator(options.emulator);
    for (const fault of options.faults) emulator.faults.add(fault);
    const { temporary: _temporary, wsEndpoint, caFile, ...sisConfig } = emulator.config();
    const tls = caFile
        ? `TLS: clients must trust the throw-away CA certificate written to ${caFile}\n` +
          `(e.g. NODE_EXTRA_CA_CERTS=${caFile}; also at ${emulator.url}/__emulator/ca.pem)\n${emulator.ca ?? ''}`
        : '';
    process.stdout.write(
        `SIS emulator listening on ${emulator.url} (WebSocket ${wsEndpoint}, admin ${emulator.url}/__emulator/config)\n` +
            tls +
            'sis-config (authType "aksk" uses ak/sk; "password" uses username/password/domainName):\n' +
            `${JSON.stringify(sisConfig, null, 4)}\n`,
    );
    let stopping = false;
    const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`${signal}: stopping\n`);
        void emulator.close().then(() => process.exit(0));
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
    main().catch((err: unknown) => {
        process.stderr.write(`sis-emulator: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
    });
}
