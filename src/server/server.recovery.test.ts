import { afterAll, expect, it, vi } from 'vitest';
import type { StoredEvent } from '../protocol/serverApi';
import { collectEvents, restartableServer, tinyServerRun } from './testSupport';

// Spawned processes share two cores with the rest of the suite: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });

// kill -9 mid-run, restart on the same store and port: nothing acknowledged is lost, the running run
// resumes from its checkpoint, the queued one stays queued, and a streaming client carries on.

const token = 'recovery-token-123';
const servers = restartableServer('simclr-server-recovery-', token);

afterAll(() => servers.close());

it('survives kill -9 mid-run without losing anything it acknowledged', async () => {
  const first = await servers.start();
  const running = await first.client.submitRun(tinyServerRun({ pretrainEpochs: 8 }));
  const queued = await first.client.submitRun(tinyServerRun({ pretrainEpochs: 1, seed: 5 }));

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

  const server = await servers.start();
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
  expect(requeue?.event).toMatchObject({
    reason: expect.stringMatching(/server stopped while it was running; will resume from its last checkpoint \(pretrain step \d+\)/),
  });
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

  // The resumed attempt is marked: every event names its attempt and a 'resumed' event names the
  // checkpoint, so a client that drops what the marker supersedes (the lab's folds do: see
  // serverRun.test.ts) sees each step once.
  expect(streamed.every((e) => typeof e.event.attempt === 'number')).toBe(true);
  const resumed = streamed.filter((e) => e.event.type === 'resumed');
  expect(resumed).toHaveLength(1);
  const checkpointStep = Number(/pretrain step (\d+)/.exec((requeue!.event as { reason: string }).reason)![1]);
  expect(resumed[0].event).toMatchObject({ type: 'resumed', stage: 'pretrain', step: checkpointStep, attempt: 2 });
  const mark = resumed[0].event as { step: number; attempt: number };
  const lossSteps = streamed.flatMap((e) =>
    e.event.type === 'metric' && e.event.loss !== undefined ? [{ step: e.event.step, attempt: e.event.attempt! }] : [],
  );
  // The raw stream keeps the superseded steps (the ids stay gapless); only the marker tells them apart.
  expect(lossSteps.length).toBeGreaterThanOrEqual(32);
  const kept = lossSteps.filter((m) => m.attempt >= mark.attempt || m.step <= mark.step).map((m) => m.step);
  expect(kept).toEqual(Array.from({ length: 32 }, (_, k) => k + 1));

  const queuedRun = await collectEvents(server.client, queued.id);
  expect(queuedRun[queuedRun.length - 1].event).toMatchObject({ type: 'status', status: 'succeeded' });
});
