// The raw side of the stream bench: plain `ws` clients in a plain Node.js process doing what
// sis-stream-asr does on the wire (signed handshake, START, one binary frame per chunk, END) at
// the same pace. Imports no module of the package (a test checks this). Prints READY when every
// session is started, then DONE and its report.
import { WebSocket } from 'ws';
import {
    benchAudio,
    heapBaseline,
    pace,
    type RawArgs,
    type RawReport,
    rawHandshake,
    START_CONFIG,
} from './stream-pace';

async function main(args: RawArgs): Promise<void> {
    const audio = benchAudio();
    // Allocated before the baseline, so that the timings do not count as the sessions' memory.
    const lat = new Float64Array(args.probed ? args.sessions * args.seconds * 30 : 0);
    let timedChunks = 0;
    const report: RawReport = {
        results: 0,
        errors: 0,
        chunks: 0,
        heapBefore: args.probed ? await heapBaseline() : 0,
        heapDuring: 0,
        heapSamples: [],
    };
    const sockets = await Promise.all(
        Array.from({ length: args.sessions }, async () => {
            const { url, headers } = rawHandshake(args.url);
            const ws = new WebSocket(url, { headers, perMessageDeflate: false });
            const ended = new Promise<void>((resolve) => {
                ws.on('message', (data, binary) => {
                    if (binary) return;
                    const reply = JSON.parse(String(data)) as { resp_type: string; segments?: { is_final: boolean }[] };
                    if (reply.resp_type === 'RESULT')
                        report.results += (reply.segments ?? []).filter((s) => s.is_final).length;
                    else if (reply.resp_type === 'ERROR' || reply.resp_type === 'FATAL_ERROR') report.errors++;
                    else if (reply.resp_type === 'END') resolve();
                });
                ws.on('close', () => resolve());
            });
            await new Promise<void>((resolve, reject) => {
                ws.once('error', reject);
                ws.once('open', () => {
                    ws.send(JSON.stringify({ command: 'START', config: START_CONFIG }));
                    ws.once('message', () => resolve());
                });
            });
            return { ws, ended };
        }),
    );
    console.log('READY');
    await pace(args, audio, report, (i, chunk, timed) => {
        if (!args.probed || !timed || timedChunks === lat.length) {
            sockets[i].ws.send(chunk, { binary: true });
            return;
        }
        const t = performance.now();
        sockets[i].ws.send(chunk, { binary: true });
        lat[timedChunks++] = performance.now() - t;
    });
    for (const s of sockets) s.ws.send(JSON.stringify({ command: 'END', cancel: false }));
    await Promise.all(sockets.map((s) => s.ended));
    for (const s of sockets) s.ws.close();
    if (args.probed) report.lat = Array.from(lat.subarray(0, timedChunks).sort());
    console.log(`DONE ${JSON.stringify(report)}`);
}

main(JSON.parse(process.argv[2]) as RawArgs).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
});
