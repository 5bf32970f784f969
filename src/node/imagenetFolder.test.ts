import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../core/random';
import { evaluationCropBox, loadImageFolderDataset, trainingCropBoxes, type ImageNetDataset } from './imagenetFolder';
import { buildTinyImageNet, officialListMissing, type TinyImageNet } from './tinyImageNet';
import { tempDir } from '../testing/tempDir';

const dir = tempDir('simclr-imagenet-');
let tiny: TinyImageNet;
let dataset: ImageNetDataset;
const logs: string[] = [];
const size = 16;
const listMissing = officialListMissing();
if (listMissing) console.warn(`skipping the official 1% list test: ${listMissing}`);

beforeAll(async () => {
  tiny = await buildTinyImageNet(dir.path, { classes: 3, listedPerClass: 2, extraPerClass: 2, valPerClass: 2 });
  dataset = await loadImageFolderDataset({
    root: tiny.root,
    imageSize: size,
    trainSize: null,
    testSize: null,
    seed: 3,
    workers: 2,
    subsetLists: new Map([[0.01, tiny.official ? readFileSync(join(tiny.subsetsDir, '1percent.txt'), 'utf8') : tiny.listed.join('\n')]]),
    onLog: (m) => logs.push(m),
  });
});

afterAll(async () => {
  await dataset?.dispose();
  dir.remove();
});

/** Full-resolution decode of `file`, then `box` = [left, top, width, height] resized bicubically to side×side, on this thread. */
async function cropOnThisThread(file: string, box: [number, number, number, number], side = size): Promise<Uint8Array> {
  const full = await sharp(file).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = full.info;
  const data = await sharp(full.data, { raw: { width, height, channels: 3 } })
    .extract({ left: box[0], top: box[1], width: box[2], height: box[3] })
    .resize(side, side, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer();
  return new Uint8Array(data);
}

/**
 * The official evaluation crop (tf2/data_util.py center_crop, CROP_PROPORTION 0.875) computed
 * here from its definition: square side rint(0.875 × shorter side), offsets ((size − side) + 1) // 2.
 */
async function expectedPixels(file: string): Promise<Uint8Array> {
  const { width, height } = await sharp(file).metadata();
  const exact = 0.875 * Math.min(width, height);
  const side = exact % 1 === 0.5 ? 2 * Math.round(exact / 2) : Math.round(exact); // rint: half to even
  return cropOnThisThread(file, [Math.floor((width - side + 1) / 2), Math.floor((height - side + 1) / 2), side, side]);
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

  it.skipIf(listMissing)('selects the labelled images named in the official 1% list', () => {
    const subset = dataset.officialSubsets!.get(0.01)!;
    expect(Array.from(subset, (i) => basename(dataset.train.files[i])).sort()).toEqual([...tiny.listed].sort());
    expect(logs.join('\n')).toMatch(/12805 of 12811 files are not in the training images used/);
  });

  it('serves the official 87.5% centre crop for evaluation, exactly as computed on this thread, in index order', async () => {
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
      const bad = await loadImageFolderDataset({
        root: broken.path,
        imageSize: size,
        trainSize: null,
        testSize: null,
        seed: 0,
        workers: 1,
      });
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
      await expect(loadImageFolderDataset({ root: empty.path, imageSize: size, trainSize: null, testSize: null, seed: 0 })).rejects.toThrow(
        /no train\/ folder/,
      );
    } finally {
      empty.remove();
    }
  });

  it('computes the official evaluation crop geometry (64×48 image: 42-px square at (11, 3))', () => {
    // 0.875 × 48 = 42; offsets ((64 − 42) + 1) // 2 = 11 and ((48 − 42) + 1) // 2 = 3.
    expect(evaluationCropBox(64, 48)).toMatchObject({ left: 11, top: 3, width: 42, height: 42 });
    // Portrait: 0.875 × 375 = 328.125 → 328; offsets 24 and 86.
    expect(evaluationCropBox(375, 500)).toMatchObject({ left: 24, top: 86, width: 328, height: 328 });
    // 0.875 × 500 = 437.5 → 438 (rint rounds half to even).
    expect(evaluationCropBox(500, 500)).toMatchObject({ left: 31, top: 31, width: 438, height: 438 });
    expect(evaluationCropBox(4, 4)).toMatchObject({ left: 0, top: 0, width: 4, height: 4 }); // rint(3.5) = 4
  });

  it('draws training crop boxes on the whole image, with the official area and aspect ranges', () => {
    const width = 500;
    const height = 375;
    const rng = new Rng(11);
    const boxes = Array.from({ length: 400 }, () => trainingCropBoxes(width, height, { views: 2, minArea: 0.08 }, rng)).flat();
    expect(boxes).toHaveLength(800);
    for (const box of boxes) {
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.left + box.width).toBeLessThanOrEqual(width);
      expect(box.top + box.height).toBeLessThanOrEqual(height);
      // min_object_covered = 0.1 lifts the 0.08 lower bound to 0.1, as in the official code.
      expect(box.areaFraction).toBeGreaterThanOrEqual(0.1);
      // Aspect in [3/4, 4/3], up to the rounding of the width to whole pixels.
      expect(box.aspectRatio).toBeGreaterThanOrEqual(3 / 4 - 1 / box.height);
      expect(box.aspectRatio).toBeLessThanOrEqual(4 / 3 + 1 / box.height);
    }
    const areas = boxes.map((b) => b.areaFraction);
    expect(Math.min(...areas)).toBeLessThan(0.15);
    expect(Math.max(...areas)).toBeGreaterThan(0.9);
    // Not confined to the centre square (x in [62.5, 437.5)), where crops of a centre-cropped
    // image would lie: a good share of the boxes reach into the strip left or right of it.
    const centreLeft = (width - height) / 2;
    expect(boxes.filter((b) => b.left < centreLeft).length).toBeGreaterThan(0.1 * boxes.length);
    expect(boxes.filter((b) => b.left + b.width > width - centreLeft).length).toBeGreaterThan(0.1 * boxes.length);
    // Offsets cover the image: box centres spread over most of its width and height.
    const centresX = boxes.map((b) => b.left + b.width / 2);
    const centresY = boxes.map((b) => b.top + b.height / 2);
    expect(Math.min(...centresX)).toBeLessThan(0.2 * width);
    expect(Math.max(...centresX)).toBeGreaterThan(0.8 * width);
    expect(Math.min(...centresY)).toBeLessThan(0.25 * height);
    expect(Math.max(...centresY)).toBeGreaterThan(0.75 * height);
  });

  it('refuses a bad crop request with the field named', async () => {
    await expect(dataset.train.readRandomCrops([0], { views: 0, minArea: 0.08 })).rejects.toThrow(
      /crops\.views must be a positive integer, got 0/,
    );
    await expect(dataset.train.readRandomCrops([0], { views: 1, minArea: 0 })).rejects.toThrow(/crops\.minArea must be in \(0, 1\], got 0/);
  });

  it('cuts each training view from the full-resolution image with its own box, reproducibly', async () => {
    const open = (seed: number) =>
      loadImageFolderDataset({ root: tiny.root, imageSize: size, trainSize: 6, testSize: 3, seed, workers: 1 });
    const [a, b, c] = await Promise.all([open(7), open(7), open(8)]);
    try {
      expect(a.train.count).toBe(6);
      expect(a.test.count).toBe(3);
      const crops = { views: 2, minArea: 0.08 };
      const [first, second] = await a.train.readRandomCrops([0, 1, 2], crops);
      expect(first).not.toEqual(second);
      // Exactly the boxes drawn from image i's first stream (seed 7, image i, read 0), cut on this thread.
      const bytes = size * size * 3;
      for (let k = 0; k < 3; k++) {
        const file = a.train.files[k];
        const { width, height } = await sharp(file).metadata();
        const boxes = trainingCropBoxes(width, height, crops, new Rng(7).fork(k).fork(0));
        expect(first.subarray(k * bytes, (k + 1) * bytes)).toEqual(
          await cropOnThisThread(file, [boxes[0].left, boxes[0].top, boxes[0].width, boxes[0].height]),
        );
        expect(second.subarray(k * bytes, (k + 1) * bytes)).toEqual(
          await cropOnThisThread(file, [boxes[1].left, boxes[1].top, boxes[1].width, boxes[1].height]),
        );
      }
      expect(await b.train.readRandomCrops([0, 1, 2], crops)).toEqual([first, second]);
      expect((await c.train.readRandomCrops([0, 1, 2], crops))[0]).not.toEqual(first);
      // A second read of the same images draws new crops; prefetched crops equal what a read would give.
      const again = await a.train.readRandomCrops([0, 1, 2], crops);
      expect(again[0]).not.toEqual(first);
      await b.train.readRandomCrops([0, 1, 2], crops); // b is now at the same read count as a
      b.train.prefetch([2, 0, 1], crops);
      expect(await b.train.readRandomCrops([0, 1, 2], crops)).toEqual(await a.train.readRandomCrops([0, 1, 2], crops));
    } finally {
      await Promise.all([a.dispose(), b.dispose(), c.dispose()]);
    }
  });
});

describe('ImageNet loader crops on a wide synthetic JPEG', () => {
  // 240×60, red = x: where a crop came from shows in its red values.
  const wide = tempDir('simclr-imagenet-wide-');
  let loaded: ImageNetDataset;

  beforeAll(async () => {
    const width = 240;
    const height = 60;
    const pixels = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels.set([x, 4 * y, 128], 3 * (y * width + x));
    for (const split of ['train', 'val']) {
      mkdirSync(join(wide.path, split, 'n01440764'), { recursive: true });
      await sharp(pixels, { raw: { width, height, channels: 3 } })
        .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
        .toFile(join(wide.path, split, 'n01440764', 'wide.JPEG'));
    }
    loaded = await loadImageFolderDataset({ root: wide.path, imageSize: size, trainSize: null, testSize: null, seed: 5, workers: 1 });
  });

  afterAll(async () => {
    await loaded?.dispose();
    wide.remove();
  });

  const reds = (image: Uint8Array) => Array.from({ length: image.length / 3 }, (_, p) => image[3 * p]);

  it('training crops come from the whole width, not just the centre square (x in [90, 150))', async () => {
    const ranges: [number, number][] = [];
    for (let read = 0; read < 30; read++) {
      const [view] = await loaded.train.readRandomCrops([0, 0], { views: 1, minArea: 0.08 });
      for (let k = 0; k < 2; k++) {
        const red = reds(view.subarray(k * size * size * 3, (k + 1) * size * size * 3));
        ranges.push([Math.min(...red), Math.max(...red)]);
      }
    }
    // Margins of a few levels for JPEG and bicubic ringing.
    expect(ranges.filter(([, max]) => max < 90 - 4).length).toBeGreaterThan(0);
    expect(ranges.filter(([min]) => min > 150 + 4).length).toBeGreaterThan(0);
  });

  it('evaluation keeps the central 52-px square (87.5% of 60) of the 240-px width', async () => {
    const red = reds(await loaded.test.readBatch([0]));
    // Columns 94..145: red runs from about 94 to 145.
    expect(Math.min(...red)).toBeGreaterThanOrEqual(94 - 3);
    expect(Math.min(...red)).toBeLessThanOrEqual(94 + 3);
    expect(Math.max(...red)).toBeGreaterThanOrEqual(145 - 3);
    expect(Math.max(...red)).toBeLessThanOrEqual(145 + 3);
  });
});
