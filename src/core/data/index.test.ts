import { describe, expect, it } from 'vitest';
import { type RunConfigInput, parseRunConfig } from '../config';
import { type ImageNetLoadRequest, datasetKey, loadDataset, loadDatasetReport } from './index';
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

  it('hands imagenet to the injected loader with the config caps', async () => {
    const requests: ImageNetLoadRequest[] = [];
    const stand = await loadDataset(parseRunConfig({ seed: 3, dataset: { name: 'shapes', trainSize: 4, testSize: 2, imageSize: 8 } }), {});
    const config = parseRunConfig({ seed: 9, dataset: { name: 'imagenet', trainSize: 100, testSize: null, imageSize: 64 } });
    const dataset = await loadDataset(config, {
      imagenet: async (request) => {
        requests.push(request);
        return stand;
      },
    });
    expect(dataset).toBe(stand);
    expect(requests).toEqual([{ imageSize: 64, trainSize: 100, testSize: null, seed: 9 }]);
  });

  it('reports the folder files left out, one by one', async () => {
    const folder: ImageFolderSource = {
      listEntries: async () => [
        { path: 'a/1.png', className: 'a' },
        { path: 'b/1.png', className: 'b' },
      ],
      decodeImage: async () => ({ width: 2, height: 2, data: new Uint8Array(12) }),
      skipped: [{ path: 'a/readme.md', reason: 'not an image file' }],
    };
    const config = parseRunConfig({ dataset: { name: 'folder', trainSize: null, testSize: null, imageSize: 8 } });
    const { skipped } = await loadDatasetReport(config, { folder });
    expect(skipped).toEqual([{ path: 'a/readme.md', reason: 'not an image file' }]);
  });
});

describe('datasetKey', () => {
  const key = (input: RunConfigInput) => datasetKey(parseRunConfig(input));

  it('changes with every field that picks other images, and only with those', () => {
    const base = { seed: 1, dataset: { name: 'shapes', trainSize: 50, testSize: 10, imageSize: 16 } } as const;
    expect(key(base)).toBe(key({ ...base, pretrain: { temperature: 0.3 } }));
    const changes: RunConfigInput[] = [
      { ...base, seed: 2 },
      { ...base, dataset: { ...base.dataset, trainSize: null } },
      { ...base, dataset: { ...base.dataset, testSize: 11 } },
      { ...base, dataset: { ...base.dataset, imageSize: 24 } },
      { ...base, dataset: { ...base.dataset, name: 'mnist' } },
    ];
    for (const changed of changes) expect(key(changed)).not.toBe(key(base));
    // CIFAR-10 comes at 32 px whatever the run's image size.
    const cifar = { dataset: { name: 'cifar10', imageSize: 32 } } as const;
    expect(key({ dataset: { ...cifar.dataset, imageSize: 16 } })).toBe(key(cifar));
  });
});
