import AxeBuilder from '@axe-core/playwright';
import { type Page, expect, test } from '@playwright/test';
import { openLab, tinyRunFields, waitForRunEnd } from './helpers';

/**
 * Issue 13, item 7: every view, dialog and menu passes axe with no serious or critical violation,
 * and the lab works from the keyboard alone.
 */
const pretrainOnly = { ...tinyRunFields, 'finetune.enabled': false, 'distill.enabled': false };

async function audit(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const severe = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(', ')}`,
    );
  expect(severe, `axe on ${what}`).toEqual([]);
}

test('every tab, dialog and menu passes axe (no serious or critical violations)', async ({ page }) => {
  await openLab(page, pretrainOnly);
  await page.getByRole('button', { name: 'Start' }).click();
  expect(await waitForRunEnd(page)).toBe('completed');
  await audit(page, 'Live (after a run)');
  for (const tab of ['Augmentations', 'Similarity', 'Embeddings', 'Runs', 'Sweeps', 'About']) {
    await page.getByRole('tab', { name: tab }).click();
    await expect(page.getByRole('tab', { name: tab })).toHaveAttribute('aria-selected', 'true');
    if (tab === 'Augmentations') await expect(page.locator('canvas').first()).toBeVisible({ timeout: 60_000 });
    await audit(page, tab);
  }
  await page.getByRole('tab', { name: 'Live' }).click();
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await expect(page.getByRole('dialog', { name: 'Settings' })).toBeVisible();
  await audit(page, 'Settings dialog');
  await page.getByRole('dialog', { name: 'Settings' }).getByRole('button', { name: 'Close' }).click();
  await page.getByRole('button', { name: 'Share' }).click();
  await expect(page.getByRole('dialog', { name: 'Share' })).toBeVisible();
  await audit(page, 'Share dialog');
  await page.getByRole('dialog', { name: 'Share' }).getByRole('button', { name: 'Close' }).click();
  await page.getByTestId('backend-menu').locator('summary').click();
  await expect(page.getByTestId('backend-measurements')).toBeVisible();
  await audit(page, 'backend menu');
});

test('keyboard only: Tab to Start, press it, move between tabs with the arrow keys', async ({ page }) => {
  await openLab(page, pretrainOnly);
  await page.locator('body').focus();
  let onStart = false;
  for (let i = 0; i < 40 && !onStart; i++) {
    await page.keyboard.press('Tab');
    onStart = await page.evaluate(() => document.activeElement?.textContent?.trim() === 'Start');
  }
  expect(onStart).toBe(true);
  await page.keyboard.press('Enter');
  await expect(page.locator('.run-status')).toHaveAttribute('data-status', /running|completed/, { timeout: 120_000 });

  // Into the tab list: one Tab stop, arrows move between tabs and select them.
  await page.getByRole('tab', { name: 'Live' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Augmentations' })).toBeFocused();
  await expect(page.getByRole('tab', { name: 'Augmentations' })).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('End');
  await expect(page.getByRole('tab', { name: 'About' })).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Live' })).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('tab', { name: 'About' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel')).toHaveAttribute('aria-labelledby', 'tab-about');
  // Tab leaves the tab list for the panel's content rather than visiting every tab.
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).not.toBe('tab');
  expect(await waitForRunEnd(page)).toBe('completed');
});
