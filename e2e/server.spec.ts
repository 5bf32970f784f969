import { type ChildProcess, spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { freePort } from '../src/node/freePort';
import { tempDir } from '../src/testing/tempDir';
import { openLab, pointsOf, tinyRunFields, waitForRunEnd } from './helpers';

/**
 * Issue 4: the lab sends a run to a real GPU server process (wasm in Node here) and draws the
 * streamed curves in the same charts as a local run.
 */
const token = 'e2e-server-token';
let server: ChildProcess | null = null;
let store: ReturnType<typeof tempDir> | null = null;
let baseUrl = '';

async function waitForHealth(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (server?.exitCode !== null) throw new Error(`The server exited with code ${server?.exitCode}`);
    try {
      const response = await fetch(`${baseUrl}/api/health`, { headers: { authorization: `Bearer ${token}` } });
      if (response.ok) return;
      lastError = `${response.status}`;
    } catch (error) {
      lastError = String(error);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`The server did not answer /api/health within ${timeoutMs} ms (${lastError})`);
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const port = await freePort();
  store = tempDir('simclr-e2e-server-');
  baseUrl = `http://127.0.0.1:${port}`;
  server = spawn(
    'npx',
    [
      'tsx',
      'src/server/main.ts',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--store',
      store.path,
      '--token',
      token,
      '--origin',
      `http://127.0.0.1:${process.env.E2E_PORT ?? 4173}`,
    ],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
      // Own process group, so afterAll ends npx, tsx and the server's run processes together.
      detached: true,
    },
  );
  await waitForHealth(90_000);
});

test.afterAll(() => {
  if (server?.pid && server.exitCode === null) {
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  server = null;
  store?.remove();
});

test('the lab runs a tiny config on the server and charts its streamed curves', async ({ page }) => {
  await openLab(page, { ...tinyRunFields, 'model.projectionLayers': 1 });

  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.locator('[name="server.url"]').fill(baseUrl);
  await page.locator('[name="server.token"]').fill('not-the-token');
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(page.getByTestId('server-check')).toHaveAttribute('data-state', 'error', { timeout: 30_000 });
  await expect(page.getByTestId('server-check')).toContainText('401');

  await page.locator('[name="server.token"]').fill(token);
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(page.getByTestId('server-check')).toHaveAttribute('data-state', 'ok', { timeout: 30_000 });
  await expect(page.getByTestId('server-check')).toContainText('backend');
  await page.getByRole('button', { name: 'Close' }).click();

  await page.getByRole('button', { name: 'Run on server' }).click();
  await expect(page.getByTestId('server-run-badge')).toContainText(`running on server ${baseUrl}`, { timeout: 30_000 });
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss'), { timeout: 180_000 }).toBeGreaterThan(0);
  expect(await waitForRunEnd(page, 180_000)).toBe('completed');
  await expect(page.getByTestId('server-run-badge')).toHaveCount(0);

  // Stored like a local run: listed in Runs, marked as a server run.
  await page.getByRole('tab', { name: 'Runs' }).click();
  await expect(page.getByText(/· server/).first()).toBeVisible({ timeout: 30_000 });
});

test('Stop during a server run cancels it on the server and the lab settles as stopped', async ({ page }) => {
  // Long enough (many epochs) that Stop lands while it trains.
  await openLab(page, { ...tinyRunFields, 'model.projectionLayers': 1, 'pretrain.epochs': 60 });
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.locator('[name="server.url"]').fill(baseUrl);
  await page.locator('[name="server.token"]').fill(token);
  await page.getByRole('button', { name: 'Close' }).click();

  await page.getByRole('button', { name: 'Run on server' }).click();
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss'), { timeout: 180_000 }).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Stop' }).click();
  expect(await waitForRunEnd(page, 120_000)).toBe('stopped');
  await expect(page.getByTestId('server-run-badge')).toHaveCount(0);

  const runs = (await (await fetch(`${baseUrl}/api/runs`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
    runs: { status: string }[];
  };
  expect(runs.runs.at(-1)?.status).toBe('cancelled');
});

test('a reload during a server run reattaches to its event stream and keeps charting', async ({ page }) => {
  await openLab(page, { ...tinyRunFields, 'model.projectionLayers': 1, 'pretrain.epochs': 40 });
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.locator('[name="server.url"]').fill(baseUrl);
  await page.locator('[name="server.token"]').fill(token);
  await page.getByRole('button', { name: 'Close' }).click();

  await page.getByRole('button', { name: 'Run on server' }).click();
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss'), { timeout: 180_000 }).toBeGreaterThan(2);
  // Let the record (and the last event id with it) be written once more before reloading.
  await page.waitForTimeout(1500);
  await page.reload();

  // Reattached: the badge is back, the curves drawn before the reload stay, new points arrive.
  await expect(page.getByTestId('server-run-badge')).toContainText(`running on server ${baseUrl}`, { timeout: 30_000 });
  await expect(page.locator('.run-status')).toContainText('Reattached to server run', { timeout: 30_000 });
  const afterReload = await pointsOf(page, 'chart-pretrain-loss');
  expect(afterReload).toBeGreaterThan(2);
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss'), { timeout: 120_000 }).toBeGreaterThan(afterReload + 2);
  await expect(page.locator('.run-status')).not.toHaveAttribute('data-status', 'interrupted');
  await page.getByRole('button', { name: 'Stop' }).click();
  expect(await waitForRunEnd(page, 120_000)).toBe('stopped');

  // The stored record has each step once: events before the reload were not replayed twice.
  const steps = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('simclr-lab');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const runs = await new Promise<{ origin?: string; createdAt: number; metrics: { stage: string; step: number; loss?: number }[] }[]>(
      (resolve, reject) => {
        const request = db.transaction('runs').objectStore('runs').getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      },
    );
    const newest = runs.filter((r) => r.origin === 'server').sort((a, b) => b.createdAt - a.createdAt)[0];
    return newest.metrics.filter((m) => m.stage === 'pretrain' && typeof m.loss === 'number').map((m) => m.step);
  });
  expect(steps.length).toBeGreaterThan(afterReload);
  for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeGreaterThan(steps[i - 1]);
});
