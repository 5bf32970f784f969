import { existsSync, writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../core/config';
import { buildApp } from './app';
import { applyRetention, pruneRuns } from '../store/retention';
import { decodeCursor, encodeCursor, maxRunPageSize } from './runList';
import { SqliteRunStore } from '../store/runStore';
import type { RunListItem, RunPage, ServerRunStatus } from '../../protocol/serverApi';
import { idleRunQueue, tempDir } from '../testSupport';

// The run list in pages, deletion and retention, on an in-process app over a real store.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(): { store: SqliteRunStore; app: FastifyInstance } {
  const dir = tempDir('simclr-list-');
  const store = new SqliteRunStore(dir.path);
  const app = buildApp({ store, queue: idleRunQueue, version: 'test', token: null, corsOrigins: [], dataRoots: {} });
  cleanups.push(async () => {
    await app.close();
    store.close();
    dir.remove();
  });
  return { store, app };
}

/** Runs through the given statuses (queued → running → the terminal one). */
function addRun(store: SqliteRunStore, status: ServerRunStatus, seed = 1): string {
  const run = store.createRun(
    parseRunConfig({ seed, dataset: { name: 'shapes', trainSize: 64, imageSize: 16 }, model: { depth: 18, widthMultiplier: 0.5 } }),
  );
  if (status !== 'queued') store.setStatus(run.id, 'running');
  if (status !== 'queued' && status !== 'running') store.setStatus(run.id, status);
  return run.id;
}

async function page(
  app: FastifyInstance,
  query: string,
): Promise<{ status: number; body: RunPage & { error?: string; issues?: { path: string }[] } }> {
  const response = await app.inject({ method: 'GET', url: `/api/runs${query}` });
  return { status: response.statusCode, body: response.json() };
}

describe('GET /api/runs', () => {
  it('pages through every run once, oldest first, with compact items', async () => {
    const { store, app } = setup();
    const ids = Array.from({ length: 7 }, (_, k) => addRun(store, k % 2 ? 'succeeded' : 'queued', k));
    const seen: RunListItem[] = [];
    let cursor: string | null = null;
    const sizes: number[] = [];
    do {
      const { status, body } = await page(app, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      sizes.push(body.runs.length);
      seen.push(...body.runs);
      cursor = body.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([3, 3, 1]);
    // Created in this order; ties in creation time are broken by id, so compare with the store's order.
    const expected = ids
      .map((id) => store.getRun(id)!)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
      .map((r) => r.id);
    expect(seen.map((r) => r.id)).toEqual(expected);
    const item = seen.find((r) => r.status === 'succeeded')!;
    expect(Object.keys(item).sort()).toEqual([
      'attempts',
      'createdAt',
      'dataset',
      'error',
      'finishedAt',
      'id',
      'metrics',
      'model',
      'startedAt',
      'status',
    ]);
    expect(item.dataset).toBe('shapes, 16 px, 64 train images');
    expect(item.model).toBe('ResNet-18 ×0.5');
    expect(item.finishedAt).not.toBeNull();
  });

  it('defaults to 50 a page, keeps the status filter, and a cursor survives deletions', async () => {
    const { store, app } = setup();
    for (let k = 0; k < 53; k++) addRun(store, k < 50 ? 'succeeded' : 'queued', k);
    const first = await page(app, '');
    expect(first.body.runs.length).toBe(50);
    expect(first.body.nextCursor).not.toBeNull();
    const queued = await page(app, '?status=queued');
    expect(queued.body.runs.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
    expect(queued.body.nextCursor).toBeNull();
    // The last run of the first page is deleted: the cursor still continues right after it.
    store.deleteRun(first.body.runs[49].id);
    const second = await page(app, `?cursor=${first.body.nextCursor}`);
    expect(second.body.runs.length).toBe(3);
    expect(second.body.runs[0].status).toBe('queued');
  });

  it('answers 400 naming the parameter for a bad limit, cursor or status', async () => {
    const { app } = setup();
    for (const [query, path] of [
      ['?limit=0', 'limit'],
      [`?limit=${maxRunPageSize + 1}`, 'limit'],
      ['?limit=1.5', 'limit'],
      ['?limit=-3', 'limit'],
      ['?limit=ten', 'limit'],
      ['?limit=1&limit=2', 'limit'],
      ['?cursor=nope!', 'cursor'],
      [`?cursor=${Buffer.from('[1,"../x"]').toString('base64url')}`, 'cursor'],
      [`?cursor=${Buffer.from('{"a":1}').toString('base64url')}`, 'cursor'],
      ['?status=bogus', 'status'],
    ] as const) {
      const { status, body } = await page(app, query);
      expect(status, query).toBe(400);
      expect(body.error, query).toBe('bad query');
      expect(
        body.issues?.map((i) => i.path),
        query,
      ).toEqual([path]);
    }
    expect((await page(app, `?limit=${maxRunPageSize}`)).status).toBe(200);
  });

  it('round-trips a cursor and refuses anything else', () => {
    const position = { createdAt: 1_764_500_000_000, id: 'rabc123' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    expect(decodeCursor('')).toBeNull();
    expect(decodeCursor(Buffer.from('[1.5,"r1"]').toString('base64url'))).toBeNull();
  });
});

describe('DELETE /api/runs/:id', () => {
  it('removes a finished run with its events and checkpoint; 409 while queued or running; 404 unknown', async () => {
    const { store, app } = setup();
    const done = addRun(store, 'cancelled');
    store.saveCheckpointBytes(done, new Uint8Array([1, 2, 3]));
    writeFileSync(`${store.checkpointPath(done)}.abandoned`, 'half');
    const queued = addRun(store, 'queued', 2);
    const running = addRun(store, 'running', 3);
    const remove = (id: string) =>
      app.inject({ method: 'DELETE', url: `/api/runs/${id}`, headers: { 'content-type': 'application/json' } });

    for (const id of [queued, running]) {
      const response = await remove(id);
      expect(response.statusCode).toBe(409);
      expect(response.json().error).toMatch(/cancel it first/);
      expect(store.getRun(id)).not.toBeNull();
    }
    const response = await remove(done);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id: done, deleted: true });
    expect(store.getRun(done)).toBeNull();
    expect(store.eventsAfter(done, 0)).toEqual([]);
    expect(existsSync(store.checkpointPath(done))).toBe(false);
    expect(existsSync(`${store.checkpointPath(done)}.abandoned`)).toBe(false);
    expect((await app.inject({ method: 'GET', url: `/api/runs/${done}` })).statusCode).toBe(404);
    expect((await remove(done)).statusCode).toBe(404);
  });
});

describe('retention', () => {
  it('keeps the newest N finished runs and never touches queued or running ones', () => {
    const { store } = setup();
    const finished = [
      addRun(store, 'succeeded', 1),
      addRun(store, 'failed', 2),
      addRun(store, 'cancelled', 3),
      addRun(store, 'interrupted', 4),
    ];
    const active = [addRun(store, 'queued', 5), addRun(store, 'running', 6)];
    const order = (ids: string[]) =>
      ids
        .map((id) => store.getRun(id)!)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
        .map((r) => r.id);
    const oldestFirst = order(finished);
    expect(pruneRuns(store, { keepRuns: 2, keepDays: null })).toEqual(oldestFirst.slice(0, 2));
    expect(order([...finished, ...active].filter((id) => store.getRun(id)))).toEqual(order([...oldestFirst.slice(2), ...active]));
    expect(pruneRuns(store, { keepRuns: 2, keepDays: null })).toEqual([]);
  });

  it('deletes finished runs older than D days', async () => {
    const { store } = setup();
    const old = addRun(store, 'succeeded', 1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const recent = addRun(store, 'succeeded', 2);
    const day = 24 * 3600 * 1000;
    const recentFinished = Date.parse(store.getRun(recent)!.finishedAt!);
    expect(Date.parse(store.getRun(old)!.finishedAt!)).toBeLessThan(recentFinished - 1);
    // Exactly one day after `recent` finished (less a millisecond): only `old` is older than a day.
    expect(pruneRuns(store, { keepRuns: null, keepDays: 1 }, recentFinished + day - 1)).toEqual([old]);
    expect(store.getRun(recent)).not.toBeNull();
    expect(pruneRuns(store, { keepRuns: null, keepDays: 1 }, recentFinished + day + 1)).toEqual([recent]);
  });

  it('prunes at start and again after a run finishes', async () => {
    const { store } = setup();
    const first = addRun(store, 'succeeded', 1);
    const second = addRun(store, 'succeeded', 2);
    const third = addRun(store, 'running', 3);
    const log: string[] = [];
    const stop = applyRetention(store, { keepRuns: 1, keepDays: null }, (line) => log.push(line));
    cleanups.push(stop);
    expect(store.getRun(first)).toBeNull();
    expect(store.getRun(second)).not.toBeNull();
    store.setStatus(third, 'succeeded');
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.getRun(second)).toBeNull();
    expect(store.getRun(third)).not.toBeNull();
    expect(log.join('\n')).toMatch(new RegExp(`deleted 1 finished run\\(s\\): ${second}`));
  });
});
