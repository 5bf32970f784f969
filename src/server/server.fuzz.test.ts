import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { configFieldPaths } from '../core/config';
import { emptyBody, runConfigBody } from './http/requestBody';
import { appRouteTable, fillRoute, hangingImageNet, rawRequest } from './http/securityTestSupport';
import type { RouteEntry } from './http/secureFastify';
import { spawnServer, tempDir, type SpawnedServer } from './testSupport';

// Spawned processes share two cores with the rest of the suite: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 180_000 });

// Generated bodies against every write route of the route table (a route added later is fuzzed too):
// a 2xx only for a body the route's own check accepts, otherwise a 4xx in the documented shape; never
// a 5xx; the server healthy and its memory flat afterwards. Accepted runs queue behind a hung one, so
// the fuzz never starts training.

const token = 'fuzz-token-0123456789';
const store = tempDir('simclr-server-fuzz-');
const hang = hangingImageNet();
const runsPerRoute = 200;
let server: SpawnedServer;
let writeRoutes: RouteEntry[];
let finishedId: string;

beforeAll(async () => {
  writeRoutes = (await appRouteTable()).filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method));
  server = await spawnServer({ store: store.path, token, args: ['--concurrency', '1', ...hang.serverArgs] });
  await server.client.submitRun(hang.config);
  finishedId = (await server.client.submitRun(hang.config)).id;
  await server.client.cancelRun(finishedId);
});

afterAll(async () => {
  await server?.stop();
  store.remove();
  hang.remove();
});

const leaf = fc.oneof(
  fc.integer({ min: -3, max: 300 }),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 16 }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    'imagenet',
    'imagenet/train',
    'imagenet/hang.txt',
    '../etc',
    '/etc/passwd',
    'subsets/..',
    'imagenet/../..',
    'imagenet\0',
    '~',
    'folder',
    'cifar10',
    'shapes',
    '',
  ),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

/** Objects shaped like a RunConfig: real field paths (and a few hostile keys) with arbitrary values. */
const configLike = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(...configFieldPaths),
        fc.constantFrom('__proto__.polluted', 'constructor.prototype.x', 'dataset.__proto__', 'bogus', 'model'),
      ),
      leaf,
    ),
    { maxLength: 6 },
  )
  .map((entries) => {
    const body: Record<string, unknown> = {};
    for (const [path, value] of entries) putOwn(body, path.split('.'), value);
    return JSON.stringify(body);
  });

/**
 * Sets a nested value with own properties only, so that keys like `__proto__` end up in the JSON text
 * (as an attacker would send them) instead of polluting this test process's prototypes.
 */
function putOwn(target: Record<string, unknown>, keys: string[], value: unknown): void {
  const [key, ...rest] = keys;
  const own = Object.hasOwn(target, key) ? target[key] : undefined;
  const child = rest.length === 0 ? value : typeof own === 'object' && own !== null && !Array.isArray(own) ? own : {};
  if (rest.length > 0) putOwn(child as Record<string, unknown>, rest, value);
  Object.defineProperty(target, key, { value: child, enumerable: true, writable: true, configurable: true });
}

const bodyText = fc.oneof(
  { weight: 5, arbitrary: configLike },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 120 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      'null',
      '[]',
      '{}',
      '{"__proto__":{"polluted":1}}',
      '{"seed":1e309}',
      '['.repeat(64),
      `{"a":${'['.repeat(40)}${']'.repeat(40)}}`,
      '\u0000',
      '"\\ud800"',
    ),
  },
);

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json-patch+json',
      '',
    ),
  },
);

function parsedOrInvalid(text: string): { parsed: unknown } | null {
  if (text.trim() === '') return { parsed: undefined };
  try {
    return { parsed: JSON.parse(text) };
  } catch {
    return null;
  }
}

function serverRssBytes(): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

describe('generated bodies on every write route', () => {
  it('finds the write routes in the route table', () => {
    const keys = writeRoutes.map((r) => `${r.method} ${r.url}`);
    for (const route of ['POST /api/runs', 'POST /api/runs/:id/cancel', 'POST /api/export/official-trainer']) expect(keys).toContain(route);
  });

  it(`answers ${runsPerRoute} bodies per route with a 4xx in the documented shape (or a 2xx the route's check allows), never a 5xx`, async () => {
    const rssBefore = serverRssBytes();
    const statuses = new Map<number, number>();
    for (const route of writeRoutes) {
      const isConfigRoute = !route.url.includes(':');
      await fc.assert(
        fc.asyncProperty(bodyText, contentType, fc.constantFrom(finishedId, 'r-no-such-run'), async (text, type, id) => {
          const headers: Record<string, string> = { authorization: `Bearer ${token}` };
          if (type) headers['content-type'] = type;
          const response = await rawRequest(server.url, { method: route.method, target: fillRoute(route.url, id), headers, body: text });
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const where = `${route.method} ${route.url} ${type} ${JSON.stringify(text).slice(0, 200)} → ${response.status} ${response.text.slice(0, 200)}`;
          expect(response.status, where).toBeLessThan(500);
          if (response.status < 300) {
            const json = /^application\/json(;|$)/i.test(type);
            const body = parsedOrInvalid(text);
            const allowed = json && body !== null && (isConfigRoute ? runConfigBody(body.parsed).ok : emptyBody(body.parsed).ok);
            expect(allowed, where).toBe(true);
            return;
          }
          expect(response.status, where).toBeGreaterThanOrEqual(400);
          expect(response.headers['x-content-type-options'], where).toBe('nosniff');
          const error = JSON.parse(response.text) as Record<string, unknown>;
          expect(typeof error.error, where).toBe('string');
          expect(
            Object.keys(error).every((k) => k === 'error' || k === 'issues'),
            where,
          ).toBe(true);
          if (error.issues !== undefined) {
            expect(Array.isArray(error.issues), where).toBe(true);
            for (const issue of error.issues as Record<string, unknown>[])
              expect([typeof issue.path, typeof issue.message], where).toEqual(['string', 'string']);
          }
          expect(response.text, where).not.toMatch(/\n\s+at |node_modules|\/tmp\/|\/work\//);
        }),
        { numRuns: runsPerRoute, seed: 9, endOnFailure: true },
      );
    }
    // Mostly refusals, and more than one kind of them (the generator reaches past the first check).
    expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThanOrEqual(3);

    const health = await server.client.health();
    expect(health.name).toBe('simclr-lab-server');
    // No `__proto__` body polluted the server's prototypes: a plain config still parses and exports there
    // (width 1: the default 0.25× network has no official equivalent and is refused with 422).
    const empty = await rawRequest(server.url, {
      method: 'POST',
      target: '/api/export/official-trainer',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"model":{"widthMultiplier":1}}',
    });
    expect(empty.status, empty.text).toBe(200);
    const rssAfter = serverRssBytes();
    if (rssBefore !== null && rssAfter !== null) {
      console.log(
        `server RSS: ${(rssBefore / 2 ** 20).toFixed(1)} MiB before, ${(rssAfter / 2 ** 20).toFixed(1)} MiB after ${runsPerRoute * writeRoutes.length} requests; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
      );
      expect(rssAfter - rssBefore).toBeLessThan(96 * 2 ** 20);
    }
  });
});
