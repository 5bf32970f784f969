import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RunQueue } from './runQueue';
import { TransitionError, type SqliteRunStore } from '../store/runStore';
import type { QueueState, RunRecord } from '../../protocol/serverApi';
import { decodeMessage, keys, queueName, redisConnection, type RunJobData, type WorkerHeartbeat } from './redisBridge';

/**
 * BullMQ mode (REDIS_URL set): runs are jobs on Redis, executed by any number of `npm run worker`
 * processes. The server keeps the store: it reads the workers' message stream and folds events,
 * status changes and checkpoints into it, remembering its stream position in the same transaction,
 * so a restarted server continues exactly where it stopped.
 */
export class BullRunQueue implements RunQueue {
  readonly mode = 'bullmq' as const;
  private readonly queue: Queue<RunJobData>;
  private readonly redis: Redis;
  /** Its own connection: XREAD BLOCK holds it. */
  private readonly reader: Redis;
  private closing = false;
  private consumer: Promise<void> | null = null;
  private workers: WorkerHeartbeat[] = [];

  constructor(
    private readonly store: SqliteRunStore,
    options: { redisUrl: string },
  ) {
    this.redis = redisConnection(options.redisUrl);
    this.reader = redisConnection(options.redisUrl);
    this.queue = new Queue<RunJobData>(queueName, { connection: this.redis, prefix: keys.prefix });
  }

  async start(): Promise<void> {
    await this.drainStream(0);
    // A run stored as queued whose job never reached Redis (a crash between the two) is sent again;
    // the job id is the run id, so a job that is there already is left alone.
    for (const run of this.store.listRuns({ status: 'queued' })) await this.submit(run);
    for (const run of this.store.listRuns({ status: 'running' })) {
      if (!(await this.queue.getJob(run.id))) this.store.setStatus(run.id, 'interrupted', { reason: 'its job is no longer on Redis' });
    }
    this.consumer = this.consume();
    await this.refreshWorkers();
  }

  async submit(run: RunRecord): Promise<void> {
    // A run stored with a checkpoint (a sweep trial starting from a shared pretraining) starts from
    // it on whichever worker takes it: workers resume from the Redis copy. NX: a copy already there
    // is the worker's own, never older than the store's.
    const checkpoint = this.store.readCheckpointBytes(run.id);
    if (checkpoint) await this.redis.set(keys.checkpoint(run.id), checkpoint, 'NX');
    await this.queue.add('run', { runId: run.id, config: run.config }, { jobId: run.id, removeOnComplete: true, removeOnFail: 1000 });
  }

  async cancel(run: RunRecord, reason?: string): Promise<RunRecord> {
    if (run.status === 'queued' && (await this.queue.remove(run.id)) === 1) {
      try {
        return this.store.setStatus(run.id, 'cancelled', { reason: reason ? `${reason} (while queued)` : 'cancelled while queued' });
      } catch (error) {
        if (!(error instanceof TransitionError)) throw error;
      }
    }
    // A worker has it: the worker polls this flag between steps and stops the engine.
    await this.redis.set(keys.cancel(run.id), '1', 'EX', 7 * 24 * 3600);
    return this.store.getRun(run.id)!;
  }

  async state(): Promise<QueueState> {
    await this.refreshWorkers();
    const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return {
      mode: this.mode,
      concurrency: null,
      queued: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0),
      running: counts.active ?? 0,
      workers: this.workers.map((w) => w.name),
    };
  }

  backend() {
    if (this.workers.length === 0)
      return {
        backend: 'no workers yet',
        device: 'none',
        notices: ['start `npm run worker` on the GPU machines (REDIS_URL pointing here)'],
      };
    const list = (pick: (w: WorkerHeartbeat) => string) => [...new Set(this.workers.map(pick))].join(', ');
    return { backend: list((w) => w.backend), device: this.workers.map((w) => `${w.name}: ${w.device}`).join('; '), notices: [] };
  }

  async close(): Promise<void> {
    this.closing = true;
    this.reader.disconnect();
    await this.consumer?.catch(() => undefined);
    await this.queue.close();
    this.redis.disconnect();
  }

  private async refreshWorkers(): Promise<void> {
    const entries = await this.redis.hgetall(keys.workers);
    const now = Date.now();
    this.workers = Object.values(entries)
      .map((text) => JSON.parse(text) as WorkerHeartbeat)
      .filter((w) => now - w.seen < 60_000)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  private async consume(): Promise<void> {
    let reconciled = Date.now();
    while (!this.closing) {
      try {
        await this.drainStream(5000);
        if (Date.now() - reconciled > 15_000) {
          await this.reconcile();
          reconciled = Date.now();
        }
      } catch (error) {
        if (this.closing) return;
        console.error(`reading the run message stream failed: ${error instanceof Error ? error.message : String(error)}`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /**
   * Runs the store thinks are running but whose job ended without a word from a worker (BullMQ gave
   * up on it after repeated stalls, or it vanished) become interrupted. Workers publish a terminal
   * status before their job ends, so draining the stream after looking at the job settles the race.
   */
  private async reconcile(): Promise<void> {
    const running = this.store.listRuns({ status: 'running' });
    if (running.length === 0) return;
    const states = await Promise.all(running.map(async (run) => ({ run, state: await this.queue.getJobState(run.id) })));
    const ended = states.filter(({ state }) => state === 'failed' || state === 'unknown' || state === 'completed');
    if (ended.length === 0) return;
    await this.drainStream(0);
    for (const { run, state } of ended) {
      if (this.store.getRun(run.id)?.status !== 'running') continue;
      const job = state === 'failed' ? await this.queue.getJob(run.id) : undefined;
      this.store.setStatus(run.id, 'interrupted', {
        reason: job?.failedReason ? `the queue gave up on it: ${job.failedReason}` : 'its job ended without a result from any worker',
      });
    }
  }

  /** Reads (blocking up to blockMs when > 0) and applies messages after the stored position. */
  private async drainStream(blockMs: number): Promise<void> {
    for (;;) {
      const from = this.store.getMeta('bull:stream-position') ?? '0-0';
      const reply = (
        blockMs > 0
          ? await this.reader.xread('COUNT', 200, 'BLOCK', blockMs, 'STREAMS', keys.stream, from)
          : await this.reader.xread('COUNT', 200, 'STREAMS', keys.stream, from)
      ) as [string, [string, string[]][]][] | null;
      const entries = reply?.[0]?.[1] ?? [];
      for (const [entryId, fields] of entries) await this.apply(entryId, fields);
      if (entries.length < 200) return;
    }
  }

  private async apply(entryId: string, fields: string[]): Promise<void> {
    const position = { 'bull:stream-position': entryId };
    const decoded = decodeMessage(fields);
    const run = decoded ? this.store.getRun(decoded.runId) : null;
    if (!decoded || !run) {
      this.store.setMeta('bull:stream-position', entryId);
      return;
    }
    const { runId, message } = decoded;
    if (message.kind === 'event') {
      if (message.event.type === 'checkpoint') {
        const bytes = await this.redis.getBuffer(keys.checkpoint(runId));
        if (bytes) this.store.saveCheckpointBytes(runId, bytes);
      }
      this.store.appendEvent(runId, message.event, position);
      return;
    }
    try {
      this.store.setStatus(runId, message.status, {
        worker: message.worker,
        summary: message.summary,
        error: message.error,
        reason: message.reason,
        backend: message.backend,
        meta: position,
      });
    } catch (error) {
      // A status the run cannot take any more (e.g. it was cancelled meanwhile) is skipped, not retried.
      if (!(error instanceof TransitionError)) throw error;
      this.store.setMeta('bull:stream-position', entryId);
    }
    if (message.status === 'succeeded' || message.status === 'failed' || message.status === 'cancelled') {
      await this.redis.del(keys.cancel(runId), keys.checkpoint(runId));
    }
  }
}
