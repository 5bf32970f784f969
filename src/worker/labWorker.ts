import * as Comlink from 'comlink';
import type * as tf from '@tensorflow/tfjs';
import { type RunEvent, type RunSummary, Rng } from '../core';
import { toFloatBatch } from '../core/data/tensor';
import { labelledSubset, plannedStages, runExperiment } from '../core/train/run';
import { stageSteps } from '../core/train/batches';
import type { Dataset, RunConfig } from '../core';
import { createBatcher } from '../browser/batcher';
import { type StartedFrom, createRun, trimToCheckpoint } from '../browser/runs/runRecord';
import { indexedDbRunStore, readCheckpoint } from '../browser/runs/runsDb';
import type {
  AugmentationRequest,
  AugmentationSample,
  BackendOptions,
  BrowserBackendInfo,
  BackendPreference,
  EncoderStart,
  FolderFile,
  FolderLoadReport,
  LabEvent,
  LabWorkerApi,
  StagePlan,
  StartRunRequest,
} from '../protocol/labWorkerApi';
import { augmentTwoViews } from './augmentation';
import { requestWasmThreads, selectBrowserBackend } from '../browser/browserBackends';
import { BlobImageFolder, browserDatasetHosts, browserDatasetKey } from '../browser/browserSources';
import { type LoadedDataset, loadDatasetReport } from '../core/data';
import { RunController, nextMacrotask } from './runController';
import { RunRecorder } from './runRecorder';
import { resolveInitialEncoder } from './initialEncoder';

let backend: BrowserBackendInfo | null = null;
let sink: ((events: LabEvent[]) => void) | null = null;
let controller: RunController | null = null;
let cached: { key: string; loading: Promise<LoadedDataset> } | null = null;

// Events leave the worker at most every 100 ms: one message instead of one per step.
const outbox = createBatcher<LabEvent>(
  (events) => sink?.(events),
  (flush) => setTimeout(flush, 100),
);

function publish(event: LabEvent): void {
  outbox.push(event);
}

function status(message: string): void {
  publish({ type: 'status', time: Date.now(), message });
}

/** A loading step's progress line, sent at once: the decoding that follows blocks this thread. */
function loadingProgress(name: string): (message: string) => void {
  return (message) => {
    status(`Loading ${name}: ${message}…`);
    outbox.flush();
  };
}

function dataset(request: { config: StartRunRequest['config']; folder?: FolderFile[] }): Promise<LoadedDataset> {
  const key = browserDatasetKey(request.config, request.folder);
  if (cached?.key !== key) {
    const hosts = browserDatasetHosts({
      datasetsUrl: `${self.location.origin}${import.meta.env.BASE_URL}datasets`,
      folder: request.folder,
      progress: loadingProgress(request.config.dataset.name),
    });
    const loading = loadDatasetReport(request.config, hosts);
    cached = { key, loading };
    // A failed load must not stick in the cache.
    loading.catch(() => {
      if (cached?.loading === loading) cached = null;
    });
  }
  return cached.loading;
}

// Backend requests run one after another, so a later choice always lands last.
let backendQueue: Promise<unknown> = Promise.resolve();

async function ensureBackend(): Promise<BrowserBackendInfo> {
  await backendQueue.catch(() => undefined);
  backend ??= await selectBrowserBackend('auto');
  return backend;
}

/** Steps and images per step of every stage the run will train (images/s → remaining time). */
export function planOf(config: RunConfig, data: Dataset): StagePlan[] {
  const stages: StagePlan[] = [];
  const add = (stage: StagePlan['stage'], images: number, batch: number, epochs: number, viewsPerImage: number) => {
    if (images <= 0) return;
    const size = Math.min(batch, images);
    stages.push({ stage, totalSteps: stageSteps(images, size, epochs), imagesPerStep: size * viewsPerImage });
  };
  const train = data.train.count;
  for (const stage of plannedStages(config)) {
    if (stage === 'pretrain') add(stage, train, config.pretrain.batchSize, config.pretrain.epochs, 2);
    else if (stage === 'distill') add(stage, train, config.distill.batchSize, config.distill.epochs, 1);
    else add(stage, labelledSubset(config, data).length, config.finetune.batchSize, config.finetune.epochs, 1);
  }
  return stages;
}

/** What a run record keeps of its starting point: never a file's bytes. */
function startedFromOf(start: EncoderStart): StartedFrom {
  return start.kind === 'run' ? { kind: 'run', runId: start.runId, label: start.label } : { kind: 'file', name: start.name };
}

function backendLabel(info: BrowserBackendInfo): string {
  return info.adapter ? `${info.name} (${info.adapter})` : info.name;
}

const api: LabWorkerApi = {
  initBackend(preference: BackendPreference, options: BackendOptions = {}) {
    const next = backendQueue
      .catch(() => undefined)
      .then(async () => {
        if (controller) throw new Error('Stop the running training before switching backends.');
        if (options.wasmThreads !== undefined) requestWasmThreads(options.wasmThreads);
        backend = await selectBrowserBackend(preference);
        return backend;
      });
    backendQueue = next;
    return next;
  },

  subscribe(newSink) {
    sink = newSink;
  },

  async startRun(request: StartRunRequest): Promise<RunSummary> {
    if (controller) throw new Error('A run is already in progress.');
    const run = new RunController(
      request.startPaused ?? false,
      (state, pausing) => publish({ type: 'controller', time: Date.now(), state, pausing }),
      {
        // Send what the last step produced first: on wasm or cpu the next step blocks this thread.
        yieldToEventLoop: () => {
          outbox.flush();
          return nextMacrotask();
        },
      },
    );
    controller = run;
    const store = indexedDbRunStore;
    let recorder: RunRecorder | null = null;
    try {
      const info = await ensureBackend();
      status(`Loading ${request.config.dataset.name}…`);
      const loaded = await dataset(request);
      publish({ type: 'plan', time: Date.now(), stages: planOf(request.config, loaded.dataset) });
      for (const skipped of loaded.skipped.slice(0, 20)) {
        publish({ type: 'log', time: Date.now(), level: 'warn', message: `Skipped ${skipped.path}: ${skipped.reason}` });
      }
      const existing = request.resume ? await store.getRun(request.runId) : undefined;
      const checkpoint = request.resume ? await readCheckpoint(store, request.runId) : undefined;
      if (request.resume && !existing) throw new Error(`Run ${request.runId} is not stored, so it cannot be resumed.`);
      const record = existing
        ? trimToCheckpoint(existing)
        : {
            ...createRun(request.runId, request.config),
            ...(request.name ? { name: request.name } : {}),
            ...(request.initialEncoder ? { startedFrom: startedFromOf(request.initialEncoder) } : {}),
          };
      recorder = new RunRecorder(record, store, publish);
      await recorder.save();
      // A resumed run's checkpoint already holds the encoder it started from.
      if (!checkpoint && (request.initialEncoder || record.config.pretrain.init)) status('Loading the pretrained encoder…');
      const initialEncoder = checkpoint ? undefined : await resolveInitialEncoder(request, store);
      status(checkpoint ? `Resuming from ${checkpoint.stage} step ${checkpoint.step}` : 'Training');
      publish({ type: 'controller', time: Date.now(), state: run.current });
      const activeRecorder = recorder;
      const summary = await runExperiment({
        config: record.config,
        dataset: loaded.dataset,
        backend: backendLabel(info),
        onEvent: (event: RunEvent) => void activeRecorder.onEvent(event),
        onCheckpoint: (saved, event) => activeRecorder.onCheckpoint(saved, event),
        control: run,
        resumeFrom: checkpoint,
        initialEncoder,
        visualEverySteps: request.visualEverySteps ?? 5,
      });
      await recorder.flushed();
      return summary;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const summary: RunSummary = { status: 'failed', backend: backend?.name ?? 'none', seconds: 0, stages: {}, error: message };
      publish({ type: 'log', time: Date.now(), level: 'error', message });
      if (recorder) await recorder.onEvent({ type: 'run-end', time: Date.now(), summary });
      else publish({ type: 'run-end', time: Date.now(), summary });
      return summary;
    } finally {
      run.finish();
      controller = null;
      outbox.flush();
    }
  },

  pause: () => controller?.pause(),
  resume: () => controller?.resume(),
  step: () => controller?.step(),
  stop: () => controller?.stop(),

  async sampleAugmentations(request: AugmentationRequest): Promise<AugmentationSample> {
    await ensureBackend();
    const { dataset: data } = await dataset(request);
    const count = Math.min(request.count, data.train.count);
    // Which images are shown is part of the seeded draw, so "resample" also shows new images.
    const rng = new Rng(request.seed);
    const indices = Array.from({ length: count }, () => rng.int(data.train.count));
    const bytes = await data.train.readBatch(indices);
    const size = request.config.dataset.imageSize;
    const images = toFloatBatch(bytes, count, data.train.imageSize, size);
    try {
      const [view1, view2] = augmentTwoViews(images, request.config, rng);
      try {
        return {
          size,
          originals: await toRgba(images),
          view1: await toRgba(view1),
          view2: await toRgba(view2),
          labels: indices.map((i) => data.classNames[data.train.labels[i]] ?? String(data.train.labels[i])),
        };
      } finally {
        view1.dispose();
        view2.dispose();
      }
    } finally {
      images.dispose();
    }
  },

  async inspectFolder(files: FolderFile[]): Promise<FolderLoadReport> {
    return new BlobImageFolder(files).inspect();
  },
};

/** NHWC floats in [0,1] → one RGBA byte array per image, for ImageData on the page. */
async function toRgba(batch: tf.Tensor4D): Promise<Uint8ClampedArray[]> {
  const [n, h, w] = batch.shape;
  const values = await batch.data();
  const out: Uint8ClampedArray[] = [];
  for (let i = 0; i < n; i++) {
    const rgba = new Uint8ClampedArray(h * w * 4);
    for (let p = 0; p < h * w; p++) {
      const src = (i * h * w + p) * 3;
      rgba[p * 4] = values[src] * 255;
      rgba[p * 4 + 1] = values[src + 1] * 255;
      rgba[p * 4 + 2] = values[src + 2] * 255;
      rgba[p * 4 + 3] = 255;
    }
    out.push(rgba);
  }
  return out;
}

Comlink.expose(api);
