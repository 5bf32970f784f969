import type { FastifyInstance, FastifyReply } from 'fastify';
import { ConfigError, parseRunConfig } from '../../core/config';
import { parseSweepSpec, type SweepSpec } from '../../sweep/spec';
import type { ApiError, SweepList, ValidationIssue } from '../../protocol/serverApi';
import { isSweepFinished } from '../../protocol/serverApi';
import type { DataRoots } from '../dataRoots';
import type { SweepHost } from '../sweep/sweepHost';
import { datasetPathIssues } from './datasetPaths';
import { emptyBody, type BodyCheck } from './requestBody';
import { serveEventStream, type SseHub } from './sseStream';

/**
 * `/api/sweeps`: hyperparameter sweeps whose trials are runs of the queue (see sweep/sweepHost.ts).
 * Registered on the secured app like every route, so the token, JSON-only bodies and size limits
 * apply unchanged.
 */
export function registerSweepRoutes(
  app: FastifyInstance,
  options: { host: SweepHost; hub: SseHub; dataRoots: DataRoots; subsetsDir: string | null },
): void {
  const { host } = options;

  app.post('/api/sweeps', async (request, reply) => {
    const parsed = sweepSpecBody(request.body);
    if (!parsed.ok) return reply.code(400).send(parsed.error);
    // The disk side of the base config (dataset folders, subset lists) is checked now, as for runs.
    const pathIssues = datasetPathIssues(parseRunConfig(parsed.value.base), options.dataRoots, options.subsetsDir).map((i) => ({
      path: `base.${i.path}`,
      message: i.message,
    }));
    if (pathIssues.length > 0) return reply.code(400).send({ error: 'invalid sweep spec', issues: pathIssues } satisfies ApiError);
    const sweep = host.create(parsed.value);
    return reply.code(201).header('location', `/api/sweeps/${sweep.id}`).send({ id: sweep.id, status: sweep.status });
  });

  app.get('/api/sweeps', async (): Promise<SweepList> => ({ sweeps: host.list() }));

  app.get('/api/sweeps/:id', async (request, reply) => {
    const id = (request.params as { id: string }).id;
    return host.record(id) ?? notFound(reply, id);
  });

  app.post('/api/sweeps/:id/cancel', async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const body = emptyBody(request.body);
    if (!body.ok) return reply.code(400).send(body.error);
    const sweep = host.sweeps.getSweep(id);
    if (!sweep) return notFound(reply, id);
    if (isSweepFinished(sweep.status)) return reply.code(409).send({ error: `sweep ${id} is already ${sweep.status}` } satisfies ApiError);
    const after = await host.cancel(id);
    return { id, status: after?.status ?? 'cancelled' };
  });

  app.get('/api/sweeps/:id/events', async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const sweep = host.sweeps.getSweep(id);
    if (!sweep) return notFound(reply, id);
    return serveEventStream(request, reply, options.hub, { id, finished: isSweepFinished(sweep.status), eventCount: sweep.eventCount });
  });
}

/** A sweep spec: a JSON object validated by the one spec schema; issues name `parameters.<path>` etc. */
function sweepSpecBody(body: unknown): BodyCheck<SweepSpec> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const got = body === undefined ? 'an empty body' : body === null ? 'null' : Array.isArray(body) ? 'an array' : `a ${typeof body}`;
    return { ok: false, error: { error: 'invalid sweep spec', issues: [{ path: '', message: `expected a JSON object, got ${got}` }] } };
  }
  try {
    return { ok: true, value: parseSweepSpec(body) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const issues: ValidationIssue[] = error.issues.map((i) => ({ path: i.path, message: i.message }));
    return { ok: false, error: { error: 'invalid sweep spec', issues } };
  }
}

function notFound(reply: FastifyReply, id: string) {
  return reply.code(404).send({ error: `no sweep ${id}` } satisfies ApiError);
}
