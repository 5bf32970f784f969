import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { RunConfigInput } from '../core/config';
import { parseRunConfig } from '../core/config';
import { SimclrServerClient } from '../protocol/serverClient';
import type { RunQueue } from './queue/runQueue';
import { SqliteRunStore } from './store/runStore';
import type { StoredEvent } from '../protocol/serverApi';

import { freePort } from '../node/freePort';
import { tempDir, tempDirs } from '../testing/tempDir';
import { tinyRunWith } from '../testing/tinyRun';

export { buildTinyImageNet, type TinyImageNet } from '../node/tinyImageNet';
export { freePort, tempDir, tempDirs };

/** Helpers for the server's tests: real processes on 127.0.0.1, temp stores, tiny runs. */

export interface SpawnedProcess {
  proc: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export function spawnProcess(args: string[], env: Record<string, string> = {}): SpawnedProcess {
  const proc = spawn('npx', ['tsx', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  proc.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    proc,
    output: () => text,
    exited,
    stop: (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export interface SpawnedServer extends SpawnedProcess {
  url: string;
  /** The server's own pid (npx and tsx sit between it and `proc`). */
  pid: number;
  client: SimclrServerClient;
  /** kill -9 of the server process itself; resolves when the spawned tree has gone. */
  kill9(): Promise<number | string>;
}

/** What a test server runs on: every one has its own store; most have a token. */
export interface ServerStart {
  /** The store folder (--store). */
  store: string;
  /** --token, also given to the returned client; without one, authentication is off (loopback only). */
  token?: string;
  /** 0 (the default): a free port the server picks; a fixed one lets a restarted server be found again. */
  port?: number;
  /** Further command-line flags. */
  args?: string[];
  env?: Record<string, string>;
}

/** Starts `npx tsx src/server/main.ts` on 127.0.0.1 and waits for its "listening on" line. */
export async function spawnServer({ store, token, port = 0, args = [], env = {} }: ServerStart): Promise<SpawnedServer> {
  const flags = ['--port', String(port), '--store', store, ...(token === undefined ? [] : ['--token', token]), ...args];
  const child = spawnProcess(['src/server/main.ts', '--host', '127.0.0.1', ...flags], env);
  const url = await waitFor(child, /listening on (http:\/\/\S+)/, 60_000);
  const pid = Number(await waitFor(child, /listening on \S+ \(pid (\d+)\)/, 1000));
  const signalServer = (signal: NodeJS.Signals) => {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
    return child.exited;
  };
  return {
    ...child,
    url,
    pid,
    client: new SimclrServerClient({ baseUrl: url, token: token ?? null }),
    stop: (signal = 'SIGTERM') => signalServer(signal),
    kill9: () => signalServer('SIGKILL'),
  };
}

/**
 * A server that a test kills and starts again: each start runs on the same store, token and port, so
 * clients (and their reconnecting streams) find the restarted one. `close()` (for afterAll) stops
 * whichever one runs and removes the store.
 */
export function restartableServer(prefix: string, token: string): { start(): Promise<SpawnedServer>; close(): Promise<void> } {
  const store = tempDir(prefix);
  let port: number | null = null;
  let current: SpawnedServer | null = null;
  return {
    start: async () => {
      port ??= await freePort();
      current = await spawnServer({ store: store.path, token, port });
      return current;
    },
    close: async () => {
      await current?.stop();
      store.remove();
    },
  };
}

/** Waits until the process prints a line matching `pattern`; returns the first capture group. */
export async function waitFor(child: SpawnedProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(child.output());
    if (match) return match[1] ?? match[0];
    if (child.proc.exitCode !== null || child.proc.signalCode !== null)
      throw new Error(`process exited before printing ${pattern}:\n${child.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The tests' tiny run as the server's tests submit it: half the images, smaller batches, pretraining alone by default. */
export function tinyServerRun(
  overrides: { pretrainEpochs?: number; finetune?: boolean; seed?: number; trainSize?: number } = {},
): RunConfigInput {
  return tinyRunWith({
    seed: overrides.seed ?? 1,
    dataset: { trainSize: overrides.trainSize ?? 32, testSize: 16 },
    model: { depth: 18, projectionLayers: 1 },
    pretrain: { epochs: overrides.pretrainEpochs ?? 1, batchSize: 8, knnK: 5 },
    finetune: {
      enabled: overrides.finetune ?? false,
      batchSize: 8,
      fromProjectionLayer: 1,
      baseline: false,
    },
    distill: { enabled: false },
  });
}

/** Collects a run's events until its terminal status. */
export async function collectEvents(client: SimclrServerClient, id: string, lastEventId = 0): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for await (const stored of client.events(id, { lastEventId, retryMs: 200 })) events.push(stored);
  return events;
}

/**
 * A store holding one finished run of `count` events (metric events of a realistic size between
 * its status events), written straight into SQLite in one transaction: appending them one by one
 * would commit (and fsync) each. Returns the run's id.
 */
export function storeWithLongRun(dir: string, count: number, status: 'succeeded' | 'running' = 'succeeded'): string {
  const store = new SqliteRunStore(dir);
  const run = store.createRun(parseRunConfig({ seed: 1 }));
  store.close();
  const db = new Database(join(dir, 'runs.sqlite'));
  const insert = db.prepare('INSERT INTO events (run_id, id, data) VALUES (?, ?, ?)');
  const start = Date.now();
  db.transaction(() => {
    // Event 1 is the 'queued' status createRun wrote.
    insert.run(run.id, 2, JSON.stringify({ type: 'status', time: start, status: 'running', worker: 'local', attempt: 1 }));
    const last = status === 'succeeded' ? count - 1 : count;
    for (let id = 3; id <= last; id++) {
      const step = id - 2;
      insert.run(run.id, id, JSON.stringify(longRunMetric(start, step)));
    }
    if (status === 'succeeded')
      insert.run(run.id, count, JSON.stringify({ type: 'status', time: start + count, status: 'succeeded', attempt: 1 }));
    db.prepare('UPDATE runs SET status = ?, attempts = 1, last_event_id = ?, started_at = ?, finished_at = ? WHERE id = ?').run(
      status,
      count,
      start,
      status === 'succeeded' ? start + count : null,
      run.id,
    );
  })();
  db.close();
  return run.id;
}

function longRunMetric(start: number, step: number) {
  return {
    type: 'metric',
    time: start + step,
    stage: 'pretrain',
    step,
    epoch: step / 390,
    loss: 4 + Math.sin(step) / 3,
    contrastiveAccuracy: 0.5 + Math.cos(step) / 4,
    learningRate: 0.3,
    imagesPerSecond: 1234.5 + (step % 17),
    attempt: 1,
  };
}

/** A queue that never runs anything: for tests that drive an in-process app's store by hand. */
export const idleRunQueue: RunQueue = {
  mode: 'in-process',
  start: async () => undefined,
  submit: async () => undefined,
  cancel: async (run) => run,
  state: async () => ({ mode: 'in-process', concurrency: 1, queued: 0, running: 0 }),
  backend: () => ({ backend: 'none', device: 'none', notices: [] }),
  close: async () => undefined,
};
