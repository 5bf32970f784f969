import type { DatasetSplit } from '../types';
import { capIndices } from './subsets';

/** A DatasetSplit whose images (uint8 HWC RGB, concatenated) are all held in memory. */
export class InMemorySplit implements DatasetSplit {
  readonly count: number;
  readonly labels: Int32Array;
  readonly imageSize: number;
  private readonly images: Uint8Array;
  private readonly imageBytes: number;

  constructor(images: Uint8Array, labels: Int32Array, imageSize: number) {
    if (!Number.isInteger(imageSize) || imageSize <= 0) throw new Error(`imageSize must be a positive integer, got ${imageSize}`);
    this.imageBytes = imageSize * imageSize * 3;
    if (images.length !== labels.length * this.imageBytes) {
      throw new Error(
        `images hold ${images.length} bytes, expected ${labels.length} labels × ${imageSize}×${imageSize}×3 = ${labels.length * this.imageBytes}`,
      );
    }
    this.images = images;
    this.labels = labels;
    this.imageSize = imageSize;
    this.count = labels.length;
  }

  async readBatch(indices: ArrayLike<number>): Promise<Uint8Array> {
    return this.readBatchSync(indices);
  }

  readBatchSync(indices: ArrayLike<number>): Uint8Array {
    const out = new Uint8Array(indices.length * this.imageBytes);
    for (let k = 0; k < indices.length; k++) {
      const index = indices[k];
      if (!Number.isInteger(index) || index < 0 || index >= this.count) {
        throw new RangeError(`image index ${index} is out of range (split has ${this.count} images)`);
      }
      out.set(this.images.subarray(index * this.imageBytes, (index + 1) * this.imageBytes), k * this.imageBytes);
    }
    return out;
  }

  /** A new split of the images at `indices` (copied), in that order. */
  subset(indices: ArrayLike<number>): InMemorySplit {
    const labels = Int32Array.from({ length: indices.length }, (_, k) => this.labels[indices[k]]);
    return new InMemorySplit(this.readBatchSync(indices), labels, this.imageSize);
  }

  /** At most `cap` images (null = all), a seeded class-balanced sample in original order. */
  cap(cap: number | null, seed: number): InMemorySplit {
    if (cap === null || cap >= this.count) return this;
    return this.subset(capIndices(this.labels, cap, seed));
  }
}
