import * as tf from '@tensorflow/tfjs';
import type { StageName } from '../config';
import type { StageSummary } from '../types';
import type { MetricFields, RunControl, RunEvent } from '../types';
import type { BatchPlan } from './batches';

export interface StageLoopOptions {
  stage: StageName;
  plan: BatchPlan;
  totalSteps: number;
  /** Steps already done (resume). */
  startStep: number;
  /** Images (views, for pretraining) processed per step, for images/s: every batch is full. */
  imagesPerStep: number;
  emit: (event: RunEvent) => void;
  control?: RunControl;
  /** Called with the next step's batch before a step runs, so disk-backed loaders can decode ahead. */
  prefetch?(batch: number[]): void;
  /** One optimisation step; returns the step's metrics (loss, accuracy...). */
  trainStep(step: number, batch: number[]): Promise<MetricFields>;
  /** Evaluation after an epoch (and at the end); returns metrics to publish. */
  evaluate?(epoch: number, step: number, final: boolean): Promise<MetricFields>;
  /** Whether to evaluate after this epoch (the final evaluation always runs). */
  shouldEvaluate?(epoch: number): boolean;
  /** Persist progress: called after each epoch and when stopped. */
  checkpoint(step: number): Promise<void>;
  /** Extra per-step work for the UI (similarity matrices...). */
  afterStep?(step: number): Promise<void>;
}

export interface StageLoopResult {
  status: 'completed' | 'stopped';
  steps: number;
  seconds: number;
  imagesPerSecond: number;
  lastMetrics: MetricFields;
}

/**
 * The loop every stage shares: ask the host whether to continue, train one step, publish metrics,
 * evaluate and checkpoint at epoch ends. Training time excludes evaluation so images/s is honest.
 */
export async function runStageLoop(options: StageLoopOptions): Promise<StageLoopResult> {
  const { stage, plan, totalSteps, emit } = options;
  emit({ type: 'stage-start', time: Date.now(), stage, totalSteps, stepsPerEpoch: plan.stepsPerEpoch, startStep: options.startStep });
  const lastMetrics: MetricFields = {};
  let trainSeconds = 0;
  let imagesDone = 0;
  let recentRate = 0;
  let step = options.startStep;
  const started = performance.now();

  while (step < totalSteps) {
    if (options.control && (await options.control.beforeStep()) === 'stop') {
      await options.checkpoint(step);
      return finish('stopped');
    }
    const batch = plan.batch(step);
    if (options.prefetch && step + 1 < totalSteps) options.prefetch(plan.batch(step + 1));
    const t0 = performance.now();
    const metrics = await options.trainStep(step, batch);
    const seconds = (performance.now() - t0) / 1000;
    trainSeconds += seconds;
    imagesDone += options.imagesPerStep;
    const rate = options.imagesPerStep / Math.max(seconds, 1e-9);
    recentRate = recentRate === 0 ? rate : 0.8 * recentRate + 0.2 * rate;
    step++;
    const epoch = plan.epochAt(step);
    Object.assign(lastMetrics, metrics, { imagesPerSecond: recentRate });
    if (options.afterStep) await options.afterStep(step);
    emit({
      type: 'metric',
      time: Date.now(),
      stage,
      step,
      epoch,
      ...metrics,
      imagesPerSecond: recentRate,
      numTensors: tf.memory().numTensors,
    });

    // Batches run on across epoch boundaries, so an epoch ends with the step that consumed its last image.
    const epochEnded = plan.endsEpoch(step) || step === totalSteps;
    if (epochEnded) {
      const epochIndex = plan.endsEpoch(step) ? plan.epochsCompleted(step) : Math.ceil(epoch);
      const final = step === totalSteps;
      if (options.evaluate && (final || (options.shouldEvaluate?.(epochIndex) ?? true))) {
        const evalMetrics = await options.evaluate(epochIndex, step, final);
        Object.assign(lastMetrics, evalMetrics);
        emit({ type: 'metric', time: Date.now(), stage, step, epoch, ...evalMetrics });
      }
      await options.checkpoint(step);
    }
  }
  return finish('completed');

  function finish(status: 'completed' | 'stopped'): StageLoopResult {
    return {
      status,
      steps: step,
      seconds: (performance.now() - started) / 1000,
      imagesPerSecond: trainSeconds > 0 ? imagesDone / trainSeconds : 0,
      lastMetrics,
    };
  }
}

/** The summary every stage reports, from its loop result. */
export function summarizeStage(
  stage: StageName,
  result: StageLoopResult,
  stepsPerEpoch: number,
  backend: string,
  testAccuracy: number | undefined,
  labelledImages?: number,
): StageSummary {
  return {
    stage,
    status: result.status,
    steps: result.steps,
    // Images used / images in the stage (stepsPerEpoch = n/B may be fractional).
    epochs: result.steps / stepsPerEpoch,
    seconds: result.seconds,
    imagesPerSecond: result.imagesPerSecond,
    backend,
    finalMetrics: result.lastMetrics,
    testAccuracy: testAccuracy ?? null,
    ...(labelledImages !== undefined ? { labelledImages } : {}),
  };
}
