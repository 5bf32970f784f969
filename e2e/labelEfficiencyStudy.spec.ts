import { expect, test } from '@playwright/test';
import { openLab, tinyRunFields } from './helpers';

/**
 * Issue 12, pretraining reuse in the Sweeps tab: the one-click label-efficiency study runs the
 * current settings at 1%, 10% and 100% labels as a sweep that pretrains once (the first trial) and
 * starts the other two at fine-tuning from that trial's run. Tiny shapes on wasm (chosen in the
 * backend menu, as in pretrained.spec.ts); supervised-only is off in the settings, and the study
 * turns it on.
 */
const studySettings = {
  ...tinyRunFields,
  'dataset.trainSize': 128,
  'dataset.testSize': 64,
  'model.widthMultiplier': 0.125,
  'pretrain.epochs': 1,
  'finetune.epochs': 2,
  'finetune.baseline': false,
  'distill.enabled': false,
};

test('the label-efficiency study pretrains once, fine-tunes at three label fractions and fills the chart', async ({ page }) => {
  test.setTimeout(900_000);
  page.setDefaultTimeout(60_000);
  await openLab(page, studySettings);
  await page.getByLabel('Backend').selectOption('wasm');
  await expect(page.getByTestId('backend-name')).toHaveText(/^wasm/, { timeout: 120_000 });
  // The study is offered beside the (still empty) label-efficiency chart too.
  await expect(page.getByTestId('label-efficiency-chart')).toHaveAttribute('data-rows', '0');
  await expect(page.getByRole('button', { name: 'Label-efficiency study' })).toBeEnabled();

  await page.getByRole('tab', { name: 'Sweeps' }).click();
  await page.getByRole('button', { name: 'Label-efficiency study' }).click();
  const results = page.getByTestId('sweep-results');
  await expect(results.getByRole('heading', { name: 'Label-efficiency study' })).toBeVisible();
  await expect(results).toHaveAttribute('data-status', 'completed', { timeout: 840_000 });

  // Three completed trials; the second and third say whose pretraining they reused.
  const table = page.getByTestId('sweep-trials');
  await expect(table.locator('tbody tr[data-status="completed"]')).toHaveCount(3);
  expect(await table.locator('tr[data-trial-id="t001"]').getAttribute('data-reused-from')).toBeNull();
  for (const id of ['t002', 't003']) {
    await expect(table.locator(`tr[data-trial-id="${id}"]`)).toHaveAttribute('data-reused-from', 't001');
    await expect(table.locator(`tr[data-trial-id="${id}"]`)).toContainText('pretraining reused from t001');
  }
  // The study's chart, from its own runs: 1%, 10% and 100% labels, each with supervised-only.
  const studyChart = page.getByTestId('sweep-label-efficiency').getByTestId('label-efficiency-chart');
  await expect(studyChart).toHaveAttribute('data-rows', '3');
  await expect(studyChart.locator('tbody tr td:first-child')).toHaveText(['1% labels', '10% labels', '100% labels']);

  // Runs: pretraining ran once; the other two runs started from the first one's encoder.
  await page.getByRole('tab', { name: 'Runs' }).click();
  const runs = page.getByTestId('runs-table').locator('tbody tr', { hasText: 'Label-efficiency study · t00' });
  await expect(runs).toHaveCount(3);
  await expect(runs.and(page.locator('tr[data-stages~="baseline"][data-stages~="finetune"]'))).toHaveCount(3);
  const pretrained = runs.and(page.locator('tr[data-stages~="pretrain"]'));
  await expect(pretrained).toHaveCount(1);
  await expect(pretrained).toContainText('Label-efficiency study · t001');
  const branched = runs.getByTestId('started-from');
  await expect(branched).toHaveCount(2);
  for (const note of await branched.allTextContents()) expect(note).toContain('started from run “Label-efficiency study · t001”');

  // Live: the label-efficiency chart shows the three fractions with supervised-only and fine-tuned accuracy.
  await page.getByRole('tab', { name: 'Live' }).click();
  const chart = page.getByTestId('label-efficiency-chart');
  await expect(chart).toHaveAttribute('data-rows', '3');
  const rows = chart.locator('tbody tr');
  await expect(rows.locator('td:first-child')).toHaveText(['1% labels', '10% labels', '100% labels']);
  for (const row of await rows.all()) {
    const [, supervised, fineTuned, distilled] = await row.locator('td').allTextContents();
    expect(Number(supervised)).toBeGreaterThanOrEqual(0);
    expect(Number(fineTuned)).toBeGreaterThanOrEqual(0);
    expect(distilled).toBe('—');
  }
});
