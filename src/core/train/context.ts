import type * as tf from '@tensorflow/tfjs';
import type { RunConfig, StageName } from '../config';
import type { NamedModel } from './optimizerState';
import type { Dataset, RunControl, RunEvent, TensorRecord } from '../types';

/** What a stage runner needs from the orchestrator (run.ts). */
export interface StageContext {
  config: RunConfig;
  dataset: Dataset;
  backend: string;
  emit: (event: RunEvent) => void;
  control?: RunControl;
  /** Emit similarity/embedding events every this many steps (0 = never). */
  visualEverySteps: number;
  /** Saves a checkpoint of everything trained so far, plus this stage's optimiser state. */
  saveCheckpoint(stage: StageName, step: number, optimizer: tf.Optimizer, model: NamedModel): Promise<void>;
}

/** Where a stage resumes: the step reached and the optimiser slots then. */
export interface StageResume {
  step: number;
  optimizer: Record<string, TensorRecord>;
}

export function log(ctx: StageContext, message: string, stage?: StageName, level: 'info' | 'warn' = 'info'): void {
  ctx.emit({ type: 'log', time: Date.now(), level, message, ...(stage ? { stage } : {}) });
}
