import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { RunConfigInput } from '../../core/config';
import { buildApp } from './app';
import { SqliteRunStore } from '../store/runStore';
import { idleRunQueue, tempDir, tinyServerRun } from '../testSupport';
import { routeTable, type RouteEntry } from './secureFastify';

/** Helpers for the security tests: raw HTTP (any target, any Host), the route table, a run that hangs. */

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One HTTP/1.1 request with the target sent exactly as given (fetch would normalise dot segments and
 * refuse a Host header); `host` overrides the Host header.
 */
export function rawRequest(
  baseUrl: string,
  options: { method?: string; target: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  // Node sends a DELETE body without framing unless told its length; the server would then read it as a second request.
  const headers =
    options.body === undefined ? options.headers : { 'content-length': String(Buffer.byteLength(options.body)), ...options.headers };
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: Number(url.port),
        method: options.method ?? 'GET',
        path: options.target,
        headers,
        setHost: !options.headers?.host,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The routes the server registers, read from a real app's route table (no listening socket). */
export async function appRouteTable(): Promise<RouteEntry[]> {
  const dir = tempDir('simclr-routes-');
  const store = new SqliteRunStore(dir.path);
  const app = buildApp({ store, queue: idleRunQueue, version: '0.0.0', token: 'route-table-token', corsOrigins: [], dataRoots: {} });
  try {
    await app.ready();
    return [...routeTable(app)];
  } finally {
    await app.close();
    store.close();
    dir.remove();
  }
}

/** Fills each `:param` of a route pattern. */
export function fillRoute(url: string, value: string): string {
  return url.replace(/:[A-Za-z_]+/g, encodeURIComponent(value));
}

/**
 * A data root whose subset list is a named pipe nobody writes to: a run using it blocks its runner's
 * thread in the read (as a hung network file system would), so the runner never hears a cancel.
 * Costs no CPU while it hangs.
 */
export function hangingImageNet(): { root: string; subsets: string; serverArgs: string[]; config: RunConfigInput; remove(): void } {
  const dir = tempDir('simclr-hang-');
  const root = join(dir.path, 'imagenet');
  const subsets = join(dir.path, 'subsets');
  mkdirSync(join(root, 'train'), { recursive: true });
  mkdirSync(subsets, { recursive: true });
  execFileSync('mkfifo', [join(root, 'hang.txt')]);
  const tiny = tinyServerRun();
  return {
    root,
    subsets,
    serverArgs: ['--data', `imagenet=${root}`, '--subsets', subsets],
    config: {
      ...tiny,
      dataset: { name: 'imagenet', path: 'imagenet', subsetList: 'imagenet/hang.txt', trainSize: 8, testSize: 8, imageSize: 16 },
    },
    remove: dir.remove,
  };
}
