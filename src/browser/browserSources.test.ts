import { describe, expect, it } from 'vitest';
import { BlobImageFolder, classOfPath } from './browserSources';

describe('BlobImageFolder', () => {
  it('takes the first folder as the class and reports files it cannot use', async () => {
    const blob = new Blob([new Uint8Array([1])]);
    const folder = new BlobImageFolder([
      { path: 'cat/1.png', file: blob },
      { path: 'cat/deep/2.JPG', file: blob },
      { path: 'dog/3.webp', file: blob },
      { path: 'dog/notes.txt', file: blob },
      { path: 'loose.png', file: blob },
      { path: 'dog/.DS_Store', file: blob },
      { path: '.hidden/4.png', file: blob },
    ]);
    expect(await folder.listEntries()).toEqual([
      { path: 'cat/1.png', className: 'cat' },
      { path: 'cat/deep/2.JPG', className: 'cat' },
      { path: 'dog/3.webp', className: 'dog' },
    ]);
    expect(folder.skipped).toEqual([
      { path: 'dog/notes.txt', reason: 'not an image file' },
      { path: 'loose.png', reason: 'not inside a class sub-folder' },
    ]);
    await expect(folder.decodeImage('nope.png')).rejects.toThrow(/No such image/);
  });

  it('classOfPath ignores empty segments', () => {
    expect(classOfPath('/a//b.png')).toBe('a');
    expect(classOfPath('b.png')).toBeNull();
  });
});
