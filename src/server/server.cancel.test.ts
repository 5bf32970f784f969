import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hangingImageNet } from './http/securityTestSupport';
import { collectEvents, spawnServer, tempDir, type SpawnedServer } from './testSupport';

// Spawned processes share two cores with the rest of the suite: generous limits, never timing assertions.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });

// Cancel always ends: a runner that cannot hear the cancel (blocked reading a pipe nobody writes) is
// killed after --cancel-grace-ms, the run ends cancelled with that reason, and its queue slot is freed.

const token = 'cancel-token-0123456789';
const store = tempDir('simclr-server-cancel-');
const hang = hangingImageNet();
let server: SpawnedServer;

beforeAll(async () => {
  server = await spawnServer({ store: store.path, token, args: ['--concurrency', '1', '--cancel-grace-ms', '1500', ...hang.serverArgs] });
});

afterAll(async () => {
  await server?.stop();
  store.remove();
  hang.remove();
});

async function waitForStatus(id: string, status: string): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    if ((await server.client.getRun(id)).status === status) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${id} never became ${status}`);
}

describe.skipIf(process.platform === 'win32')('cancel of a hung run', () => {
  it('kills the runner after the grace period, marks the run cancelled and starts the next run', async () => {
    const first = (await server.client.submitRun(hang.config)).id;
    const second = (await server.client.submitRun(hang.config)).id;
    await waitForStatus(first, 'running');
    expect((await server.client.getRun(second)).status).toBe('queued');

    const answer = await server.client.cancelRun(first);
    expect(answer).toMatchObject({ id: first, status: 'running', cancelRequested: true });
    const events = await collectEvents(server.client, first);
    const last = events[events.length - 1].event;
    expect(last).toMatchObject({ type: 'status', status: 'cancelled' });
    const run = await server.client.getRun(first);
    expect(run.status).toBe('cancelled');
    expect(run.reason).toMatch(/^cancelled by request; it did not stop within 1500 ms of the request, so its process was killed$/);

    // The slot is free: the queued run starts (and hangs the same way), and its cancel ends too.
    await waitForStatus(second, 'running');
    await server.client.cancelRun(second);
    await waitForStatus(second, 'cancelled');
    expect((await server.client.getRun(second)).reason).toMatch(/process was killed/);
    const health = await server.client.health();
    expect(health.queue).toMatchObject({ running: 0, queued: 0 });
  });

  it('refuses a second cancel of a finished run with 409', async () => {
    const [run] = (await server.client.allRuns('cancelled')).slice(-1);
    const response = await fetch(`${server.url}/api/runs/${run.id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({ error: `run ${run.id} is already cancelled` });
  });
});
