import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deserializeCheckpoint } from '../core/checkpoint';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { StoredEvent } from '../protocol/serverApi';
import {
  buildTinyImageNet,
  collectEvents,
  spawnServer,
  tempDir,
  tinyServerRun,
  type SpawnedServer,
  type TinyImageNet,
} from './testSupport';

// Spawned processes share two cores with the rest of the suite: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });

// Real runs on a spawned server (engine on wasm/cpu here): lifecycle, SSE replay and resume, cancel,
// checkpoints, and an ImageNet-layout run with the official 1% list.

const token = 'lifecycle-token-123';
const store = tempDir('simclr-server-life-');
const imagenetDir = tempDir('simclr-server-imagenet-');
let server: SpawnedServer;
let tiny: TinyImageNet;

beforeAll(async () => {
  tiny = await buildTinyImageNet(imagenetDir.path, {
    classes: 2,
    listedPerClass: 2,
    extraPerClass: 6,
    valPerClass: 2,
    width: 40,
    height: 32,
  });
  server = await spawnServer({ store: store.path, token, args: ['--data', `imagenet=${tiny.root}`, '--subsets', tiny.subsetsDir] });
});

afterAll(async () => {
  await server?.stop();
  store.remove();
  imagenetDir.remove();
});

/** Reads a whole SSE response with raw fetch (to test the wire format and the Last-Event-ID header). */
async function rawEvents(id: string, lastEventId?: number): Promise<{ status: number; events: StoredEvent[] }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  const response = await fetch(`${server.url}/api/runs/${id}/events`, { headers });
  if (response.status !== 200) return { status: response.status, events: [] };
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const messages: EventSourceMessage[] = [];
  createParser({ onEvent: (message) => messages.push(message) }).feed(await response.text());
  return { status: 200, events: messages.map((m) => ({ id: Number(m.id), event: JSON.parse(m.data) as StoredEvent['event'] })) };
}

function expectGapless(events: StoredEvent[], firstId = 1): void {
  expect(events.map((e) => e.id)).toEqual(events.map((_, k) => firstId + k));
}

describe('a run on the server', () => {
  let id: string;
  let live: StoredEvent[];

  it('runs a submitted config to success, streaming its events live', async () => {
    const submitted = await server.client.submitRun(tinyServerRun({ pretrainEpochs: 2, finetune: true }));
    expect(['queued', 'running']).toContain(submitted.status);
    id = submitted.id;
    live = await collectEvents(server.client, id);
    expectGapless(live);
    const types = live.map((e) => e.event.type);
    expect(types[0]).toBe('status');
    expect(types).toContain('run-start');
    expect(types).toContain('run-end');
    const last = live[live.length - 1].event;
    expect(last).toMatchObject({ type: 'status', status: 'succeeded' });
    const metrics = live.flatMap((e) =>
      e.event.type === 'metric' && e.event.stage === 'pretrain' && e.event.loss !== undefined ? [e.event] : [],
    );
    expect(metrics.length).toBe(8);
    for (const metric of metrics) expect(Number.isFinite(metric.loss)).toBe(true);
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    const run = await server.client.getRun(id);
    expect(run.status).toBe('succeeded');
    expect(run.attempts).toBe(1);
    expect(run.eventCount).toBe(live.length);
    expect(run.summary?.stages.pretrain?.steps).toBe(8);
    expect(run.summary?.stages.finetune?.status).toBe('completed');
    expect(run.startedAt! >= run.createdAt).toBe(true);
    expect(run.finishedAt! >= run.startedAt!).toBe(true);
    expect((await server.client.allRuns()).map((r) => r.id)).toContain(id);
    expect((await server.client.allRuns('succeeded')).map((r) => r.id)).toContain(id);
  });

  it('replays the same events from the start, and resumes after Last-Event-ID without gaps or duplicates', async () => {
    const replay = await rawEvents(id);
    expect(replay.events).toEqual(live);
    const k = Math.floor(live.length / 2);
    const resumed = await rawEvents(id, k);
    expect(resumed.events).toEqual(live.slice(k));
    // Everything delivered already: 204 tells an EventSource to stop reconnecting.
    expect((await rawEvents(id, live.length)).status).toBe(204);
  });

  it('serves the trained weights as a checkpoint', async () => {
    const checkpoint = deserializeCheckpoint(await server.client.checkpointBytes(id));
    expect(Object.keys(checkpoint.models).sort()).toEqual(['finetune', 'pretrain']);
    const tensors = Object.values(checkpoint.models.pretrain);
    expect(tensors.length).toBeGreaterThan(10);
    for (const t of tensors) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
    expect(tensors.some((t) => t.data.some((v) => v !== 0))).toBe(true);
  });

  it('answers 409 to cancelling a finished run', async () => {
    const response = await fetch(`${server.url}/api/runs/${id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    expect(response.status).toBe(409);
  });
});

describe('cancel', () => {
  it('stops a running run (it ends cancelled with a final checkpoint) and cancels a queued one at once', async () => {
    const running = await server.client.submitRun(tinyServerRun({ pretrainEpochs: 200 }));
    const queued = await server.client.submitRun(tinyServerRun({ pretrainEpochs: 200, seed: 2 }));
    expect(queued.status).toBe('queued');
    const seen: StoredEvent[] = [];
    for await (const stored of server.client.events(running.id, { retryMs: 200 })) {
      seen.push(stored);
      if (stored.event.type === 'metric') break;
    }
    const cancelledQueued = await server.client.cancelRun(queued.id);
    expect(cancelledQueued.status).toBe('cancelled');
    const cancelling = await server.client.cancelRun(running.id);
    expect(cancelling).toMatchObject({ status: 'running', cancelRequested: true });
    const rest = await collectEvents(server.client, running.id, seen[seen.length - 1].id);
    expectGapless([...seen, ...rest]);
    expect(rest[rest.length - 1].event).toMatchObject({ type: 'status', status: 'cancelled' });
    const run = await server.client.getRun(running.id);
    expect(run.status).toBe('cancelled');
    expect(run.summary?.stages.pretrain?.status).toBe('stopped');
    expect(run.checkpoint?.stage).toBe('pretrain');
    expect((await server.client.getRun(queued.id)).attempts).toBe(0);
    const again = await fetch(`${server.url}/api/runs/${queued.id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    expect(again.status).toBe(409);
  });
});

describe('ImageNet layout', () => {
  it('trains on an ImageFolder under a data root, fine-tuning on the official 1% list', async () => {
    const config = tinyServerRun({ pretrainEpochs: 1, finetune: true, trainSize: 16 });
    const submitted = await server.client.submitRun({
      ...config,
      dataset: { name: 'imagenet', path: 'imagenet', trainSize: null, testSize: null, imageSize: 16 },
      finetune: { ...config.finetune, labelFraction: 0.01, batchSize: 4 },
    });
    const events = await collectEvents(server.client, submitted.id);
    expect(events[events.length - 1].event).toMatchObject({ type: 'status', status: 'succeeded' });
    const run = await server.client.getRun(submitted.id);
    expect(run.summary?.stages.finetune?.labelledImages).toBe(tiny.listed.length);
  });
});
