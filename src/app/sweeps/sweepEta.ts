import { ConfigError, type RunConfig, SHAPES_DEFAULT_TRAIN_SIZE } from '../../core';
import { pretrainingReuseKey } from '../../sweep/reuse';
import { pointToParams, proposePoint } from '../../sweep/samplers';
import { type SweepSpec, trialConfig } from '../../sweep/spec';

/**
 * How long a sweep will take before it starts: every trial's images (steps × images per step of
 * each stage it trains, as the worker's plan counts them) over the images/s the lab has measured.
 * Trials are proposed exactly as the runner will (TPE is estimated from its random start-up
 * points, since later ones depend on results), so sweeping epochs or batch sizes is priced in.
 * Evaluation (k-NN, test passes) is not counted, and early stopping can only make it shorter.
 * Trials trained at once (several workers on wasm or cpu) are scheduled as the runner schedules them.
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
  /** Wall-clock seconds at `imagesPerSecond`; null without a measured rate or a known dataset size. */
  seconds: number | null;
  /** Trials trained at once in the estimate. */
  workers: number;
}

/**
 * How the trials are trained (src/app/sweeps/trialSlots.ts): `workers` at once, each at `speed`
 * times the measured images/s.
 */
export interface TrialSchedule {
  workers: number;
  speed: number;
}

interface Job {
  seconds: number;
  reuseKey: string | null;
}

/**
 * When the last of `jobs` ends if `workers` train them in order, each taking the next job as it
 * frees up, and a job never starts while another with its pretraining (reuse key) is training: the
 * runner holds such trials back so a shared pretraining is computed once (src/sweep/runner.ts).
 */
export function makespan(jobs: Job[], workers: number): number {
  const pending = [...jobs];
  let running: { end: number; reuseKey: string | null }[] = [];
  let now = 0;
  while (pending.length || running.length) {
    while (running.length < Math.max(1, workers)) {
      const busy = new Set(running.map((r) => r.reuseKey).filter((k) => k !== null));
      const next = pending.findIndex((j) => j.reuseKey === null || !busy.has(j.reuseKey));
      if (next < 0) break;
      const [job] = pending.splice(next, 1);
      running.push({ end: now + job.seconds, reuseKey: job.reuseKey });
    }
    now = Math.min(...running.map((r) => r.end));
    running = running.filter((r) => r.end > now);
  }
  return now;
}

/**
 * Proposes up to `sampleLimit` trials and scales them up to the sweep's trial count: the images are
 * their mean times the trial count; the time is how long `schedule.workers` workers take to train
 * them (one after another when 1), scaled the same way.
 */
export function estimateSweep(
  spec: SweepSpec,
  imagesPerSecond: number | null,
  schedule: TrialSchedule = { workers: 1, speed: 1 },
  sampleLimit = 200,
): SweepEstimate {
  const workers = Math.max(1, Math.floor(schedule.workers));
  const sampled = Math.min(spec.trials, sampleLimit);
  const jobs: { images: number; reuseKey: string | null }[] = [];
  for (let index = 0; index < sampled; index++) {
    let config: RunConfig;
    try {
      config = trialConfig(spec, pointToParams(proposePoint(spec, index, [])));
    } catch (error) {
      if (error instanceof ConfigError) continue; // the runner records it as a failed trial at once
      throw error;
    }
    const images = runImages(config);
    if (images === null) return { trials: spec.trials, images: null, seconds: null, workers };
    jobs.push({ images, reuseKey: pretrainingReuseKey(config) });
  }
  const scale = jobs.length ? spec.trials / jobs.length : 0;
  const images = jobs.reduce((sum, j) => sum + j.images, 0) * scale;
  const rate = imagesPerSecond !== null && imagesPerSecond > 0 && Number.isFinite(imagesPerSecond) ? imagesPerSecond : null;
  const speed = schedule.speed > 0 && Number.isFinite(schedule.speed) ? schedule.speed : 1;
  if (rate === null) return { trials: spec.trials, images, seconds: null, workers };
  const perWorker = rate * speed;
  const wall = makespan(
    jobs.map((j) => ({ seconds: j.images / perWorker, reuseKey: j.reuseKey })),
    workers,
  );
  return { trials: spec.trials, images, seconds: wall * scale, workers };
}
