import { afterAll, expect, it, vi } from 'vitest';
import type { StoredEvent } from './runTypes';
import { collectEvents, freePort, spawnServer, tempDir, tinyRun, type SpawnedServer } from './testSupport';

// Spawned processes share two cores with the rest of the suite: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });

// kill -9 mid-run, restart on the same store and port: nothing acknowledged is lost, the running run
// resumes from its checkpoint, the queued one stays queued, and a streaming client carries on.

const token = 'recovery-token-123';
const store = tempDir('simclr-server-recovery-');
let server: SpawnedServer | null = null;

afterAll(async () => {
  await server?.stop();
  store.remove();
});

it('survives kill -9 mid-run without losing anything it acknowledged', async () => {
  const port = await freePort();
  const start = () => spawnServer(['--port', String(port), '--store', store.path, '--token', token], {}, token);
  server = await start();
  const first = server;
  const running = await first.client.submitRun(tinyRun({ pretrainEpochs: 8 }));
  const queued = await first.client.submitRun(tinyRun({ pretrainEpochs: 1, seed: 5 }));

  // One client streams the whole time, across the crash (it reconnects with Last-Event-ID).
  const streamed: StoredEvent[] = [];
  let sawCheckpoint!: () => void;
  const checkpointSeen = new Promise<void>((resolve) => (sawCheckpoint = resolve));
  const streaming = (async () => {
    for await (const stored of first.client.events(running.id, { retryMs: 250, maxRetries: 400 })) {
      streamed.push(stored);
      if (stored.event.type === 'checkpoint') sawCheckpoint();
    }
  })();
  await checkpointSeen;
  await first.kill9();
  const beforeCrash = streamed.length;
  expect(streamed.some((e) => e.event.type === 'status' && e.event.status === 'succeeded')).toBe(false);

  server = await start();
  // Right after the restart: the queued run is still queued, and the interrupted one was requeued.
  const queuedAfter = await server.client.getRun(queued.id);
  expect(queuedAfter.status).toBe('queued');
  expect(queuedAfter.attempts).toBe(0);

  await streaming;
  const ids = streamed.map((e) => e.id);
  expect(ids).toEqual(ids.map((_, k) => k + 1));
  expect(streamed.length).toBeGreaterThan(beforeCrash);
  const statuses = streamed.flatMap((e) => (e.event.type === 'status' ? [e.event.status] : []));
  expect(statuses).toEqual(['queued', 'running', 'queued', 'running', 'succeeded']);
  const requeue = streamed.find((e) => e.event.type === 'status' && e.event.status === 'queued' && e.event.reason);
  expect(requeue?.event).toMatchObject({ reason: expect.stringMatching(/server stopped while it was running; will resume from its last checkpoint \(pretrain step \d+\)/) });
  expect(streamed.some((e) => e.event.type === 'log' && /resuming from a checkpoint of pretrain/.test(e.event.message))).toBe(true);

  // The store still holds every event a client saw before the crash, unchanged.
  const replay = await collectEvents(server.client, running.id);
  expect(replay.slice(0, beforeCrash)).toEqual(streamed.slice(0, beforeCrash));
  expect(replay).toEqual(streamed);

  const run = await server.client.getRun(running.id);
  expect(run.status).toBe('succeeded');
  expect(run.attempts).toBe(2);
  expect(run.summary?.stages.pretrain?.steps).toBe(32);
  // The resumed attempt did not start over: its first training step follows the checkpoint.
  const secondStart = streamed.findLast((e) => e.event.type === 'stage-start');
  expect(secondStart?.event).toMatchObject({ type: 'stage-start', stage: 'pretrain' });
  expect((secondStart!.event as { startStep: number }).startStep).toBeGreaterThan(0);

  const queuedRun = await collectEvents(server.client, queued.id);
  expect(queuedRun[queuedRun.length - 1].event).toMatchObject({ type: 'status', status: 'succeeded' });
});
