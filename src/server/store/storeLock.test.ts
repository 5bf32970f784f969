import { afterEach, describe, expect, it, vi } from 'vitest';
import { acquireStoreLock, StoreLockedError } from './storeLock';
import { spawnProcess, tempDirs, waitFor, type SpawnedProcess } from '../testSupport';

// One server per store: the lock is the operating system's, so simultaneous starts cannot both win.
vi.setConfig({ testTimeout: 600_000 });

const temps = tempDirs();
afterEach(() => temps.removeAll());
const newDir = (): string => temps.make('simclr-lock-');

describe('store lock', () => {
  it('lets one holder in at a time and frees on release', () => {
    const dir = newDir();
    const release = acquireStoreLock(dir);
    expect(() => acquireStoreLock(dir)).toThrow(StoreLockedError);
    expect(() => acquireStoreLock(dir)).toThrow(new RegExp(`in use by another server \\(pid ${process.pid}\\)`));
    release();
    acquireStoreLock(dir)();
  });

  it('lets exactly one of two servers started at the same instant run, pair after pair', async () => {
    const pairs = 10;
    for (let pair = 0; pair < pairs; pair++) {
      const dir = newDir();
      const start = () => spawnProcess(['src/server/main.ts', '--host', '127.0.0.1', '--port', '0', '--store', dir]);
      const servers: SpawnedProcess[] = [start(), start()];
      // The loser exits (code 2); the winner keeps running until stopped.
      const loser = await Promise.race(servers.map((s, k) => s.exited.then(() => k)));
      const winner = servers[1 - loser];
      expect(await servers[loser].exited, servers[loser].output()).toBe(2);
      expect(servers[loser].output()).toMatch(/the store .* is in use by another server( \(pid \d+\))?; stop it first/);
      expect(servers[loser].output()).not.toMatch(/\n\s+at /);
      await waitFor(winner, /listening on http:\/\/127\.0\.0\.1:\d+/, 120_000);
      const pid = Number(await waitFor(winner, /\(pid (\d+)\)/, 1000));
      process.kill(pid, 'SIGTERM');
      await winner.exited;
    }
  });

  it('is free again at once after its holder is killed with -9', async () => {
    const dir = newDir();
    const first = spawnProcess(['src/server/main.ts', '--host', '127.0.0.1', '--port', '0', '--store', dir]);
    const pid = Number(await waitFor(first, /listening on \S+ \(pid (\d+)\)/, 120_000));
    process.kill(pid, 'SIGKILL');
    await first.exited;
    const second = spawnProcess(['src/server/main.ts', '--host', '127.0.0.1', '--port', '0', '--store', dir]);
    const secondPid = Number(await waitFor(second, /listening on \S+ \(pid (\d+)\)/, 120_000));
    process.kill(secondPid, 'SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
