import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { deserializeCheckpoint } from '../src/core/checkpoint';
import { openLab, pointsOf, tinyRunFields, waitForRunEnd } from './helpers';

test('runs can be compared, exported, deleted, imported back, and their weights downloaded', async ({ page }) => {
  await openLab(page, { ...tinyRunFields, 'finetune.enabled': false, 'distill.enabled': false });
  await page.getByRole('button', { name: 'Start' }).click();
  expect(await waitForRunEnd(page)).toBe('completed');
  const lossPoints = await pointsOf(page, 'chart-pretrain-loss');

  await page.getByRole('tab', { name: 'Runs' }).click();
  const rows = page.getByTestId('runs-table').locator('tbody tr');
  await expect(rows).toHaveCount(1);
  const row = rows.first();
  await row.getByRole('checkbox', { name: /^Compare/ }).check();
  await expect.poll(() => pointsOf(page, 'compare-loss')).toBe(lossPoints);

  const [weights] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: /^Download weights/ }).click()]);
  expect(weights.suggestedFilename()).toMatch(/\.weights\.ckpt$/);
  // The one checkpoint encoding (what the CLI and the server read), without optimiser state.
  const downloaded = deserializeCheckpoint(new Uint8Array(readFileSync(await weights.path())));
  expect(Object.keys(downloaded.models.pretrain ?? {}).length).toBeGreaterThan(0);
  expect(downloaded.optimizer).toEqual({});

  const [exported] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: /^Export/ }).click()]);
  const file = await exported.path();
  expect(exported.suggestedFilename()).toMatch(/\.simclr-run\.json\.gz$/);

  await row.getByRole('button', { name: /^Delete/ }).click();
  await expect(page.getByTestId('runs-table')).toHaveCount(0);

  await page
    .getByLabel('Import a run file')
    .setInputFiles({ name: 'run.simclr-run.json.gz', mimeType: 'application/gzip', buffer: readFileSync(file) });
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute('data-status', 'completed');
  await rows.first().getByRole('button', { name: /^Open/ }).click();
  await page.getByRole('tab', { name: 'Live' }).click();
  await expect(page.getByTestId('stored-banner')).toBeVisible();
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss')).toBe(lossPoints);
});
