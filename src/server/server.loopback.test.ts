import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rawRequest } from './http/securityTestSupport';
import { spawnServer, tempDir, tinyServerRun, type SpawnedServer } from './testSupport';

// Spawned processes share two cores with the rest of the suite: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });

// Loopback mode (no --token) is safe from web pages: a DNS-rebinding page sends its own name as Host,
// and a cross-origin "simple" request cannot carry Content-Type: application/json.

const store = tempDir('simclr-server-loopback-');
let server: SpawnedServer;
let port: string;

beforeAll(async () => {
  server = await spawnServer({ store: store.path });
  port = new URL(server.url).port;
});

afterAll(async () => {
  await server?.stop();
  store.remove();
});

const json = { 'content-type': 'application/json' };

describe('loopback mode', () => {
  it('answers loopback Host names only', async () => {
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `LOCALHOST:${port}`,
      `[::1]:${port}`,
      `[0:0:0:0:0:0:0:1]:${port}`,
      'localhost',
      `127.1.2.3:${port}`,
    ]) {
      expect((await rawRequest(server.url, { target: '/api/health', headers: { host } })).status, host).toBe(200);
    }
    for (const host of [
      `evil.example:${port}`,
      'evil.example',
      `localhost.evil.example:${port}`,
      `127.0.0.1.evil.example:${port}`,
      `[::2]:${port}`,
      `[1::]:${port}`,
      `0.0.0.0:${port}`,
      `10.0.0.1:${port}`,
      `localhost:${port}@evil.example`,
    ]) {
      const response = await rawRequest(server.url, { target: '/api/health', headers: { host } });
      expect(response.status, host).toBe(403);
      expect(JSON.parse(response.text).error, host).toMatch(/answers only requests for localhost, 127\.0\.0\.1 or \[::1\]/);
    }
    // A rebinding page cannot start a run either (refused before the body is looked at).
    const start = await rawRequest(server.url, {
      method: 'POST',
      target: '/api/runs',
      headers: { host: `evil.example:${port}`, ...json },
      body: JSON.stringify(tinyServerRun()),
    });
    expect(start.status).toBe(403);
    expect(await server.client.allRuns()).toEqual([]);
  });

  it('refuses a state-changing request without Content-Type: application/json (cross-origin simple requests)', async () => {
    const origin = { origin: 'http://evil.example' };
    const attempts: { headers: Record<string, string>; body?: string }[] = [
      { headers: origin },
      { headers: { ...origin, 'content-type': 'text/plain' }, body: JSON.stringify(tinyServerRun()) },
      { headers: { ...origin, 'content-type': 'application/x-www-form-urlencoded' }, body: 'seed=1' },
      { headers: { ...origin, 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' },
      { headers: { ...origin, 'content-type': 'text/plain; application/json' }, body: '{}' },
    ];
    for (const target of ['/api/runs', '/api/runs/anything/cancel', '/api/export/official-trainer']) {
      for (const attempt of attempts) {
        const response = await rawRequest(server.url, { method: 'POST', target, ...attempt });
        expect(response.status, `${target} ${JSON.stringify(attempt.headers)}`).toBe(415);
        expect(JSON.parse(response.text)).toEqual({ error: 'POST requests must send Content-Type: application/json' });
        expect(response.headers['access-control-allow-origin']).toBeUndefined();
      }
    }
    for (const method of ['DELETE', 'PUT', 'PATCH']) {
      expect((await rawRequest(server.url, { method, target: '/api/runs/anything', headers: origin })).status, method).toBe(415);
    }
    expect(await server.client.allRuns()).toEqual([]);
    // The same request with the JSON content type is served (nothing else was in the way).
    const exported = await rawRequest(server.url, {
      method: 'POST',
      target: '/api/export/official-trainer',
      headers: { ...json, 'content-type': 'application/json; charset=utf-8' },
      body: '{"model":{"widthMultiplier":1}}',
    });
    expect(exported.status).toBe(200);
  });
});
