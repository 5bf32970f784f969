import { ConfigError, type RunConfig, SHAPES_DEFAULT_TRAIN_SIZE } from '../../core';
import { pointToParams, proposePoint } from '../../sweep/samplers';
import { type SweepSpec, trialConfig } from '../../sweep/spec';

/**
 * How long a sweep will take before it starts: every trial's images (steps × images per step of
 * each stage it trains, as the worker's plan counts them) over the images/s the lab has measured.
 * Trials are proposed exactly as the runner will (TPE is estimated from its random start-up
 * points, since later ones depend on results), so sweeping epochs or batch sizes is priced in.
 * Evaluation (k-NN, test passes) is not counted, and early stopping can only make it shorter.
 */

/** Training images of each dataset when `trainSize` does not cap it (folder: unknown until read). */
const fullTrainSize: Record<string, number | null> = {
  cifar10: 50_000,
  mnist: 60_000,
  shapes: SHAPES_DEFAULT_TRAIN_SIZE,
  imagenet: 1_281_167,
  folder: null,
};

export function trainImageCount(config: RunConfig): number | null {
  const full = fullTrainSize[config.dataset.name] ?? null;
  const cap = config.dataset.trainSize;
  if (full === null) return cap;
  return cap === null ? full : Math.min(cap, full);
}

function stageImages(count: number, batch: number, epochs: number, viewsPerImage: number): number {
  if (count <= 0) return 0;
  const size = Math.min(batch, count);
  const steps = Math.max(1, Math.ceil(Math.round(epochs * count) / size));
  return steps * size * viewsPerImage;
}

/** Images (views, for pretraining) one run of `config` trains on, or null when the dataset size is unknown. */
export function runImages(config: RunConfig): number | null {
  const train = trainImageCount(config);
  if (train === null) return null;
  const labelled = Math.max(1, Math.round(train * config.finetune.labelFraction));
  let images = 0;
  if (config.pretrain.enabled && config.pretrain.init === null)
    images += stageImages(train, config.pretrain.batchSize, config.pretrain.epochs, 2);
  if (config.finetune.enabled) {
    const once = stageImages(labelled, config.finetune.batchSize, config.finetune.epochs, 1);
    images += config.finetune.baseline ? 2 * once : once;
  }
  if (config.distill.enabled) images += stageImages(train, config.distill.batchSize, config.distill.epochs, 1);
  return images;
}

export interface SweepEstimate {
  trials: number;
  /** Sum over trials of their images (null when unknown). */
  images: number | null;
  /** Seconds at `imagesPerSecond`; null without a measured rate or a known dataset size. */
  seconds: number | null;
}

/** Proposes up to `sampleLimit` trials and scales their mean up to the sweep's trial count. */
export function estimateSweep(spec: SweepSpec, imagesPerSecond: number | null, sampleLimit = 200): SweepEstimate {
  const sampled = Math.min(spec.trials, sampleLimit);
  let total = 0;
  let counted = 0;
  for (let index = 0; index < sampled; index++) {
    let config: RunConfig;
    try {
      config = trialConfig(spec, pointToParams(proposePoint(spec, index, [])));
    } catch (error) {
      if (error instanceof ConfigError) continue; // the runner records it as a failed trial at once
      throw error;
    }
    const images = runImages(config);
    if (images === null) return { trials: spec.trials, images: null, seconds: null };
    total += images;
    counted++;
  }
  const images = counted ? (total / counted) * spec.trials : 0;
  const rate = imagesPerSecond !== null && imagesPerSecond > 0 && Number.isFinite(imagesPerSecond) ? imagesPerSecond : null;
  return { trials: spec.trials, images, seconds: rate === null ? null : images / rate };
}
