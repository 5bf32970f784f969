import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StoredSweepEvent, SweepRecord } from '../protocol/serverApi';
import { ServerApiError } from '../protocol/serverClient';
import { rawRequest } from './http/securityTestSupport';
import { spawnServer, tempDir, tinyServerRun, type SpawnedServer } from './testSupport';

// Spawned processes share two cores with the rest of the suite: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 180_000 });

// Sweeps over real HTTP: trials are runs of the server's queue, ASHA decisions are made as the runs'
// metrics arrive, the sweep and its event log persist in the store like runs do.

const token = 'sweep-token-0123456789';
const store = tempDir('simclr-server-sweeps-');
let server: SpawnedServer;

beforeAll(async () => {
  server = await spawnServer({ store: store.path, token });
});

afterAll(async () => {
  await server?.stop();
  store.remove();
});

/** A 2×2 grid over two pretraining fields of a tiny run, with ASHA watching the pretraining loss. */
function gridSpec(pretrainEpochs: number) {
  const base = tinyServerRun({ pretrainEpochs });
  return {
    name: 'tiny grid',
    base,
    parameters: {
      'pretrain.temperature': { values: [0.2, 0.5] },
      'pretrain.learningRate': { values: [0.05, 2.0] },
    },
    method: 'grid',
    objective: { metric: 'pretrain.knnAccuracy', goal: 'maximize' },
    // The loss is continuous (no ties), so the rung at epoch 1 separates trials.
    earlyStopping: { type: 'asha', metric: 'pretrain.loss', minEpochs: 1, reductionFactor: 2 },
    concurrency: 2,
  };
}

async function collectSweepEvents(id: string, lastEventId = 0): Promise<StoredSweepEvent[]> {
  const events: StoredSweepEvent[] = [];
  for await (const stored of server.client.sweepEvents(id, { lastEventId, retryMs: 200 })) events.push(stored);
  return events;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('sweeps over HTTP', () => {
  let completed: SweepRecord;
  let events: StoredSweepEvent[];

  it('refuses a request without the token and an invalid spec, naming the field', async () => {
    const noToken = await rawRequest(server.url, {
      method: 'POST',
      target: '/api/sweeps',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(gridSpec(1)),
    });
    expect(noToken.status).toBe(401);
    const bad = { ...gridSpec(1), parameters: { 'model.depth': { values: [18, 19] } } };
    const error = await server.client.createSweep(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerApiError);
    expect((error as ServerApiError).status).toBe(400);
    expect((error as ServerApiError).issues).toEqual([
      { path: 'parameters.model.depth.values.1', message: expect.stringMatching(/19.*must be one of/) },
    ]);
    const notJson = await rawRequest(server.url, {
      method: 'POST',
      target: '/api/sweeps',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '[1]',
    });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.text)).toMatchObject({ error: 'invalid sweep spec', issues: [{ path: '' }] });
    expect(await server.client.listSweeps()).toEqual([]);
    expect(await server.client.allRuns()).toEqual([]);
  });

  it('runs a 2×2 grid with ASHA to completion: trial records with their runs, and the best', async () => {
    const { id } = await server.client.createSweep(gridSpec(4));
    events = await collectSweepEvents(id);
    completed = await server.client.getSweep(id);
    expect(completed.status).toBe('completed');
    expect(completed.planned).toBe(4);
    expect(completed.reuse).toBe('on');
    expect(completed.trials.map((t) => t.id)).toEqual(['t001', 't002', 't003', 't004']);
    expect(completed.trials.map((t) => t.params)).toEqual([
      { 'pretrain.temperature': 0.2, 'pretrain.learningRate': 0.05 },
      { 'pretrain.temperature': 0.2, 'pretrain.learningRate': 2.0 },
      { 'pretrain.temperature': 0.5, 'pretrain.learningRate': 0.05 },
      { 'pretrain.temperature': 0.5, 'pretrain.learningRate': 2.0 },
    ]);

    const runIds = completed.trials.map((t) => t.runId);
    expect(new Set(runIds).size).toBe(4);
    for (const trial of completed.trials) {
      const run = await server.client.getRun(trial.runId!);
      expect(run.config.pretrain.temperature).toBe(trial.params['pretrain.temperature']);
      expect(run.config.pretrain.learningRate).toBe(trial.params['pretrain.learningRate']);
      if (trial.status === 'completed') {
        expect(run.status).toBe('succeeded');
        expect(trial.objective).toBe(run.summary?.stages.pretrain?.finalMetrics.knnAccuracy);
      } else {
        // Stopped by the rule: the reason in words, on the trial and on its cancelled run.
        expect(trial.status).toBe('stopped');
        // Rungs at 1, 2 and 4 epochs (η = 2).
        expect([1, 2, 4]).toContain(trial.stoppedAt);
        expect(trial.reason).toMatch(
          new RegExp(`^stopped at epoch ${trial.stoppedAt}: loss \\S+ above the rung's cut-off \\S+ \\(top 1/2 of \\d\\)$`),
        );
        expect(run.status).toBe('cancelled');
        expect(run.reason).toContain(trial.reason);
      }
    }
    expect(completed.trials.filter((t) => t.status === 'stopped').length).toBeGreaterThan(0);
    const finished = completed.trials.filter((t) => t.status === 'completed');
    expect(finished.length).toBeGreaterThan(0);
    const top = finished.reduce((a, b) => (b.objective! > a.objective! ? b : a));
    expect(completed.best).toEqual({ id: top.id, runId: top.runId, params: top.params, objective: top.objective });
    expect(completed.counts).toEqual({ completed: finished.length, stopped: 4 - finished.length, failed: 0, running: 0, queued: 0 });

    // concurrency 2: never more than two trials between their start and their end.
    let open = 0;
    let most = 0;
    for (const { event } of events) {
      if (event.type === 'trial-start') most = Math.max(most, ++open);
      if (event.type === 'trial-end') open--;
    }
    expect(most).toBe(2);
    expect(events.at(-1)?.event).toMatchObject({ type: 'sweep-status', status: 'completed' });
    expect(events.filter((e) => e.event.type === 'trial-metric').length).toBeGreaterThan(4);

    const list = await server.client.listSweeps();
    expect(list).toEqual([
      expect.objectContaining({ id, status: 'completed', planned: 4, best: completed.best, counts: completed.counts, method: 'grid' }),
    ]);
  });

  it('replays its event stream after Last-Event-ID, and answers 204 past the end', async () => {
    const ids = events.map((e) => e.id);
    expect(ids).toEqual(ids.map((_, k) => k + 1));
    const cut = Math.floor(events.length / 2);
    expect(await collectSweepEvents(completed.id, cut)).toEqual(events.slice(cut));
    const past = await rawRequest(server.url, {
      target: `/api/sweeps/${completed.id}/events`,
      headers: { authorization: `Bearer ${token}`, 'last-event-id': String(events.length) },
    });
    expect(past.status).toBe(204);
    const bad = await rawRequest(server.url, {
      target: `/api/sweeps/${completed.id}/events`,
      headers: { authorization: `Bearer ${token}`, 'last-event-id': '-1' },
    });
    expect(bad.status).toBe(400);
    expect((await rawRequest(server.url, { target: '/api/sweeps/nope', headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
  });

  it('shares one pretraining between trials that agree on every pretraining field', async () => {
    const base = tinyServerRun({ pretrainEpochs: 1, finetune: true });
    const { id } = await server.client.createSweep({
      name: 'fine-tuning rates',
      base,
      parameters: { 'finetune.learningRate': { values: [0.05, 0.2] } },
      objective: { metric: 'finetune.testAccuracy', goal: 'maximize' },
    });
    await collectSweepEvents(id);
    const sweep = await server.client.getSweep(id);
    expect(sweep.trials.map((t) => t.status)).toEqual(['completed', 'completed']);
    const [first, second] = sweep.trials;
    expect(first.reuseKey).toBe(second.reuseKey);
    expect(first.reusedPretraining).toBeUndefined();
    expect(second.reusedPretraining).toBe(true);
    // The second run never pretrained: its events start fine-tuning, its summary keeps the shared pretraining's.
    const firstRun = await server.client.getRun(first.runId!);
    const secondRun = await server.client.getRun(second.runId!);
    const stagesRun = [];
    for await (const stored of server.client.events(second.runId!))
      if (stored.event.type === 'stage-start') stagesRun.push(stored.event.stage);
    expect(stagesRun).toEqual(['finetune']);
    expect(secondRun.summary?.stages.pretrain).toEqual(firstRun.summary?.stages.pretrain);
    expect(second.objective).toBe(secondRun.summary?.stages.finetune?.testAccuracy);
  });

  it('cancels a sweep with its queued and running trial runs', async () => {
    const { id } = await server.client.createSweep({ ...gridSpec(200), earlyStopping: null });
    const running = await until('a running trial', async () => {
      const sweep = await server.client.getSweep(id);
      return sweep.trials.find((t) => t.status === 'running' && t.runId) ?? null;
    });
    await until('its run to be running', async () => (await server.client.getRun(running.runId!)).status === 'running');
    expect(await server.client.cancelSweep(id)).toEqual({ id, status: 'cancelled' });
    const after = await until('every trial run to stop', async () => {
      const sweep = await server.client.getSweep(id);
      return sweep.trials.every((t) => t.status === 'stopped') ? sweep : null;
    });
    expect(after.status).toBe('cancelled');
    expect(after.reason).toBe('cancelled by request');
    expect(after.trials).toHaveLength(2);
    for (const trial of after.trials) {
      expect(trial.reason).toBe('the sweep was cancelled');
      const run = await server.client.getRun(trial.runId!);
      expect(run.status).toBe('cancelled');
      expect(run.reason).toMatch(/the sweep was cancelled/);
    }
    const again = await server.client.cancelSweep(id).catch((e: unknown) => e);
    expect((again as ServerApiError).status).toBe(409);
    // Its stream ends with the cancelled status.
    const streamed = await collectSweepEvents(id);
    expect(streamed.at(-1)?.event).toMatchObject({ type: 'sweep-status', status: 'cancelled' });
  });
});
