import type { StageName } from '../../core';
import type { StagePlan } from '../../protocol/labWorkerApi';

/**
 * Remaining time of the running stage and of the whole run, from the measured speed: seconds per
 * image (1 / images/s, views for pretraining) × the images still to go, over every stage still
 * planned. Later stages are assumed to cost about as much per image as the current one, so the
 * run's figure is an estimate that sharpens as each stage starts.
 */
export interface Eta {
  imagesPerSecond: number;
  stageSeconds: number;
  runSeconds: number;
}

export function estimateRemaining(
  plan: StagePlan[] | null,
  progress: { stage: StageName; step: number; totalSteps: number } | null,
  imagesPerSecond: number | null,
): Eta | null {
  if (!plan || !progress || !imagesPerSecond || !(imagesPerSecond > 0) || !Number.isFinite(imagesPerSecond)) return null;
  const index = plan.findIndex((p) => p.stage === progress.stage);
  if (index < 0) return null;
  const secondsPerImage = 1 / imagesPerSecond;
  const current = plan[index];
  const stepsLeft = Math.max(0, progress.totalSteps - progress.step);
  const stageSeconds = stepsLeft * current.imagesPerStep * secondsPerImage;
  const laterSeconds = plan.slice(index + 1).reduce((sum, p) => sum + p.totalSteps * p.imagesPerStep * secondsPerImage, 0);
  return { imagesPerSecond, stageSeconds, runSeconds: stageSeconds + laterSeconds };
}

/** "45 s", "3 min 05 s", "1 h 07 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}
