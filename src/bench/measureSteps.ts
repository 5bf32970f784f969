import * as tf from '@tensorflow/tfjs';
import { registerTrainingKernels, restoreStockKernels } from '../kernels';
import { benchFilterGradientKernels, type LayerKernelReport } from './kernelBench';
import { median } from './stats';
export { median };
import { memorySnapshot, type MemorySnapshot } from './memorySnapshot';
import { createReferenceStep, type ReferenceModelKind } from '../kernels/referenceStep';

/** What every bench (Node, the browser page) is asked to measure. */
export interface StepBenchSettings {
  width: number;
  /** Images per step (2N views); the cpu backend gets its own, smaller N. */
  n: number;
  cpuN: number;
  steps: number;
  warmup: number;
  model: ReferenceModelKind;
}

/** The figures of one backend's timed steps, the same in Node and in a browser worker. */
export interface StepMeasurement {
  imagesPerSecond: number | null;
  /** 2N / fastest step: on a shared machine, closer to what the backend can do undisturbed. */
  imagesPerSecondBest: number | null;
  stepMsMedian: number | null;
  stepMsMin: number | null;
  stepMsMax: number | null;
  firstLoss: number | null;
  lastLoss: number | null;
  /** Live tensors did not grow between the first timed step and the last. */
  tensorsStable: boolean | null;
  parameterCount: number | null;
  /** The very first step, warm-up or not: shader compilation and first allocations land here. */
  firstStepMs: number | null;
  memory: MemorySnapshot | null;
}

/** What every backend's result says besides its figures, in Node and in a browser worker. */
export interface BackendRunResult extends StepMeasurement {
  backend: string;
  /** Adapter (webgpu), renderer (webgl), SIMD / threads (wasm), or how Node started it. */
  detail: string | null;
  model: ReferenceModelKind | null;
  width: number;
  n: number;
  views: number;
  warmup: number;
  steps: number;
  /** 'project' or 'stock' (tfjs as shipped), as measured. */
  kernels: 'project' | 'stock';
  /** --kernel-layers: per-layer timings of the filter-gradient variants on this backend. */
  filterGradientLayers: LayerKernelReport[] | null;
  notices: string[];
  error: string | null;
}

/**
 * The reference step's definition of a measurement: `warmup` untimed steps, then `steps` timed
 * ones awaiting the loss each time; images/s = 2N / median step. One more step runs under
 * tf.profile afterwards for the memory figures.
 */
export async function measureReferenceSteps(
  options: { width: number; n: number; steps: number; warmup: number; model: ReferenceModelKind },
  progress: (message: string) => void,
): Promise<StepMeasurement> {
  const step = createReferenceStep({ widthMultiplier: options.width, n: options.n, model: options.model });
  try {
    const times: number[] = [];
    const losses: number[] = [];
    let firstStepMs = 0;
    let tensorsAtFirstTimedStep = 0;
    for (let i = 0; i < options.warmup + options.steps; i++) {
      if (i === options.warmup) tensorsAtFirstTimedStep = tf.memory().numTensors;
      const start = performance.now();
      const loss = await step.step();
      const ms = performance.now() - start;
      if (i === 0) firstStepMs = ms;
      if (!Number.isFinite(loss)) throw new Error(`non-finite loss ${loss} at step ${i}`);
      losses.push(loss);
      const label = i < options.warmup ? `warm-up ${i + 1}/${options.warmup}` : `step ${i - options.warmup + 1}/${options.steps}`;
      progress(`${label}: ${ms.toFixed(0)} ms, loss ${loss.toFixed(4)}`);
      if (i >= options.warmup) times.push(ms);
    }
    const tensorsStable = tf.memory().numTensors === tensorsAtFirstTimedStep;
    const med = median(times);
    const views = 2 * options.n;
    return {
      imagesPerSecond: views / (med / 1000),
      imagesPerSecondBest: views / (Math.min(...times) / 1000),
      stepMsMedian: med,
      stepMsMin: Math.min(...times),
      stepMsMax: Math.max(...times),
      firstLoss: losses[0],
      lastLoss: losses[losses.length - 1],
      tensorsStable,
      parameterCount: step.parameterCount,
      firstStepMs,
      memory: await memorySnapshot(() => step.step()),
    };
  } finally {
    step.dispose();
  }
}

/** A result before anything was measured: every figure null, no notices, no error. */
export function unmeasuredResult(fields: {
  backend: string;
  width: number;
  n: number;
  warmup: number;
  steps: number;
  kernels: 'project' | 'stock';
}): BackendRunResult {
  return {
    ...fields,
    detail: null,
    model: null,
    views: 2 * fields.n,
    imagesPerSecond: null,
    imagesPerSecondBest: null,
    stepMsMedian: null,
    stepMsMin: null,
    stepMsMax: null,
    firstLoss: null,
    lastLoss: null,
    tensorsStable: null,
    parameterCount: null,
    firstStepMs: null,
    memory: null,
    filterGradientLayers: null,
    notices: [],
    error: null,
  };
}

/**
 * The project's training kernels on `backendName` (registration is idempotent), or tfjs's as
 * shipped for 'stock'. Returns notices for kernels that stay the project's because tfjs has none.
 */
export function installKernels(backendName: string, choice: 'project' | 'stock'): string[] {
  registerTrainingKernels(backendName);
  if (choice === 'project') return [];
  const { keptProjectKernels } = restoreStockKernels(backendName);
  return keptProjectKernels.length === 0 ? [] : [`stock kernels, except ${keptProjectKernels.join(', ')}: tfjs ${backendName} has none`];
}

/**
 * One backend's measurement, in Node and in a browser worker alike: the timed reference steps
 * (unless only the kernel layers are asked for), falling back to the torch-like network if
 * SimclrModel cannot step, then the per-layer filter-gradient timings if asked. Fills `result`;
 * throws what the caller reports as the result's error.
 */
export async function benchOnCurrentBackend(
  plan: { width: number; n: number; steps: number; warmup: number; model: ReferenceModelKind; kernelLayers: boolean | 'only' },
  result: BackendRunResult,
  progress: (message: string) => void,
): Promise<void> {
  if (plan.kernelLayers !== 'only') {
    let model = plan.model;
    try {
      Object.assign(result, await measureReferenceSteps({ ...plan, model }, progress));
    } catch (error) {
      if (model !== 'simclr') throw error;
      // Rather measure the kernels with the reference network than report nothing, and say so.
      const firstLine = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      result.notices.push(`SimclrModel step failed (${firstLine}); measured the torch-like reference network instead`);
      progress(result.notices[result.notices.length - 1]);
      model = 'torch-like';
      Object.assign(result, await measureReferenceSteps({ ...plan, model }, progress));
    }
    result.model = model;
  }
  if (plan.kernelLayers) {
    progress(`Conv2DBackpropFilter variants per layer (batch ${2 * plan.n})`);
    result.filterGradientLayers = await benchFilterGradientKernels({ widthMultiplier: plan.width, batch: 2 * plan.n, repetitions: 3 });
  }
}
