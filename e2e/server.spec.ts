import { expect, test } from '@playwright/test';
import { type E2eServer, startE2eServer } from './gpuServer';
import { openLab, pointsOf, tinyRunFields, waitForRunEnd } from './helpers';

/**
 * Issue 4: the lab sends a run to a real GPU server process (wasm in Node here) and draws the
 * streamed curves in the same charts as a local run.
 */
const token = 'e2e-server-token';
let server: E2eServer | null = null;
let baseUrl = '';

test.beforeAll(async () => {
  test.setTimeout(120_000);
  server = await startE2eServer(token);
  baseUrl = server.baseUrl;
});

test.afterAll(() => {
  server?.stop();
  server = null;
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
