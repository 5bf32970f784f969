import { afterAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../core/config';
import { SHAPES_DEFAULT_TEST_SIZE, SHAPES_DEFAULT_TRAIN_SIZE } from '../../core/data';
import type { ImageNetDataset } from '../../node/imagenetFolder';
import { buildTinyImageNet, officialListMissing } from '../../node/tinyImageNet';
import { tempDir } from '../../testing/tempDir';
import { coreFingerprint, datasetFingerprint, shapesAllImagesConfig } from '../../testing/sameDataset';
import { loadRunDataset } from './engineRun';

const imagenetDir = tempDir('simclr-engine-imagenet-');
const listMissing = officialListMissing();
if (listMissing) console.warn(`skipping the ImageNet hand-over test: ${listMissing}`);
afterAll(() => imagenetDir.remove());

describe('the server loads datasets through core', () => {
  it('shapes with "all images" are the size and images the lab and the CLI train on', async () => {
    const config = shapesAllImagesConfig();
    const server = await datasetFingerprint(await loadRunDataset(config, {}, null, () => {}));
    expect([server.train.count, server.test.count]).toEqual([SHAPES_DEFAULT_TRAIN_SIZE, SHAPES_DEFAULT_TEST_SIZE]);
    expect(server).toEqual(await coreFingerprint(config));
  });

  it('refuses a folder outside its data roots before loading anything', async () => {
    const config = {
      ...shapesAllImagesConfig(),
      dataset: { ...shapesAllImagesConfig().dataset, name: 'folder' as const, path: 'photos/cats' },
    };
    await expect(loadRunDataset(config, {}, null, () => {})).rejects.toThrow(/"photos" is not a data root/);
  });

  it.skipIf(listMissing)('hands imagenet to its streaming loader, with the official subset lists', async () => {
    const tiny = await buildTinyImageNet(imagenetDir.path, { classes: 2, listedPerClass: 2, extraPerClass: 1, valPerClass: 1 });
    const config = parseRunConfig({
      seed: 1,
      dataset: { name: 'imagenet', path: 'imagenet', trainSize: null, testSize: null, imageSize: 16 },
    });
    const dataset = (await loadRunDataset(config, { imagenet: tiny.root }, tiny.subsetsDir, () => {})) as ImageNetDataset;
    try {
      expect([dataset.name, dataset.classNames, dataset.train.count, dataset.test.count]).toEqual(['imagenet', tiny.classes, 6, 2]);
      expect(dataset.officialSubsets?.get(0.01)?.length).toBe(tiny.listed.length);
    } finally {
      await dataset.dispose();
    }
  });
});
