import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { capIndices } from '../core/data/subsets';
import { parseSubsetList } from '../core/data/imagenetSubsets';
import { Rng } from '../core/random';
import type { Dataset, DatasetSplit } from '../core/types';
import { DecodePool, type CropBox } from './decodePool';

/**
 * The server's ImageNet loader: an ImageFolder on disk (train/<wnid>/*.JPEG, val/<wnid>/*.JPEG)
 * as a Dataset whose images are decoded on demand by a pool of worker threads (sharp), resized to
 * `imageSize`. Splits can be told the next batch (`prefetch`) so decoding runs ahead of the GPU.
 * The official 1%/10% lists select the labelled images (`officialSubsets`).
 */

export interface ImageNetLoaderOptions {
  root: string;
  imageSize: number;
  trainSize: number | null;
  testSize: number | null;
  seed: number;
  /** Subset list texts (one training file name per line) keyed by label fraction. */
  subsetLists?: ReadonlyMap<number, string>;
  /** Decode threads (default: cores - 1, at most 8). */
  workers?: number;
  /**
   * 'centre': shorter side to imageSize, centre crop (the engine augments afterwards).
   * 'random-resized': a random crop (area ≥ cropMinArea, aspect in [3/4, 4/3]) of the full image
   * first, as the official input pipeline does at 224 px.
   */
  trainCrop?: 'centre' | 'random-resized';
  cropMinArea?: number;
  /** Most decoded images held ahead of use per split. */
  prefetchLimit?: number;
  onLog?: (message: string) => void;
}

export interface PrefetchingSplit extends DatasetSplit {
  /** Starts decoding these images now; a later readBatch of them finds them ready. */
  prefetch(indices: ArrayLike<number>): void;
  /** Absolute file path of each image. */
  readonly files: readonly string[];
}

export interface ImageNetDataset extends Dataset {
  readonly train: PrefetchingSplit;
  readonly test: PrefetchingSplit;
  readonly pool: DecodePool;
  dispose(): Promise<void>;
}

const imageFile = /\.(jpe?g|png|webp)$/i;
const testFolderNames = ['val', 'validation', 'test'];

export async function loadImageFolderDataset(options: ImageNetLoaderOptions): Promise<ImageNetDataset> {
  const trainDir = join(options.root, 'train');
  if (!existsSync(trainDir)) throw new Error(`${options.root} is not an ImageFolder: it has no train/ folder (expected train/<wnid>/*.JPEG and val/<wnid>/*.JPEG)`);
  const testName = testFolderNames.find((name) => existsSync(join(options.root, name)));
  if (!testName) throw new Error(`${options.root} has no val/ folder (expected val/<wnid>/*.JPEG)`);
  const classNames = (await readdir(trainDir, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  if (classNames.length === 0) throw new Error(`${trainDir} has no class folders`);
  const classIndex = new Map(classNames.map((name, i) => [name, i]));

  const train = capped(await listImages(trainDir, classIndex, false), options.trainSize, options.seed);
  const test = capped(await listImages(join(options.root, testName), classIndex, true), options.testSize, options.seed + 1);
  if (train.files.length === 0) throw new Error(`${trainDir} holds no images (.JPEG, .jpg, .png, .webp)`);

  const pool = new DecodePool(options.workers);
  const trainCrop = options.trainCrop === 'random-resized' ? randomResizedCrops(train.files.length, options.seed, options.cropMinArea ?? 0.08) : () => null;
  const prefetchLimit = options.prefetchLimit ?? 1024;
  const trainSplit = new ImageFileSplit(train.files, train.labels, options.imageSize, pool, trainCrop, prefetchLimit);
  const testSplit = new ImageFileSplit(test.files, test.labels, options.imageSize, pool, () => null, prefetchLimit);

  const officialSubsets = new Map<number, Int32Array>();
  const indexOfFile = new Map(train.files.map((file, i) => [basename(file), i]));
  for (const [fraction, text] of options.subsetLists ?? []) {
    const listed = parseSubsetList(text).files;
    const indices = listed.map((name) => indexOfFile.get(name)).filter((i): i is number => i !== undefined);
    if (indices.length < listed.length) {
      options.onLog?.(`subset list for ${fraction * 100}% labels: ${listed.length - indices.length} of ${listed.length} files are not in the training images used (missing or capped away)`);
    }
    if (indices.length > 0) officialSubsets.set(fraction, Int32Array.from(indices).sort());
  }

  return {
    name: 'imagenet',
    classNames,
    train: trainSplit,
    test: testSplit,
    officialSubsets,
    pool,
    dispose: () => pool.close(),
  };
}

interface ImageList {
  files: string[];
  labels: Int32Array;
}

async function listImages(dir: string, classIndex: ReadonlyMap<string, number>, strict: boolean): Promise<ImageList> {
  const files: string[] = [];
  const labels: number[] = [];
  const folders = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
  for (const folder of folders) {
    const label = classIndex.get(folder);
    if (label === undefined) {
      if (strict) throw new Error(`${join(dir, folder)}: class ${folder} has no training folder`);
      continue;
    }
    const names = (await readdir(join(dir, folder))).filter((name) => imageFile.test(name)).sort();
    for (const name of names) {
      files.push(join(dir, folder, name));
      labels.push(label);
    }
  }
  return { files, labels: Int32Array.from(labels) };
}

function capped(list: ImageList, cap: number | null, seed: number): ImageList {
  if (cap === null || cap >= list.files.length) return list;
  const keep = capIndices(list.labels, cap, seed);
  return { files: Array.from(keep, (i) => list.files[i]), labels: Int32Array.from(keep, (i) => list.labels[i]) };
}

/**
 * Crop boxes for the official-style random resized crop: every read of image i draws a new box
 * from a stream seeded by (seed, i, how many times i was read), so runs are reproducible. Boxes are
 * fractions of the image, drawn as if it were square (the aspect range is random anyway).
 */
function randomResizedCrops(count: number, seed: number, minArea: number): (index: number) => CropBox {
  const draws = new Uint32Array(count);
  return (index) => {
    // Fresh roots each time: Rng.fork advances its parent, which would make boxes depend on read order.
    const rng = new Rng(seed).fork(index).fork(draws[index]++);
    for (let attempt = 0; attempt < 10; attempt++) {
      const area = rng.uniform(minArea, 1);
      const ratio = Math.exp(rng.uniform(Math.log(3 / 4), Math.log(4 / 3)));
      const w = Math.sqrt(area * ratio);
      const h = Math.sqrt(area / ratio);
      if (w <= 1 && h <= 1) return [rng.uniform(0, 1 - w), rng.uniform(0, 1 - h), w, h];
    }
    return [0, 0, 1, 1];
  };
}

class ImageFileSplit implements PrefetchingSplit {
  readonly count: number;
  private readonly ahead = new Map<number, Promise<Uint8Array>>();
  private readonly imageBytes: number;

  constructor(
    readonly files: readonly string[],
    readonly labels: Int32Array,
    readonly imageSize: number,
    private readonly pool: DecodePool,
    private readonly cropFor: (index: number) => CropBox | null,
    private readonly prefetchLimit: number,
  ) {
    this.count = files.length;
    this.imageBytes = imageSize * imageSize * 3;
  }

  prefetch(indices: ArrayLike<number>): void {
    for (let k = 0; k < indices.length && this.ahead.size < this.prefetchLimit; k++) {
      const index = indices[k];
      if (this.ahead.has(index)) continue;
      const decoding = this.decode(index);
      // A failure surfaces when the batch is read, not as an unhandled rejection now.
      decoding.catch(() => undefined);
      this.ahead.set(index, decoding);
    }
  }

  async readBatch(indices: ArrayLike<number>): Promise<Uint8Array> {
    const out = new Uint8Array(indices.length * this.imageBytes);
    const pending: Promise<void>[] = [];
    for (let k = 0; k < indices.length; k++) {
      const index = indices[k];
      const ready = this.ahead.get(index);
      this.ahead.delete(index);
      pending.push((ready ?? this.decode(index)).then((pixels) => out.set(pixels, k * this.imageBytes)));
    }
    await Promise.all(pending);
    return out;
  }

  private decode(index: number): Promise<Uint8Array> {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      return Promise.reject(new RangeError(`image index ${index} is out of range (split has ${this.count} images)`));
    }
    return this.pool.decode(this.files[index], this.imageSize, this.cropFor(index));
  }
}
