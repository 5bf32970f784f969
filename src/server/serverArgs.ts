import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { CommandLineError, parseCommandLine, parseIntegerFlag, parseNumberFlag } from '../node/commandLine';
import { parseDataRoot, type DataRoots } from './dataRoots';

export interface ServerArgs {
  port: number;
  host: string;
  dataRoots: DataRoots;
  store: string;
  token: string | null;
  corsOrigins: string[];
  subsetsDir: string | null;
  backend: string | null;
  concurrency: number;
  maxAttempts: number;
  bodyLimit: number;
  redisUrl: string | null;
  /** How long a cancelled run may take to stop before its process is killed. */
  cancelGraceMs: number;
  /** Retention: keep at most this many finished runs (null: all). */
  keepRuns: number | null;
  /** Retention: delete finished runs older than this many days (null: never). */
  keepDays: number | null;
  /** Unsent bytes one event-stream client may hold before it is dropped. */
  sseBufferBytes: number;
  /** Seconds an event-stream client may stay unable to drain before it is dropped. */
  sseStallSeconds: number;
}

export const serverUsage = `Usage: npm run server -- [--port 8787] [--host 127.0.0.1] [--data NAME=/path ...] [--store ./server-data]
                         [--token TOKEN] [--origin https://lab.example ...] [--subsets DIR] [--backend NAME]
                         [--concurrency 1] [--max-attempts 3] [--body-limit 1000000] [--cancel-grace-ms 10000]
                         [--keep-runs N] [--keep-days D] [--sse-buffer-bytes 1048576] [--sse-stall-seconds 30]
Environment: SIMCLR_SERVER_TOKEN (instead of --token), REDIS_URL (BullMQ mode: runs go to \`npm run worker\` processes).`;

/** The roots of repeated `--data NAME=/path` flags (shared by the server and `npm run worker`). */
export function dataRootsFromFlags(specs: readonly string[]): DataRoots {
  const roots: DataRoots = {};
  for (const spec of specs) {
    try {
      const [name, path] = parseDataRoot(spec);
      roots[name] = path;
    } catch (error) {
      throw new CommandLineError((error as Error).message);
    }
  }
  return roots;
}

/** `--subsets DIR`, or the official lists beside the repository when they are there. */
export function subsetsDirFromFlag(value: string | undefined): string | null {
  if (value !== undefined) return resolve(value);
  const defaultSubsets = resolve('../shared/imagenet_subsets');
  return existsSync(defaultSubsets) ? defaultSubsets : null;
}

export function parseServerArgs(argv: readonly string[], env: Record<string, string | undefined>): ServerArgs & { help: boolean } {
  const flags = parseCommandLine(argv, {
    port: { type: 'string', default: '8787' },
    host: { type: 'string' },
    data: { type: 'string', multiple: true },
    store: { type: 'string', default: 'server-data' },
    token: { type: 'string' },
    origin: { type: 'string', multiple: true },
    subsets: { type: 'string' },
    backend: { type: 'string' },
    concurrency: { type: 'string', default: '1' },
    'max-attempts': { type: 'string', default: '3' },
    'body-limit': { type: 'string', default: '1000000' },
    'cancel-grace-ms': { type: 'string', default: '10000' },
    'keep-runs': { type: 'string' },
    'keep-days': { type: 'string' },
    'sse-buffer-bytes': { type: 'string', default: String(1 << 20) },
    'sse-stall-seconds': { type: 'string', default: '30' },
  });
  const token = flags.token ?? (env.SIMCLR_SERVER_TOKEN || null);
  const host = flags.host || '127.0.0.1';
  if (token !== null && token.length < 8) throw new CommandLineError('--token must be at least 8 characters');
  if (flags.host && token === null && !isLoopback(host)) {
    throw new CommandLineError(`refusing to listen on ${host} without --token: anyone who can reach it could run jobs on this machine`);
  }
  return {
    port: parseIntegerFlag('--port', flags.port, { min: 0, max: 65535 }),
    host,
    dataRoots: dataRootsFromFlags(flags.data),
    store: resolve(flags.store),
    token,
    corsOrigins: flags.origin,
    subsetsDir: subsetsDirFromFlag(flags.subsets),
    backend: flags.backend ?? null,
    concurrency: parseIntegerFlag('--concurrency', flags.concurrency, { min: 1, max: 64 }),
    maxAttempts: parseIntegerFlag('--max-attempts', flags['max-attempts'], { min: 1, max: 100 }),
    bodyLimit: parseIntegerFlag('--body-limit', flags['body-limit'], { min: 1024, max: 1 << 30 }),
    redisUrl: env.REDIS_URL || null,
    cancelGraceMs: parseIntegerFlag('--cancel-grace-ms', flags['cancel-grace-ms'], { min: 0, max: 3_600_000 }),
    keepRuns: flags['keep-runs'] === undefined ? null : parseIntegerFlag('--keep-runs', flags['keep-runs'], { min: 1, max: 1_000_000_000 }),
    keepDays: flags['keep-days'] === undefined ? null : parseNumberFlag('--keep-days', flags['keep-days'], { above: 0, max: 100_000 }),
    sseBufferBytes: parseIntegerFlag('--sse-buffer-bytes', flags['sse-buffer-bytes'], { min: 16 * 1024, max: 1 << 30 }),
    sseStallSeconds: parseIntegerFlag('--sse-stall-seconds', flags['sse-stall-seconds'], { min: 1, max: 3600 }),
    help: flags.help,
  };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
