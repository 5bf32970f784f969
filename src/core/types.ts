import type { RunConfig, StageName } from './config';

/**
 * Images in the engine are uint8 RGB, height × width × 3, row-major (HWC), batched along the first
 * axis. Every dataset delivers 3 channels (MNIST is replicated) at its native size; the engine
 * converts to float [0,1] tensors on the backend and resizes to `dataset.imageSize` when they differ.
 */
export interface DatasetSplit {
  /** Number of images available (after any cap). */
  readonly count: number;
  /** Class index of each image, length `count`. */
  readonly labels: Int32Array;
  /** Native image side (height = width) of what `readBatch` returns. */
  readonly imageSize: number;
  /** Raw pixels of the images at `indices`, concatenated: indices.length × size × size × 3 bytes. */
  readBatch(indices: ArrayLike<number>): Promise<Uint8Array>;
  /**
   * Optional hint: these images will be read next (loaders that decode from disk start early), by
   * `readBatch`, or by `readRandomCrops` when `crops` is given.
   */
  prefetch?(indices: ArrayLike<number>, crops?: RandomCropRequest): void;
  /**
   * Optional, for sources holding images larger than `imageSize` (the server's ImageNet loader):
   * `crops.views` independent random resized crops of every image, each drawn on the full-resolution
   * image (as the official pipeline's distorted bounding box: area in [crops.minArea, 1], aspect in
   * [3/4, 4/3]) and resized to `imageSize`; one buffer per view. Training stages then take their
   * crops from here instead of cropping what `readBatch` returns, which serves evaluation.
   */
  readRandomCrops?(indices: ArrayLike<number>, crops: RandomCropRequest): Promise<Uint8Array[]>;
}

export interface RandomCropRequest {
  /** Crops per image (2 for pretraining's two views). */
  views: number;
  /** Lower end of the crop area range, as a fraction of the image. */
  minArea: number;
}

export interface Dataset {
  readonly name: string;
  readonly classNames: string[];
  readonly train: DatasetSplit;
  readonly test: DatasetSplit;
  /**
   * For ImageNet only: indices into `train` of the official label-fraction subsets, keyed by
   * fraction (0.01, 0.1). Other datasets draw class-balanced subsets with labelFractionSubset.
   */
  readonly officialSubsets?: ReadonlyMap<number, Int32Array>;
}

/** Metric fields a `metric` event may carry (absent = not measured at this step). */
export interface MetricFields {
  loss?: number;
  contrastiveAccuracy?: number;
  learningRate?: number;
  imagesPerSecond?: number;
  knnAccuracy?: number;
  /** Pretraining: test accuracy of the linear probe on frozen encoder features (pretrain.linearProbe). */
  linearProbeAccuracy?: number;
  trainAccuracy?: number;
  testAccuracy?: number;
  teacherAccuracy?: number;
  /** Live tensor count, for spotting leaks. */
  numTensors?: number;
}

export interface StageSummary {
  stage: StageName;
  status: 'completed' | 'stopped' | 'failed';
  steps: number;
  epochs: number;
  seconds: number;
  imagesPerSecond: number;
  backend: string;
  /** Final values of the stage's metrics (the last of each). */
  finalMetrics: MetricFields;
  /** Top-1 accuracy of the stage's classifier on the test split (k-NN accuracy for pretraining). */
  testAccuracy: number | null;
  /** Number of labelled images used (fine-tune, baseline, distill label loss). */
  labelledImages?: number;
}

export interface RunSummary {
  status: 'completed' | 'stopped' | 'failed';
  backend: string;
  seconds: number;
  stages: Partial<Record<StageName, StageSummary>>;
  error?: string;
}

/**
 * A checkpoint was taken at (stage, step). The event never carries weights: they go to the host
 * through `RunOptions.onCheckpoint` before this event is emitted, so every host can pass the
 * event stream on (to a page, a log, an SSE client) as is.
 */
export interface CheckpointEvent {
  type: 'checkpoint';
  time: number;
  stage: StageName;
  step: number;
  epoch: number;
}

/** What the engine emits while it runs: plain data only, small enough to log or send anywhere. */
export type RunEvent =
  | { type: 'run-start'; time: number; backend: string; config: RunConfig }
  | { type: 'stage-start'; time: number; stage: StageName; totalSteps: number; stepsPerEpoch: number; startStep: number }
  | ({ type: 'metric'; time: number; stage: StageName; step: number; epoch: number } & MetricFields)
  | CheckpointEvent
  | { type: 'log'; time: number; level: 'info' | 'warn' | 'error'; message: string; stage?: StageName }
  | { type: 'stage-end'; time: number; stage: StageName; summary: StageSummary }
  /** 2N×2N cosine similarities of the current pretraining batch (rows/cols: view 1 of each image, then view 2). */
  | { type: 'similarity'; time: number; stage: StageName; step: number; size: number; values: number[]; contrastiveAccuracy: number }
  /** Test-image embeddings (encoder features) projected to 2-D by PCA, with their labels. */
  | { type: 'embedding'; time: number; stage: StageName; step: number; points: [number, number][]; labels: number[] }
  | { type: 'run-end'; time: number; summary: RunSummary };

/** Named float32 tensors (weights, BN statistics, optimiser slots) as plain data. */
export interface TensorRecord {
  shape: number[];
  data: Float32Array;
}

/**
 * Everything needed to continue a run: where it was, the weights of every model that exists so far,
 * and the optimiser state of the stage in progress.
 */
export interface Checkpoint {
  version: 1;
  stage: StageName;
  /** Steps completed in `stage`. */
  step: number;
  /** Stages fully completed before `stage`, with their summaries. */
  completed: Partial<Record<StageName, StageSummary>>;
  /** model name ('pretrain' | 'finetune' | 'baseline' | 'distill') → variable name → tensor. */
  models: Record<string, Record<string, TensorRecord>>;
  optimizer: Record<string, TensorRecord>;
  /**
   * The architecture the 'pretrain' model was built with (absent in checkpoints written before it
   * was recorded): lets a run that starts from this checkpoint's encoder name any mismatch.
   */
  architecture?: EncoderArchitecture;
}

/** The fields of a RunConfig that decide the shapes of the encoder and projection head weights. */
export interface EncoderArchitecture {
  depth: number;
  widthMultiplier: number;
  skRatio: number;
  projectionLayers: number;
  projectionDim: number;
  /** dataset.imageSize: the stem differs at <= 32 px (CIFAR stem) and above. */
  imageSize: number;
}

/**
 * Lets the host pause, single-step and stop a run between training steps. `beforeStep` resolves
 * when the next step may run; returning 'stop' ends the run cleanly (a final checkpoint is emitted).
 */
export interface RunControl {
  beforeStep(): Promise<'continue' | 'stop'>;
}

export type RunEventListener = (event: RunEvent) => void;

/**
 * Receives every checkpoint the engine takes, with the event that will announce it. The engine
 * awaits it before emitting the event and before training on, so a host can make the checkpoint
 * durable first: nobody then hears of a checkpoint that a crash could still lose.
 */
export type CheckpointListener = (checkpoint: Checkpoint, event: CheckpointEvent) => void | Promise<void>;
