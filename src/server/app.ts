import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { DataRoots } from './dataRoots';
import { datasetPathIssues } from './http/datasetPaths';
import { emptyBody, runConfigBody } from './http/requestBody';
import { secureFastify } from './http/secureFastify';
import { officialTrainerExport } from './officialTrainerExport';
import type { RunQueue } from './runQueue';
import type { RunStore } from './runStore';
import type { ApiError, HealthResponse, RunStatus, StoredEvent } from './runTypes';
import { isTerminal, runStatuses } from './runTypes';

export interface AppOptions {
  store: RunStore;
  queue: RunQueue;
  version: string;
  /** Bearer token every request must carry (null: loopback mode, see http/secureFastify.ts). */
  token: string | null;
  /** Origins allowed to call the API from a browser ('*' allows any). */
  corsOrigins: string[];
  dataRoots: DataRoots;
  /** Folder of the official subset lists (`dataset.subsetList = "subsets/NAME"`). */
  subsetsDir?: string | null;
  /** Largest accepted request body, bytes. */
  bodyLimit?: number;
  /** Seconds between SSE keep-alive comments. */
  keepAliveSeconds?: number;
}

/** The HTTP API (see README "The GPU server"). Routes only; the queue and store do the work. */
export function buildApp(options: AppOptions): FastifyInstance {
  const { store, queue } = options;
  const bodyLimit = options.bodyLimit ?? 1_000_000;
  const app = secureFastify({ token: options.token, corsOrigins: options.corsOrigins, bodyLimit });

  app.get('/api/health', async (): Promise<HealthResponse> => {
    const state = await queue.state();
    return { name: 'simclr-lab-server', version: options.version, ...queue.backend(), queue: state, auth: options.token !== null };
  });

  app.post('/api/runs', async (request, reply) => {
    const parsed = runConfigBody(request.body);
    if (!parsed.ok) return reply.code(400).send(parsed.error);
    const pathIssues = datasetPathIssues(parsed.value, options.dataRoots, options.subsetsDir ?? null);
    if (pathIssues.length > 0) return reply.code(400).send({ error: 'invalid run config', issues: pathIssues } satisfies ApiError);
    const run = store.createRun(parsed.value);
    await queue.submit(run);
    return reply.code(201).header('location', `/api/runs/${run.id}`).send({ id: run.id, status: store.getRun(run.id)!.status });
  });

  app.post('/api/export/official-trainer', async (request, reply) => {
    const parsed = runConfigBody(request.body);
    if (!parsed.ok) return reply.code(400).send(parsed.error);
    return officialTrainerExport(parsed.value);
  });

  app.get('/api/runs', async (request, reply) => {
    const status = (request.query as { status?: string }).status;
    if (status !== undefined && !(runStatuses as readonly string[]).includes(status)) {
      return reply.code(400).send({ error: 'bad query', issues: [{ path: 'status', message: `must be one of ${runStatuses.join(', ')}` }] } satisfies ApiError);
    }
    return { runs: store.listRuns(status ? { status: status as RunStatus } : {}) };
  });

  app.get('/api/runs/:id', async (request, reply) => {
    const run = store.getRun((request.params as { id: string }).id);
    return run ?? notFound(reply, (request.params as { id: string }).id);
  });

  app.get('/api/runs/:id/official-trainer', async (request, reply) => {
    const run = store.getRun((request.params as { id: string }).id);
    return run ? officialTrainerExport(run.config) : notFound(reply, (request.params as { id: string }).id);
  });

  app.post('/api/runs/:id/cancel', async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const body = emptyBody(request.body);
    if (!body.ok) return reply.code(400).send(body.error);
    const run = store.getRun(id);
    if (!run) return notFound(reply, id);
    if (isTerminal(run.status)) return reply.code(409).send({ error: `run ${id} is already ${run.status}` } satisfies ApiError);
    const after = await queue.cancel(run);
    return reply.code(after.status === 'cancelled' ? 200 : 202).send({ id, status: after.status, cancelRequested: true });
  });

  app.get('/api/runs/:id/checkpoint', async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const run = store.getRun(id);
    if (!run) return notFound(reply, id);
    const bytes = store.readCheckpointBytes(id);
    if (!bytes) return reply.code(404).send({ error: `run ${id} has no checkpoint yet` } satisfies ApiError);
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-disposition', `attachment; filename="${id}.ckpt"`)
      .header('x-checkpoint-stage', run.checkpoint?.stage ?? '')
      .header('x-checkpoint-step', String(run.checkpoint?.step ?? ''))
      .send(bytes);
  });

  app.get('/api/runs/:id/events', async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const run = store.getRun(id);
    if (!run) return notFound(reply, id);
    const fromHeader = request.headers['last-event-id'];
    const fromQuery = (request.query as { lastEventId?: string }).lastEventId;
    const lastEventId = Number(fromHeader ?? fromQuery ?? 0);
    if (!Number.isInteger(lastEventId) || lastEventId < 0) {
      return reply.code(400).send({ error: 'bad Last-Event-ID', issues: [{ path: 'Last-Event-ID', message: 'must be a non-negative integer' }] } satisfies ApiError);
    }
    // Nothing left to send: 204 also tells an EventSource to stop reconnecting.
    if (isTerminal(run.status) && lastEventId >= run.eventCount) return reply.code(204).send();
    reply.hijack();
    streamEvents(id, lastEventId, reply.raw, options.keepAliveSeconds ?? 15);
  });

  function streamEvents(id: string, lastEventId: number, raw: ServerResponse, keepAliveSeconds: number): void {
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write('retry: 2000\n\n');
    let cursor = lastEventId;
    let ended = false;
    let keepAlive: NodeJS.Timeout | undefined;
    const end = () => {
      if (ended) return;
      ended = true;
      store.events.off('event', onLive);
      clearInterval(keepAlive);
      raw.end();
    };
    const write = (stored: StoredEvent) => {
      if (ended || stored.id <= cursor) return;
      raw.write(`id: ${stored.id}\ndata: ${JSON.stringify(stored.event)}\n\n`);
      cursor = stored.id;
      if (stored.event.type === 'status' && isTerminal(stored.event.status)) end();
    };
    const onLive = (runId: string, stored: StoredEvent) => {
      if (runId === id) write(stored);
    };
    // Replay and subscription happen in one synchronous stretch, so no event can slip between them.
    for (let page = store.eventsAfter(id, cursor); page.length > 0 && !ended; page = store.eventsAfter(id, cursor)) page.forEach(write);
    if (ended) return;
    store.events.on('event', onLive);
    keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), keepAliveSeconds * 1000);
    raw.on('close', end);
  }

  return app;
}

function notFound(reply: FastifyReply, id: string) {
  return reply.code(404).send({ error: `no run ${id}` } satisfies ApiError);
}
