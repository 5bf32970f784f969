import { expect, test } from '@playwright/test';
import { openLab, waitForRunEnd } from './helpers';

// Regenerates the README screenshots from a real run: SCREENSHOTS=1 npx playwright test screenshots --project=webgpu
test.skip(!process.env.SCREENSHOTS, 'set SCREENSHOTS=1 to regenerate docs/screenshots');

// Small enough for a software GPU on a busy 2-core machine; on a real GPU use the defaults.
const smallCifar = {
  'dataset.trainSize': 192,
  'dataset.testSize': 100,
  'model.widthMultiplier': 0.0625,
  'model.projectionLayers': 2,
  'pretrain.epochs': 2,
  'pretrain.batchSize': 32,
  'pretrain.warmupEpochs': 0,
  'pretrain.knnK': 20,
  'finetune.labelFraction': 0.2,
  'finetune.epochs': 2,
  'finetune.batchSize': 16,
  'distill.epochs': 1,
  'distill.batchSize': 32,
  'distill.studentWidthMultiplier': 0.0625,
};

test('screenshots of the main views', async ({ page }) => {
  test.setTimeout(1_500_000);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await openLab(page, smallCifar);
  await page.getByRole('tab', { name: 'Augmentations' }).click();
  await expect(page.getByTestId('augmentation-grid')).toBeVisible();
  await page.screenshot({ path: 'docs/screenshots/augmentations.png' });
  await page.getByRole('tab', { name: 'Live' }).click();
  await page.getByRole('button', { name: 'Start' }).click();
  expect(await waitForRunEnd(page, 1_400_000)).toBe('completed');
  await page.screenshot({ path: 'docs/screenshots/live.png', fullPage: true });
  await page.getByRole('tab', { name: 'Similarity' }).click();
  await page.screenshot({ path: 'docs/screenshots/similarity.png' });
  await page.getByRole('tab', { name: 'Embeddings' }).click();
  await page.screenshot({ path: 'docs/screenshots/embeddings.png' });
  await page.getByRole('tab', { name: 'Runs' }).click();
  await page.screenshot({ path: 'docs/screenshots/runs.png' });
});
