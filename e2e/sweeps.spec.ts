import AxeBuilder from '@axe-core/playwright';
import { type Page, expect, test } from '@playwright/test';
import { parseRunConfig } from '../src/core/config';
import { openLab, tinyRunFields } from './helpers';

/**
 * Issue 12: the Sweeps tab end to end on tiny shapes. Two settings are marked "sweep this", the
 * sweep runs in the tab through the lab's worker, the table and the parallel coordinates show every
 * trial, a real drag along an axis brushes it and filters the table, the best trial's values go
 * back into the settings, the #sweep= link shows the same sweep in a fresh browser without
 * training, and a reload mid-sweep continues it.
 */
const pretrainOnly = { ...tinyRunFields, 'finetune.enabled': false, 'distill.enabled': false };

interface AxisPosition {
  key: string;
  x: number;
  top: number;
  bottom: number;
}

async function finished(page: Page): Promise<number> {
  return Number((await page.getByTestId('sweep-progress').getAttribute('data-finished')) ?? '0');
}

async function mark(page: Page, path: string): Promise<void> {
  await page.locator(`[data-sweep-path="${path}"]`).click();
  await expect(page.locator(`[data-sweep-path="${path}"]`)).toHaveAttribute('aria-pressed', 'true');
}

test('build a sweep from two controls, run it, brush, apply the best, share it, continue it after a reload', async ({ page, browser }) => {
  test.setTimeout(1_200_000);
  page.setDefaultTimeout(60_000);
  await openLab(page, pretrainOnly);

  // 1. Build: two controls marked in the settings; the objective's error names its field until fixed.
  await mark(page, 'pretrain.temperature');
  await mark(page, 'pretrain.learningRate');
  await page.getByRole('tab', { name: 'Sweeps' }).click();
  await expect(page.getByTestId('sweep-marks').locator('fieldset')).toHaveCount(2);
  await page.locator('input[name="sweep.values.pretrain.learningRate"]').fill('0.5, 2');
  await expect(page.getByTestId('sweep-error-err-objective')).toContainText('finetune stage is disabled');
  await expect(page.getByRole('button', { name: 'Run sweep' })).toBeDisabled();
  // A value the schema refuses is reported beside its own field.
  await page.locator('input[name="sweep.values.pretrain.temperature"]').fill('0.2, -1');
  await expect(page.getByTestId('sweep-error-param-pretrain.temperature')).toContainText('values.1');
  await page.locator('input[name="sweep.values.pretrain.temperature"]').fill('0.2, 0.5');
  await expect(page.getByTestId('sweep-error-param-pretrain.temperature')).toHaveCount(0);
  await page.locator('select[name="sweep.objective"]').selectOption('pretrain.knnAccuracy');
  await expect(page.getByTestId('sweep-error-err-objective')).toHaveCount(0);
  await expect(page.getByTestId('sweep-plan')).toHaveAttribute('data-trials', '4');
  await expect(page.getByTestId('sweep-plan')).toContainText('4 trials');

  // 2. Run in the tab: every trial becomes a stored run.
  await page.getByRole('button', { name: 'Run sweep' }).click();
  await expect(page.getByTestId('sweep-results')).toHaveAttribute('data-status', 'completed', { timeout: 900_000 });
  expect(await finished(page)).toBe(4);
  const table = page.getByTestId('sweep-trials');
  await expect(table.locator('tbody tr')).toHaveCount(4);
  await expect(page.getByTestId('sweep-parallel')).toHaveAttribute('data-lines', '4');
  await expect(page.getByTestId('sweep-curves')).toHaveAttribute('data-curves', '4');
  // The filled-in tab (form, table, charts) passes axe like every other view (a11y.spec audits it empty).
  const severe = (await new AxeBuilder({ page }).analyze()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(severe.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);

  // 3. Brush with a real drag along the temperature axis, from above its top (0.5) to its middle.
  const parallel = page.getByTestId('sweep-parallel');
  const axes = JSON.parse((await parallel.getAttribute('data-axes')) ?? '[]') as AxisPosition[];
  const axis = axes.find((a) => a.key === 'pretrain.temperature');
  expect(axis).toBeDefined();
  // Mouse coordinates are the viewport's: bring the chart into view first.
  await parallel.locator('.parallel-host').scrollIntoViewIfNeeded();
  const box = await parallel.locator('.parallel-host').boundingBox();
  if (!axis || !box) throw new Error('no axis or chart box');
  await page.mouse.move(box.x + axis.x, box.y + axis.top - 4);
  await page.mouse.down();
  await page.mouse.move(box.x + axis.x, box.y + (axis.top + axis.bottom) / 2, { steps: 8 });
  await page.mouse.up();
  await expect(parallel).toHaveAttribute('data-brushed', 'pretrain.temperature');
  await expect(table.locator('tbody tr')).toHaveCount(2);
  for (const cell of await table.locator('tbody tr td:nth-child(2)').allTextContents()) expect(cell).toBe('0.5');
  await page.getByRole('button', { name: 'Clear brushes' }).click();
  await expect(table.locator('tbody tr')).toHaveCount(4);

  // 4. The best trial's values go back into the settings.
  const bestId = await page.getByTestId('best-trial').getAttribute('data-trial-id');
  const bestRow = table.locator(`tbody tr[data-trial-id="${bestId}"]`);
  const bestTemperature = Number(await bestRow.locator('td:nth-child(2)').textContent());
  const bestRate = Number(await bestRow.locator('td:nth-child(3)').textContent());
  await page.locator('input[name="pretrain.temperature"]').fill('0.77');
  await page.getByTestId('best-trial').getByRole('button', { name: 'Apply to settings' }).click();
  await expect(page.locator('input[name="pretrain.temperature"]')).toHaveValue(String(bestTemperature));
  await expect(page.locator('input[name="pretrain.learningRate"]')).toHaveValue(String(bestRate));
  // Each trial is a run in Runs.
  await page.getByRole('tab', { name: 'Runs' }).click();
  await expect(page.getByTestId('runs-table').locator('tbody tr', { hasText: 'sweep · t00' })).toHaveCount(4);

  // 5. The share link shows the same sweep in a fresh browser, without training.
  await page.getByRole('tab', { name: 'Sweeps' }).click();
  await page.getByRole('button', { name: 'Share sweep' }).click();
  const link = await page.getByTestId('sweep-link').inputValue();
  expect(link).toContain('#sweep=');
  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await other.goto(link);
  await expect(other.getByRole('tab', { name: 'Sweeps' })).toHaveAttribute('aria-selected', 'true');
  await expect(other.getByTestId('sweep-results')).toHaveAttribute('data-source', 'shared');
  await expect(other.getByTestId('sweep-trials').locator('tbody tr')).toHaveCount(4);
  await expect(other.getByTestId('sweep-parallel')).toHaveAttribute('data-lines', '4');
  await expect(other.getByTestId('best-trial')).toHaveAttribute('data-trial-id', bestId ?? '');
  await expect(other.getByRole('button', { name: 'Re-run sweep' })).toBeVisible();
  await expect(other.locator('.run-status')).not.toHaveAttribute('data-status', /running/);
  // Re-run trains the shared spec here, as a sweep of this browser.
  await expect(other.getByTestId('backend-name')).toHaveText(/webgpu|webgl|wasm|cpu/, { timeout: 120_000 });
  await other.getByRole('button', { name: 'Re-run sweep' }).click();
  await expect(other.getByTestId('sweep-results')).toHaveAttribute('data-source', 'local');
  await expect(other.getByTestId('sweep-results')).toHaveAttribute('data-status', 'completed', { timeout: 600_000 });
  await expect(other.getByTestId('sweep-trials').locator('tbody tr')).toHaveCount(4);
  await fresh.close();

  // 6. A reload mid-sweep continues it: finished trials are kept, the rest run.
  await page.getByRole('button', { name: 'Remove Base learning rate from the sweep' }).click();
  await page.locator('input[name="sweep.values.pretrain.temperature"]').fill('0.1, 0.3, 1');
  await page.getByRole('textbox', { name: 'Name' }).fill('reload');
  await expect(page.getByTestId('sweep-plan')).toHaveAttribute('data-trials', '3');
  await page.getByRole('button', { name: 'Run sweep' }).click();
  await expect(page.getByTestId('sweep-progress')).toHaveAttribute('data-finished', '1', { timeout: 600_000 });
  await page.reload();
  await expect(page.getByText('Continuing the sweep "reload" after the reload')).toBeVisible({ timeout: 120_000 });
  await page.getByRole('tab', { name: 'Sweeps' }).click();
  await expect(page.getByTestId('sweep-results')).toHaveAttribute('data-status', 'running');
  expect(await finished(page)).toBeGreaterThanOrEqual(1);
  await expect(page.getByTestId('sweep-results')).toHaveAttribute('data-status', 'completed', { timeout: 900_000 });
  expect(await finished(page)).toBe(3);
  await expect(page.getByTestId('sweep-trials').locator('tbody tr')).toHaveCount(3);
  // The run of the trial the reload cut short was replaced, not left behind as an interrupted run.
  await page.getByRole('tab', { name: 'Runs' }).click();
  await expect(page.getByTestId('runs-table').locator('tbody tr', { hasText: 'reload · t00' })).toHaveCount(3);
  await expect(page.getByTestId('runs-table').locator('tbody tr[data-status="interrupted"]')).toHaveCount(0);
});

test('upgrading the database for sweeps keeps the runs stored before', async ({ page }) => {
  // A file of the origin that is not the lab (unknown paths would serve the lab itself), so the old
  // database is written before the lab opens it.
  await page.goto('/pretrained/cifar10-resnet18-w025.json');
  await page.evaluate(
    (config) =>
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.open('simclr-lab', 1);
        request.onupgradeneeded = () => {
          request.result.createObjectStore('runs', { keyPath: 'id' });
          request.result.createObjectStore('checkpoints');
        };
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const db = request.result;
          const tx = db.transaction('runs', 'readwrite');
          tx.objectStore('runs').put({
            id: 'run-before-sweeps',
            name: 'stored before sweeps',
            createdAt: 1,
            updatedAt: 1,
            status: 'completed',
            config,
            backend: 'wasm',
            metrics: [],
            stages: {},
            summary: null,
            checkpoint: null,
          });
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
        };
      }),
    parseRunConfig({}),
  );
  await openLab(page, pretrainOnly);
  await page.getByRole('tab', { name: 'Runs' }).click();
  await expect(page.getByTestId('runs-table').locator('tr[data-run-id="run-before-sweeps"]')).toContainText('stored before sweeps');
  const stores = await page.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const request = indexedDB.open('simclr-lab');
        request.onsuccess = () => {
          resolve([...request.result.objectStoreNames]);
          request.result.close();
        };
      }),
  );
  expect(stores.sort()).toEqual(['checkpoints', 'runs', 'sweeps']);
});
