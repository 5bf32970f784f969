import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeDataSource, resolveDatasetsRoot } from '../../node/nodeDataSource';
import { loadMnist, parseIdxImages, parseIdxLabels } from './mnist';
import { mapDataSource } from './source';

const root = resolveDatasetsRoot();

function idxImages(count: number, rows: number, cols: number, magic = 2051): Uint8Array {
  const bytes = new Uint8Array(16 + count * rows * cols);
  const view = new DataView(bytes.buffer);
  [magic, count, rows, cols].forEach((word, i) => view.setUint32(4 * i, word));
  for (let i = 16; i < bytes.length; i++) bytes[i] = i % 251;
  return bytes;
}

function idxLabels(labels: number[], magic = 2049): Uint8Array {
  const bytes = new Uint8Array(8 + labels.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic);
  view.setUint32(4, labels.length);
  bytes.set(labels, 8);
  return bytes;
}

describe('loadMnist on the real files', () => {
  it('loads capped RGB splits whose pixels replicate the IDX grey values', async () => {
    const all = await loadMnist(nodeDataSource(root), { trainSize: null, testSize: 300, seed: 1 });
    expect(all.train.count).toBe(60000);
    expect(all.test.count).toBe(300);
    expect(all.train.imageSize).toBe(28);
    expect(all.train.labels[0]).toBe(5);
    expect(Array.from(all.train.labels.slice(0, 5))).toEqual([5, 0, 4, 1, 9]);
    const raw = readFileSync(`${root}/mnist/train-images-idx3-ubyte`);
    const image = await all.train.readBatch([0]);
    for (let p = 0; p < 784; p++) {
      expect(image[3 * p]).toBe(raw[16 + p]);
      expect(image[3 * p + 2]).toBe(raw[16 + p]);
    }
    // MNIST is mostly black background: mean intensity about 0.13.
    const batch = await all.test.readBatch(Array.from({ length: 300 }, (_, i) => i));
    const mean = batch.reduce((a, b) => a + b, 0) / batch.length / 255;
    expect(mean).toBeGreaterThan(0.1);
    expect(mean).toBeLessThan(0.16);
    const counts = new Array(10).fill(0);
    for (const label of all.test.labels) counts[label]++;
    for (const count of counts) expect(Math.abs(count - 30)).toBeLessThanOrEqual(4);
  });
});

describe('IDX parsing', () => {
  it('parses headers and checks magic numbers, sizes and counts', () => {
    const images = parseIdxImages(idxImages(3, 2, 2), 'x');
    expect([images.count, images.rows, images.cols, images.pixels.length]).toEqual([3, 2, 2, 12]);
    expect(Array.from(parseIdxLabels(idxLabels([1, 2, 3]), 'y'))).toEqual([1, 2, 3]);
    expect(() => parseIdxImages(idxImages(3, 2, 2, 2049), 'a')).toThrow('a: not an IDX image file (magic number 2049, expected 2051)');
    expect(() => parseIdxLabels(idxLabels([1], 2051), 'b')).toThrow('b: not an IDX label file (magic number 2051, expected 2049)');
    expect(() => parseIdxLabels(idxLabels([1, 10]), 'c')).toThrow('c: label 1 is 10, expected a digit 0-9');
    expect(() => parseIdxImages(new Uint8Array(7), 'd')).toThrow('d: truncated IDX file: 7 bytes, shorter than its 16-byte header');
  });

  it('reports a truncated image file through the loader, naming it', async () => {
    const files = new Map([
      ['mnist/train-images-idx3-ubyte', idxImages(4, 28, 28).subarray(0, 1000)],
      ['mnist/train-labels-idx1-ubyte', idxLabels([0, 1, 2, 3])],
    ]);
    await expect(loadMnist(mapDataSource(files), { trainSize: null, testSize: null, seed: 0 })).rejects.toThrow(
      'mnist/train-images-idx3-ubyte: truncated IDX file: 1000 bytes, expected 16 + 4×28×28 = 3152',
    );
  });

  it('rejects mismatched counts and image sizes', async () => {
    const load = (images: Uint8Array, labels: Uint8Array) =>
      loadMnist(
        mapDataSource(
          new Map([
            ['mnist/train-images-idx3-ubyte', images],
            ['mnist/train-labels-idx1-ubyte', labels],
          ]),
        ),
        {
          trainSize: null,
          testSize: null,
          seed: 0,
        },
      );
    await expect(load(idxImages(4, 28, 28), idxLabels([0, 1, 2]))).rejects.toThrow(
      'mnist/train-labels-idx1-ubyte: has 3 labels but mnist/train-images-idx3-ubyte has 4 images',
    );
    await expect(load(idxImages(4, 20, 20), idxLabels([0, 1, 2, 3]))).rejects.toThrow('expected 28×28 images, got 20×20');
    await expect(load(idxImages(4, 28, 28), idxLabels([0, 1, 2, 3]))).rejects.toThrow(
      'mnist/t10k-images-idx3-ubyte is missing — run `npm run fetch-datasets`',
    );
  });
});
