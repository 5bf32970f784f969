import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RunConfig } from '../../core/config';
import type { DataRoots } from '../dataRoots';
import { datasetPathIssues } from './datasetPaths';
import { emptyBody, runConfigBody } from './requestBody';
import { secureFastify } from './secureFastify';
import { officialTrainerExport } from '../officialTrainerExport';
import { encodeCursor, parseRunListQuery } from './runList';
import type { RunQueue } from '../queue/runQueue';
import { TransitionError, type SqliteRunStore } from '../store/runStore';
import type { ApiError, HealthResponse, RunPage } from '../../protocol/serverApi';
import { isTerminal } from '../../protocol/serverApi';
import { defaultSseOptions, runEventSource, serveEventStream, SseHub, sweepEventSource, type SseOptions } from './sseStream';
import { registerSweepRoutes } from './sweepRoutes';
import { SweepHost } from '../sweep/sweepHost';
import { SweepStore } from '../store/sweepStore';

export interface AppOptions {
  store: SqliteRunStore;
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
  /** Event streams: keep-alive period, per-client buffer bound, stall limit, replay page size. */
  sse?: Partial<SseOptions>;
  /**
   * The sweeps host (main.ts starts it after the queue, so sweeps resume). Absent: one over the
   * same store and queue that is never started (tests of other routes; the route table).
   */
  sweeps?: SweepHost;
}

/** The HTTP API (see README "The GPU server"). Routes only; the queue and store do the work. */
export function buildApp(options: AppOptions): FastifyInstance {
  const { store, queue } = options;
  const bodyLimit = options.bodyLimit ?? 1_000_000;
  const app = secureFastify({ token: options.token, corsOrigins: options.corsOrigins, bodyLimit });
  const sseOptions = { ...defaultSseOptions, ...options.sse };
  const sse = new SseHub(runEventSource(store), sseOptions);
  const sweeps = options.sweeps ?? new SweepHost(new SweepStore(store), queue);
  const sweepSse = new SseHub(sweepEventSource(sweeps.sweeps), sseOptions);
  app.decorate('sseClients', () => [...sse.clients(), ...sweepSse.clients()]);

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
    return reply
      .code(201)
      .header('location', `/api/runs/${run.id}`)
      .send({ id: run.id, status: store.getRun(run.id)!.status });
  });

  app.post('/api/export/official-trainer', async (request, reply) => {
    const parsed = runConfigBody(request.body);
    if (!parsed.ok) return reply.code(400).send(parsed.error);
    return sendOfficialExport(reply, parsed.value);
  });

  app.get('/api/runs', async (request, reply) => {
    const parsed = parseRunListQuery(request.query as Record<string, unknown>);
    if (!parsed.ok) return reply.code(400).send({ error: 'bad query', issues: parsed.issues } satisfies ApiError);
    const page = store.listRunPage(parsed.query);
    return { runs: page.runs, nextCursor: page.next ? encodeCursor(page.next) : null } satisfies RunPage;
  });

  app.get('/api/runs/:id', async (request, reply) => {
    const run = store.getRun((request.params as { id: string }).id);
    return run ?? notFound(reply, (request.params as { id: string }).id);
  });

  app.get('/api/runs/:id/official-trainer', async (request, reply) => {
    const run = store.getRun((request.params as { id: string }).id);
    return run ? sendOfficialExport(reply, run.config) : notFound(reply, (request.params as { id: string }).id);
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

  app.delete('/api/runs/:id', async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const body = emptyBody(request.body);
    if (!body.ok) return reply.code(400).send(body.error);
    try {
      return store.deleteRun(id) ? { id, deleted: true } : notFound(reply, id);
    } catch (error) {
      if (!(error instanceof TransitionError)) throw error;
      return reply
        .code(409)
        .send({ error: `run ${id} is ${error.from}: cancel it first, then delete it once it has stopped` } satisfies ApiError);
    }
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
    return serveEventStream(request, reply, sse, { id, finished: isTerminal(run.status), eventCount: run.eventCount });
  });

  registerSweepRoutes(app, {
    host: sweeps,
    hub: sweepSse,
    dataRoots: options.dataRoots,
    subsetsDir: options.subsetsDir ?? null,
  });

  return app;
}

/** The export, or 422 naming each field the official trainer cannot run as the same model. */
function sendOfficialExport(reply: FastifyReply, config: RunConfig) {
  const exported = officialTrainerExport(config);
  if (exported.refused.length === 0) return exported;
  return reply.code(422).send({
    error: 'the official trainer cannot run this config as the same model',
    issues: exported.refused.map((r) => ({ path: r.path, message: r.reason })),
  } satisfies ApiError);
}

function notFound(reply: FastifyReply, id: string) {
  return reply.code(404).send({ error: `no run ${id}` } satisfies ApiError);
}
