/**
 * Learning-rate scaling and schedule of SimCLR (official run.py): the applied peak rate is the base rate
 * scaled by the batch size, reached by a linear warm-up from 0 and then cosine-decayed to 0. How many
 * steps a stage takes is decided by its batch stream: `stageSteps` in train/batches.ts.
 */

export type LearningRateScaling = 'linear' | 'sqrt';

/** base × batch/256 ('linear') or base × sqrt(batch) ('sqrt'), as in the official code. */
export function scaledLearningRate(base: number, batchSize: number, scaling: LearningRateScaling): number {
  if (!(batchSize > 0)) throw new Error(`batch size must be > 0, got ${batchSize}`);
  if (scaling === 'linear') return (base * batchSize) / 256;
  if (scaling === 'sqrt') return base * Math.sqrt(batchSize);
  throw new Error(`unknown learning-rate scaling "${String(scaling)}" (expected linear or sqrt)`);
}

export interface ScheduleOptions {
  /** Rate at the end of the warm-up. */
  peak: number;
  warmupSteps: number;
  totalSteps: number;
}

/**
 * Rate for a 0-based step: peak·step/warmup during the warm-up, then
 * peak·½(1 + cos(π·(step − warmup)/(total − warmup))), and 0 from `totalSteps` on.
 */
export function learningRateAt(step: number, { peak, warmupSteps, totalSteps }: ScheduleOptions): number {
  if (step < 0) throw new Error(`step must be >= 0, got ${step}`);
  if (warmupSteps > 0 && step < warmupSteps) return (peak * step) / warmupSteps;
  const decaySteps = totalSteps - warmupSteps;
  if (decaySteps <= 0) return step < totalSteps ? peak : 0;
  const progress = Math.min(1, (step - warmupSteps) / decaySteps);
  return peak * 0.5 * (1 + Math.cos(Math.PI * progress));
}
