import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnProcess, spawnServer, tempDir, type SpawnedServer } from './testSupport';

// Spawned processes share two cores with the rest of the suite: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });

// The HTTP surface of a real server process: auth, validation, CORS, startup refusals.

const token = 'test-token-0123456789';
let server: SpawnedServer;
const store = tempDir('simclr-server-http-');
const data = tempDir('simclr-server-data-');

beforeAll(async () => {
  server = await spawnServer({
    store: store.path,
    token,
    args: ['--origin', 'http://lab.example', '--data', `imagenet=${data.path}`, '--body-limit', '4096'],
  });
});

afterAll(async () => {
  await server?.stop();
  store.remove();
  data.remove();
});

function api(path: string, init: RequestInit & { auth?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const auth = init.auth === undefined ? `Bearer ${token}` : init.auth;
  if (auth !== null) headers.set('authorization', auth);
  return fetch(`${server.url}${path}`, { ...init, headers });
}

function post(path: string, body: string): Promise<Response> {
  return api(path, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
}

describe('auth', () => {
  it('refuses a request without a token, or with a wrong one, on every /api route', async () => {
    for (const path of ['/api/health', '/api/runs', '/api/runs/x', '/api/runs/x/events']) {
      const missing = await api(path, { auth: null });
      expect(missing.status, path).toBe(401);
      expect((await missing.json()).error).toMatch(/missing bearer token/);
      const wrong = await api(path, { auth: `Bearer ${token}x` });
      expect(wrong.status, path).toBe(401);
      expect((await wrong.json()).error).toBe('wrong token');
    }
    expect((await api('/api/health', { auth: token })).status).toBe(401);
  });

  it('answers health with the version, backend and queue state', async () => {
    const health = await server.client.health();
    expect(health.name).toBe('simclr-lab-server');
    expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof health.backend).toBe('string');
    expect(health.queue).toMatchObject({ mode: 'in-process', concurrency: 1 });
    expect(health.auth).toBe(true);
  });
});

describe('validation', () => {
  it('names each bad field of a run config', async () => {
    const response = await post('/api/runs', JSON.stringify({ pretrain: { temperature: -1 }, model: { depth: 19 }, bogus: 1 }));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { issues: { path: string; message: string }[] };
    expect(body.issues.map((i) => i.path).sort()).toEqual(['bogus', 'model.depth', 'pretrain.temperature']);
    for (const issue of body.issues) expect(issue.message.length).toBeGreaterThan(0);
  });

  it('rejects malformed JSON with 400 and keeps serving', async () => {
    for (const body of ['{"seed": ', 'not json', '[1,2', '{"a":1}}']) {
      const response = await post('/api/runs', body);
      expect(response.status, body).toBe(400);
      expect((await response.json()).error).toMatch(/malformed JSON/);
    }
    expect((await api('/api/health')).status).toBe(200);
  });

  it('wants JSON', async () => {
    const response = await api('/api/runs', { method: 'POST', body: 'seed=1', headers: { 'content-type': 'text/plain' } });
    expect(response.status).toBe(415);
  });

  it('rejects a non-object config and an oversized body', async () => {
    const array = await post('/api/runs', '[1]');
    expect(array.status).toBe(400);
    const big = await post('/api/runs', JSON.stringify({ dataset: { path: 'x'.repeat(10_000) } }));
    expect(big.status).toBe(413);
    expect((await api('/api/health')).status).toBe(200);
  });

  it('confines dataset paths to the data roots', async () => {
    for (const path of ['../../etc', '/etc/passwd', 'imagenet/../../etc', 'nosuchroot/train']) {
      const response = await post('/api/runs', JSON.stringify({ dataset: { name: 'imagenet', path } }));
      expect(response.status, path).toBe(400);
      const body = (await response.json()) as { issues: { path: string }[] };
      expect(
        body.issues.map((i) => i.path),
        path,
      ).toEqual(['dataset.path']);
    }
    const list = await post('/api/runs', JSON.stringify({ dataset: { name: 'imagenet', subsetList: '/etc/passwd' } }));
    expect(list.status).toBe(400);
    expect(((await list.json()) as { issues: { path: string }[] }).issues[0].path).toBe('dataset.subsetList');
  });

  it('answers 404 for unknown runs and routes, 400 for a bad status filter', async () => {
    expect((await api('/api/runs/nope')).status).toBe(404);
    expect((await api('/api/runs/nope/events')).status).toBe(404);
    expect((await api('/api/runs/nope/checkpoint')).status).toBe(404);
    expect((await api('/api/runs/nope/cancel', { method: 'POST', headers: { 'content-type': 'application/json' } })).status).toBe(404);
    expect((await api('/api/nothing')).status).toBe(404);
    expect((await api('/api/runs?status=bogus')).status).toBe(400);
  });
});

describe('CORS', () => {
  it('allows only the configured origins, preflight included', async () => {
    const allowed = await api('/api/health', { headers: { origin: 'http://lab.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://lab.example');
    const other = await api('/api/health', { headers: { origin: 'http://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${server.url}/api/runs`, {
      method: 'OPTIONS',
      headers: { origin: 'http://lab.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
  });
});

describe('official trainer export', () => {
  it('gives the tf2/run.py flags and lists the fields without an equivalent', async () => {
    const exported = await server.client.officialTrainerExport({
      dataset: { name: 'cifar10', trainSize: null, testSize: null },
      model: { widthMultiplier: 1 },
    });
    expect(exported.commands.map((c) => c.stage)).toEqual(['pretrain', 'finetune']);
    expect(exported.commands[0].argv).toContain('--dataset=cifar10');
    expect(exported.unmapped.map((u) => u.path)).toContain('distill.temperature');
  });

  it('answers 422 naming each field the official trainer cannot run', async () => {
    const response = await post(
      '/api/export/official-trainer',
      JSON.stringify({ dataset: { name: 'cifar10' }, model: { widthMultiplier: 0.5 }, pretrain: { colorJitterStrength: 2 } }),
    );
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: string; issues: { path: string; message: string }[] };
    expect(body.error).toMatch(/official trainer cannot run/);
    expect(body.issues.map((i) => i.path).sort()).toEqual(['model.widthMultiplier', 'pretrain.colorJitterStrength']);
  });
});

describe('startup', () => {
  it('refuses a non-loopback host without a token', async () => {
    const child = spawnProcess(['src/server/main.ts', '--host', '0.0.0.0', '--port', '0', '--store', store.path]);
    expect(await child.exited).toBe(2);
    expect(child.output()).toMatch(/refusing to listen on 0\.0\.0\.0 without --token/);
  });

  it('refuses a store another live server is using', async () => {
    const child = spawnProcess(['src/server/main.ts', '--port', '0', '--store', store.path]);
    expect(await child.exited).toBe(2);
    expect(child.output()).toMatch(new RegExp(`is in use by another server \\(pid ${server.pid}\\)`));
  });

  it('says so when it runs without a token (loopback only)', async () => {
    const openStore = tempDir('simclr-server-open-');
    const open = await spawnServer({ store: openStore.path });
    try {
      expect(open.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
      expect(open.output()).toMatch(/no --token: authentication is off, so the server listens on loopback only/);
      expect((await fetch(`${open.url}/api/health`)).status).toBe(200);
    } finally {
      await open.stop();
      openStore.remove();
    }
  });
});
