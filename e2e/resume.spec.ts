import { expect, test } from '@playwright/test';
import { openLab, pointsOf, tinyRunFields, waitForRunEnd } from './helpers';

test('a run interrupted by a reload is shown as interrupted and continues from its checkpoint', async ({ page }) => {
  // Auto picks wasm on a machine without a GPU, where a tiny step takes milliseconds: enough epochs
  // that the run is still going at the reload.
  await openLab(page, { ...tinyRunFields, 'finetune.enabled': false, 'distill.enabled': false, 'pretrain.epochs': 60 });
  await page.getByRole('button', { name: 'Start' }).click();
  // Checkpoints are taken at epoch ends: 64 images / batch 16 = 4 steps per epoch. Past a few of
  // them, so at least one has been written to IndexedDB before the reload cuts the run off.
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss'), { timeout: 180_000 }).toBeGreaterThanOrEqual(13);
  await page.reload();

  await page.getByRole('tab', { name: 'Runs' }).click();
  const run = page.getByTestId('runs-table').locator('tbody tr').first();
  await expect(run).toHaveAttribute('data-status', 'interrupted');
  await expect(page.getByTestId('backend-name')).toHaveText(/webgpu|webgl|wasm|cpu/, { timeout: 120_000 });
  await run.getByRole('button', { name: /^Continue/ }).click();
  await page.getByRole('tab', { name: 'Live' }).click();
  expect(await waitForRunEnd(page)).toBe('completed');
  // Resumed, not restarted: the curve covers all 240 steps exactly once.
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss')).toBe(240);
});
