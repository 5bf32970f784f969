import { parseRunConfig, type RunConfig } from '../core/config';
import { loadDataset } from '../core/data';
import type { Dataset, DatasetSplit } from '../core/types';

/**
 * The share-link case every host must agree on: shapes with "all images" (both caps null), so the
 * default size comes from the loader rather than from the config. 8 px keeps generation short.
 */
export function shapesAllImagesConfig(): RunConfig {
  return parseRunConfig({ seed: 11, dataset: { name: 'shapes', trainSize: null, testSize: null, imageSize: 8 } });
}

/** FNV-1a over labels and pixels: two splits with equal digests hold the same images in the same order. */
async function splitDigest(split: DatasetSplit): Promise<string> {
  let hash = 0x811c9dc5;
  const mix = (bytes: Uint8Array) => {
    for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
  };
  mix(new Uint8Array(split.labels.buffer, split.labels.byteOffset, split.labels.byteLength));
  mix(await split.readBatch(Array.from({ length: split.count }, (_, i) => i)));
  return hash.toString(16);
}

/** What a test compares across hosts: the name, classes, split sizes and a digest of every image. */
export async function datasetFingerprint(dataset: Dataset): Promise<{
  name: string;
  classNames: string[];
  train: { count: number; digest: string };
  test: { count: number; digest: string };
}> {
  return {
    name: dataset.name,
    classNames: dataset.classNames,
    train: { count: dataset.train.count, digest: await splitDigest(dataset.train) },
    test: { count: dataset.test.count, digest: await splitDigest(dataset.test) },
  };
}

/** The reference a host's load is compared with: core's loader, given nothing (shapes need no source). */
export async function coreFingerprint(config: RunConfig): Promise<Awaited<ReturnType<typeof datasetFingerprint>>> {
  return datasetFingerprint(await loadDataset(config, {}));
}
