import { Rng, permutation } from '../random';

/**
 * Deterministic batches from a repeated, reshuffled stream of the stage's images, as the official
 * input pipeline (shuffle, repeat, batch): epoch e is a permutation of `indices` drawn from
 * (seed, stage, e), the epochs are concatenated, and step s takes images [s·B, (s+1)·B) of that
 * stream. So every batch is full, no image is skipped, and a batch may straddle two epochs; a run
 * resumed at any step sees exactly the batches it would have seen.
 *
 * "Epoch" is measured in images: after step s the stage has used s·B/n epochs (fractional), and
 * epoch k ends with the step during which image k·n of the stream is consumed.
 */
export class BatchPlan {
  /** n/B: fractional whenever B does not divide n. */
  readonly stepsPerEpoch: number;
  readonly batchSize: number;
  readonly count: number;
  private readonly orders = new Map<number, number[]>();

  constructor(
    private readonly indices: ArrayLike<number>,
    batchSize: number,
    private readonly seed: number,
    private readonly streamId: number,
  ) {
    if (indices.length === 0) throw new Error('no images to train on (the dataset or the labelled subset is empty)');
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
    this.count = indices.length;
    // A batch larger than the stage's images would repeat images within one batch (a contrastive
    // batch would hold an image as its own negative), so it shrinks to the image count.
    this.batchSize = Math.min(batchSize, indices.length);
    this.stepsPerEpoch = this.count / this.batchSize;
  }

  /** Steps a stage of `epochs` epochs takes: every image of every epoch once, the last batch completed from the next epoch. */
  stepsFor(epochs: number): number {
    if (!(epochs > 0)) throw new Error(`epochs must be > 0, got ${epochs}`);
    // Integer images first, so 0.1-style epochs do not round up an extra step from float noise.
    const images = Math.round(epochs * this.count);
    return Math.max(1, Math.ceil(images / this.batchSize));
  }

  /** Epochs done after `step` steps (fractional). */
  epochAt(step: number): number {
    return (step * this.batchSize) / this.count;
  }

  /** Whole epochs finished after `step` steps. */
  epochsCompleted(step: number): number {
    return Math.floor((step * this.batchSize) / this.count);
  }

  /** Whether step `step` (1-based count of steps done) finished an epoch. */
  endsEpoch(step: number): boolean {
    return step > 0 && this.epochsCompleted(step) > this.epochsCompleted(step - 1);
  }

  /** The epoch (0-based) the first image of step `step` belongs to. */
  epochOf(step: number): number {
    return this.epochsCompleted(step);
  }

  /** Image indices of global step `step` (0-based). */
  batch(step: number): number[] {
    const out: number[] = [];
    let position = step * this.batchSize;
    const end = position + this.batchSize;
    while (position < end) {
      const epoch = Math.floor(position / this.count);
      const order = this.order(epoch);
      const offset = position - epoch * this.count;
      const take = Math.min(end - position, this.count - offset);
      for (let i = 0; i < take; i++) out.push(order[offset + i]);
      position += take;
    }
    return out;
  }

  private order(epoch: number): number[] {
    let order = this.orders.get(epoch);
    if (order === undefined) {
      const perm = permutation(this.count, new Rng(this.seed).fork(this.streamId * 100003 + epoch));
      order = perm.map((i) => this.indices[i]);
      // A batch spans at most two epochs: keep the current and the next one only.
      for (const key of this.orders.keys()) if (key < epoch - 1 || key > epoch + 1) this.orders.delete(key);
      this.orders.set(epoch, order);
    }
    return order;
  }
}

/** The random stream of one training step (augmentations), independent of any other step. */
export function stepRng(seed: number, streamId: number, step: number): Rng {
  return new Rng(seed).fork(streamId * 7919 + 13).fork(step);
}

export const STREAM = { pretrain: 1, finetune: 2, baseline: 3, distill: 4, distillLabels: 5, visual: 6, linearProbe: 7 } as const;
