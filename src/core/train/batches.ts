import { Rng, permutation } from '../random';

/**
 * Deterministic batch order: epoch e of a stage shuffles `indices` with a stream derived from
 * (seed, stage, e), so a run resumed at any step sees exactly the batches it would have seen.
 * Incomplete final batches are dropped when there are enough images for at least one full batch
 * (contrastive losses and batch norm prefer equal batch sizes).
 */
export class BatchPlan {
  readonly stepsPerEpoch: number;
  readonly batchSize: number;
  private cachedEpoch = -1;
  private cachedOrder: number[] = [];

  constructor(
    private readonly indices: ArrayLike<number>,
    batchSize: number,
    private readonly seed: number,
    private readonly streamId: number,
  ) {
    if (indices.length === 0) throw new Error('no images to train on (the dataset or the labelled subset is empty)');
    this.batchSize = Math.min(batchSize, indices.length);
    this.stepsPerEpoch = Math.max(1, Math.floor(indices.length / this.batchSize));
  }

  epochOf(step: number): number {
    return Math.floor(step / this.stepsPerEpoch);
  }

  /** Image indices of global step `step`. */
  batch(step: number): number[] {
    const epoch = this.epochOf(step);
    if (epoch !== this.cachedEpoch) {
      const order = permutation(this.indices.length, new Rng(this.seed).fork(this.streamId * 100003 + epoch));
      this.cachedOrder = order.map((i) => this.indices[i]);
      this.cachedEpoch = epoch;
    }
    const start = (step % this.stepsPerEpoch) * this.batchSize;
    return this.cachedOrder.slice(start, start + this.batchSize);
  }
}

/** Total steps for a (possibly fractional) number of epochs; at least 1. */
export function totalSteps(epochs: number, stepsPerEpoch: number): number {
  return Math.max(1, Math.round(epochs * stepsPerEpoch));
}

/** The random stream of one training step (augmentations), independent of any other step. */
export function stepRng(seed: number, streamId: number, step: number): Rng {
  return new Rng(seed).fork(streamId * 7919 + 13).fork(step);
}

export const STREAM = { pretrain: 1, finetune: 2, baseline: 3, distill: 4, distillLabels: 5, visual: 6 } as const;
