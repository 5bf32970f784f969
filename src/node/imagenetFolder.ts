import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { DEFAULT_CROP_ASPECT } from '../core/augment';
import { centreCropBox, sampleCropBox, type CropBox } from '../core/augmentOps/crop';
import { capIndices } from '../core/data/subsets';
import { parseSubsetList } from '../core/data/imagenetSubsets';
import { Rng } from '../core/random';
import type { Dataset, DatasetSplit, RandomCropRequest } from '../core/types';
import { DecodePool, type PixelBox } from './decodePool';

/**
 * The server's ImageNet loader: an ImageFolder on disk (train/<wnid>/*.JPEG, val/<wnid>/*.JPEG)
 * as a Dataset whose images are decoded on demand, at full resolution, by a pool of worker threads
 * (sharp), then cropped and resized (bicubic) to `imageSize` as the official tf2/data_util.py does:
 * - training reads (`readRandomCrops`): each view is a random resized crop of the whole image,
 *   its box sampled as TF's sample_distorted_bounding_box (area in [minArea, 1] with the 0.1
 *   min_object_covered bound, aspect in [3/4, 4/3], the whole image after 100 failed attempts);
 *   the views of one image share one decode;
 * - evaluation reads (`readBatch`, both splits): the official centre crop, a square of 87.5% of the
 *   shorter side.
 * Splits can be told the next batch (`prefetch`) so decoding runs ahead of the GPU. The official
 * 1%/10% lists select the labelled images (`officialSubsets`).
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
  /** Most decoded images held ahead of use per split. */
  prefetchLimit?: number;
  onLog?: (message: string) => void;
}

export interface PrefetchingSplit extends DatasetSplit {
  /** Starts decoding these images now; a later readBatch of them finds them ready. */
  prefetch(indices: ArrayLike<number>, crops?: RandomCropRequest): void;
  readRandomCrops(indices: ArrayLike<number>, crops: RandomCropRequest): Promise<Uint8Array[]>;
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
  if (!existsSync(trainDir))
    throw new Error(`${options.root} is not an ImageFolder: it has no train/ folder (expected train/<wnid>/*.JPEG and val/<wnid>/*.JPEG)`);
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
  const prefetchLimit = options.prefetchLimit ?? 1024;
  const trainSplit = new ImageFileSplit(train.files, train.labels, options.imageSize, pool, options.seed, prefetchLimit);
  const testSplit = new ImageFileSplit(test.files, test.labels, options.imageSize, pool, options.seed + 1, prefetchLimit);

  const officialSubsets = new Map<number, Int32Array>();
  const indexOfFile = new Map(train.files.map((file, i) => [basename(file), i]));
  for (const [fraction, text] of options.subsetLists ?? []) {
    const listed = parseSubsetList(text).files;
    const indices = listed.map((name) => indexOfFile.get(name)).filter((i): i is number => i !== undefined);
    if (indices.length < listed.length) {
      options.onLog?.(
        `subset list for ${fraction * 100}% labels: ${listed.length - indices.length} of ${listed.length} files are not in the training images used (missing or capped away)`,
      );
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
  const folders = (await readdir(dir, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
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

/** The training crops of one read of an image of width×height: `views` boxes drawn from `rng`. */
export function trainingCropBoxes(width: number, height: number, crops: RandomCropRequest, rng: Rng): CropBox[] {
  const options = { minArea: crops.minArea, aspectRange: DEFAULT_CROP_ASPECT, minObjectCovered: 0.1, maxAttempts: 100 };
  return Array.from({ length: crops.views }, () => sampleCropBox(height, width, options, rng));
}

/** The evaluation crop of an image of width×height (official centre crop, 87.5%). */
export function evaluationCropBox(width: number, height: number): CropBox {
  return centreCropBox(height, width);
}

const toPixelBox = (box: CropBox): PixelBox => [box.left, box.top, box.width, box.height];

function checkCropRequest(crops: RandomCropRequest): void {
  if (!(Number.isInteger(crops.views) && crops.views >= 1))
    throw new RangeError(`crops.views must be a positive integer, got ${crops.views}`);
  if (!(crops.minArea > 0 && crops.minArea <= 1)) throw new RangeError(`crops.minArea must be in (0, 1], got ${crops.minArea}`);
}

class ImageFileSplit implements PrefetchingSplit {
  readonly count: number;
  private readonly ahead = new Map<string, Promise<Uint8Array[]>>();
  private readonly imageBytes: number;
  /** Width and height of each image once measured (0 = not yet). */
  private readonly sizes: Int32Array;
  private readonly measuring = new Map<number, Promise<[number, number]>>();
  /** How many training reads each image has had: each read draws its crops from its own stream. */
  private readonly draws: Uint32Array;

  constructor(
    readonly files: readonly string[],
    readonly labels: Int32Array,
    readonly imageSize: number,
    private readonly pool: DecodePool,
    private readonly seed: number,
    private readonly prefetchLimit: number,
  ) {
    this.count = files.length;
    this.imageBytes = imageSize * imageSize * 3;
    this.sizes = new Int32Array(2 * files.length);
    this.draws = new Uint32Array(files.length);
  }

  prefetch(indices: ArrayLike<number>, crops?: RandomCropRequest): void {
    if (crops) checkCropRequest(crops);
    for (let k = 0; k < indices.length && this.ahead.size < this.prefetchLimit; k++) {
      const index = indices[k];
      const key = this.keyOf(index, crops);
      if (this.ahead.has(key)) continue;
      const decoding = this.decode(index, crops);
      // A failure surfaces when the batch is read, not as an unhandled rejection now.
      decoding.catch(() => undefined);
      this.ahead.set(key, decoding);
    }
  }

  /** The evaluation crop of each image. */
  async readBatch(indices: ArrayLike<number>): Promise<Uint8Array> {
    const [out] = await this.read(indices, undefined, 1);
    return out;
  }

  async readRandomCrops(indices: ArrayLike<number>, crops: RandomCropRequest): Promise<Uint8Array[]> {
    checkCropRequest(crops);
    return this.read(indices, crops, crops.views);
  }

  private async read(indices: ArrayLike<number>, crops: RandomCropRequest | undefined, views: number): Promise<Uint8Array[]> {
    const out = Array.from({ length: views }, () => new Uint8Array(indices.length * this.imageBytes));
    const pending: Promise<void>[] = [];
    for (let k = 0; k < indices.length; k++) {
      const key = this.keyOf(indices[k], crops);
      const ready = this.ahead.get(key);
      this.ahead.delete(key);
      pending.push(
        (ready ?? this.decode(indices[k], crops)).then((images) => images.forEach((pixels, v) => out[v].set(pixels, k * this.imageBytes))),
      );
    }
    await Promise.all(pending);
    return out;
  }

  private keyOf(index: number, crops: RandomCropRequest | undefined): string {
    return crops ? `${index}/${crops.views}/${crops.minArea}` : `${index}`;
  }

  private decode(index: number, crops: RandomCropRequest | undefined): Promise<Uint8Array[]> {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      return Promise.reject(new RangeError(`image index ${index} is out of range (split has ${this.count} images)`));
    }
    // Taken now, not once the size is known, so the crops do not depend on the order reads finish.
    const draw = crops ? this.draws[index]++ : 0;
    return this.measure(index).then(([width, height]) => {
      const boxes = crops
        ? trainingCropBoxes(width, height, crops, new Rng(this.seed).fork(index).fork(draw))
        : [evaluationCropBox(width, height)];
      return this.pool.decode({ path: this.files[index], size: this.imageSize, width, height, boxes: boxes.map(toPixelBox) });
    });
  }

  /** The image's size after EXIF orientation, read from its header once. */
  private measure(index: number): Promise<[number, number]> {
    if (this.sizes[2 * index] > 0) return Promise.resolve([this.sizes[2 * index], this.sizes[2 * index + 1]]);
    let measuring = this.measuring.get(index);
    if (!measuring) {
      const file = this.files[index];
      measuring = sharp(file, { failOn: 'error' })
        .metadata()
        .then((meta): [number, number] => {
          const { width, height } = meta.autoOrient;
          if (!(width > 0 && height > 0)) throw new Error('image has no size');
          this.sizes[2 * index] = width;
          this.sizes[2 * index + 1] = height;
          return [width, height];
        })
        .catch((error: unknown) => {
          throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
        })
        .finally(() => this.measuring.delete(index));
      this.measuring.set(index, measuring);
    }
    return measuring;
  }
}
