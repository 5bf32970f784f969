import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rawRequest, type RawResponse } from './http/securityTestSupport';
import { spawnServer, tempDir, type SpawnedServer } from './testSupport';

// Spawned processes share two cores with the rest of the suite: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });

// Validation with no gaps (bodies, dataset fields, paths through symbolic links) and one error shape
// for every failure, Fastify's and Node's own included; no answer shows a server path.

const token = 'validation-token-0123456789';
const store = tempDir('simclr-server-validation-');
const data = tempDir('simclr-server-validation-data-');
const outside = tempDir('simclr-server-validation-outside-');
const imagenet = join(data.path, 'imagenet');
const subsets = join(data.path, 'subsets');
let server: SpawnedServer;
/** Every answer of this file, to check none shows a server path. */
const seen: string[] = [];

beforeAll(async () => {
  mkdirSync(join(imagenet, 'train'), { recursive: true });
  mkdirSync(subsets, { recursive: true });
  writeFileSync(join(subsets, 'mine.txt'), 'n01_1.JPEG\n');
  writeFileSync(join(imagenet, 'list.txt'), 'n01_1.JPEG\n');
  mkdirSync(join(outside.path, 'secret'), { recursive: true });
  writeFileSync(join(outside.path, 'secret.txt'), 'x\n');
  symlinkSync(outside.path, join(imagenet, 'escape'));
  symlinkSync(join(outside.path, 'secret.txt'), join(imagenet, 'escape.txt'));
  symlinkSync(join(outside.path, 'nothing-here'), join(imagenet, 'dangling'));
  server = await spawnServer({
    store: store.path,
    token,
    args: ['--data', `imagenet=${imagenet}`, '--subsets', subsets, '--body-limit', '4096'],
  });
});

afterAll(async () => {
  await server?.stop();
  for (const dir of [store, data, outside]) dir.remove();
});

async function send(method: string, target: string, body?: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const response = await rawRequest(server.url, {
    method,
    target,
    body,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
  });
  seen.push(response.text);
  return response;
}

/** The documented error shape: {error: non-empty string, issues?: [{path, message}]}, nothing else. */
function expectErrorShape(response: RawResponse): { error: string; issues?: { path: string; message: string }[] } {
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  const body = JSON.parse(response.text) as { error: string; issues?: { path: string; message: string }[] };
  expect(Object.keys(body).filter((k) => k !== 'error' && k !== 'issues')).toEqual([]);
  expect(typeof body.error).toBe('string');
  expect(body.error.length).toBeGreaterThan(0);
  for (const issue of body.issues ?? []) expect(Object.keys(issue).sort()).toEqual(['message', 'path']);
  expect(response.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  return body;
}

async function issuesOf(body: unknown): Promise<{ path: string; message: string }[]> {
  const response = await send('POST', '/api/runs', JSON.stringify(body));
  expect(response.status, JSON.stringify(body)).toBe(400);
  return expectErrorShape(response).issues ?? [];
}

describe('bodies', () => {
  it('refuses null, an empty body and non-objects on the config routes instead of taking defaults', async () => {
    for (const target of ['/api/runs', '/api/export/official-trainer']) {
      for (const [text, got] of [
        ['null', 'null'],
        ['', 'an empty body'],
        ['[]', 'an array'],
        ['1', 'a number'],
        ['"x"', 'a string'],
        ['true', 'a boolean'],
      ]) {
        const response = await send('POST', target, text);
        expect(response.status, `${target} ${text}`).toBe(400);
        expect(expectErrorShape(response)).toEqual({
          error: 'invalid run config',
          issues: [{ path: '', message: `expected a JSON object ({} for all defaults), got ${got}` }],
        });
      }
    }
    // {} is a valid body (all defaults); the default 0.25× width then has no official equivalent: 422, not 400.
    expect((await send('POST', '/api/export/official-trainer', '{}')).status).toBe(422);
    expect((await send('POST', '/api/export/official-trainer', '{"model":{"widthMultiplier":1}}')).status).toBe(200);
  });

  it('takes no body on cancel, or {}', async () => {
    for (const text of ['{"force":true}', '[]', 'null', '0']) {
      const response = await send('POST', '/api/runs/nope/cancel', text);
      expect(response.status, text).toBe(400);
      expect(expectErrorShape(response).error).toBe('this request takes no body');
    }
    for (const text of [undefined, '{}']) expect((await send('POST', '/api/runs/nope/cancel', text)).status).toBe(404);
  });
});

describe('dataset fields', () => {
  it('refuses a path or a subset list the dataset would ignore', async () => {
    for (const name of ['cifar10', 'mnist', 'shapes']) {
      expect(await issuesOf({ dataset: { name, path: 'imagenet' } })).toEqual([
        { path: 'dataset.path', message: `only the folder and imagenet datasets read a path; remove it for ${name}` },
      ]);
    }
    for (const name of ['cifar10', 'folder']) {
      const issues = await issuesOf({
        dataset: { name, path: name === 'folder' ? 'imagenet/train' : null, subsetList: 'subsets/mine.txt' },
      });
      expect(issues).toEqual([
        { path: 'dataset.subsetList', message: `only the imagenet dataset reads a subset list; remove it for ${name}` },
      ]);
    }
  });

  it("refuses '..' in paths and subset lists, even when they stay inside a root", async () => {
    for (const subsetList of [
      'subsets/..',
      'subsets/../subsets/mine.txt',
      'imagenet/train/../list.txt',
      '../subsets/mine.txt',
      'subsets\\..\\mine.txt',
    ]) {
      expect(await issuesOf({ dataset: { name: 'imagenet', subsetList } }), subsetList).toEqual([
        { path: 'dataset.subsetList', message: "must not contain '..' segments" },
      ]);
    }
    expect(await issuesOf({ dataset: { name: 'imagenet', path: 'imagenet/train/..' } })).toEqual([
      { path: 'dataset.path', message: "must not contain '..' segments" },
    ]);
  });

  it('refuses paths through symbolic links out of a data root, at submission', async () => {
    const out = 'leads outside the configured data roots (through a symbolic link)';
    expect(await issuesOf({ dataset: { name: 'imagenet', path: 'imagenet/escape' } })).toEqual([{ path: 'dataset.path', message: out }]);
    // The old gap: a path under the link that does not exist (yet) was not resolved.
    expect(await issuesOf({ dataset: { name: 'imagenet', path: 'imagenet/escape/not-yet' } })).toEqual([
      { path: 'dataset.path', message: out },
    ]);
    expect(await issuesOf({ dataset: { name: 'folder', path: 'imagenet/escape/secret' } })).toEqual([
      { path: 'dataset.path', message: out },
    ]);
    expect(await issuesOf({ dataset: { name: 'imagenet', subsetList: 'imagenet/escape.txt' } })).toEqual([
      { path: 'dataset.subsetList', message: out },
    ]);
    expect(await issuesOf({ dataset: { name: 'imagenet', path: `${imagenet}/escape` } })).toEqual([{ path: 'dataset.path', message: out }]);
    expect(await issuesOf({ dataset: { name: 'imagenet', path: outside.path } })).toEqual([
      { path: 'dataset.path', message: 'is outside the configured data roots' },
    ]);
  });

  it('refuses paths that do not exist or are of the wrong kind, naming them relative to their root', async () => {
    expect(await issuesOf({ dataset: { name: 'imagenet', path: 'imagenet/nope' } })).toEqual([
      { path: 'dataset.path', message: 'imagenet/nope does not exist' },
    ]);
    expect(await issuesOf({ dataset: { name: 'imagenet', path: 'imagenet/dangling' } })).toEqual([
      { path: 'dataset.path', message: 'imagenet/dangling does not exist' },
    ]);
    expect(await issuesOf({ dataset: { name: 'imagenet', path: `${imagenet}/list.txt` } })).toEqual([
      { path: 'dataset.path', message: 'imagenet/list.txt is not a folder' },
    ]);
    expect(await issuesOf({ dataset: { name: 'imagenet', subsetList: 'subsets/other.txt' } })).toEqual([
      { path: 'dataset.subsetList', message: 'subsets/other.txt does not exist' },
    ]);
    expect(await issuesOf({ dataset: { name: 'imagenet', subsetList: 'imagenet/train' } })).toEqual([
      { path: 'dataset.subsetList', message: 'imagenet/train is a folder, not a file' },
    ]);
  });

  it('accepts good paths (a run is stored and queued; it fails later, see "never shows a server path")', async () => {
    const response = await send(
      'POST',
      '/api/runs',
      JSON.stringify({
        dataset: { name: 'imagenet', path: 'imagenet', subsetList: 'subsets/mine.txt', trainSize: 8, testSize: 8, imageSize: 16 },
        pretrain: { enabled: false },
        finetune: { enabled: false },
        distill: { enabled: false },
      }),
    );
    expect(response.status, response.text).toBe(201);
  });
});

describe('one error shape', () => {
  it("answers Fastify's own errors as {error, issues?} with nosniff", async () => {
    const cases: [RawResponse, number][] = [
      [await send('POST', '/api/runs', '{"seed": '), 400],
      [await send('POST', '/api/runs', JSON.stringify({ dataset: { path: 'x'.repeat(5000) } })), 413],
      [await send('POST', '/api/runs', '{}', { 'content-type': 'text/plain' }), 415],
      [await send('POST', '/api/runs', '{}', { 'content-type': 'application/jsonx' }), 415],
      [await send('GET', '/api/nothing'), 404],
      [await send('DELETE', '/api/nothing'), 404],
      [await send('GET', `/api/runs/${'a'.repeat(500)}`), 414],
      [await send('GET', '/api/runs/%E0%A4%A'), 400],
      [await send('GET', 'http://x/api/runs'), 400],
      [await send('GET', '/api/runs?status=bogus'), 400],
      [await send('POST', '/api/runs', '{"a":1}', { 'content-length': '3' }), 400],
    ];
    for (const [response, status] of cases) {
      expect(response.status, response.text).toBe(status);
      expectErrorShape(response);
    }
  });

  it("answers Node's HTTP parser errors in the same shape", async () => {
    const malformed = await rawSocket('GARBAGE\r\n\r\n');
    const tooLarge = await rawSocket(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`);
    for (const [text, status] of [
      [malformed, 400],
      [tooLarge, 431],
    ] as const) {
      const [head, body] = text.split('\r\n\r\n');
      expect(head).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
      expect(head).toMatch(/x-content-type-options: nosniff/i);
      expect(Object.keys(JSON.parse(body))).toEqual(['error']);
    }
  });

  it('puts nosniff on every answer, successes and streams included', async () => {
    expect((await send('GET', '/api/health')).headers['x-content-type-options']).toBe('nosniff');
    expect((await send('GET', '/api/runs')).headers['x-content-type-options']).toBe('nosniff');
    const [run] = JSON.parse((await send('GET', '/api/runs')).text).runs as { id: string }[];
    const stream = await send('GET', `/api/runs/${run.id}/events`);
    expect(stream.headers['x-content-type-options']).toBe('nosniff');
    // The run has ended by now (its stream closed). Its root has no val/ folder: the loader's error
    // names the root by its server path, and the client sees it relative to the root.
    const record = JSON.parse((await send('GET', `/api/runs/${run.id}`)).text) as { status: string; error: string };
    expect(record).toMatchObject({ status: 'failed', error: 'imagenet has no val/ folder (expected val/<wnid>/*.JPEG)' });
  });

  it('never shows a server path', () => {
    expect(seen.length).toBeGreaterThan(40);
    for (const text of seen) {
      for (const path of [data.path, outside.path, store.path, process.cwd()]) expect(text).not.toContain(path);
    }
  });
});

function rawSocket(payload: string): Promise<string> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(payload));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}
