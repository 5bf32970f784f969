import { expect, test } from '@playwright/test';
import { hashOf, waitForRunEnd } from './helpers';

// Regenerates the README screenshots from real runs: SCREENSHOTS=1 npx playwright test screenshots --project=webgpu
test.skip(!process.env.SCREENSHOTS, 'set SCREENSHOTS=1 to regenerate docs/screenshots');

/**
 * What a class sees in its first minutes: the shipped CIFAR-10 encoder (public/pretrained) in place
 * of pretraining, so the embeddings and similarities are a trained network's from step 0, then
 * fine-tuning on 10% of 1,000 labels against supervised-only, and distillation. Sized for wasm on a
 * busy 2-core machine.
 */
const fromPretrained = {
  'pretrain.init': 'cifar10-resnet18-w025',
  'dataset.trainSize': 1000,
  'dataset.testSize': 200,
  'finetune.labelFraction': 0.1,
  'finetune.mode': 'linear',
  'finetune.epochs': 10,
  'finetune.batchSize': 25,
  'distill.epochs': 2,
  'distill.batchSize': 50,
  'distill.studentWidthMultiplier': 0.25,
};

/** A real sweep small enough for the tab: temperature × learning rate of a short shapes pretraining. */
const sweepBase = {
  'dataset.name': 'shapes',
  'dataset.trainSize': 256,
  'dataset.testSize': 128,
  'dataset.imageSize': 32,
  'model.widthMultiplier': 0.125,
  'pretrain.epochs': 3,
  'pretrain.batchSize': 64,
  'pretrain.warmupEpochs': 0,
  'finetune.enabled': false,
  'distill.enabled': false,
};

async function useWasm(page: import('@playwright/test').Page): Promise<void> {
  await expect(page.getByTestId('backend-name')).toHaveText(/webgpu|webgl|wasm|cpu/, { timeout: 120_000 });
  await page.getByLabel('Backend').selectOption('wasm');
  await expect(page.getByTestId('backend-name')).toHaveText(/^wasm/, { timeout: 120_000 });
}

test('screenshots of the main views', async ({ page }) => {
  test.setTimeout(2_400_000);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(`/#${hashOf(fromPretrained)}`);
  await useWasm(page);
  await page.getByRole('tab', { name: 'Augmentations' }).click();
  await expect(page.getByTestId('augmentation-grid')).toBeVisible();
  await page.screenshot({ path: 'docs/screenshots/augmentations.png' });
  await page.getByRole('tab', { name: 'Live' }).click();
  await page.getByRole('button', { name: 'Start', exact: true }).click();
  expect(await waitForRunEnd(page, 1_800_000)).toBe('completed');
  await page.screenshot({ path: 'docs/screenshots/live.png', fullPage: true });
  await page.getByRole('tab', { name: 'Similarity' }).click();
  await page.screenshot({ path: 'docs/screenshots/similarity.png' });
  await page.getByRole('tab', { name: 'Embeddings' }).click();
  await page.screenshot({ path: 'docs/screenshots/embeddings.png' });
  await page.getByRole('tab', { name: 'Runs' }).click();
  await page.screenshot({ path: 'docs/screenshots/runs.png' });

  await page.goto(`/#${hashOf(sweepBase)}`);
  await page.reload();
  await useWasm(page);
  for (const path of ['pretrain.temperature', 'pretrain.learningRate']) await page.locator(`[data-sweep-path="${path}"]`).click();
  await page.getByRole('tab', { name: 'Sweeps' }).click();
  await page.locator('input[name="sweep.values.pretrain.temperature"]').fill('0.1, 0.5, 1');
  await page.locator('input[name="sweep.values.pretrain.learningRate"]').fill('0.3, 1.2');
  await page.locator('select[name="sweep.objective"]').selectOption('pretrain.knnAccuracy');
  await page.getByRole('button', { name: 'Run sweep' }).click();
  await expect(page.getByTestId('sweep-results')).toHaveAttribute('data-status', 'completed', { timeout: 1_800_000 });
  await page.screenshot({ path: 'docs/screenshots/sweeps.png', fullPage: true });
});
