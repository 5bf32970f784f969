import { expect, test } from '@playwright/test';
import { openLab, pointsOf, tinyRunFields, waitForRunEnd } from './helpers';

// Runs in the `no-webgpu` project: Chromium without --enable-unsafe-webgpu.
test('without WebGPU auto says why it could not measure it; asking for WebGPU falls back visibly and still trains', async ({ page }) => {
  await openLab(page, { ...tinyRunFields, 'finetune.enabled': false, 'distill.enabled': false });
  // Auto measured the others and names why webgpu had no figure.
  await page.getByTestId('backend-menu').locator('summary').click();
  await expect(page.getByTestId('backend-measurements').locator('tr[data-backend="webgpu"]')).toHaveAttribute('data-outcome', 'failed');
  await expect(page.getByTestId('backend-measurements').locator('tr[data-backend="webgpu"]')).toContainText(/WebGPU|adapter/);
  await page.getByTestId('backend-menu').locator('summary').click();

  // Chosen by hand, WebGPU cannot start: the lab says so and falls back to the next backend.
  await page.getByRole('combobox', { name: 'Backend' }).selectOption('webgpu');
  await expect(page.getByTestId('backend-name')).toHaveText(/^webgl/, { timeout: 60_000 });
  await expect(page.getByTestId('backend-fallback')).toBeVisible();
  await expect(page.locator('.notice-warn')).toContainText(/WebGPU is unavailable.*fell back to webgl/);

  await page.getByRole('button', { name: 'Start' }).click();
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss'), { timeout: 180_000 }).toBeGreaterThan(0);
  expect(await waitForRunEnd(page)).toBe('completed');
  await expect(page.getByTestId('stage-summaries')).toContainText('webgl');
});
