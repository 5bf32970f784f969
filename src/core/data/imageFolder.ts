import type { Dataset } from '../types';
import { Rng } from '../random';
import { InMemorySplit } from './inMemorySplit';
import { centreCropResize, type RawImage } from './resize';
import { capIndices } from './subsets';

/**
 * The user's own images, one sub-folder per class, implemented by the host (browser: File objects
 * through createImageBitmap; server: sharp). `decodeImage` returns RGBA (4 bytes/pixel) or RGB
 * (3 bytes/pixel) row-major data; the two are told apart by the data length.
 */
export interface ImageFolderSource {
  listEntries(): Promise<{ path: string; className: string }[]>;
  decodeImage(path: string): Promise<RawImage>;
  /**
   * Files the source passed over before listing (not an image, outside a class sub-folder), so
   * that the load reports them with the ones that failed to decode. Read after `listEntries`.
   */
  readonly skipped?: readonly SkippedImage[];
}

export interface ImageFolderOptions {
  /** Side of the square images produced (centre crop, then bilinear resize). */
  imageSize: number;
  /** Share of each class held out for testing (default 0.2). */
  testFraction?: number;
  trainSize: number | null;
  testSize: number | null;
  seed: number;
}

export interface SkippedImage {
  path: string;
  reason: string;
}

export interface ImageFolderResult {
  dataset: Dataset;
  /** Files the source passed over, then files that could not be decoded; they are left out, never fatal. */
  skipped: SkippedImage[];
}

/**
 * Loads an image folder. Classes are the sorted class names. Each class's files (sorted by path, then
 * shuffled with the seed) are split: round(testFraction × n) to test — at least one when the class
 * has two or more images and testFraction > 0 — the rest to train. Caps are applied per split as a
 * seeded class-balanced sample before decoding, so only chosen files are decoded; files that fail to
 * decode are listed in `skipped` (after those the source passed over), which can leave a split
 * slightly below its cap.
 */
export async function loadImageFolder(source: ImageFolderSource, options: ImageFolderOptions): Promise<ImageFolderResult> {
  const testFraction = options.testFraction ?? 0.2;
  if (!(testFraction >= 0 && testFraction < 1)) throw new Error(`testFraction must be in [0, 1), got ${testFraction}`);
  if (!Number.isInteger(options.imageSize) || options.imageSize <= 0)
    throw new Error(`imageSize must be a positive integer, got ${options.imageSize}`);

  const entries = (await source.listEntries()).slice().sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (entries.length === 0) throw new Error('the image folder has no images (expected one sub-folder of images per class)');
  const classNames = [...new Set(entries.map((e) => e.className))].sort();
  const pathsByClass = new Map<string, string[]>(classNames.map((name) => [name, []]));
  for (const entry of entries) pathsByClass.get(entry.className)!.push(entry.path);

  const rng = new Rng(options.seed);
  const trainPaths: string[] = [];
  const trainLabels: number[] = [];
  const testPaths: string[] = [];
  const testLabels: number[] = [];
  classNames.forEach((name, label) => {
    const paths = rng.shuffle(pathsByClass.get(name)!.slice());
    let testCount = Math.round(testFraction * paths.length);
    if (testFraction > 0 && paths.length >= 2) testCount = Math.min(paths.length - 1, Math.max(1, testCount));
    paths.forEach((path, i) => {
      if (i < testCount) {
        testPaths.push(path);
        testLabels.push(label);
      } else {
        trainPaths.push(path);
        trainLabels.push(label);
      }
    });
  });

  const failed: SkippedImage[] = [];
  const decodeSplit = async (paths: string[], labels: number[], cap: number | null, seed: number) => {
    const chosen = capIndices(labels, cap, seed);
    const imageBytes = options.imageSize * options.imageSize * 3;
    const images = new Uint8Array(chosen.length * imageBytes);
    const kept: number[] = [];
    for (const index of chosen) {
      try {
        const pixels = centreCropResize(await source.decodeImage(paths[index]), options.imageSize);
        images.set(pixels, kept.length * imageBytes);
        kept.push(labels[index]);
      } catch (error) {
        failed.push({ path: paths[index], reason: error instanceof Error ? error.message : String(error) });
      }
    }
    return new InMemorySplit(images.slice(0, kept.length * imageBytes), Int32Array.from(kept), options.imageSize);
  };
  const train = await decodeSplit(trainPaths, trainLabels, options.trainSize, rng.seed());
  const test = await decodeSplit(testPaths, testLabels, options.testSize, rng.seed());

  if (train.count + test.count === 0) {
    const first = failed[0];
    throw new Error(
      `no readable images in the folder: all ${failed.length} decoded file(s) failed` +
        (first ? ` (e.g. ${first.path}: ${first.reason})` : ''),
    );
  }
  return { dataset: { name: 'folder', classNames, train, test }, skipped: [...(source.skipped ?? []), ...failed] };
}
