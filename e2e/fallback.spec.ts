import { expect, test } from '@playwright/test';
import { openLab, pointsOf, tinyRun, waitForRunEnd } from './helpers';

// Runs in the `no-webgpu` project: Chromium without --enable-unsafe-webgpu.
test('without WebGPU the lab says so, falls back to WebGL and still trains', async ({ page }) => {
  await openLab(page, { ...tinyRun, 'finetune.enabled': false, 'distill.enabled': false });
  await expect(page.getByTestId('backend-name')).toHaveText(/webgl/);
  await expect(page.getByTestId('backend-fallback')).toBeVisible();
  await expect(page.locator('.notice-warn')).toContainText(/WebGPU is unavailable.*fell back to webgl/);

  await page.getByRole('button', { name: 'Start' }).click();
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss'), { timeout: 180_000 }).toBeGreaterThan(0);
  expect(await waitForRunEnd(page)).toBe('completed');
  await expect(page.getByTestId('stage-summaries')).toContainText('webgl');
});
