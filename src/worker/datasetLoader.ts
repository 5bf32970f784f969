import type { Dataset, RunConfig } from '../core';
import { loadCifar10 } from '../core/data/cifar10';
import { loadImageFolder } from '../core/data/imageFolder';
import { loadMnist } from '../core/data/mnist';
import { createShapesDataset } from '../core/data/shapes';
import { fetchDataSource } from '../core/data/source';
import type { FolderFile } from '../protocol/labWorkerApi';
import { BlobImageFolder } from '../browser/browserSources';

/** Shapes are generated, so "all of them" needs a number. */
const shapesDefaultSize = { train: 2000, test: 500 };

export interface LoadedDataset {
  dataset: Dataset;
  /** Folder images that could not be used. */
  skipped: { path: string; reason: string }[];
}

/** The dataset fields that decide which images are loaded: the cache key. */
export function datasetKey(config: RunConfig, folder?: FolderFile[]): string {
  const { name, trainSize, testSize, imageSize } = config.dataset;
  const folderKey = name === 'folder' ? `${folder?.length ?? 0}:${folder?.[0]?.path ?? ''}` : '';
  return JSON.stringify([name, trainSize, testSize, name === 'shapes' || name === 'folder' ? imageSize : 0, config.seed, folderKey]);
}

export async function loadBrowserDataset(
  config: RunConfig,
  folder?: FolderFile[],
  progress?: (message: string) => void,
): Promise<LoadedDataset> {
  const { name, trainSize, testSize, imageSize } = config.dataset;
  const caps = { trainSize, testSize, seed: config.seed, progress };
  const source = fetchDataSource(`${self.location.origin}${import.meta.env.BASE_URL}datasets`);
  switch (name) {
    case 'cifar10':
      return { dataset: await loadCifar10(source, caps), skipped: [] };
    case 'mnist':
      return { dataset: await loadMnist(source, caps), skipped: [] };
    case 'shapes':
      return {
        dataset: createShapesDataset({
          trainSize: trainSize ?? shapesDefaultSize.train,
          testSize: testSize ?? shapesDefaultSize.test,
          imageSize,
          seed: config.seed,
        }),
        skipped: [],
      };
    case 'folder': {
      if (!folder?.length) throw new Error('Choose a folder of images first (one sub-folder per class).');
      const images = new BlobImageFolder(folder);
      const result = await loadImageFolder(images, { imageSize, trainSize, testSize, seed: config.seed });
      return { dataset: result.dataset, skipped: [...images.skipped, ...result.skipped] };
    }
    case 'imagenet':
      throw new Error('ImageNet runs on the GPU server (npm run server), not in the browser.');
  }
}
