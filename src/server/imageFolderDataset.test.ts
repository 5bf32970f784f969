import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImageFolderDataset, type ImageNetDataset } from './imageFolderDataset';
import { buildTinyImageNet, tempDir, type TinyImageNet } from './testSupport';

const dir = tempDir('simclr-imagenet-');
let tiny: TinyImageNet;
let dataset: ImageNetDataset;
const logs: string[] = [];
const size = 16;

beforeAll(async () => {
  tiny = await buildTinyImageNet(dir.path, { classes: 3, listedPerClass: 2, extraPerClass: 2, valPerClass: 2 });
  dataset = await loadImageFolderDataset({
    root: tiny.root,
    imageSize: size,
    trainSize: null,
    testSize: null,
    seed: 3,
    workers: 2,
    subsetLists: new Map([[0.01, readFileSync(join(tiny.subsetsDir, '1percent.txt'), 'utf8')]]),
    onLog: (m) => logs.push(m),
  });
});

afterAll(async () => {
  await dataset?.dispose();
  dir.remove();
});

/** The same decode done independently on this thread. */
async function expectedPixels(file: string): Promise<Uint8Array> {
  const data = await sharp(file).resize(size, size, { fit: 'cover', position: 'centre' }).removeAlpha().raw().toBuffer();
  return new Uint8Array(data);
}

describe('ImageNet loader over an ImageFolder', () => {
  it('lists classes, splits and labels from the folder layout', () => {
    expect(dataset.classNames).toEqual(tiny.classes);
    expect(dataset.train.count).toBe(12);
    expect(dataset.test.count).toBe(6);
    expect([...dataset.train.files]).toEqual(tiny.trainFiles);
    expect(Array.from(dataset.train.labels)).toEqual(tiny.trainFiles.map((f) => tiny.classes.indexOf(basename(f).split('_')[0])));
    expect(Array.from(dataset.test.labels)).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('selects the labelled images named in the official 1% list', () => {
    const subset = dataset.officialSubsets!.get(0.01)!;
    expect(Array.from(subset, (i) => basename(dataset.train.files[i])).sort()).toEqual([...tiny.listed].sort());
    expect(logs.join('\n')).toMatch(/12805 of 12811 files are not in the training images used/);
  });

  it('decodes in the worker pool exactly what sharp gives on this thread, in index order', async () => {
    const indices = [5, 0, 11, 5];
    const batch = await dataset.train.readBatch(indices);
    expect(batch.length).toBe(indices.length * size * size * 3);
    for (let k = 0; k < indices.length; k++) {
      const expected = await expectedPixels(dataset.train.files[indices[k]]);
      expect(batch.subarray(k * size * size * 3, (k + 1) * size * size * 3)).toEqual(expected);
    }
    const test = await dataset.test.readBatch([3]);
    expect(test).toEqual(await expectedPixels(dataset.test.files[3]));
  });

  it('serves prefetched images identical to direct reads', async () => {
    dataset.train.prefetch([1, 2, 3]);
    const prefetched = await dataset.train.readBatch([3, 2, 1]);
    const direct = await dataset.train.readBatch([3, 2, 1]);
    expect(prefetched).toEqual(direct);
  });

  it('names the file when an image cannot be decoded, and rejects out-of-range indices', async () => {
    const broken = tempDir('simclr-imagenet-broken-');
    try {
      for (const split of ['train', 'val']) mkdirSync(join(broken.path, split, 'n01440764'), { recursive: true });
      writeFileSync(join(broken.path, 'train', 'n01440764', 'n01440764_1.JPEG'), Buffer.from('not a jpeg'));
      writeFileSync(join(broken.path, 'val', 'n01440764', 'v.JPEG'), readFileSync(tiny.trainFiles[0]));
      const bad = await loadImageFolderDataset({ root: broken.path, imageSize: size, trainSize: null, testSize: null, seed: 0, workers: 1 });
      try {
        await expect(bad.train.readBatch([0])).rejects.toThrow(/n01440764_1\.JPEG/);
        await expect(bad.train.readBatch([1])).rejects.toThrow(/out of range/);
      } finally {
        await bad.dispose();
      }
    } finally {
      broken.remove();
    }
  });

  it('refuses a folder without the ImageFolder layout', async () => {
    const empty = tempDir('simclr-imagenet-empty-');
    try {
      await expect(loadImageFolderDataset({ root: empty.path, imageSize: size, trainSize: null, testSize: null, seed: 0 })).rejects.toThrow(/no train\/ folder/);
    } finally {
      empty.remove();
    }
  });

  it('draws reproducible random resized crops of the full image', async () => {
    const open = (seed: number) =>
      loadImageFolderDataset({ root: tiny.root, imageSize: size, trainSize: 6, testSize: 3, seed, workers: 1, trainCrop: 'random-resized', cropMinArea: 0.08 });
    const [a, b, c] = await Promise.all([open(7), open(7), open(8)]);
    try {
      expect(a.train.count).toBe(6);
      expect(a.test.count).toBe(3);
      const first = await a.train.readBatch([0, 1, 2]);
      expect(await b.train.readBatch([0, 1, 2])).toEqual(first);
      expect(await c.train.readBatch([0, 1, 2])).not.toEqual(first);
      // A second read of the same images draws new crops.
      expect(await a.train.readBatch([0, 1, 2])).not.toEqual(first);
    } finally {
      await Promise.all([a.dispose(), b.dispose(), c.dispose()]);
    }
  });
});
