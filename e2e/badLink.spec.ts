import { expect, test } from '@playwright/test';

test('a bad link shows a notice naming the bad keys and the lab still works', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto('/#pretrain.temperature=hot&bogus.knob=3&finetune.labelFraction=0.01&results=%%%not-base64');
  const notice = page.locator('.notice-warn');
  await expect(notice).toContainText('pretrain.temperature');
  await expect(notice).toContainText('bogus.knob');
  await expect(notice).toContainText('results');
  // Valid keys still apply; invalid ones keep their defaults.
  await expect(page.locator('[name="finetune.labelFraction"]')).toHaveValue('0.01');
  await expect(page.locator('[name="pretrain.temperature"]')).toHaveValue('0.5');
  await expect(page.getByRole('button', { name: 'Start' })).toBeEnabled();
  await expect(page.getByTestId('backend-name')).toHaveText(/webgpu|webgl|wasm|cpu/, { timeout: 120_000 });
  expect(errors).toEqual([]);
});
