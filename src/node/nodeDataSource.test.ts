import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFileMissingError } from '../core/data/source';
import { tempDir } from '../testing/tempDir';
import { nodeDataSource, resolveDatasetsRoot } from './nodeDataSource';

const dir = tempDir('simclr-nodesource-');
const temp = dir.path;
afterAll(() => dir.remove());

describe('nodeDataSource', () => {
  it('resolves <repo>/public/datasets by default, or $SIMCLR_DATASETS_DIR', () => {
    const saved = process.env.SIMCLR_DATASETS_DIR;
    try {
      delete process.env.SIMCLR_DATASETS_DIR;
      const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
      expect(resolveDatasetsRoot()).toBe(resolve(repoRoot, 'public/datasets'));
      expect(existsSync(join(resolveDatasetsRoot(), 'cifar10'))).toBe(true);
      process.env.SIMCLR_DATASETS_DIR = temp;
      expect(resolveDatasetsRoot()).toBe(temp);
    } finally {
      if (saved === undefined) delete process.env.SIMCLR_DATASETS_DIR;
      else process.env.SIMCLR_DATASETS_DIR = saved;
    }
  });

  it('reads files under the root as bytes', async () => {
    mkdirSync(join(temp, 'd'), { recursive: true });
    writeFileSync(join(temp, 'd', 'f.bin'), Uint8Array.from([1, 2, 3]));
    const bytes = await nodeDataSource(temp).readFile('d/f.bin');
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(bytes)).toEqual([1, 2, 3]);
  });

  it('names a missing file and says how to fetch it', async () => {
    const error = await nodeDataSource(temp)
      .readFile('cifar10/data_batch_1.png')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataFileMissingError);
    expect((error as Error).message).toBe(`${join(temp, 'cifar10/data_batch_1.png')} is missing — run \`npm run fetch-datasets\``);
  });

  it('shows a path relative to the working directory when inside it', async () => {
    const root = resolve(process.cwd(), 'public/datasets-that-do-not-exist');
    await expect(nodeDataSource(root).readFile('cifar10/x.png')).rejects.toThrow(
      'public/datasets-that-do-not-exist/cifar10/x.png is missing',
    );
  });

  it('refuses paths that escape the root', async () => {
    await expect(nodeDataSource(temp).readFile('../etc/passwd')).rejects.toThrow(/outside the datasets root/);
  });
});
