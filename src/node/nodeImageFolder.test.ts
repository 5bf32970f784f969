import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { loadImageFolder } from '../core/data/imageFolder';
import { tempDirs } from '../testing/tempDir';
import { nodeImageFolder } from './nodeImageFolder';

async function solidImage(path: string, rgb: [number, number, number], format: 'png' | 'jpeg') {
  const image = sharp({ create: { width: 20, height: 12, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  await (format === 'png' ? image.png() : image.jpeg({ quality: 95 })).toFile(path);
}

/** Every test's folders are removed after it. */
const temps = tempDirs();
afterEach(() => temps.removeAll());

describe('nodeImageFolder (CLI and server folders on disk)', () => {
  it('reads one sub-folder per class, decodes with sharp and lists unreadable files instead of failing', async () => {
    const root = temps.make('simclr-folder-');
    mkdirSync(join(root, 'red'));
    mkdirSync(join(root, 'blue'));
    for (let i = 0; i < 3; i++) {
      await solidImage(join(root, 'red', `r${i}.png`), [250, 10, 10], 'png');
      await solidImage(join(root, 'blue', `b${i}.jpg`), [10, 10, 250], 'jpeg');
    }
    writeFileSync(join(root, 'blue', 'broken.jpg'), 'not a jpeg at all');
    writeFileSync(join(root, 'red', 'notes.txt'), 'ignored: not an image name');

    const { dataset, skipped } = await loadImageFolder(nodeImageFolder(root), {
      imageSize: 8,
      testFraction: 0.34,
      trainSize: null,
      testSize: null,
      seed: 0,
    });
    expect(dataset.classNames).toEqual(['blue', 'red']);
    expect(skipped.map((s) => s.path)).toEqual([join('blue', 'broken.jpg')]);
    expect(skipped[0].reason.length).toBeGreaterThan(0);
    expect(dataset.train.count + dataset.test.count).toBe(6);
    const all = Array.from({ length: dataset.train.count }, (_, i) => i);
    const pixels = await dataset.train.readBatch(all);
    expect(pixels.length).toBe(all.length * 8 * 8 * 3);
    for (const i of all) {
      const [r, , b] = pixels.subarray(i * 192, i * 192 + 3);
      if (dataset.train.labels[i] === 1) expect(r).toBeGreaterThan(200);
      else expect(b).toBeGreaterThan(200);
    }
  });
});
