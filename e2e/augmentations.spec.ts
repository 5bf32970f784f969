import { expect, test } from '@playwright/test';
import { openLab, tinyRunFields } from './helpers';

test('the augmentation explorer shows two views per image and redraws when a slider moves', async ({ page }) => {
  await openLab(page, { ...tinyRunFields, 'dataset.name': 'cifar10', 'dataset.imageSize': 32 });
  await page.getByRole('tab', { name: 'Augmentations' }).click();
  const grid = page.getByTestId('augmentation-grid');
  await expect(grid).toBeVisible();
  await expect(grid.locator('.augmentation-row')).toHaveCount(8);
  await expect(grid.locator('canvas')).toHaveCount(24);
  const before = await grid.getAttribute('data-signature');

  // The slider edits the pretraining config itself: the named field follows.
  await page.getByRole('slider', { name: 'Colour-jitter strength' }).fill('1.5');
  await expect(page.locator('[name="pretrain.colorJitterStrength"]')).toHaveValue('1.5');
  await expect(grid).not.toHaveAttribute('data-signature', before ?? '');
  const afterJitter = await grid.getAttribute('data-signature');

  await page.getByRole('slider', { name: 'Crop min area' }).fill('1');
  await expect(grid).not.toHaveAttribute('data-signature', afterJitter ?? '');

  const seed = await grid.getAttribute('data-seed');
  await page.getByRole('button', { name: 'Resample' }).click();
  await expect(grid).not.toHaveAttribute('data-seed', seed ?? '');
});
