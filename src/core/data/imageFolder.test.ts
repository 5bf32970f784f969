import { describe, expect, it } from 'vitest';
import { loadImageFolder, type ImageFolderSource } from './imageFolder';

/** Class k's images are flat RGBA colour 40 + 50k; `broken` paths fail to decode. */
function fakeFolder(perClass: Record<string, number>, broken: Set<string> = new Set()): ImageFolderSource & { decoded: string[] } {
  const classes = Object.keys(perClass).sort();
  const decoded: string[] = [];
  return {
    decoded,
    async listEntries() {
      // Deliberately unsorted: the loader must not depend on the host's listing order.
      return classes
        .flatMap((className) => Array.from({ length: perClass[className] }, (_, i) => ({ path: `${className}/img${i}.png`, className })))
        .reverse();
    },
    async decodeImage(path) {
      decoded.push(path);
      if (broken.has(path)) throw new Error('unsupported image format');
      const value = 40 + 50 * classes.indexOf(path.split('/')[0]);
      const width = 20 + (path.length % 7);
      return { width, height: 16, data: new Uint8Array(width * 16 * 4).fill(value) };
    },
  };
}

describe('loadImageFolder', () => {
  it('splits each class deterministically, resizes, and lists unreadable files', async () => {
    const folder = fakeFolder({ cats: 10, dogs: 10, owls: 5 }, new Set(['dogs/img3.png']));
    const { dataset, skipped } = await loadImageFolder(folder, {
      imageSize: 8,
      testFraction: 0.2,
      trainSize: null,
      testSize: null,
      seed: 4,
    });
    expect(dataset.name).toBe('folder');
    expect(dataset.classNames).toEqual(['cats', 'dogs', 'owls']);
    expect(skipped).toEqual([{ path: 'dogs/img3.png', reason: 'unsupported image format' }]);
    expect(dataset.train.count + dataset.test.count).toBe(24);
    const testCounts = [0, 0, 0];
    for (const label of dataset.test.labels) testCounts[label]++;
    // round(0.2 × 10) = 2, round(0.2 × 5) = 1; the broken dog image is on one side or the other.
    expect(testCounts[0]).toBe(2);
    expect(testCounts[2]).toBe(1);
    expect(dataset.train.imageSize).toBe(8);
    const pixels = await dataset.train.readBatch(Array.from({ length: dataset.train.count }, (_, i) => i));
    for (let i = 0; i < dataset.train.count; i++) expect(pixels[i * 192 + 100]).toBe(40 + 50 * dataset.train.labels[i]);

    const again = await loadImageFolder(fakeFolder({ cats: 10, dogs: 10, owls: 5 }, new Set(['dogs/img3.png'])), {
      imageSize: 8,
      testFraction: 0.2,
      trainSize: null,
      testSize: null,
      seed: 4,
    });
    expect(Array.from(again.dataset.test.labels)).toEqual(Array.from(dataset.test.labels));
  });

  it('applies caps before decoding, class-balanced', async () => {
    const folder = fakeFolder({ a: 20, b: 20 });
    const { dataset } = await loadImageFolder(folder, { imageSize: 4, testFraction: 0.25, trainSize: 6, testSize: 2, seed: 0 });
    expect([dataset.train.count, dataset.test.count]).toEqual([6, 2]);
    expect([...dataset.train.labels].filter((l) => l === 0)).toHaveLength(3);
    expect(folder.decoded).toHaveLength(8);
  });

  it('lists the files the source passed over before those that failed to decode', async () => {
    const passedOver = [{ path: 'cats/notes.txt', reason: 'not an image file' }];
    const folder = { ...fakeFolder({ cats: 3, dogs: 3 }, new Set(['cats/img1.png'])), skipped: passedOver };
    const { dataset, skipped } = await loadImageFolder(folder, { imageSize: 4, trainSize: null, testSize: null, seed: 2 });
    expect(skipped).toEqual([...passedOver, { path: 'cats/img1.png', reason: 'unsupported image format' }]);
    expect(dataset.train.count + dataset.test.count).toBe(5);
    // Passed-over files are not counted as failed decodes.
    const unreadable = { ...fakeFolder({ a: 1 }, new Set(['a/img0.png'])), skipped: passedOver };
    await expect(loadImageFolder(unreadable, { imageSize: 4, trainSize: null, testSize: null, seed: 0 })).rejects.toThrow(
      'all 1 decoded file(s) failed',
    );
  });

  it('fails clearly when nothing can be read', async () => {
    await expect(loadImageFolder(fakeFolder({}), { imageSize: 4, trainSize: null, testSize: null, seed: 0 })).rejects.toThrow(
      'the image folder has no images',
    );
    const allBroken = fakeFolder({ a: 2 }, new Set(['a/img0.png', 'a/img1.png']));
    await expect(loadImageFolder(allBroken, { imageSize: 4, trainSize: null, testSize: null, seed: 0 })).rejects.toThrow(
      /no readable images in the folder: all 2 decoded file\(s\) failed \(e\.g\. a\/img\d\.png: unsupported image format\)/,
    );
  });
});
