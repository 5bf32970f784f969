import { expect, test } from '@playwright/test';
import { openLab, pointsOf, tinyRunFields, waitForRunEnd } from './helpers';

test('fine-tune and distill complete, the label-efficiency chart shows them, a share link and a reload keep the run', async ({
  page,
  browser,
}) => {
  await openLab(page, tinyRunFields);
  await page.getByRole('button', { name: 'Start' }).click();
  expect(await waitForRunEnd(page)).toBe('completed');

  const summaries = page.getByTestId('stage-summaries');
  for (const stage of ['pretrain', 'finetune', 'baseline', 'distill']) {
    await expect(summaries.locator(`tr[data-stage="${stage}"]`)).toContainText('completed');
  }
  expect(await pointsOf(page, 'chart-finetune')).toBeGreaterThan(0);
  expect(await pointsOf(page, 'chart-distill')).toBeGreaterThan(0);
  const efficiency = page.getByTestId('label-efficiency-chart');
  await expect(efficiency).toHaveAttribute('data-rows', '1');
  const row = page.getByTestId('label-efficiency-table').locator('tbody tr');
  await expect(row).toContainText('50% labels');
  await expect(row.locator('td').nth(1)).toHaveText(/^\d+(\.\d)?$/);
  await expect(row.locator('td').nth(2)).toHaveText(/^\d+(\.\d)?$/);
  await expect(row.locator('td').nth(3)).toHaveText(/^\d+(\.\d)?$/);
  const lossPoints = await pointsOf(page, 'chart-pretrain-loss');

  // Share with results → a fresh browser context (no IndexedDB) shows config and curves at once.
  await page.getByRole('button', { name: 'Share' }).click();
  const link = await page.getByRole('textbox', { name: 'Link to this run' }).inputValue();
  expect(link).toContain('pretrain.batchSize=16');
  expect(link).toContain('results=');
  const fresh = await browser.newContext();
  const shared = await fresh.newPage();
  await shared.goto(link);
  await expect(shared.getByTestId('shared-banner')).toBeVisible();
  await expect(shared.locator('[name="pretrain.batchSize"]')).toHaveValue('16');
  await expect(shared.locator('[name="dataset.name"]')).toHaveValue('shapes');
  await expect.poll(() => pointsOf(shared, 'chart-pretrain-loss')).toBe(lossPoints);
  await expect(shared.getByTestId('stage-summaries').locator('tr[data-stage="distill"]')).toContainText('%');
  await expect(shared.getByRole('button', { name: 'Re-run' })).toBeVisible();
  await expect(shared.locator('.run-status')).toHaveAttribute('data-status', 'idle');
  await fresh.close();

  // A reload keeps the finished run.
  await page.reload();
  await page.getByRole('tab', { name: 'Runs' }).click();
  const stored = page.getByTestId('runs-table').locator('tbody tr').first();
  await expect(stored).toHaveAttribute('data-status', 'completed');
  await stored.getByRole('button', { name: /^Open/ }).click();
  await page.getByRole('tab', { name: 'Live' }).click();
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss')).toBeGreaterThanOrEqual(lossPoints);
});
