/**
 * Benchmark: SSE clients that never read, against a real server process.
 *
 *   npx tsx scripts/sse-slow-clients.ts [--events 150000] [--clients 10] [--seconds 15] [--json]
 *
 * Builds a store holding one finished run of `--events` events (inserted straight into SQLite in one
 * transaction, for speed), starts `src/server/main.ts` on it (loopback, no token), opens `--clients`
 * raw TCP connections that request the run's event stream and then never read (paused sockets), and
 * for `--seconds` samples the server's resident memory (/proc/<pid>/status) and the latency of
 * `GET /api/health`. Prints the baseline and peak RSS and the health latency percentiles.
 *
 * The store and the server process come from the server's test support (storeWithLongRun,
 * spawnServer), so the benchmark streams exactly the events the SSE tests stream.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { parseCommandLine, parseIntegerFlag, printUsage, runCommand } from '../src/node/commandLine';
import { type SpawnedServer, spawnServer, storeWithLongRun, tempDir } from '../src/server/testSupport';

const usage = 'usage: npx tsx scripts/sse-slow-clients.ts [--events 150000] [--clients 10] [--seconds 15] [--json]';

interface Options {
  events: number;
  clients: number;
  seconds: number;
  json: boolean;
}

function parseOptions(argv: string[]): Options & { help: boolean } {
  const flags = parseCommandLine(argv, {
    events: { type: 'string', default: '150000' },
    clients: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '15' },
    json: { type: 'boolean' },
  });
  return {
    events: parseIntegerFlag('--events', flags.events, { min: 1 }),
    clients: parseIntegerFlag('--clients', flags.clients, { min: 1 }),
    seconds: parseIntegerFlag('--seconds', flags.seconds, { min: 1 }),
    json: flags.json,
    help: flags.help,
  };
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function healthMs(url: string): Promise<number> {
  const t0 = performance.now();
  const response = await fetch(`${url}/api/health`);
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`health answered ${response.status}`);
  return performance.now() - t0;
}

/** Requests the stream and never reads: the socket is paused, so the kernel buffers fill and stay full. */
function stalledClient(port: number, runId: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(`GET /api/runs/${runId}/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) return printUsage(usage);
  const dir = tempDir('simclr-sse-bench-');
  const sockets: Socket[] = [];
  let server: SpawnedServer | null = null;
  try {
    const runId = storeWithLongRun(dir.path, options.events);
    server = await spawnServer({ store: dir.path });
    const { url, pid } = server;
    const port = Number(new URL(url).port);
    const run = (await (await fetch(`${url}/api/runs/${runId}`)).json()) as { eventCount: number };
    if (run.eventCount !== options.events) throw new Error(`the server sees ${run.eventCount} events, expected ${options.events}`);

    const idle: number[] = [];
    for (let i = 0; i < 20; i++) idle.push(await healthMs(url));
    const baselineRss = rssMiB(pid);

    for (let i = 0; i < options.clients; i++) sockets.push(await stalledClient(port, runId));
    const latencies: number[] = [];
    let peakRss = baselineRss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMiB(pid))), 50);
    const end = Date.now() + options.seconds * 1000;
    while (Date.now() < end) {
      latencies.push(await healthMs(url));
      await new Promise((r) => setTimeout(r, 100));
    }
    clearInterval(sampler);
    const endRss = rssMiB(pid);
    const openClients = sockets.filter((s) => !s.destroyed && s.readable).length;
    idle.sort((a, b) => a - b);
    latencies.sort((a, b) => a - b);
    const result = {
      events: options.events,
      clients: options.clients,
      seconds: options.seconds,
      rssMiB: { baseline: round(baselineRss), peak: round(peakRss), end: round(endRss) },
      healthMsIdle: { p50: round(percentile(idle, 50)), max: round(idle[idle.length - 1]) },
      healthMsStalled: {
        n: latencies.length,
        p50: round(percentile(latencies, 50)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies[latencies.length - 1]),
      },
      clientsStillConnected: openClients,
    };
    if (options.json) console.log(JSON.stringify(result));
    else {
      console.log(`${options.clients} stalled SSE clients on a run of ${options.events} events, ${options.seconds} s:`);
      console.log(
        `  server RSS: ${result.rssMiB.baseline} MiB before, peak ${result.rssMiB.peak} MiB, ${result.rssMiB.end} MiB at the end`,
      );
      console.log(`  /api/health idle: p50 ${result.healthMsIdle.p50} ms, max ${result.healthMsIdle.max} ms`);
      console.log(
        `  /api/health with stalled clients: p50 ${result.healthMsStalled.p50} ms, p99 ${result.healthMsStalled.p99} ms, max ${result.healthMsStalled.max} ms (${latencies.length} requests)`,
      );
      console.log(`  clients still connected at the end: ${openClients}`);
    }
  } finally {
    for (const socket of sockets) socket.destroy();
    await server?.stop();
    dir.remove();
  }
  return 0;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

runCommand(main, { usage });
