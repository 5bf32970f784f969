import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDataPath, withRootRelativePaths } from './dataRoots';
import { tempDir } from './testSupport';

const dir = tempDir('simclr-dataroots-');
afterAll(() => dir.remove());

describe('withRootRelativePaths', () => {
  it('rewrites data-root paths (as given and as real paths) to the root name, whole components only', () => {
    const real = join(dir.path, 'real');
    mkdirSync(real);
    const link = join(dir.path, 'link');
    symlinkSync(real, link);
    const roots = { imagenet: link, im: join(dir.path, 'im') };
    const text = `ENOENT: open '${link}/train/x.JPEG'; also ${real}/val and ${join(dir.path, 'imagenet2')}/y and ${join(dir.path, 'im')}`;
    expect(withRootRelativePaths(text, roots)).toBe(
      `ENOENT: open 'imagenet/train/x.JPEG'; also imagenet/val and ${join(dir.path, 'imagenet2')}/y and im`,
    );
  });
});

describe('resolveDataPath', () => {
  it('returns the real path of a good folder and checks the kind', () => {
    const root = join(dir.path, 'root');
    mkdirSync(join(root, 'train'), { recursive: true });
    expect(resolveDataPath({ data: root }, 'data/train', 'dataset.path', undefined, 'directory')).toBe(join(root, 'train'));
    expect(() => resolveDataPath({ data: root }, 'data/train', 'dataset.subsetList', undefined, 'file')).toThrow(
      'data/train is a folder, not a file',
    );
    expect(() => resolveDataPath({ data: root }, null, 'dataset.path', 'imagenet')).toThrow(/no data root named "imagenet"/);
  });
});
