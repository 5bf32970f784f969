import { type Page, expect, test } from '@playwright/test';
import { openLab, tinyRunFields } from './helpers';

/**
 * Issue 12: on wasm the Sweeps tab trains several trials at once, each in a lab worker of its own
 * (src/app/sweeps/trialWorkers.ts). Tiny shapes (128 images, width 0.125, one pretraining epoch),
 * "Trials at once" 2 on this 2-core machine: two trials train side by side (both are running rows
 * in the table, and their stored runs overlap in time), every trial ends as a stored run, the trial
 * workers end with the sweep, Stop in the header stops the trial Live shows, and a reload while
 * two trials train continues the sweep without leaving their runs behind.
 */
const tinyShapes = {
  ...tinyRunFields,
  'dataset.trainSize': 128,
  'model.widthMultiplier': 0.125,
  'pretrain.epochs': 1,
  'finetune.enabled': false,
  'distill.enabled': false,
};

interface RunRow {
  name: string;
  status: string;
  createdAt: number;
  updatedAt: number;
  metrics: { stage: string; knnAccuracy?: number }[];
}

/** Every run stored in the lab's IndexedDB whose name starts with `prefix`. */
function storedRuns(page: Page, prefix: string): Promise<RunRow[]> {
  return page.evaluate(
    (prefix) =>
      new Promise<RunRow[]>((resolve, reject) => {
        const request = indexedDB.open('simclr-lab');
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const db = request.result;
          const all = db.transaction('runs').objectStore('runs').getAll();
          all.onerror = () => reject(all.error);
          all.onsuccess = () => {
            db.close();
            resolve((all.result as RunRow[]).filter((r) => r.name.startsWith(prefix)));
          };
        };
      }),
    prefix,
  );
}

/** Lab workers of the page (the lab's own plus a sweep's trial workers; wasm's pthreads are blobs). */
function labWorkers(page: Page): number {
  return page.workers().filter((w) => /\/labWorker-/.test(w.url())).length;
}

async function buildSweep(page: Page, name: string, temperatures: string): Promise<void> {
  await page.getByRole('tab', { name: 'Sweeps' }).click();
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page.locator('input[name="sweep.values.pretrain.temperature"]').fill(temperatures);
  await page.locator('input[name="sweep.concurrency"]').fill('2');
  await page.locator('select[name="sweep.objective"]').selectOption('pretrain.knnAccuracy');
  await expect(page.getByTestId('sweep-plan')).toHaveAttribute('data-workers', '2');
  await expect(page.getByTestId('sweep-plan')).toContainText('2 trials at once, each in its own worker with 1 wasm thread (2 cores)');
}

test('on wasm a sweep trains two trials at once in workers of their own, each a stored run', async ({ page }) => {
  test.setTimeout(1_200_000);
  page.setDefaultTimeout(60_000);
  await openLab(page, tinyShapes);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  test.skip(cores < 2, `${cores} core: nothing to run side by side`);
  await page.getByLabel('Backend').selectOption('wasm');
  await expect(page.getByTestId('backend-name')).toHaveText(/^wasm/, { timeout: 120_000 });
  await page.locator('[data-sweep-path="pretrain.temperature"]').click();
  await expect.poll(() => labWorkers(page)).toBe(1);

  // 1. Four trials, two at a time.
  await buildSweep(page, 'pair', '0.1, 0.2, 0.5, 1');
  await expect(page.getByTestId('sweep-plan')).toContainText('4 trials');
  await page.getByRole('button', { name: 'Run sweep' }).click();
  const table = page.getByTestId('sweep-trials');
  await expect(table.locator('tbody tr[data-status="running"]')).toHaveCount(2);
  await expect(page.getByTestId('sweep-progress')).toContainText('at once');
  await expect.poll(() => labWorkers(page)).toBe(3);
  // Live shows the first worker's trial (the lab's own worker trains nothing meanwhile).
  await expect(page.locator('.run-status')).toHaveAttribute('data-status', /running|completed/);
  await expect(page.getByTestId('sweep-results')).toHaveAttribute('data-status', 'completed', { timeout: 900_000 });
  await expect(table.locator('tbody tr')).toHaveCount(4);
  await expect(table.locator('tbody tr[data-status="completed"]')).toHaveCount(4);
  await expect(page.getByTestId('sweep-curves')).toHaveAttribute('data-curves', '4');
  // The trial workers ended with the sweep.
  await expect.poll(() => labWorkers(page)).toBe(1);

  // Every trial is a completed stored run with its k-NN curve, and the first two trained side by side.
  const runs = (await storedRuns(page, 'pair · t00')).sort((a, b) => a.name.localeCompare(b.name));
  expect(runs.map((r) => [r.name, r.status])).toEqual([
    ['pair · t001', 'completed'],
    ['pair · t002', 'completed'],
    ['pair · t003', 'completed'],
    ['pair · t004', 'completed'],
  ]);
  for (const run of runs) expect(run.metrics.some((m) => m.stage === 'pretrain' && typeof m.knnAccuracy === 'number')).toBe(true);
  const [first, second] = runs;
  expect(first.createdAt).toBeLessThan(second.updatedAt);
  expect(second.createdAt).toBeLessThan(first.updatedAt);
  await page.getByRole('tab', { name: 'Runs' }).click();
  await expect(page.getByTestId('runs-table').locator('tbody tr', { hasText: 'pair · t00' })).toHaveCount(4);

  // 2. Longer trials: Stop in the header stops the trial Live shows and the sweep goes on; Stop sweep ends it.
  await page.locator('input[name="pretrain.epochs"]').fill('6');
  await buildSweep(page, 'halt', '0.1, 0.2, 0.5, 1');
  await page.getByRole('button', { name: 'Run sweep' }).click();
  await expect(table.locator('tbody tr[data-status="running"]')).toHaveCount(2);
  await expect(page.locator('.run-status')).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect(table.locator('tbody tr[data-status="stopped"]')).toHaveCount(1);
  await expect(table.locator('tbody tr[data-status="stopped"]')).toContainText('stopped by the host');
  await expect(table.locator('tbody tr[data-status="running"]')).toHaveCount(2);
  await page.getByRole('button', { name: 'Stop sweep' }).click();
  await expect(page.getByTestId('sweep-results')).toHaveAttribute('data-status', 'stopped');
  await expect.poll(() => labWorkers(page)).toBe(1);
  await expect(table.locator('tbody tr[data-status="running"]')).toHaveCount(0);

  // 3. A reload while two trials train: the sweep continues, and the two cut-short runs are replaced.
  await page.locator('input[name="pretrain.epochs"]').fill('1');
  await buildSweep(page, 'again', '0.1, 0.2, 0.5');
  await page.getByRole('button', { name: 'Run sweep' }).click();
  await expect(table.locator('tbody tr[data-status="running"]')).toHaveCount(2);
  await expect.poll(async () => (await storedRuns(page, 'again · t00')).length).toBe(2);
  await page.reload();
  await expect(page.getByText('Continuing the sweep "again" after the reload')).toBeVisible({ timeout: 120_000 });
  await page.getByRole('tab', { name: 'Sweeps' }).click();
  await expect(page.getByTestId('sweep-results')).toHaveAttribute('data-status', 'completed', { timeout: 900_000 });
  await expect(page.getByTestId('sweep-trials').locator('tbody tr[data-status="completed"]')).toHaveCount(3);
  const again = await storedRuns(page, 'again · t00');
  expect(again.map((r) => r.status).sort()).toEqual(['completed', 'completed', 'completed']);
});
