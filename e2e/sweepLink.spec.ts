import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

/**
 * The link `npm run sweep` wrote for the real CIFAR-10 sweep in docs/sweeps/cifar10-finetune opens
 * in the lab as a colleague would meet it: every trial, stopped ones with their reasons, the best
 * one marked, and nothing trains.
 */
const sweep = JSON.parse(readFileSync('docs/sweeps/cifar10-finetune/sweep.json', 'utf8')) as {
  trials: { id: string; status: string }[];
  best: { id: string };
};
const link = readFileSync('docs/sweeps/cifar10-finetune/share-link.txt', 'utf8').trim();

test('a sweep link written by the CLI opens every view of that sweep without training', async ({ page }) => {
  await page.goto(`/${link.slice(link.indexOf('#'))}`);
  const results = page.getByTestId('sweep-results');
  await expect(results).toHaveAttribute('data-source', 'shared', { timeout: 60_000 });
  const table = page.getByTestId('sweep-trials');
  await expect(table.locator('tbody tr')).toHaveCount(sweep.trials.length);
  const stopped = sweep.trials.filter((t) => t.status === 'stopped').length;
  await expect(table.locator('tbody tr[data-status="stopped"]')).toHaveCount(stopped);
  await expect(table.locator('tbody tr[data-status="stopped"]').first()).toContainText("below the rung's cut-off");
  await expect(page.getByTestId('best-trial')).toHaveAttribute('data-trial-id', sweep.best.id);
  await expect(page.getByRole('button', { name: 'Re-run sweep' })).toBeVisible();
  await expect(page.locator('.run-status')).not.toHaveAttribute('data-status', 'running');
});
