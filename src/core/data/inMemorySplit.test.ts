import { describe, expect, it } from 'vitest';
import { InMemorySplit } from './inMemorySplit';

/** 6 images of 2×2 px whose every byte is the image's index, labels alternate 0/1/2. */
function tinySplit(): InMemorySplit {
  const images = new Uint8Array(6 * 12);
  for (let i = 0; i < 6; i++) images.fill(i, i * 12, (i + 1) * 12);
  return new InMemorySplit(images, Int32Array.from([0, 1, 2, 0, 1, 2]), 2);
}

describe('InMemorySplit', () => {
  it('reads batches in the order asked, repeats allowed', async () => {
    const batch = await tinySplit().readBatch([4, 1, 4]);
    expect(batch.length).toBe(36);
    expect([batch[0], batch[12], batch[24], batch[35]]).toEqual([4, 1, 4, 4]);
  });

  it('rejects out-of-range indices and inconsistent sizes with clear messages', async () => {
    await expect(tinySplit().readBatch([6])).rejects.toThrow('image index 6 is out of range (split has 6 images)');
    expect(() => new InMemorySplit(new Uint8Array(10), new Int32Array(1), 2)).toThrow(/10 bytes, expected 1 labels × 2×2×3 = 12/);
  });

  it('subset copies images with their labels; cap keeps a balanced sample', async () => {
    const split = tinySplit();
    const sub = split.subset([5, 0]);
    expect(Array.from(sub.labels)).toEqual([2, 0]);
    expect((await sub.readBatch([0]))[0]).toBe(5);
    const capped = split.cap(3, 1);
    expect(capped.count).toBe(3);
    expect([...capped.labels].sort()).toEqual([0, 1, 2]);
    expect(split.cap(null, 1)).toBe(split);
  });
});
