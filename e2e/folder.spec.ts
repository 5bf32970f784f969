import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { encode } from 'fast-png';
import { tempDir } from '../src/testing/tempDir';
import { openLab, pointsOf, tinyRunFields, waitForRunEnd } from './helpers';

/** A folder with two classes of noisy 16 px images, one corrupt PNG and one text file. */
function makeImageFolder(): { folder: string; remove(): void } {
  const root = tempDir('simclr-folder-');
  const folder = join(root.path, 'my-images');
  const tints: Record<string, [number, number, number]> = { reds: [220, 40, 40], blues: [40, 60, 220] };
  let seed = 1;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 60 - 30;
  for (const [name, [r, g, b]] of Object.entries(tints)) {
    mkdirSync(join(folder, name), { recursive: true });
    for (let i = 0; i < 20; i++) {
      const data = new Uint8Array(16 * 16 * 3);
      for (let p = 0; p < 16 * 16; p++) data.set([r + noise(), g + noise(), b + noise()], p * 3);
      writeFileSync(join(folder, name, `${i}.png`), encode({ width: 16, height: 16, data, channels: 3, depth: 8 }));
    }
  }
  writeFileSync(join(folder, 'reds', 'broken.png'), 'this is not a png');
  writeFileSync(join(folder, 'blues', 'notes.txt'), 'hello');
  return { folder, remove: root.remove };
}

test('your own images: unreadable files are listed, the rest trains', async ({ page }) => {
  const { folder, remove } = makeImageFolder();
  try {
    await openLab(page, { ...tinyRunFields, 'dataset.name': 'folder', 'finetune.enabled': false, 'distill.enabled': false });
    await page.getByLabel('Choose an image folder').setInputFiles(folder);
    const report = page.locator('.folder-report');
    await expect(report).toContainText('40 images in 2 classes (blues, reds)');
    await expect(report).toContainText('broken.png');
    await expect(report).toContainText('notes.txt');
    await page.getByRole('button', { name: 'Start' }).click();
    expect(await waitForRunEnd(page)).toBe('completed');
    expect(await pointsOf(page, 'chart-pretrain-loss')).toBeGreaterThan(0);
  } finally {
    remove();
  }
});
