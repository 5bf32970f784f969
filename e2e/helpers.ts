import { type Page, expect } from '@playwright/test';

/**
 * A run small enough for a software GPU: a few dozen 16 px shapes, a 1/16-width ResNet-18, one
 * epoch per stage. Passed as a share-link hash, which is also how a person would set it up.
 */
export const tinyRun: Record<string, string | number | boolean> = {
  'dataset.name': 'shapes',
  'dataset.trainSize': 64,
  'dataset.testSize': 32,
  'dataset.imageSize': 16,
  'model.widthMultiplier': 0.0625,
  'model.projectionLayers': 2,
  'model.projectionDim': 16,
  'pretrain.epochs': 1,
  'pretrain.batchSize': 16,
  'pretrain.knnK': 10,
  'pretrain.warmupEpochs': 0,
  'finetune.labelFraction': 0.5,
  'finetune.epochs': 1,
  'finetune.batchSize': 16,
  'distill.epochs': 1,
  'distill.batchSize': 16,
  'distill.studentWidthMultiplier': 0.0625,
};

export function hashOf(fields: Record<string, string | number | boolean>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`)
    .join('&');
}

/** Opens the lab with `fields` and waits until the worker has a backend. */
export async function openLab(page: Page, fields: Record<string, string | number | boolean> = tinyRun): Promise<void> {
  await page.goto(`/#${hashOf(fields)}`);
  await expect(page.getByTestId('backend-name')).toHaveText(/webgpu|webgl|wasm|cpu/, { timeout: 120_000 });
}

export async function pointsOf(page: Page, testId: string): Promise<number> {
  return Number((await page.getByTestId(testId).getAttribute('data-points')) ?? '0');
}

/** Waits until the run status says the run finished (completed, stopped or failed). */
export async function waitForRunEnd(page: Page, timeout = 600_000): Promise<string> {
  const status = page.locator('.run-status');
  await expect(status).toHaveAttribute('data-status', /completed|stopped|failed/, { timeout });
  return (await status.getAttribute('data-status')) ?? '';
}

/**
 * The point count once it has stopped changing for `quietMs`: after Pause, the step already under
 * way (which may be compiling shaders on a software GPU) still reports.
 */
export async function settledPoints(page: Page, testId: string, quietMs = 3000, timeoutMs = 90_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = await pointsOf(page, testId);
  while (Date.now() < deadline) {
    await page.waitForTimeout(quietMs);
    const now = await pointsOf(page, testId);
    if (now === last) return now;
    last = now;
  }
  throw new Error(`${testId} kept changing for ${timeoutMs} ms`);
}
