import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../config';
import { loadDataset } from './index';
import type { ImageFolderSource } from './imageFolder';
import { mapDataSource } from './source';

describe('loadDataset', () => {
  it('generates shapes at the configured size and caps', async () => {
    const config = parseRunConfig({ seed: 5, dataset: { name: 'shapes', trainSize: 30, testSize: 10, imageSize: 16 } });
    const dataset = await loadDataset(config, {});
    expect([dataset.name, dataset.train.count, dataset.test.count, dataset.train.imageSize]).toEqual(['shapes', 30, 10, 16]);
  });

  it('dispatches cifar10/mnist to the data source (missing files named)', async () => {
    const source = mapDataSource(new Map(), 'public/datasets');
    await expect(loadDataset(parseRunConfig({ dataset: { name: 'cifar10' } }), { source })).rejects.toThrow(
      'public/datasets/cifar10/train_labels.json is missing',
    );
    await expect(loadDataset(parseRunConfig({ dataset: { name: 'mnist' } }), { source })).rejects.toThrow(
      'public/datasets/mnist/train-images-idx3-ubyte is missing',
    );
    await expect(loadDataset(parseRunConfig({ dataset: { name: 'mnist' } }), {})).rejects.toThrow('needs a data source');
  });

  it('loads a folder and reports skipped files through onLog', async () => {
    const folder: ImageFolderSource = {
      listEntries: async () => [
        { path: 'a/1.png', className: 'a' },
        { path: 'a/2.png', className: 'a' },
        { path: 'b/1.png', className: 'b' },
        { path: 'b/bad.png', className: 'b' },
      ],
      decodeImage: async (path) => {
        if (path.includes('bad')) throw new Error('corrupt JPEG');
        return { width: 3, height: 3, data: new Uint8Array(27).fill(9) };
      },
    };
    const logs: string[] = [];
    const config = parseRunConfig({ dataset: { name: 'folder', trainSize: null, testSize: null, imageSize: 8 } });
    const dataset = await loadDataset(config, { folder, onLog: (m) => logs.push(m) });
    expect(dataset.classNames).toEqual(['a', 'b']);
    expect(dataset.train.count + dataset.test.count).toBe(3);
    expect(logs).toEqual(['skipped 1 unreadable image(s): b/bad.png (corrupt JPEG)']);
    await expect(loadDataset(config, {})).rejects.toThrow('dataset "folder" needs an image folder');
  });

  it('refuses imagenet with a pointer to the server loader', async () => {
    await expect(loadDataset(parseRunConfig({ dataset: { name: 'imagenet' } }), {})).rejects.toThrow(/server's ImageNet loader/);
  });
});
