import { type Page, expect } from '@playwright/test';
import { type ConfigFields, configFields, tinyRun } from '../src/testing/tinyRun';

/**
 * The tests' tiny run (src/testing/tinyRun.ts) as config fields: passed as a share-link hash, which
 * is also how a person would set it up.
 */
export const tinyRunFields: ConfigFields = configFields(tinyRun);

export function hashOf(fields: ConfigFields): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`)
    .join('&');
}

/** Opens the lab with `fields` and waits until the worker has a backend. */
export async function openLab(page: Page, fields: ConfigFields = tinyRunFields): Promise<void> {
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

/**
 * Opens a view's tab and checks it is selected, clicking again if not: right after Start the header's
 * status line changes length and can move the tab bar between Playwright's position check and its
 * click (seen in CI: the click landed beside the tab and the test then waited on the wrong view).
 */
export async function openTab(page: Page, name: string): Promise<void> {
  const tab = page.getByRole('tab', { name });
  await expect(async () => {
    await tab.click();
    await expect(tab).toHaveAttribute('aria-selected', 'true', { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
}
