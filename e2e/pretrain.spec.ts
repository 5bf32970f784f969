import { expect, test } from '@playwright/test';
import { openLab, pointsOf, tinyRunFields, waitForRunEnd } from './helpers';

test('a tiny pretrain run shows loss points, k-NN accuracy and the similarity heatmap', async ({ page }) => {
  await openLab(page, { ...tinyRunFields, 'finetune.enabled': false, 'distill.enabled': false });
  await expect(page.locator('[name="pretrain.temperature"]')).toHaveValue('0.5');
  await expect(page.locator('[name="dataset.name"]')).toHaveValue('shapes');
  await page.getByRole('button', { name: 'Start' }).click();

  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss'), { timeout: 180_000 }).toBeGreaterThan(1);
  expect(await waitForRunEnd(page)).toBe('completed');
  expect(await pointsOf(page, 'chart-pretrain-knn')).toBeGreaterThan(0);
  await expect(page.getByTestId('stage-summaries').locator('tr[data-stage="pretrain"]')).toContainText('%');

  await page.getByRole('tab', { name: 'Similarity' }).click();
  const heatmap = page.getByTestId('similarity-heatmap');
  await expect(heatmap).toBeVisible();
  await expect(heatmap).toHaveAttribute('data-size', '32');
  await expect(page.getByTestId('similarity-accuracy')).toHaveText(/\d+(\.\d)?%/);

  await page.getByRole('tab', { name: 'Embeddings' }).click();
  await expect(page.getByTestId('embedding-plot')).toBeVisible();
});
