import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../core/config';
import { SHAPES_DEFAULT_TEST_SIZE, SHAPES_DEFAULT_TRAIN_SIZE } from '../core/data';
import { coreFingerprint, datasetFingerprint, shapesAllImagesConfig } from '../testing/sameDataset';
import { tempDir } from '../testing/tempDir';
import { loadNodeDataset } from './runFolder';

const dir = tempDir('simclr-cli-dataset-');
afterAll(() => dir.remove());

describe('the CLI loads datasets through core', () => {
  it('shapes with "all images" are the size and images the lab and the server train on', async () => {
    const config = shapesAllImagesConfig();
    const cli = await datasetFingerprint(await loadNodeDataset(config, () => {}));
    expect([cli.train.count, cli.test.count]).toEqual([SHAPES_DEFAULT_TRAIN_SIZE, SHAPES_DEFAULT_TEST_SIZE]);
    expect(cli).toEqual(await coreFingerprint(config));
  });

  it('reports folder images that fail to decode instead of dropping them silently', async () => {
    const png = encode({ width: 4, height: 4, data: new Uint8Array(4 * 4 * 3).fill(90), channels: 3, depth: 8 });
    for (const name of ['reds', 'blues']) {
      mkdirSync(join(dir.path, name), { recursive: true });
      for (let i = 0; i < 3; i++) writeFileSync(join(dir.path, name, `${i}.png`), png);
    }
    writeFileSync(join(dir.path, 'reds', 'broken.png'), 'this is not a png');
    const logs: string[] = [];
    const config = parseRunConfig({ dataset: { name: 'folder', path: dir.path, trainSize: null, testSize: null, imageSize: 8 } });
    const dataset = await loadNodeDataset(config, (message) => logs.push(message));
    expect(dataset.train.count + dataset.test.count).toBe(6);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^skipped 1 unreadable image\(s\): reds\/broken\.png \(/);
  });
});
