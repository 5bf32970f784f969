import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { deserializeCheckpoint } from '../core/checkpoint';
import type { StoredEvent } from '../protocol/serverApi';
import {
  collectEvents,
  freePort,
  spawnProcess,
  spawnServer,
  tempDir,
  tinyServerRun,
  waitFor,
  type SpawnedProcess,
  type SpawnedServer,
} from './testSupport';

// Spawned processes share two cores with the rest of the suite: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });

// BullMQ mode against a real redis-server: one server, two `npm run worker` processes; a small sweep
// spreads over both workers and every event still reaches the server's store.

const token = 'bullmq-token-1234';
const store = tempDir('simclr-server-bullmq-');
let redis: ChildProcess;
let server: SpawnedServer;
const workers: SpawnedProcess[] = [];

beforeAll(async () => {
  const redisPort = await freePort();
  redis = spawn('redis-server', ['--save', '', '--appendonly', 'no', '--port', String(redisPort), '--bind', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let redisOutput = '';
  redis.stdout!.on('data', (d: Buffer) => (redisOutput += d.toString()));
  for (let i = 0; i < 100 && !/Ready to accept connections/.test(redisOutput); i++) await new Promise((r) => setTimeout(r, 100));
  expect(redisOutput).toMatch(/Ready to accept connections/);
  const env = { REDIS_URL: `redis://127.0.0.1:${redisPort}` };
  server = await spawnServer({ store: store.path, token, env });
  // Short locks so that the killed worker's run is found stalled within seconds.
  for (const name of ['gpu-a', 'gpu-b']) {
    workers.push(
      spawnProcess(
        [
          'src/server/queue/queueWorker.ts',
          '--name',
          name,
          '--scratch',
          `${store.path}/scratch-${name}`,
          '--lock-ms',
          '4000',
          '--stalled-check-ms',
          '2000',
        ],
        env,
      ),
    );
  }
  await Promise.all(workers.map((w) => waitFor(w, /worker \S+ ready/, 90_000)));
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await server?.stop();
  redis?.kill('SIGTERM');
  store.remove();
});

it('spreads a sweep over two workers and stores every run’s events on the server', async () => {
  const health = await server.client.health();
  expect(health.queue.mode).toBe('bullmq');
  expect(health.queue.workers).toEqual(['gpu-a', 'gpu-b']);

  const temperatures = [0.2, 0.5, 1.0];
  const submitted = await Promise.all(
    temperatures.map((temperature, k) => {
      const config = tinyServerRun({ pretrainEpochs: 2, seed: 10 + k });
      return server.client.submitRun({ ...config, pretrain: { ...config.pretrain, temperature } });
    }),
  );
  const streams = await Promise.all(submitted.map((s) => collectEvents(server.client, s.id)));
  const runs = await Promise.all(submitted.map((s) => server.client.getRun(s.id)));
  for (const [k, run] of runs.entries()) {
    const events = streams[k];
    expect(run.status, run.error ?? '').toBe('succeeded');
    expect(run.config.pretrain.temperature).toBe(temperatures[k]);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.event.type === 'metric' && e.event.loss !== undefined).length).toBe(8);
    expect(events.some((e) => e.event.type === 'run-end')).toBe(true);
    expect(run.summary?.stages.pretrain?.steps).toBe(8);
    const checkpoint = deserializeCheckpoint(await server.client.checkpointBytes(run.id));
    expect(checkpoint.step).toBe(8);
  }
  expect(new Set(runs.map((r) => r.worker))).toEqual(new Set(['gpu-a', 'gpu-b']));
});

it('cancels a run that a worker is running', async () => {
  const { id } = await server.client.submitRun(tinyServerRun({ pretrainEpochs: 200, seed: 42 }));
  for await (const stored of server.client.events(id, { retryMs: 200 })) if (stored.event.type === 'metric') break;
  expect((await server.client.cancelRun(id)).cancelRequested).toBe(true);
  const events = await collectEvents(server.client, id);
  expect(events[events.length - 1].event).toMatchObject({ type: 'status', status: 'cancelled' });
  expect((await server.client.getRun(id)).summary?.stages.pretrain?.status).toBe('stopped');
});

it('resumes a run from its checkpoint on the other worker when its worker is killed', async () => {
  const { id } = await server.client.submitRun(tinyServerRun({ pretrainEpochs: 6, seed: 77 }));
  const seen: StoredEvent[] = [];
  for await (const stored of server.client.events(id, { retryMs: 200 })) {
    seen.push(stored);
    if (stored.event.type === 'checkpoint') break;
  }
  const first = (await server.client.getRun(id)).worker!;
  const victim = workers[first === 'gpu-a' ? 0 : 1];
  const pid = Number(await waitFor(victim, /ready \(.*pid (\d+)\)/, 1000));
  process.kill(pid, 'SIGKILL');
  await victim.exited;
  const events = [...seen, ...(await collectEvents(server.client, id, seen[seen.length - 1].id))];
  expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
  expect(events[events.length - 1].event).toMatchObject({ type: 'status', status: 'succeeded' });
  const run = await server.client.getRun(id);
  expect(run.worker).not.toBe(first);
  expect(run.attempts).toBe(2);
  expect(run.summary?.stages.pretrain?.steps).toBe(24);
  const starts = events.flatMap((e) => (e.event.type === 'stage-start' ? [e.event.startStep] : []));
  expect(starts[0]).toBe(0);
  expect(starts[starts.length - 1]).toBeGreaterThan(0);
});

it("runs a server sweep's trials on the workers, shared pretrainings included", async () => {
  const base = tinyServerRun({ pretrainEpochs: 1, finetune: true, seed: 21 });
  const { id } = await server.client.createSweep({
    name: 'bullmq sweep',
    base,
    // Two pretrainings (temperatures), each fine-tuned at two rates: the second of each pair reuses it.
    parameters: { 'pretrain.temperature': { values: [0.2, 0.5] }, 'finetune.learningRate': { values: [0.05, 0.2] } },
    objective: { metric: 'finetune.testAccuracy', goal: 'maximize' },
    concurrency: 2,
  });
  for await (const _ of server.client.sweepEvents(id, { retryMs: 200 })) {
    // Drained to the final status.
  }
  const sweep = await server.client.getSweep(id);
  expect(sweep.status).toBe('completed');
  expect(sweep.trials.map((t) => t.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
  expect(sweep.trials.map((t) => t.reusedPretraining ?? false)).toEqual([false, true, false, true]);
  for (const trial of sweep.trials) {
    const run = await server.client.getRun(trial.runId!);
    expect(['gpu-a', 'gpu-b']).toContain(run.worker);
    const stages = (await collectEvents(server.client, run.id)).flatMap((e) => (e.event.type === 'stage-start' ? [e.event.stage] : []));
    // A reusing trial's worker started it from the shared checkpoint the server put on Redis.
    expect(stages).toEqual(trial.reusedPretraining ? ['finetune'] : ['pretrain', 'finetune']);
    expect(trial.objective).toBe(run.summary?.stages.finetune?.testAccuracy);
  }
  expect(sweep.best?.objective).toBe(Math.max(...sweep.trials.map((t) => t.objective!)));
});
