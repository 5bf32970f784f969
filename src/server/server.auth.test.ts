import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { appRouteTable, fillRoute, hangingImageNet, rawRequest, type RawResponse } from './http/securityTestSupport';
import type { RouteEntry } from './http/secureFastify';
import { spawnServer, tempDir, tinyServerRun, type SpawnedServer } from './testSupport';

// Spawned processes share two cores with the rest of the suite: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });

// Auth that cannot be side-stepped: every route the server registers (read from its route table, so a
// new route is covered without editing this file), in every spelling of its path, without a token and
// with a wrong one, over raw HTTP. None may answer 2xx or reach its handler.

const token = 'auth-token-0123456789';
const store = tempDir('simclr-server-auth-');
const hang = hangingImageNet();
let server: SpawnedServer;
let routes: RouteEntry[];
/** A run that stays queued behind a hung one, so that a cancel reaching its handler would show. */
let queuedId: string;
let hungId: string;
/** A sweep whose one trial run waits behind the hung run: a cancel reaching its handler would show too. */
let sweepId: string;
let sweepRunId: string;

/** Ids to fill a route's `:id` with: sweeps for sweep routes, runs for the rest. */
function idsFor(url: string): string[] {
  return url.startsWith('/api/sweeps/') ? [sweepId] : [queuedId, hungId];
}

beforeAll(async () => {
  routes = await appRouteTable();
  server = await spawnServer({ store: store.path, token, args: [...hang.serverArgs, '--cancel-grace-ms', '500'] });
  hungId = (await server.client.submitRun(hang.config)).id;
  queuedId = (await server.client.submitRun(hang.config)).id;
  sweepId = (
    await server.client.createSweep({
      base: tinyServerRun(),
      parameters: { 'pretrain.temperature': { values: [0.2, 0.5] } },
      objective: { metric: 'pretrain.knnAccuracy', goal: 'maximize' },
    })
  ).id;
  for (;;) {
    const runId = (await server.client.getSweep(sweepId)).trials[0]?.runId;
    if (runId) {
      sweepRunId = runId;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
});

afterAll(async () => {
  await server?.stop();
  store.remove();
  hang.remove();
});

/** Spellings of one path that a lax server might route to the same handler. */
function spellings(path: string, host: string): string[] {
  const percentEncoded = path.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`);
  const allEncoded = path.replace(/[a-z]/gi, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return [
    path,
    percentEncoded,
    allEncoded,
    `http://${host}${path}`,
    `HTTP://${host}${percentEncoded}`,
    `/x/..${path}`,
    `/.${path}`,
    `/x/%2e%2e${path}`,
    `/${path}`,
    path.replace('/', '//').replace(/\/(?=[^/]*$)/, '//'),
    path.toUpperCase(),
    `${path}?x=1`,
    `${path}/`,
    `${path}#frag`,
    `${path.replace('/api', '/api/.')}`,
  ];
}

describe('auth on every route', () => {
  it('reads a non-trivial route table from the server', () => {
    const keys = routes.map((r) => `${r.method} ${r.url}`);
    for (const expected of [
      'GET /api/health',
      'GET /api/runs',
      'POST /api/runs',
      'POST /api/runs/:id/cancel',
      'GET /api/runs/:id/checkpoint',
      'POST /api/sweeps',
      'GET /api/sweeps/:id',
      'POST /api/sweeps/:id/cancel',
      'GET /api/sweeps/:id/events',
    ])
      expect(keys).toContain(expected);
  });

  it('never answers 2xx without the token or with a wrong one, whatever the spelling', async () => {
    const host = new URL(server.url).host;
    const failures: string[] = [];
    let tried = 0;
    for (const route of routes) {
      for (const id of idsFor(route.url)) {
        const path = fillRoute(route.url, id);
        for (const target of spellings(path, host)) {
          for (const authorization of [
            undefined,
            `Bearer ${token}x`,
            `Bearer ${token.slice(0, -1)}`,
            'Basic Zm9vOmJhcg==',
            `bearer  ${token} extra`,
          ]) {
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (authorization) headers.authorization = authorization;
            const response = await rawRequest(server.url, {
              method: route.method,
              target,
              headers,
              body: route.method === 'GET' || route.method === 'HEAD' ? undefined : '{}',
            });
            tried++;
            if (!refusedBeforeAnyHandler(route.method, response))
              failures.push(
                `${route.method} ${target} (${authorization ?? 'no token'}) → ${response.status} ${response.text.slice(0, 120)}`,
              );
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(tried).toBeGreaterThan(500);
    // Nothing was created and nothing was cancelled.
    const runs = await server.client.allRuns();
    expect(runs.map((r) => r.id).sort()).toEqual([hungId, queuedId, sweepRunId].sort());
    expect((await server.client.getRun(queuedId)).status).toBe('queued');
    expect((await server.client.listSweeps()).map((s) => [s.id, s.status])).toEqual([[sweepId, 'running']]);
    expect((await server.client.getRun(sweepRunId)).status).toBe('queued');
  });

  it('serves the same routes with the token (so the refusals above are the guard, not a broken route)', async () => {
    const checked: string[] = [];
    for (const route of routes.filter((r) => r.method === 'GET' && !r.url.includes('checkpoint') && !r.url.includes('events'))) {
      const response = await rawRequest(server.url, {
        target: fillRoute(route.url, idsFor(route.url)[0]),
        headers: { authorization: `Bearer ${token}` },
      });
      // The queued run's 0.25× network has no official-trainer equivalent: that handler answers 422 with the reason.
      expect(response.status, route.url).toBe(route.url.endsWith('/official-trainer') ? 422 : 200);
      checked.push(route.url);
    }
    expect(checked).toContain('/api/runs/:id');
    expect(checked).toContain('/api/sweeps/:id');
    // The percent-encoded spelling is the same route: it works with the token, and only with it.
    expect((await rawRequest(server.url, { target: '/%61pi/runs', headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('hides which paths exist from a client without the token', async () => {
    const known = await rawRequest(server.url, { target: '/api/runs' });
    const unknown = await rawRequest(server.url, { target: '/api/no-such-route' });
    const outside = await rawRequest(server.url, { target: '/etc/passwd' });
    for (const response of [known, unknown, outside]) {
      expect(response.status).toBe(401);
      expect(JSON.parse(response.text)).toEqual({ error: 'missing bearer token (Authorization: Bearer <token>)' });
    }
    expect((await rawRequest(server.url, { target: '/api/no-such-route', headers: { authorization: `Bearer ${token}` } })).status).toBe(
      404,
    );
  });
});

/** 401 from the guard, 400 from the request-target check, or 404/405 for a HEAD twin's body-less answer. */
function refusedBeforeAnyHandler(method: string, response: RawResponse): boolean {
  if (response.status === 401) return method === 'HEAD' || /token/.test(JSON.parse(response.text).error as string);
  if (response.status === 400) return method === 'HEAD' || /^bad request target: /.test(JSON.parse(response.text).error as string);
  return false;
}
