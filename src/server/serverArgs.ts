import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { DataRoots } from './dataRoots';
import { parseDataRoot } from './dataRoots';

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

export class ArgsError extends Error {}

export function parseServerArgs(argv: string[], env: Record<string, string | undefined>): ServerArgs {
  const defaultSubsets = resolve('../shared/imagenet_subsets');
  const args: ServerArgs = {
    port: 8787,
    host: '',
    dataRoots: {},
    store: resolve('server-data'),
    token: env.SIMCLR_SERVER_TOKEN || null,
    corsOrigins: [],
    subsetsDir: existsSync(defaultSubsets) ? defaultSubsets : null,
    backend: null,
    concurrency: 1,
    maxAttempts: 3,
    bodyLimit: 1_000_000,
    redisUrl: env.REDIS_URL || null,
    cancelGraceMs: 10_000,
    keepRuns: null,
    keepDays: null,
    sseBufferBytes: 1 << 20,
    sseStallSeconds: 30,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new ArgsError(`${flag} needs a value`);
      return v;
    };
    const int = (min: number, max: number) => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < min || v > max) throw new ArgsError(`${flag} must be an integer in [${min}, ${max}]`);
      return v;
    };
    switch (flag) {
      case '--port':
        args.port = int(0, 65535);
        break;
      case '--host':
        args.host = value();
        break;
      case '--data': {
        const [name, path] = parseDataRoot(value());
        args.dataRoots[name] = path;
        break;
      }
      case '--store':
        args.store = resolve(value());
        break;
      case '--token':
        args.token = value();
        break;
      case '--origin':
        args.corsOrigins.push(value());
        break;
      case '--subsets':
        args.subsetsDir = resolve(value());
        break;
      case '--backend':
        args.backend = value();
        break;
      case '--concurrency':
        args.concurrency = int(1, 64);
        break;
      case '--max-attempts':
        args.maxAttempts = int(1, 100);
        break;
      case '--body-limit':
        args.bodyLimit = int(1024, 1 << 30);
        break;
      case '--cancel-grace-ms':
        args.cancelGraceMs = int(0, 3_600_000);
        break;
      case '--keep-runs':
        args.keepRuns = int(1, 1_000_000_000);
        break;
      case '--keep-days': {
        const days = Number(value());
        if (!Number.isFinite(days) || days <= 0 || days > 100_000) throw new ArgsError(`${flag} must be a number of days greater than 0`);
        args.keepDays = days;
        break;
      }
      case '--sse-buffer-bytes':
        args.sseBufferBytes = int(16 * 1024, 1 << 30);
        break;
      case '--sse-stall-seconds':
        args.sseStallSeconds = int(1, 3600);
        break;
      case '--help':
      case '-h':
        throw new ArgsError(serverUsage);
      default:
        throw new ArgsError(`unknown option ${flag}\n${serverUsage}`);
    }
  }
  if (args.token !== null && args.token.length < 8) throw new ArgsError('--token must be at least 8 characters');
  if (!args.host) args.host = '127.0.0.1';
  else if (args.token === null && !isLoopback(args.host)) {
    throw new ArgsError(`refusing to listen on ${args.host} without --token: anyone who can reach it could run jobs on this machine`);
  }
  return args;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
