import { availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { permutation, Rng } from '../core/random';
import { parseChoiceFlag, parseCommandLine, parseIntegerFlag, printUsage, runCommand } from '../node/commandLine';
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

const LOADER_BENCH_USAGE = `Usage: npx tsx src/bench/imagenetInputBench.ts [--root DIR] [--size 224] [--batch 64] [--batches 8]
                          [--workers N] [--read pretrain|finetune|eval] [--images 256]`;

function parseLoaderBenchArgs(argv: readonly string[]): Partial<LoaderBenchOptions> & { help: boolean } {
  const flags = parseCommandLine(argv, {
    root: { type: 'string' },
    size: { type: 'string' },
    batch: { type: 'string' },
    batches: { type: 'string' },
    workers: { type: 'string' },
    read: { type: 'string' },
    images: { type: 'string' },
  });
  // Absent flags stay absent, so benchImageLoader's defaults apply.
  const integer = (flag: string, text: string | undefined) => (text === undefined ? undefined : parseIntegerFlag(flag, text, { min: 1 }));
  const options: Partial<LoaderBenchOptions> = {
    root: flags.root,
    imageSize: integer('--size', flags.size),
    batchSize: integer('--batch', flags.batch),
    batches: integer('--batches', flags.batches),
    workers: integer('--workers', flags.workers),
    read: flags.read === undefined ? undefined : parseChoiceFlag('--read', flags.read, ['pretrain', 'finetune', 'eval']),
    syntheticImages: integer('--images', flags.images),
  };
  const given = Object.entries(options).filter(([, value]) => value !== undefined);
  return { ...Object.fromEntries(given), help: flags.help };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runCommand(
    async () => {
      const { help, ...options } = parseLoaderBenchArgs(process.argv.slice(2));
      if (help) return printUsage(LOADER_BENCH_USAGE);
      console.log(JSON.stringify(await benchImageLoader(options), null, 2));
      return 0;
    },
    { usage: LOADER_BENCH_USAGE },
  );
}
