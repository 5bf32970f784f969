import { expect, test } from '@playwright/test';
import { hashOf, openLab, pointsOf, tinyRunFields, waitForRunEnd } from './helpers';

/** Issue 13, items 4 and 5: charts a learner can read; links a teacher can hand out. */
const pretrainOnly = { ...tinyRunFields, 'finetune.enabled': false, 'distill.enabled': false, 'pretrain.epochs': 2 };

test('the loss chart marks chance level ln(2N−1) and noisy curves are smoothed over faint raw points', async ({ page }) => {
  await openLab(page, pretrainOnly);
  await page.getByRole('button', { name: 'Start' }).click();
  expect(await waitForRunEnd(page)).toBe('completed');
  const loss = page.getByTestId('chart-pretrain-loss');
  // N = 16 images per batch: ln(31).
  await expect(loss).toHaveAttribute('data-reference', Math.log(31).toFixed(4));
  await expect(loss.locator('.recharts-reference-line')).toHaveCount(1);
  await expect(loss).toContainText('chance ln(2N−1) = 3.43, N = 16');
  expect(await pointsOf(page, 'chart-pretrain-loss')).toBeGreaterThan(1);

  // Smoothed: a solid smoothed curve over the faint raw one.
  await expect(loss).toHaveAttribute('data-smoothed', 'true');
  await expect(loss.locator('.recharts-line')).toHaveCount(2);
  await expect(loss.locator('.recharts-line path[stroke-opacity="0.25"]')).toHaveCount(1);
  const smoothing = page.getByRole('slider', { name: 'Smoothing' });
  await smoothing.fill('0');
  await expect(loss).toHaveAttribute('data-smoothed', 'false');
  await expect(loss.locator('.recharts-line')).toHaveCount(1);

  // Axes carry their units, and hovering shows values.
  await expect(loss.locator('.recharts-label', { hasText: 'loss (nats)' })).toHaveCount(1);
  await expect(loss.locator('.recharts-label', { hasText: 'step' })).toHaveCount(1);
  await expect(page.getByTestId('chart-pretrain-contrastive').locator('.recharts-label', { hasText: 'accuracy (%)' })).toHaveCount(1);
  await expect(page.getByTestId('chart-speed').locator('.recharts-label', { hasText: 'images/s' })).toHaveCount(1);
  const box = await loss.locator('.recharts-cartesian-grid').boundingBox();
  if (!box) throw new Error('no chart grid');
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
  await expect(loss.locator('.recharts-tooltip-wrapper')).toContainText(/step \d+/);
  await expect(loss.locator('.recharts-tooltip-wrapper')).toContainText('loss');
});

test('a teacher link hides what it names and shows its title and note; the Share dialog builds one', async ({ page }) => {
  const teacher =
    'hide=pretrain.temperature,model,tab:similarity&title=Exercise%201%3A%20augmentations&note=Change%20the%20crop%20area%20and%20watch%20the%20loss.';
  await page.goto(`/#${hashOf({ ...pretrainOnly, 'pretrain.cropMinArea': 0.2 })}&${teacher}`);
  await expect(page.getByTestId('teacher-title')).toHaveText('Exercise 1: augmentations');
  await expect(page.getByTestId('teacher-note')).toHaveText('Change the crop area and watch the loss.');
  await expect(page.locator('[name="pretrain.temperature"]')).toHaveCount(0);
  await expect(page.locator('[name="model.depth"]')).toHaveCount(0);
  await expect(page.locator('[name="model.widthMultiplier"]')).toHaveCount(0);
  await expect(page.getByRole('tab', { name: 'Similarity' })).toHaveCount(0);
  // What is not named stays, with the link's values.
  await expect(page.locator('[name="pretrain.cropMinArea"]')).toHaveValue('0.2');
  await expect(page.getByRole('tab', { name: 'Augmentations' })).toBeVisible();
  // The address bar keeps the exercise as settings change.
  await page.locator('[name="pretrain.cropMinArea"]').fill('0.3');
  await expect.poll(() => page.evaluate(() => location.hash)).toContain('hide=pretrain.temperature,model,tab:similarity&title=');
  await expect(page.locator('.notice-warn')).toHaveCount(0);

  // Building one: a fresh page, the Share dialog, a title, a hidden control and a hidden tab.
  await page.goto('about:blank');
  await openLab(page, pretrainOnly);
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog', { name: 'Share' });
  await dialog.getByLabel('Title').fill('Temperature');
  await dialog.getByLabel('Note').fill('Try 0.1 and 1.0.');
  await dialog.getByLabel('Hide controls').selectOption(['pretrain.temperature']);
  await dialog.getByRole('checkbox', { name: 'embeddings' }).check();
  await expect(dialog.getByRole('textbox', { name: 'Link to this run' })).toHaveValue(
    /hide=pretrain\.temperature,tab:embeddings&title=Temperature&note=Try%200\.1%20and%201\.0\./,
  );
  const link = await dialog.getByRole('textbox', { name: 'Link to this run' }).inputValue();
  const other = await page.context().browser()!.newPage();
  await other.goto(link);
  await expect(other.getByTestId('teacher-title')).toHaveText('Temperature');
  await expect(other.locator('[name="pretrain.temperature"]')).toHaveCount(0);
  await expect(other.getByRole('tab', { name: 'Embeddings' })).toHaveCount(0);
  await other.close();
});

test('a link naming an unknown control or tab says so and hides the rest', async ({ page }) => {
  await page.goto(`/#${hashOf(pretrainOnly)}&hide=pretrain.temprature,tab:runs`);
  await expect(page.locator('.notice-warn')).toContainText('unknown control "pretrain.temprature"');
  await expect(page.getByRole('tab', { name: 'Runs' })).toHaveCount(0);
  await expect(page.locator('[name="pretrain.temperature"]')).toHaveCount(1);
});
