import { Worker, type Job } from 'bullmq';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { CommandLineError, type CommandOutcome, parseCommandLine, parseIntegerFlag, printUsage, runCommand } from '../../node/commandLine';
import type { SelectedBackend } from '../../node/nodeBackends';
import type { DataRoots } from '../dataRoots';
import { dataRootsFromFlags, subsetsDirFromFlag } from '../serverArgs';
import { encodeMessage, keys, queueName, redisConnection, type RunJobData, type RunMessage, type WorkerHeartbeat } from './redisBridge';
import { probeBackend, startRunner } from '../runner/runnerHandle';

/**
 * `npm run worker -- [--name gpu1] [--data imagenet=/data/imagenet] [--subsets DIR] [--backend NAME]
 *                    [--scratch DIR] [--lock-ms 60000] [--stalled-check-ms 30000]`
 * with REDIS_URL set: takes runs from the BullMQ queue one at a time, runs them on this machine's
 * backend (in a child process, like the server does) and publishes their events, status and
 * checkpoints on Redis for the server to store. A run whose worker dies is picked up again by
 * BullMQ's stalled-job check and resumes from its last checkpoint on whichever worker takes it.
 */

const WORKER_USAGE = `Usage: REDIS_URL=redis://host:6379 npm run worker -- [--name gpu1] [--data NAME=/path ...] [--subsets DIR]
                         [--backend NAME] [--scratch DIR] [--lock-ms 60000] [--stalled-check-ms 30000]`;

interface WorkerArgs {
  name: string;
  dataRoots: DataRoots;
  subsetsDir: string | null;
  backend: string | null;
  scratch: string;
  /** BullMQ lock of a running job; a worker silent this long is presumed dead and its run resumes elsewhere. */
  lockMs: number;
  /** How often workers look for such stalled runs. */
  stalledCheckMs: number;
  help: boolean;
}

function parseWorkerArgs(argv: readonly string[]): WorkerArgs {
  const flags = parseCommandLine(argv, {
    name: { type: 'string', default: `${hostname()}-${process.pid}` },
    data: { type: 'string', multiple: true },
    subsets: { type: 'string' },
    backend: { type: 'string' },
    scratch: { type: 'string' },
    'lock-ms': { type: 'string', default: '60000' },
    'stalled-check-ms': { type: 'string', default: '30000' },
  });
  return {
    name: flags.name,
    dataRoots: dataRootsFromFlags(flags.data),
    subsetsDir: subsetsDirFromFlag(flags.subsets),
    backend: flags.backend ?? null,
    scratch: flags.scratch ? resolve(flags.scratch) : join(tmpdir(), `simclr-worker-${flags.name}`),
    lockMs: parseIntegerFlag('--lock-ms', flags['lock-ms'], { min: 1 }),
    stalledCheckMs: parseIntegerFlag('--stalled-check-ms', flags['stalled-check-ms'], { min: 1 }),
    help: flags.help,
  };
}

async function main(): Promise<CommandOutcome> {
  const args = parseWorkerArgs(process.argv.slice(2));
  if (args.help) return printUsage(WORKER_USAGE);
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) throw new CommandLineError('set REDIS_URL (e.g. redis://gpu-server:6379) to the Redis the server uses');
  mkdirSync(args.scratch, { recursive: true });
  const redis = redisConnection(redisUrl);
  let backend: SelectedBackend;
  try {
    backend = await probeBackend(args.backend);
  } catch (error) {
    backend = { name: 'unavailable', detail: error instanceof Error ? error.message : String(error), notices: [] };
  }
  let running: string | null = null;
  const heartbeat = async () => {
    const beat: WorkerHeartbeat = { name: args.name, backend: backend.name, device: backend.detail, seen: Date.now(), running };
    await redis.hset(keys.workers, args.name, JSON.stringify(beat));
  };
  await heartbeat();
  const heartbeatTimer = setInterval(() => void heartbeat().catch(() => undefined), 10_000);

  // Messages of one run leave in order: each waits for the one before.
  let outbox = Promise.resolve();
  const publish = (runId: string, message: RunMessage, before?: () => Promise<void>): Promise<void> => {
    outbox = outbox
      .then(async () => {
        await before?.();
        await redis.xadd(keys.stream, 'MAXLEN', '~', '1000000', '*', ...encodeMessage(runId, message));
      })
      // One failed message must not silence the ones after it.
      .catch((error: unknown) =>
        console.error(`publishing a ${message.kind} of run ${runId} failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    return outbox;
  };

  const processRun = async (job: Job<RunJobData>): Promise<void> => {
    const { runId, config } = job.data;
    running = runId;
    void heartbeat().catch(() => undefined);
    const checkpointPath = join(args.scratch, `${runId}.ckpt`);
    const saved = await redis.getBuffer(keys.checkpoint(runId));
    if (saved) writeFileAtomic.sync(checkpointPath, saved);
    await publish(runId, {
      kind: 'status',
      status: 'running',
      worker: args.name,
      backend: backend.name,
      ...(saved ? { reason: `resumed from its last checkpoint on ${args.name}` } : {}),
    });
    const handle = startRunner(
      {
        runId,
        config,
        dataRoots: args.dataRoots,
        subsetsDir: args.subsetsDir,
        resumeFromPath: saved ? checkpointPath : null,
        checkpointPath,
        backend: args.backend,
      },
      (event) => {
        const shareCheckpoint = async () => {
          if (event.type === 'checkpoint') await redis.set(keys.checkpoint(runId), readFileSync(checkpointPath));
        };
        void publish(runId, { kind: 'event', event }, shareCheckpoint);
      },
    );
    let cancelRequested = false;
    const cancelPoll = setInterval(() => {
      void redis.exists(keys.cancel(runId)).then((n) => {
        if (n > 0 && !cancelRequested) {
          cancelRequested = true;
          handle.stop();
        }
      });
    }, 500);
    stopCurrent = () => handle.kill();
    const outcome = await handle.outcome;
    clearInterval(cancelPoll);
    stopCurrent = null;
    // Killed for a shutdown: publish nothing, so the job stalls and another worker resumes it.
    if (shuttingDown) return new Promise<void>(() => undefined);
    let status: RunMessage;
    if (outcome.kind === 'done') {
      const { summary } = outcome;
      status =
        summary.status === 'completed'
          ? { kind: 'status', status: 'succeeded', worker: args.name, summary }
          : summary.status === 'stopped'
            ? {
                kind: 'status',
                status: 'cancelled',
                worker: args.name,
                summary,
                reason: cancelRequested ? 'cancelled by request' : 'stopped',
              }
            : { kind: 'status', status: 'failed', worker: args.name, summary, error: summary.error ?? 'the run failed' };
    } else if (outcome.kind === 'killed') {
      status = { kind: 'status', status: 'cancelled', worker: args.name, reason: `cancelled by request; ${outcome.error}` };
    } else {
      status = cancelRequested
        ? { kind: 'status', status: 'cancelled', worker: args.name, reason: `cancelled by request; ${outcome.error}` }
        : { kind: 'status', status: 'failed', worker: args.name, error: outcome.error };
    }
    await publish(runId, status);
    rmSync(checkpointPath, { force: true });
    running = null;
  };

  let stopCurrent: (() => void) | null = null;
  let shuttingDown = false;
  const worker = new Worker<RunJobData>(queueName, processRun, {
    connection: redisConnection(redisUrl),
    prefix: keys.prefix,
    concurrency: 1,
    name: args.name,
    lockDuration: args.lockMs,
    stalledInterval: args.stalledCheckMs,
  });
  worker.on('error', (error) => console.error(`worker error: ${error.message}`));
  await worker.waitUntilReady();
  console.log(
    `SimCLR Lab worker ${args.name} ready (backend ${backend.name}${backend.detail ? `: ${backend.detail}` : ''}; pid ${process.pid})`,
  );

  const shutdown = async (signal: string) => {
    console.log(`${signal}: stopping; a run in progress resumes from its checkpoint on the next worker`);
    shuttingDown = true;
    clearInterval(heartbeatTimer);
    stopCurrent?.();
    await redis.hdel(keys.workers, args.name).catch(() => undefined);
    await worker.close(true).catch(() => undefined);
    redis.disconnect();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  return 'serving';
}

runCommand(main, { usage: WORKER_USAGE, stack: true });
