import { afterAll, expect, it, vi } from 'vitest';
import type { StoredSweepEvent } from '../protocol/serverApi';
import { restartableServer, tinyServerRun } from './testSupport';

// Spawned processes share two cores with the rest of the suite: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 180_000 });

// kill -9 mid-sweep, restart on the same store and port: the sweep resumes with its finished trials
// kept as they were, the trial whose run was running continues that run (the queue resumes it from
// its checkpoint), and a client streaming the sweep's events carries on without gaps.

const token = 'sweep-recovery-token-123';
const servers = restartableServer('simclr-server-sweep-recovery-', token);

afterAll(() => servers.close());

it('finishes a sweep killed with -9 mid-way, keeping its finished trials', async () => {
  const first = await servers.start();
  const { id } = await first.client.createSweep({
    name: 'temperatures',
    base: tinyServerRun({ pretrainEpochs: 3 }),
    parameters: { 'pretrain.temperature': { values: [0.2, 0.5, 1.0] } },
    objective: { metric: 'pretrain.knnAccuracy', goal: 'maximize' },
    concurrency: 1,
  });

  const streamed: StoredSweepEvent[] = [];
  let firstEnded!: () => void;
  const firstTrialEnded = new Promise<void>((resolve) => (firstEnded = resolve));
  const streaming = (async () => {
    for await (const stored of first.client.sweepEvents(id, { retryMs: 250, maxRetries: 400 })) {
      streamed.push(stored);
      if (stored.event.type === 'trial-end') firstEnded();
    }
  })();
  await firstTrialEnded;
  // The second trial's run is under way with a checkpoint when the server dies.
  let secondRunId = '';
  for (;;) {
    const sweep = await first.client.getSweep(id);
    const second = sweep.trials.find((t) => t.id === 't002');
    if (second?.runId) {
      secondRunId = second.runId;
      const run = await first.client.getRun(second.runId);
      if (run.status === 'running' && run.checkpoint !== null) break;
      expect(run.status).not.toBe('succeeded');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const before = await first.client.getSweep(id);
  expect(before.status).toBe('running');
  await first.kill9();

  const server = await servers.start();
  await streaming;
  const after = await server.client.getSweep(id);
  expect(after.status).toBe('completed');
  expect(after.trials.map((t) => [t.id, t.status])).toEqual([
    ['t001', 'completed'],
    ['t002', 'completed'],
    ['t003', 'completed'],
  ]);
  // The finished trial is kept exactly as it was recorded before the crash.
  expect(after.trials[0]).toEqual(before.trials[0]);
  // The running one kept its run: the queue resumed it from its checkpoint.
  expect(after.trials[1].runId).toBe(secondRunId);
  const resumed = await server.client.getRun(secondRunId);
  expect(resumed.status).toBe('succeeded');
  expect(resumed.attempts).toBe(2);
  expect(after.trials[1].objective).toBe(resumed.summary?.stages.pretrain?.finalMetrics.knnAccuracy);
  // Three runs in all: nothing re-ran from scratch.
  expect((await server.client.allRuns()).length).toBe(3);

  // One stream across the crash: gapless ids, exactly the stored log, one start and one end per trial.
  const ids = streamed.map((e) => e.id);
  expect(ids).toEqual(ids.map((_, k) => k + 1));
  const replay: StoredSweepEvent[] = [];
  for await (const stored of server.client.sweepEvents(id)) replay.push(stored);
  expect(replay).toEqual(streamed);
  const statuses = streamed.flatMap((e) => (e.event.type === 'sweep-status' ? [e.event.status] : []));
  expect(statuses).toEqual(['running', 'completed']);
  const ends = streamed.flatMap((e) => (e.event.type === 'trial-end' ? [e.event.trial.id] : []));
  expect(ends).toEqual(['t001', 't002', 't003']);
  expect(after.best?.objective).toBe(Math.max(...after.trials.map((t) => t.objective!)));
});
