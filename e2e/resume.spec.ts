import { expect, test } from '@playwright/test';
import { openLab, pointsOf, tinyRun, waitForRunEnd } from './helpers';

test('a run interrupted by a reload is shown as interrupted and continues from its checkpoint', async ({ page }) => {
  await openLab(page, { ...tinyRun, 'finetune.enabled': false, 'distill.enabled': false, 'pretrain.epochs': 3 });
  await page.getByRole('button', { name: 'Start' }).click();
  // Checkpoints are taken at epoch ends: 64 images / batch 16 = 4 steps per epoch.
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss'), { timeout: 180_000 }).toBeGreaterThanOrEqual(5);
  await page.reload();

  await page.getByRole('tab', { name: 'Runs' }).click();
  const run = page.getByTestId('runs-table').locator('tbody tr').first();
  await expect(run).toHaveAttribute('data-status', 'interrupted');
  await expect(page.getByTestId('backend-name')).toHaveText(/webgpu|webgl|wasm|cpu/, { timeout: 120_000 });
  await run.getByRole('button', { name: /^Continue/ }).click();
  await page.getByRole('tab', { name: 'Live' }).click();
  expect(await waitForRunEnd(page)).toBe('completed');
  // Resumed, not restarted: the curve covers all 12 steps exactly once.
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss')).toBe(12);
});
