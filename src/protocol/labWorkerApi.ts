import type { Checkpoint, RunConfig, RunEvent, RunSummary, StageName } from '../core';

export const backendNames = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];
export type BackendPreference = BackendName | 'auto';

export interface BrowserBackendInfo {
  name: BackendName;
  /** GPU adapter description (webgpu) or renderer (webgl), when the browser tells. */
  adapter: string | null;
  /** The adapter is a software rasteriser (SwiftShader, llvmpipe, a WebGPU fallback adapter). */
  software?: boolean;
  /** Set when the requested or preferred backend failed and the lab fell back to `name`. */
  fallbackNotice: string | null;
  /** Backends that initialised successfully on this machine so far (probed lazily). */
  tried: { name: BackendName; ok: boolean; reason?: string }[];
}

/**
 * What the worker sends to the page: the engine's events as they are (weights never travel in
 * them: the worker stores checkpoints in IndexedDB), plus the lab's own.
 */
export type LabEvent =
  | RunEvent
  | { type: 'status'; time: number; message: string }
  /** `pausing`: paused, but the step under way when Pause came has not ended yet. */
  | { type: 'controller'; time: number; state: ControllerState; pausing?: boolean }
  /** Sent once the dataset is loaded: every stage this run will train, for the remaining-time estimate. */
  | { type: 'plan'; time: number; stages: StagePlan[] }
  /**
   * The run started again from its checkpoint at (stage, step) (a server run after a crash): what
   * was recorded after that point is superseded by the events that follow.
   */
  | { type: 'resumed'; time: number; stage: StageName; step: number; epoch: number }
  /**
   * The host learnt how a run ended without its run-end event: a server run cancelled while queued
   * or failed outside the engine, a stream that was lost, a page reload that ended a worker's run.
   * It never overrides an outcome the run already has.
   */
  | { type: 'settled'; time: number; status: RunOutcome; error?: string };

/** How a run in the lab ended; `interrupted` runs can continue from their last checkpoint. */
export type RunOutcome = 'completed' | 'stopped' | 'failed' | 'interrupted';

export interface StagePlan {
  stage: StageName;
  totalSteps: number;
  /** Images (views, for pretraining) per step: images/s × seconds per step. */
  imagesPerStep: number;
}

export type ControllerState = 'running' | 'paused' | 'stopping' | 'idle';

/** One user image for the `folder` dataset: `path` is relative to the picked folder (class/file). */
export interface FolderFile {
  path: string;
  file: Blob;
}

export interface StartRunRequest {
  runId: string;
  /** The run's name in Runs (default: dataset, model and stages); a sweep names its trials. */
  name?: string;
  config: RunConfig;
  /** Continue `runId` from its last stored checkpoint instead of starting fresh. */
  resume: boolean;
  startPaused?: boolean;
  /** Needed when `config.dataset.name` is 'folder'. */
  folder?: FolderFile[];
  visualEverySteps?: number;
  /**
   * Start from this encoder instead of pretraining (a shipped encoder is named by
   * `config.pretrain.init` instead, so a share link carries it).
   */
  initialEncoder?: EncoderStart;
}

/** A starting point the config cannot name: a stored run's checkpoint or a file the user chose. */
export type EncoderStart = { kind: 'run'; runId: string; label: string } | { kind: 'file'; name: string; bytes: Uint8Array };

export interface AugmentationRequest {
  config: RunConfig;
  count: number;
  /** Seed of the augmentation draw; the same seed redraws the same views. */
  seed: number;
  folder?: FolderFile[];
}

/** RGBA pixels ready for ImageData, one entry per image. */
export interface AugmentationSample {
  size: number;
  originals: Uint8ClampedArray[];
  view1: Uint8ClampedArray[];
  view2: Uint8ClampedArray[];
  labels: string[];
}

export interface FolderLoadReport {
  classNames: string[];
  images: number;
  unreadable: { path: string; reason: string }[];
}

export interface BackendOptions {
  /**
   * wasm: XNNPACK threads to start, for a sweep's trial worker that shares the cores with others.
   * Only a worker whose wasm backend has not started yet can take it.
   */
  wasmThreads?: number;
}

export interface LabWorkerApi {
  initBackend(preference: BackendPreference, options?: BackendOptions): Promise<BrowserBackendInfo>;
  /** The page's sink for batched events (a comlink proxy). */
  subscribe(sink: (events: LabEvent[]) => void): void;
  startRun(request: StartRunRequest): Promise<RunSummary>;
  pause(): void;
  resume(): void;
  step(): void;
  stop(): void;
  sampleAugmentations(request: AugmentationRequest): Promise<AugmentationSample>;
  inspectFolder(files: FolderFile[]): Promise<FolderLoadReport>;
}

export type { Checkpoint };
