import { availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { permutation, Rng } from '../core/random';
import { loadImageFolderDataset } from '../node/imagenetFolder';
import { buildTinyImageNet } from '../node/tinyImageNet';

/**
 * Images/s of the ImageNet input pipeline alone (full-resolution JPEG decode + crops + bicubic
 * resize in the worker pool, with the next batch prefetched while the current one is consumed), no
 * training. `read` picks what is measured: 'pretrain' = two random resized crops per image (what a
 * pretraining step reads), 'finetune' = one, 'eval' = the 87.5% centre crop. `npm run bench`
 * reports it; run on its own with `npx tsx src/bench/imagenetInputBench.ts [--root DIR] [--size 224]
 * [--read pretrain|finetune|eval] …`.
 */

export type LoaderBenchRead = 'pretrain' | 'finetune' | 'eval';

const readDescriptions: Record<LoaderBenchRead, string> = {
  pretrain: '2-view random resized',
  finetune: '1-view random resized',
  eval: '87.5% centre',
};

export interface LoaderBenchOptions {
  /** An ImageFolder (train/<wnid>/…); null builds a synthetic one of `syntheticImages` CIFAR-10 JPEGs at 500×375. */
  root: string | null;
  imageSize: number;
  batchSize: number;
  batches: number;
  workers: number;
  read: LoaderBenchRead;
  syntheticImages: number;
}

export interface LoaderBenchResult {
  /** Source images per second (each decoded once, whatever the number of crops cut from it). */
  imagesPerSecond: number;
  /** Crops delivered per second (2 per image for 'pretrain'). */
  viewsPerSecond: number;
  images: number;
  seconds: number;
  workers: number;
  imageSize: number;
  /** What was read, in words ("… crop to N px" follows it in the bench report). */
  trainCrop: string;
  source: string;
}

export const defaultLoaderBench: LoaderBenchOptions = {
  root: null,
  imageSize: 224,
  batchSize: 64,
  batches: 8,
  workers: Math.max(1, Math.min(8, availableParallelism() - 1)),
  read: 'pretrain',
  syntheticImages: 256,
};

export async function benchImageLoader(partial: Partial<LoaderBenchOptions> = {}): Promise<LoaderBenchResult> {
  const options = { ...defaultLoaderBench, ...partial };
  let scratch: string | null = null;
  let root = options.root;
  if (root === null) {
    scratch = mkdtempSync(join(tmpdir(), 'simclr-loader-bench-'));
    const classes = 8;
    const perClass = Math.max(1, Math.ceil(options.syntheticImages / classes));
    // ImageNet's typical JPEG is about 500×375, which is what decoding costs scale with.
    await buildTinyImageNet(scratch, { classes, listedPerClass: 1, extraPerClass: perClass - 1, valPerClass: 1, width: 500, height: 375 });
    root = scratch;
  }
  const dataset = await loadImageFolderDataset({
    root,
    imageSize: options.imageSize,
    trainSize: null,
    testSize: null,
    seed: 0,
    workers: options.workers,
  });
  try {
    const count = dataset.train.count;
    const batchSize = Math.min(options.batchSize, count);
    const order = permutation(count, new Rng(1));
    const batch = (b: number) => Array.from({ length: batchSize }, (_, k) => order[(b * batchSize + k) % count]);
    const crops = options.read === 'eval' ? undefined : { views: options.read === 'pretrain' ? 2 : 1, minArea: 0.08 };
    const read = (indices: number[]) => (crops ? dataset.train.readRandomCrops(indices, crops) : dataset.train.readBatch(indices));
    // Warm-up: threads started, sharp loaded in each.
    await read(batch(0));
    const started = performance.now();
    dataset.train.prefetch(batch(1), crops);
    for (let b = 1; b <= options.batches; b++) {
      await read(batch(b));
      dataset.train.prefetch(batch(b + 1), crops);
    }
    const seconds = (performance.now() - started) / 1000;
    const images = options.batches * batchSize;
    return {
      imagesPerSecond: images / seconds,
      viewsPerSecond: (images * (crops?.views ?? 1)) / seconds,
      images,
      seconds,
      workers: dataset.pool.size,
      imageSize: options.imageSize,
      trainCrop: readDescriptions[options.read],
      source: options.root ?? `synthetic ImageFolder (${count} CIFAR-10 images as 500×375 JPEGs)`,
    };
  } finally {
    await dataset.dispose();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

function parseArgs(argv: string[]): Partial<LoaderBenchOptions> {
  const out: Partial<LoaderBenchOptions> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--root') out.root = value;
    else if (flag === '--size') out.imageSize = Number(value);
    else if (flag === '--batch') out.batchSize = Number(value);
    else if (flag === '--batches') out.batches = Number(value);
    else if (flag === '--workers') out.workers = Number(value);
    else if (flag === '--read') {
      if (value !== 'pretrain' && value !== 'finetune' && value !== 'eval')
        throw new Error(`--read must be pretrain, finetune or eval, got ${value}`);
      out.read = value;
    } else if (flag === '--images') out.syntheticImages = Number(value);
    else throw new Error(`unknown option ${flag}`);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchImageLoader(parseArgs(process.argv.slice(2)))
    .then((result) => console.log(JSON.stringify(result, null, 2)))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : String(error));
      process.exit(1);
    });
}
