import type { RunConfig } from '../config';
import type { Dataset } from '../types';
import { loadCifar10 } from './cifar10';
import { loadImageFolder, type ImageFolderSource, type SkippedImage } from './imageFolder';
import { loadMnist } from './mnist';
import { createShapesDataset } from './shapes';
import type { DataSource } from './source';

export * from './source';
export * from './subsets';
export * from './inMemorySplit';
export * from './cifar10';
export * from './mnist';
export * from './shapes';
export * from './resize';
export * from './imageFolder';
export * from './imagenetSubsets';
export * from './tensor';

/**
 * Sizes of the generated shapes dataset when the config leaves a cap at null (= "all"). Every host
 * (lab, CLI, server) loads through `loadDataset` below, so a shared config trains on the same images
 * everywhere.
 */
export const SHAPES_DEFAULT_TRAIN_SIZE = 10000;
export const SHAPES_DEFAULT_TEST_SIZE = 2000;

/** The caps and seed a host-provided ImageNet loader is given (the same ones every dataset gets). */
export interface ImageNetLoadRequest {
  imageSize: number;
  trainSize: number | null;
  testSize: number | null;
  seed: number;
}

/** What a host injects: the engine itself never reads files, fetches or decodes with a platform API. */
export interface DatasetHosts {
  /** Files under the datasets root (cifar10, mnist). */
  source?: DataSource;
  /** The user's image folder (folder). */
  folder?: ImageFolderSource;
  /** ImageNet in ImageFolder layout (imagenet): the server's streaming loader, which implements Dataset itself. */
  imagenet?: (request: ImageNetLoadRequest) => Promise<Dataset>;
  /** Notices worth showing the user (e.g. image files that could not be read). */
  onLog?: (message: string) => void;
  /** Told before each slow part of a load (fetching, decoding), for a progress line. */
  progress?: (message: string) => void;
}

export interface LoadedDataset {
  dataset: Dataset;
  /** Folder files left out: passed over by the source (not images) or failed to decode. Empty for other datasets. */
  skipped: SkippedImage[];
}

/**
 * The dataset fields (and seed) that decide which images a load produces: equal keys, equal
 * datasets, so a host may reuse a loaded dataset under it. CIFAR-10 and MNIST come at their own
 * size (batches are resized later), so imageSize does not pick other images for them. A host
 * whose images are not named by the config (the lab's picked folder) adds its own part.
 */
export function datasetKey(config: RunConfig): string {
  const { name, trainSize, testSize, imageSize, path, subsetList } = config.dataset;
  const fixedSize = name === 'cifar10' || name === 'mnist';
  return JSON.stringify([name, trainSize, testSize, fixedSize ? null : imageSize, path, subsetList, config.seed]);
}

/**
 * Loads the dataset a run config names, with its trainSize/testSize caps applied (a seeded,
 * class-balanced sample under config.seed), from the sources the host injects, and reports the
 * folder files that were left out. The one loader of every host.
 */
export async function loadDatasetReport(config: RunConfig, hosts: DatasetHosts): Promise<LoadedDataset> {
  const { name, trainSize, testSize, imageSize } = config.dataset;
  const caps = { trainSize, testSize, seed: config.seed, progress: hosts.progress };
  const needSource = (): DataSource => {
    if (!hosts.source) throw new Error(`dataset "${name}" needs a data source for its files (the host did not provide one)`);
    return hosts.source;
  };
  switch (name) {
    case 'cifar10':
      return { dataset: await loadCifar10(needSource(), caps), skipped: [] };
    case 'mnist':
      return { dataset: await loadMnist(needSource(), caps), skipped: [] };
    case 'shapes':
      return {
        dataset: createShapesDataset({
          trainSize: trainSize ?? SHAPES_DEFAULT_TRAIN_SIZE,
          testSize: testSize ?? SHAPES_DEFAULT_TEST_SIZE,
          imageSize,
          seed: config.seed,
        }),
        skipped: [],
      };
    case 'folder':
      if (!hosts.folder)
        throw new Error('dataset "folder" needs an image folder (choose one in the app, or give dataset.path to the CLI/server)');
      return loadImageFolder(hosts.folder, { imageSize, trainSize, testSize, seed: config.seed });
    case 'imagenet':
      if (!hosts.imagenet)
        throw new Error(
          'dataset "imagenet" is read by the server\'s ImageNet loader (npm run server), which implements Dataset itself; it cannot be loaded here',
        );
      return { dataset: await hosts.imagenet({ imageSize, trainSize, testSize, seed: config.seed }), skipped: [] };
    default: {
      const unknown: never = name;
      throw new Error(`unknown dataset "${String(unknown)}"`);
    }
  }
}

/** At most this many skipped files are named in the one log line `loadDataset` writes. */
const SKIPPED_NAMED_IN_LOG = 5;

/** `loadDatasetReport` for hosts that only log what was left out (one line through `hosts.onLog`). */
export async function loadDataset(config: RunConfig, hosts: DatasetHosts): Promise<Dataset> {
  const { dataset, skipped } = await loadDatasetReport(config, hosts);
  if (skipped.length > 0) {
    const shown = skipped
      .slice(0, SKIPPED_NAMED_IN_LOG)
      .map((s) => `${s.path} (${s.reason})`)
      .join(', ');
    hosts.onLog?.(`skipped ${skipped.length} unreadable image(s): ${shown}${skipped.length > SKIPPED_NAMED_IN_LOG ? ', …' : ''}`);
  }
  return dataset;
}
