import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { FastifyInstance } from 'fastify';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseRunConfig } from '../../core/config';
import { buildApp } from './app';
import { SqliteRunStore } from '../store/runStore';
import type { SseOptions } from './sseStream';
import { storeWithLongRun, idleRunQueue, tempDir } from '../testSupport';

// Event streams against an in-process server on a real store and real sockets: memory per client is
// bounded whatever the client does, and every stream ends with the run's terminal status.
vi.setConfig({ testTimeout: 120_000 });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(store: SqliteRunStore, sse: Partial<SseOptions>): Promise<{ app: FastifyInstance; port: number }> {
  const app = buildApp({ store, queue: idleRunQueue, version: 'test', token: null, corsOrigins: [], dataRoots: {}, sse });
  await app.listen({ port: 0, host: '127.0.0.1' });
  cleanups.push(() => app.close());
  const address = app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('no address');
  return { app, port: address.port };
}

function openStore(): { store: SqliteRunStore; dir: string } {
  const dir = tempDir('simclr-sse-');
  const store = new SqliteRunStore(dir.path);
  cleanups.push(() => {
    store.close();
    dir.remove();
  });
  return { store, dir: dir.path };
}

/** Requests a run's stream and reads nothing (the response is paused at once): a client that never reads. */
function stalledClient(port: number, runId: string, lastEventId?: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = httpGet(
      {
        host: '127.0.0.1',
        port,
        path: `/api/runs/${runId}/events`,
        headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
      },
      (response) => {
        response.pause();
        resolve(response);
      },
    );
    request.on('error', reject);
    cleanups.push(() => void request.destroy());
  });
}

/** Reads a paused stream to its end; returns its SSE messages. */
function readAll(response: IncomingMessage): Promise<{ messages: EventSourceMessage[] }> {
  return new Promise((resolve) => {
    const messages: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (message) => messages.push(message) });
    response.setEncoding('utf8');
    response.on('data', (text: string) => parser.feed(text));
    // 'close' also comes when the server drops the connection mid-stream.
    response.on('close', () => resolve({ messages }));
    response.resume();
  });
}

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`, { headers });
}

describe('slow event-stream clients', () => {
  it('holds at most the configured bytes per stalled client, replays in pages and keeps answering', async () => {
    const dir = tempDir('simclr-sse-long-');
    const events = 100_000;
    const runId = storeWithLongRun(dir.path, events);
    const store = new SqliteRunStore(dir.path);
    cleanups.push(() => {
      store.close();
      dir.remove();
    });
    const bufferBytes = 256 * 1024;
    const { app, port } = await startServer(store, { bufferBytes, stallSeconds: 600 });
    const rssBefore = process.memoryUsage().rss;

    const sockets: IncomingMessage[] = [];
    for (let i = 0; i < 10; i++) sockets.push(await stalledClient(port, runId));
    await until(() => app.sseClients().length === 10, 'ten streams');
    // Wait until every stream has stopped advancing (its client's buffers are full).
    let last = '';
    for (let stable = 0; stable < 10; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = JSON.stringify(app.sseClients().map((c) => c.cursor));
      stable = now === last ? stable + 1 : 0;
      last = now;
    }
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    // The history is ~19 MB per client (~190 MB for ten): the old server buffered all of it.
    const historyBytes = store.eventRowsAfter(runId, 0, events).reduce((sum, row) => sum + row.data.length + 16, 0);
    expect(historyBytes * 10).toBeGreaterThan(150 * 2 ** 20);
    expect(rssGrowth).toBeLessThan(60 * 2 ** 20);
    for (const client of app.sseClients()) {
      expect(client.mode).toBe('catch-up');
      expect(client.cursor).toBeLessThan(events);
      expect(client.bufferedBytes).toBeLessThanOrEqual(bufferBytes);
      expect(client.peakBufferedBytes).toBeLessThanOrEqual(bufferBytes);
    }
    const health = await get(port, '/api/health');
    expect(health.status).toBe(200);

    // A client that starts reading gets the whole history, gapless, then the stream ends.
    const { messages } = await readAll(sockets[0]);
    expect(messages.length).toBe(events);
    expect(messages.every((m, k) => Number(m.id) === k + 1)).toBe(true);
    expect(JSON.parse(messages[events - 1].data)).toMatchObject({ type: 'status', status: 'succeeded' });
  });

  it('drops a client that stays stalled; it resumes with Last-Event-ID and misses nothing', async () => {
    const dir = tempDir('simclr-sse-stall-');
    const events = 30_000;
    const runId = storeWithLongRun(dir.path, events);
    const store = new SqliteRunStore(dir.path);
    cleanups.push(() => {
      store.close();
      dir.remove();
    });
    const { app, port } = await startServer(store, { stallSeconds: 1 });
    const socket = await stalledClient(port, runId);
    await until(() => app.sseClients().length === 1, 'the stream');
    await until(() => app.sseClients().length === 0, 'the stalled client to be dropped');
    const first = await readAll(socket);
    expect(first.messages.length).toBeGreaterThan(0);
    expect(first.messages.length).toBeLessThan(events);
    const lastId = first.messages[first.messages.length - 1].id!;
    const rest = await readAll(await stalledClient(port, runId, lastId));
    const ids = [...first.messages, ...rest.messages].map((m) => Number(m.id));
    expect(ids).toEqual(ids.map((_, k) => k + 1));
    expect(ids.length).toBe(events);
  });

  it('does not buffer live events for a client that stopped reading', async () => {
    const { store } = openStore();
    const run = store.createRun(parseRunConfig({}));
    store.setStatus(run.id, 'running');
    const bufferBytes = 64 * 1024;
    const { app, port } = await startServer(store, { bufferBytes, stallSeconds: 600 });
    const socket = await stalledClient(port, run.id);
    await until(() => app.sseClients()[0]?.mode === 'live', 'live mode');
    // ~8 MB of live events (each ~4 KB) while the client reads nothing.
    const message = 'x'.repeat(4000);
    for (let i = 0; i < 2000; i++) store.appendEvent(run.id, { type: 'log', time: i, level: 'info', message });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [client] = app.sseClients();
    expect(client.peakBufferedBytes).toBeLessThanOrEqual(bufferBytes);
    expect(client.cursor).toBeLessThan(store.getRun(run.id)!.eventCount);
    store.setStatus(run.id, 'succeeded');
    const { messages } = await readAll(socket);
    expect(messages.map((m) => Number(m.id))).toEqual(messages.map((_, k) => k + 1));
    expect(JSON.parse(messages[messages.length - 1].data)).toMatchObject({ type: 'status', status: 'succeeded' });
  });
});

describe('stream end and Last-Event-ID', () => {
  it('ends a stream whose Last-Event-ID is past the newest event with the terminal status', async () => {
    const { store } = openStore();
    const run = store.createRun(parseRunConfig({}));
    store.setStatus(run.id, 'running');
    const { app, port } = await startServer(store, {});
    const beyond = await stalledClient(port, run.id, '1000');
    const current = await stalledClient(port, run.id, '2');
    await until(() => app.sseClients().length === 2 && app.sseClients().every((c) => c.mode === 'live'), 'two live streams');
    const reading = [readAll(beyond), readAll(current)];
    store.appendEvent(run.id, { type: 'log', time: 1, level: 'info', message: 'step' });
    store.setStatus(run.id, 'failed', { error: 'out of memory' });
    const [fromBeyond, fromCurrent] = await Promise.all(reading);
    expect(fromBeyond.messages.map((m) => JSON.parse(m.data).status)).toEqual(['failed']);
    expect(fromCurrent.messages.map((m) => Number(m.id))).toEqual([3, 4]);
    expect(app.sseClients()).toEqual([]);
  });

  it('accepts only a non-negative decimal integer', async () => {
    const { store } = openStore();
    const run = store.createRun(parseRunConfig({}));
    store.setStatus(run.id, 'cancelled');
    const { port } = await startServer(store, {});
    for (const bad of ['-1', '1.5', '1e3', '0x10', '+3', '3, 4', 'abc', '', '9'.repeat(16)]) {
      const response = await get(port, `/api/runs/${run.id}/events`, { 'last-event-id': bad });
      expect(response.status, JSON.stringify(bad)).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'bad Last-Event-ID', issues: [{ path: 'Last-Event-ID' }] });
    }
    expect((await get(port, `/api/runs/${run.id}/events?lastEventId=1.0`)).status).toBe(400);
    expect((await get(port, `/api/runs/${run.id}/events`, { 'last-event-id': '2' })).status).toBe(204);
    const fromOne = await get(port, `/api/runs/${run.id}/events`, { 'last-event-id': '1' });
    expect(fromOne.status).toBe(200);
    expect(await fromOne.text()).toMatch(/id: 2\ndata: \{"type":"status"[^\n]*"status":"cancelled"/);
  });
});
