import { mkdirSync, readFileSync } from 'node:fs';
import { buildApp } from './http/app';
import { LocalRunQueue } from './queue/localRunQueue';
import type { RunQueue } from './queue/runQueue';
import { SqliteRunStore } from './store/runStore';
import { type CommandOutcome, printUsage, runCommand } from '../node/commandLine';
import { parseServerArgs, serverUsage } from './serverArgs';
import { applyRetention } from './store/retention';
import { checkStore, StoreCheckError } from './store/storeCheck';
import { acquireStoreLock, StoreLockedError } from './store/storeLock';
import { SweepStore } from './store/sweepStore';
import { SweepHost } from './sweep/sweepHost';

/** `npm run server -- …`: the GPU server (HTTP API + SSE + queue). See README "The GPU server". */

async function main(): Promise<CommandOutcome> {
  const args = parseServerArgs(process.argv.slice(2), process.env);
  if (args.help) return printUsage(serverUsage);
  const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  mkdirSync(args.store, { recursive: true });
  let releaseLock: () => void;
  try {
    releaseLock = acquireStoreLock(args.store);
    checkStore(args.store);
  } catch (error) {
    // One line, never a stack trace: what is wrong with which file, and what to do.
    if (error instanceof StoreLockedError || error instanceof StoreCheckError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const store = new SqliteRunStore(args.store);
  let queue: RunQueue;
  if (args.redisUrl) {
    const { BullRunQueue } = await import('./queue/bullRunQueue');
    queue = new BullRunQueue(store, { redisUrl: args.redisUrl });
  } else {
    queue = new LocalRunQueue(store, {
      concurrency: args.concurrency,
      dataRoots: args.dataRoots,
      subsetsDir: args.subsetsDir,
      backend: args.backend,
      maxAttempts: args.maxAttempts,
      cancelGraceMs: args.cancelGraceMs,
    });
  }
  const sweeps = new SweepHost(new SweepStore(store), queue);
  const app = buildApp({
    store,
    queue,
    sweeps,
    version,
    token: args.token,
    corsOrigins: args.corsOrigins,
    dataRoots: args.dataRoots,
    subsetsDir: args.subsetsDir,
    bodyLimit: args.bodyLimit,
    sse: { bufferBytes: args.sseBufferBytes, stallSeconds: args.sseStallSeconds },
  });
  await queue.start();
  // After the queue recovered the runs of the previous process: sweeps left running follow them again.
  sweeps.start();
  const stopRetention = applyRetention(store, { keepRuns: args.keepRuns, keepDays: args.keepDays }, (message) => console.log(message));
  const address = await app.listen({ port: args.port, host: args.host });
  console.log(`SimCLR Lab server ${version} listening on ${address} (pid ${process.pid})`);
  console.log(
    `store: ${args.store}; queue: ${queue.mode}${args.redisUrl ? ` (${redactUrl(args.redisUrl)})` : `, ${args.concurrency} run(s) at a time`}`,
  );
  console.log(
    `data roots: ${
      Object.entries(args.dataRoots)
        .map(([n, p]) => `${n}=${p}`)
        .join(', ') || 'none'
    }; subset lists: ${args.subsetsDir ?? 'none'}`,
  );
  if (args.token === null)
    console.log('no --token: authentication is off, so the server listens on loopback only and answers only loopback Host names');
  if (args.corsOrigins.length > 0) console.log(`CORS origins: ${args.corsOrigins.join(', ')}`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping (running runs resume from their checkpoints at the next start)`);
    stopRetention();
    await app.close();
    await sweeps.close();
    await queue.close();
    store.close();
    releaseLock();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  return 'serving';
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

runCommand(main, { usage: serverUsage, stack: true });
