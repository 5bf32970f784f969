import { decode, encode } from 'fast-png';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeDataSource, resolveDatasetsRoot } from '../../node/nodeDataSource';
import type { Dataset } from '../types';
import { loadCifar10 } from './cifar10';
import { mapDataSource, type DataSource } from './source';

const root = resolveDatasetsRoot();

/** Records which files a loader asked for. */
function recording(source: DataSource): { source: DataSource; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    source: {
      readFile: (path) => {
        reads.push(path);
        return source.readFile(path);
      },
    },
  };
}

function meanPixel(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum += b;
  return sum / bytes.length / 255;
}

describe('loadCifar10 on the real files', () => {
  let capped: Dataset;
  let reads: string[];
  const progress: string[] = [];
  beforeAll(async () => {
    const rec = recording(nodeDataSource(root));
    reads = rec.reads;
    capped = await loadCifar10(rec.source, { trainSize: 500, testSize: 200, seed: 3, progress: (m) => progress.push(m) });
  });

  it('reports each sprite it fetches and decodes, counted over the sprites this load needs', () => {
    expect(progress).toEqual([
      'fetching CIFAR-10 sprite 1/2 (data_batch_1.png)',
      'decoding CIFAR-10 sprite 1/2 (data_batch_1.png)',
      'fetching CIFAR-10 sprite 2/2 (test_batch.png)',
      'decoding CIFAR-10 sprite 2/2 (test_batch.png)',
    ]);
  });

  it('reads only the files the caps need', () => {
    expect(reads.sort()).toEqual([
      'cifar10/data_batch_1.png',
      'cifar10/test_batch.png',
      'cifar10/test_labels.json',
      'cifar10/train_labels.json',
    ]);
  });

  it('returns capped, class-balanced splits of 32×32 RGB with plausible pixel statistics', async () => {
    expect(capped.classNames).toHaveLength(10);
    expect(capped.train.count).toBe(500);
    expect(capped.test.count).toBe(200);
    expect(capped.train.imageSize).toBe(32);
    const counts = new Array(10).fill(0);
    for (const label of capped.train.labels) counts[label]++;
    for (const count of counts) expect(Math.abs(count - 50)).toBeLessThanOrEqual(4);
    const all = await capped.train.readBatch(Array.from({ length: 500 }, (_, i) => i));
    expect(all.length).toBe(500 * 32 * 32 * 3);
    expect(meanPixel(all)).toBeGreaterThan(0.43);
    expect(meanPixel(all)).toBeLessThan(0.51);
  });

  it('keeps file order and pixels: images equal the PNG rows, first labels [6,9,9,4,1]', async () => {
    const whole = await loadCifar10(nodeDataSource(root), { trainSize: 10000, testSize: 1, seed: 0 });
    expect(Array.from(whole.train.labels.slice(0, 5))).toEqual([6, 9, 9, 4, 1]);
    const png = decode(readFileSync(`${root}/cifar10/data_batch_1.png`));
    const batch = await whole.train.readBatch([0, 9999]);
    expect(Buffer.from(batch.subarray(0, 3072)).equals(Buffer.from(png.data.subarray(0, 3072)))).toBe(true);
    expect(Buffer.from(batch.subarray(3072)).equals(Buffer.from(png.data.subarray(9999 * 3072)))).toBe(true);
  });

  it('the same seed gives the same sample, another seed another', async () => {
    const again = await loadCifar10(nodeDataSource(root), { trainSize: 500, testSize: 1, seed: 3 });
    expect(Array.from(again.train.labels)).toEqual(Array.from(capped.train.labels));
    expect(Buffer.from(await again.train.readBatch([7])).equals(Buffer.from(await capped.train.readBatch([7])))).toBe(true);
    const other = await loadCifar10(nodeDataSource(root), { trainSize: 500, testSize: 1, seed: 4 });
    expect(Array.from(other.train.labels)).not.toEqual(Array.from(capped.train.labels));
  });
});

describe('loadCifar10 on broken files', () => {
  const json = (n: number) => new TextEncoder().encode(JSON.stringify(Array.from({ length: n }, (_, i) => i % 10)));
  const base = (): Map<string, Uint8Array> =>
    new Map([
      ['cifar10/train_labels.json', json(50000)],
      ['cifar10/test_labels.json', json(10000)],
    ]);
  const load = (files: Map<string, Uint8Array>) =>
    loadCifar10(mapDataSource(files, 'public/datasets'), { trainSize: 100, testSize: 10, seed: 0 });

  it('names a missing file and how to get it', async () => {
    await expect(load(base())).rejects.toThrow('public/datasets/cifar10/data_batch_1.png is missing — run `npm run fetch-datasets`');
  });

  it('rejects a file that is not a PNG', async () => {
    const files = base().set('cifar10/data_batch_1.png', new TextEncoder().encode('<html>404</html>'));
    await expect(load(files)).rejects.toThrow('cifar10/data_batch_1.png: not a PNG (bad signature)');
  });

  it('rejects a truncated PNG', async () => {
    const png = encode({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).map((_, i) => (i * 31) % 256), channels: 3, depth: 8 });
    const files = base().set('cifar10/data_batch_1.png', png.subarray(0, png.length - 40));
    await expect(load(files)).rejects.toThrow(/cifar10\/data_batch_1\.png: corrupt or truncated PNG/);
  });

  it('rejects a PNG of the wrong size', async () => {
    const png = encode({ width: 32, height: 8, data: new Uint8Array(32 * 8 * 3), channels: 3, depth: 8 });
    await expect(load(base().set('cifar10/data_batch_1.png', png))).rejects.toThrow(
      'cifar10/data_batch_1.png: expected 1024×10000 8-bit RGB, got 32×8 8-bit with 3 channel(s)',
    );
  });

  it('rejects a labels file with the wrong count or bad entries', async () => {
    await expect(load(base().set('cifar10/train_labels.json', json(49999)))).rejects.toThrow(
      'cifar10/train_labels.json: labels file has 49999 entries, expected 50000',
    );
    const bad = new TextEncoder().encode(JSON.stringify([...Array(49999).fill(0), 12]));
    await expect(load(base().set('cifar10/train_labels.json', bad))).rejects.toThrow('entry 49999 is 12, expected a class index 0-9');
    await expect(load(base().set('cifar10/train_labels.json', new TextEncoder().encode('[1,2')))).rejects.toThrow(
      /train_labels\.json: not valid JSON/,
    );
  });
});
