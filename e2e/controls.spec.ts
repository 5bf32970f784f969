import { expect, test } from '@playwright/test';
import { openLab, pointsOf, settledPoints, tinyRunFields } from './helpers';

// Auto picks wasm on a machine with only software GPUs, where this tiny model trains in tens of
// milliseconds a step: enough epochs that the run is still going when Pause is pressed.
const pretrainOnly = { ...tinyRunFields, 'finetune.enabled': false, 'distill.enabled': false, 'pretrain.epochs': 150 };

test('Pause holds training, Step runs exactly one step, Resume continues and Stop ends the run', async ({ page }) => {
  await openLab(page, pretrainOnly);
  const status = page.locator('.run-status');
  await page.getByRole('button', { name: 'Start' }).click();
  // Past the first steps, which compile the shaders on a software GPU and can take many seconds.
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss'), { timeout: 180_000 }).toBeGreaterThan(1);

  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(status).toHaveAttribute('data-state', 'paused');
  // A step already running when Pause is pressed still finishes (on a software GPU a step that
  // meets new shaders, e.g. the k-NN monitor at an epoch's end, compiles them first): wait it out.
  const paused = await settledPoints(page, 'chart-pretrain-loss', 15_000);
  await page.waitForTimeout(3000);
  expect(await pointsOf(page, 'chart-pretrain-loss')).toBe(paused);

  await page.getByRole('button', { name: 'Step' }).click();
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss'), { timeout: 60_000 }).toBe(paused + 1);
  await page.waitForTimeout(2000);
  expect(await pointsOf(page, 'chart-pretrain-loss')).toBe(paused + 1);
  await expect(status).toHaveAttribute('data-state', 'paused');

  await page.getByRole('button', { name: 'Resume' }).click();
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss'), { timeout: 60_000 }).toBeGreaterThan(paused + 2);

  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(status).toHaveAttribute('data-status', 'stopped', { timeout: 60_000 });
  await expect(page.getByRole('button', { name: 'Start' })).toBeEnabled();

  // Reset clears the live views but keeps the settings.
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(page.getByTestId('chart-pretrain-loss')).toHaveAttribute('data-points', '0');
  await expect(page.locator('[name="pretrain.epochs"]')).toHaveValue('150');
});

test('Step before starting runs a single step and waits', async ({ page }) => {
  await openLab(page, pretrainOnly);
  await page.getByRole('button', { name: 'Step' }).click();
  await expect.poll(() => pointsOf(page, 'chart-pretrain-loss'), { timeout: 180_000 }).toBe(1);
  await expect(page.locator('.run-status')).toHaveAttribute('data-state', 'paused');
  await page.waitForTimeout(2000);
  expect(await pointsOf(page, 'chart-pretrain-loss')).toBe(1);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.locator('.run-status')).toHaveAttribute('data-status', 'stopped', { timeout: 60_000 });
});
