import { type Page, expect, test } from '@playwright/test';
import { type E2eServer, startE2eServer } from './gpuServer';
import { openLab, pointsOf, tinyRunFields } from './helpers';

/**
 * Issue 12: the Sweeps tab sends its sweep to a real GPU server process (wasm in Node here). A bad
 * token is named; the sweep's trials fill the same table and charts as a local sweep's, a reload
 * mid-sweep reattaches to its event stream, a trial's server run opens in Live, the finished sweep
 * shares as a #sweep= link, and Cancel stops a server sweep. Two tiny pretraining-only trials
 * (1 and 8 epochs, so the reload lands while the second trains).
 */
const token = 'e2e-sweep-token';
let server: E2eServer | null = null;
const pretrainOnly = { ...tinyRunFields, 'model.projectionLayers': 1, 'finetune.enabled': false, 'distill.enabled': false };

test.beforeAll(async () => {
  test.setTimeout(120_000);
  server = await startE2eServer(token);
});

test.afterAll(() => {
  server?.stop();
  server = null;
});

async function setServer(page: Page, url: string, serverToken: string): Promise<void> {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.locator('[name="server.url"]').fill(url);
  await page.locator('[name="server.token"]').fill(serverToken);
  await page.getByRole('button', { name: 'Close' }).click();
}

/** Marks pretrain.epochs "sweep this" with `values`, objective the k-NN accuracy. */
async function buildEpochSweep(page: Page, name: string, values: string): Promise<void> {
  await page.locator('[data-sweep-path="pretrain.epochs"]').click();
  await page.getByRole('tab', { name: 'Sweeps' }).click();
  await page.locator('input[name="sweep.values.pretrain.epochs"]').fill(values);
  await page.locator('select[name="sweep.objective"]').selectOption('pretrain.knnAccuracy');
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await expect(page.getByTestId('sweep-plan')).toHaveAttribute('data-trials', '2');
}

async function serverSweeps(): Promise<{ id: string; name: string; status: string; counts: Record<string, number> }[]> {
  const response = await fetch(`${server?.baseUrl}/api/sweeps`, { headers: { authorization: `Bearer ${token}` } });
  return ((await response.json()) as { sweeps: { id: string; name: string; status: string; counts: Record<string, number> }[] }).sweeps;
}

test('run a sweep on the server from the tab, reload mid-sweep, open a trial run, share it, cancel another', async ({ page }) => {
  test.setTimeout(900_000);
  page.setDefaultTimeout(60_000);
  if (!server) throw new Error('no server');
  const { baseUrl } = server;
  await openLab(page, pretrainOnly);
  const results = page.getByTestId('sweep-results');
  const runOnServer = page.getByRole('button', { name: 'Run sweep on server' });

  // 1. A wrong token is named beside the button, and nothing is shown as sent.
  await setServer(page, baseUrl, 'not-the-token');
  await buildEpochSweep(page, 'server epochs', '1, 8');
  await runOnServer.click();
  await expect(page.getByTestId('server-sweep-error')).toContainText('refused the token (401)');
  await expect(results).toHaveCount(0);

  // 2. Sent with the right token: the server sweep fills the tab's views from its event stream.
  await setServer(page, baseUrl, token);
  await runOnServer.click();
  await expect(page.getByTestId('server-sweep-error')).toHaveCount(0);
  await expect(results).toHaveAttribute('data-source', 'server');
  await expect(page.getByTestId('sweep-progress')).toHaveAttribute('data-finished', '1', { timeout: 300_000 });
  await expect(results).toHaveAttribute('data-status', 'running');

  // 3. A reload while the 8-epoch trial trains reattaches to the sweep's stream and keeps updating.
  await page.reload();
  await expect(page.getByText('Reattached to the server sweep "server epochs"')).toBeVisible({ timeout: 120_000 });
  await page.getByRole('tab', { name: 'Sweeps' }).click();
  await expect(results).toHaveAttribute('data-source', 'server');
  await expect(results).toHaveAttribute('data-status', 'completed', { timeout: 300_000 });
  const table = page.getByTestId('sweep-trials');
  await expect(table.locator('tbody tr')).toHaveCount(2);
  await expect(table.locator('tbody tr[data-status="completed"]')).toHaveCount(2);
  await expect(page.getByTestId('sweep-parallel')).toHaveAttribute('data-lines', '2');
  // One k-NN point per epoch: 1 + 8, none lost or repeated across the reload.
  await expect(page.getByTestId('sweep-curves')).toHaveAttribute('data-points', '9');
  await expect(page.getByTestId('best-trial')).toBeVisible();
  const listed = page.getByTestId('server-sweeps').locator('li', { hasText: 'server epochs' });
  await expect(listed).toHaveAttribute('data-status', 'completed');
  const onServer = (await serverSweeps()).find((s) => s.name === 'server epochs');
  expect(onServer?.status).toBe('completed');
  expect(onServer?.counts.completed).toBe(2);

  // 4. "Open" fetches the trial's server run into Runs and shows it in Live like a server run.
  await table.getByRole('button', { name: 'Open the run of t001' }).click();
  await expect(page.getByRole('tab', { name: 'Live' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('stored-banner')).toBeVisible();
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss')).toBeGreaterThan(0);
  await page.getByRole('tab', { name: 'Runs' }).click();
  await expect(page.getByTestId('runs-table').locator('tbody tr', { hasText: 'server epochs · t001 · server' })).toHaveCount(1);

  // 5. The finished server sweep shares as a #sweep= link.
  await page.getByRole('tab', { name: 'Sweeps' }).click();
  await page.getByRole('button', { name: 'Share sweep' }).click();
  const link = await page.getByTestId('sweep-link').inputValue();
  expect(link).toContain('#sweep=');

  // 6. Cancel on the server stops a long sweep: its trial in progress ends stopped.
  await buildEpochSweep(page, 'server cancel', '30, 40');
  await runOnServer.click();
  await expect(page.locator('#sweep-title')).toHaveText('server cancel');
  await expect(table.locator('tbody tr[data-trial-id="t001"]')).toHaveAttribute('data-status', 'running', { timeout: 120_000 });
  await page.getByRole('button', { name: 'Cancel on server' }).click();
  await expect(results).toHaveAttribute('data-status', 'cancelled', { timeout: 120_000 });
  await expect(table.locator('tbody tr[data-trial-id="t001"]')).toHaveAttribute('data-status', 'stopped');
  expect((await serverSweeps()).find((s) => s.name === 'server cancel')?.status).toBe('cancelled');

  // The link opens the first sweep without training (a shared sweep).
  await page.goto(link);
  await expect(results).toHaveAttribute('data-source', 'shared');
  await expect(table.locator('tbody tr')).toHaveCount(2);
});
