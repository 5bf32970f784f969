import type { RunConfig } from '../config';
import type { Dataset } from '../types';
import { loadCifar10 } from './cifar10';
import { loadImageFolder, type ImageFolderSource } from './imageFolder';
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

/** Sizes of the generated shapes dataset when the config leaves a cap at null (= "all"). */
export const SHAPES_DEFAULT_TRAIN_SIZE = 10000;
export const SHAPES_DEFAULT_TEST_SIZE = 2000;

export interface DatasetHosts {
  /** Files under the datasets root (cifar10, mnist). */
  source?: DataSource;
  /** The user's image folder (folder). */
  folder?: ImageFolderSource;
  /** Notices worth showing the user (e.g. image files that could not be read). */
  onLog?: (message: string) => void;
}

/**
 * Loads the dataset a run config names, with its trainSize/testSize caps applied (a seeded,
 * class-balanced sample under config.seed). ImageNet is not loaded here: the server's loader
 * implements Dataset itself.
 */
export async function loadDataset(config: RunConfig, hosts: DatasetHosts): Promise<Dataset> {
  const { name, trainSize, testSize, imageSize } = config.dataset;
  const caps = { trainSize, testSize, seed: config.seed };
  const needSource = (): DataSource => {
    if (!hosts.source) throw new Error(`dataset "${name}" needs a data source for its files (the host did not provide one)`);
    return hosts.source;
  };
  switch (name) {
    case 'cifar10':
      return loadCifar10(needSource(), caps);
    case 'mnist':
      return loadMnist(needSource(), caps);
    case 'shapes':
      return createShapesDataset({
        trainSize: trainSize ?? SHAPES_DEFAULT_TRAIN_SIZE,
        testSize: testSize ?? SHAPES_DEFAULT_TEST_SIZE,
        imageSize,
        seed: config.seed,
      });
    case 'folder': {
      if (!hosts.folder)
        throw new Error('dataset "folder" needs an image folder (choose one in the app, or give dataset.path to the CLI/server)');
      const { dataset, skipped } = await loadImageFolder(hosts.folder, { imageSize, trainSize, testSize, seed: config.seed });
      if (skipped.length > 0) {
        const shown = skipped
          .slice(0, 5)
          .map((s) => `${s.path} (${s.reason})`)
          .join(', ');
        hosts.onLog?.(`skipped ${skipped.length} unreadable image(s): ${shown}${skipped.length > 5 ? ', …' : ''}`);
      }
      return dataset;
    }
    case 'imagenet':
      throw new Error(
        'dataset "imagenet" is read by the server\'s ImageNet loader (npm run server), which implements Dataset itself; it cannot be loaded here',
      );
    default: {
      const unknown: never = name;
      throw new Error(`unknown dataset "${String(unknown)}"`);
    }
  }
}
