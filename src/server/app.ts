import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type RunConfig, safeParseRunConfig } from '../core/config';
import type { DataRoots } from './dataRoots';
import { DataPathError, resolveDataPath } from './dataRoots';
import { officialTrainerExport } from './officialTrainerExport';
import type { RunQueue } from './runQueue';
import type { RunStore } from './runStore';
import type { ApiError, HealthResponse, RunStatus, StoredEvent, ValidationIssue } from './runTypes';
import { isTerminal, runStatuses } from './runTypes';

export interface AppOptions {
  store: RunStore;
  queue: RunQueue;
  version: string;
  /** Bearer token every /api request must carry (null: no auth; main.ts then binds to loopback only). */
  token: string | null;
  /** Origins allowed to call the API from a browser ('*' allows any). */
  corsOrigins: string[];
  dataRoots: DataRoots;
  /** Largest accepted request body, bytes. */
  bodyLimit?: number;
  /** Seconds between SSE keep-alive comments. */
  keepAliveSeconds?: number;
}

/** The HTTP API (see README "The GPU server"). Routes only; the queue and store do the work. */
export function buildApp(options: AppOptions): FastifyInstance {
  const { store, queue } = options;
  // forceCloseConnections: open SSE streams must not hold up a shutdown.
  const bodyLimit = options.bodyLimit ?? 1_000_000;
  const app = Fastify({ bodyLimit, forceCloseConnections: true });
  const tokenDigest = options.token === null ? null : sha256(options.token);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(httpError(400, `malformed JSON: ${error instanceof Error ? error.message : String(error)}`), undefined);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    applyCors(request, reply.raw, options.corsOrigins);
    if (request.method === 'OPTIONS') return reply.code(204).send();
    if (!request.url.startsWith('/api')) return;
    if (tokenDigest && !bearerMatches(request.headers.authorization, tokenDigest)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="simclr-lab"')
        .send({ error: request.headers.authorization ? 'wrong token' : 'missing bearer token (Authorization: Bearer <token>)' } satisfies ApiError);
    }
  });

  app.setErrorHandler((error: { statusCode?: number; message: string; code?: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status === 413) return reply.code(413).send({ error: `request body too large (limit ${bodyLimit} bytes)` } satisfies ApiError);
    if (status === 415) return reply.code(415).send({ error: 'send JSON (Content-Type: application/json)' } satisfies ApiError);
    if (status >= 500) console.error(error);
    const body: ApiError = { error: status >= 500 ? 'internal error' : error.message };
    if (status === 400) body.issues = [{ path: '', message: error.message }];
    return reply.code(status).send(body);
  });

  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` } satisfies ApiError));

  app.get('/api/health', async (): Promise<HealthResponse> => {
    const state = await queue.state();
    return { name: 'simclr-lab-server', version: options.version, ...queue.backend(), queue: state, auth: tokenDigest !== null };
  });

  app.post('/api/runs', async (request, reply) => {
    const parsed = safeParseRunConfig(request.body);
    if (!parsed.ok) return reply.code(400).send({ error: 'invalid run config', issues: parsed.issues } satisfies ApiError);
    const pathIssues = dataPathIssues(parsed.config, options.dataRoots);
    if (pathIssues.length > 0) return reply.code(400).send({ error: 'invalid run config', issues: pathIssues } satisfies ApiError);
    const run = store.createRun(parsed.config);
    await queue.submit(run);
    return reply.code(201).header('location', `/api/runs/${run.id}`).send({ id: run.id, status: store.getRun(run.id)!.status });
  });

  app.post('/api/export/official-trainer', async (request, reply) => {
    const parsed = safeParseRunConfig(request.body);
    if (!parsed.ok) return reply.code(400).send({ error: 'invalid run config', issues: parsed.issues } satisfies ApiError);
    return sendOfficialExport(reply, parsed.config);
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
    return run ? sendOfficialExport(reply, run.config) : notFound(reply, (request.params as { id: string }).id);
  });

  app.post('/api/runs/:id/cancel', async (request, reply) => {
    const id = (request.params as { id: string }).id;
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

function dataPathIssues(config: { dataset: { name: string; path: string | null; subsetList: string | null } }, roots: DataRoots): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const { name, path, subsetList } = config.dataset;
  const check = (requested: string | null, field: string, fallback?: string) => {
    try {
      resolveDataPath(roots, requested, field, fallback);
    } catch (error) {
      if (error instanceof DataPathError) issues.push({ path: error.field, message: error.message });
      else throw error;
    }
  };
  if (name === 'imagenet' || name === 'folder') check(path, 'dataset.path', name === 'imagenet' ? 'imagenet' : undefined);
  // 'subsets/…' names a list in the server's subset folder, which is not a data root but is allowed.
  if (subsetList !== null && !/^subsets\/[A-Za-z0-9_.-]+$/.test(subsetList)) check(subsetList, 'dataset.subsetList');
  return issues;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time: both sides are hashed to equal-length digests before comparing. */
function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  const given = sha256(match ? match[1].trim() : '');
  return timingSafeEqual(given, expected) && match !== null;
}

function applyCors(request: FastifyRequest, raw: ServerResponse, allowed: string[]): void {
  const origin = request.headers.origin;
  if (!origin || !(allowed.includes('*') || allowed.includes(origin))) return;
  raw.setHeader('access-control-allow-origin', origin);
  raw.setHeader('vary', 'Origin');
  raw.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  raw.setHeader('access-control-allow-headers', 'authorization, content-type, last-event-id');
  raw.setHeader('access-control-expose-headers', 'location, x-checkpoint-stage, x-checkpoint-step');
  raw.setHeader('access-control-max-age', '600');
}

function httpError(statusCode: number, message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode });
}
