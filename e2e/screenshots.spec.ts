import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { hashOf, waitForRunEnd } from './helpers';

// Regenerates the README screenshots from real runs: SCREENSHOTS=1 npx playwright test screenshots --project=webgpu
test.skip(!process.env.SCREENSHOTS, 'set SCREENSHOTS=1 to regenerate docs/screenshots');

/**
 * What a class sees in its first minutes: the shipped CIFAR-10 encoder (public/pretrained) in place
 * of pretraining, so the embeddings and similarities are a trained network's from step 0, then
 * fine-tuning on 10% of 1,000 labels with the encoder card's recipe (one click, as a teacher would)
 * against supervised-only, and distillation. Sized for wasm on a busy 2-core machine.
 */
const fromPretrained = {
  'pretrain.init': 'cifar10-resnet18-w025',
  'dataset.trainSize': 1000,
  'dataset.testSize': 200,
  'finetune.labelFraction': 0.1,
  'distill.epochs': 2,
  'distill.batchSize': 50,
  'distill.studentWidthMultiplier': 0.25,
};

/**
 * The README's sweep view: the real CIFAR-10 sweep of docs/sweeps/cifar10-finetune (12 trials run with
 * `npm run sweep`), opened from the share link the CLI wrote, as a colleague would open it.
 */
const sweepLink = readFileSync('docs/sweeps/cifar10-finetune/share-link.txt', 'utf8').trim();

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
  await page.getByRole('button', { name: "Use the card's fine-tuning recipe" }).click();
  await expect(page.getByTestId('finetune-recipe')).toHaveAttribute('data-follows', 'true');
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

  await page.goto(`/${sweepLink.slice(sweepLink.indexOf('#'))}`);
  await page.reload();
  await expect(page.getByTestId('sweep-results')).toHaveAttribute('data-source', 'shared', { timeout: 60_000 });
  await page.screenshot({ path: 'docs/screenshots/sweeps.png', fullPage: true });
});
