import { describe, expect, it } from 'vitest';
import { SHAPES_DEFAULT_TEST_SIZE, SHAPES_DEFAULT_TRAIN_SIZE, loadDatasetReport } from '../core/data';
import { coreFingerprint, datasetFingerprint, shapesAllImagesConfig } from '../testing/sameDataset';
import { browserDatasetHosts, browserDatasetKey } from './browserSources';

/*
 * The lab's worker loads with exactly these two calls (worker/labWorker.ts); the CLI's and the
 * server's loads are checked against the same reference in cli/ and server/runner/.
 */
describe('the lab loads datasets through core', () => {
  it('shapes with "all images" are the size and images the CLI and the server train on', async () => {
    const config = shapesAllImagesConfig();
    const { dataset, skipped } = await loadDatasetReport(config, browserDatasetHosts({ datasetsUrl: 'http://lab.invalid/datasets' }));
    const lab = await datasetFingerprint(dataset);
    expect([lab.train.count, lab.test.count]).toEqual([SHAPES_DEFAULT_TRAIN_SIZE, SHAPES_DEFAULT_TEST_SIZE]);
    expect(lab).toEqual(await coreFingerprint(config));
    expect(skipped).toEqual([]);
  });

  it('asks for a folder when none was picked', async () => {
    const config = shapesAllImagesConfig();
    const folderConfig = { ...config, dataset: { ...config.dataset, name: 'folder' as const } };
    await expect(loadDatasetReport(folderConfig, browserDatasetHosts({ datasetsUrl: 'unused', folder: [] }))).rejects.toThrow(
      'dataset "folder" needs an image folder',
    );
  });

  it('keys its cache on what picks the images', () => {
    const config = shapesAllImagesConfig();
    const resized = { ...config, dataset: { ...config.dataset, imageSize: 16 } };
    expect(browserDatasetKey(config)).toBe(browserDatasetKey(shapesAllImagesConfig()));
    expect(browserDatasetKey(resized)).not.toBe(browserDatasetKey(config));
    const folderConfig = { ...config, dataset: { ...config.dataset, name: 'folder' as const } };
    const picked = (size: number) => [
      { path: 'a/1.png', file: new Blob([new Uint8Array(size)]) },
      { path: 'b/1.png', file: new Blob([new Uint8Array(1)]) },
    ];
    expect(browserDatasetKey(folderConfig, picked(3))).toBe(browserDatasetKey(folderConfig, picked(3)));
    expect(browserDatasetKey(folderConfig, picked(4))).not.toBe(browserDatasetKey(folderConfig, picked(3)));
  });
});
