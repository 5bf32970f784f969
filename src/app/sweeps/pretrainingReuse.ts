import type { RunSummary, StageName, StageSummary } from '../../core';
import type { CheckpointInfo } from '../../browser/runs/runRecord';
import type { TrialRecord, TrialRequest } from '../../sweep/runner';

/**
 * Pretraining reuse in the Sweeps tab, as pure decisions. The runner (src/sweep/runner.ts) gives
 * every trial a reuse key (src/sweep/reuse.ts) and makes trials that share one wait while its
 * pretraining is in progress; the tab then starts a trial at fine-tuning from the encoder of an
 * earlier trial's stored run, as the server and the CLI start it from the shared checkpoint. As
 * there, the branched trial reports no pretraining metrics, so early stopping judges a pretraining
 * once (and the runner stops every trial sharing one it stopped), while its summary carries the
 * shared pretraining's, so an objective on a pretraining metric still has its value.
 */

/** What the decision reads of a stored run. */
export interface RunAtHand {
  id: string;
  name: string;
  stages: Partial<Record<StageName, StageSummary>>;
  checkpoint: CheckpointInfo | null;
}

export interface ReuseSource {
  /** The earlier trial that pretrained. */
  trialId: string;
  runId: string;
  runName: string;
  /** Its pretraining's summary, which the branched trial's outcome carries. */
  pretraining: StageSummary;
}

/**
 * The earlier trial of the same sweep whose stored run a trial branches from: the first (by index)
 * with the same reuse key whose run completed pretraining and still has a checkpoint (every
 * checkpoint from the end of pretraining on holds the pretrained encoder: fine-tuning copies it).
 * Null when the trial does not pretrain, is the first of its key, or no such run is left (deleted,
 * or its pretraining was stopped or failed): then it pretrains itself. Runs that themselves
 * branched never completed a pretraining, so they are never a source.
 */
export function reuseSourceFor(
  trial: Pick<TrialRequest, 'id' | 'reuseKey'>,
  finished: readonly Pick<TrialRecord, 'id' | 'index' | 'reuseKey'>[],
  runIds: Readonly<Record<string, string>>,
  runOf: (runId: string) => RunAtHand | undefined,
): ReuseSource | null {
  if (trial.reuseKey === null) return null;
  const candidates = finished.filter((t) => t.id !== trial.id && t.reuseKey === trial.reuseKey).sort((a, b) => a.index - b.index);
  for (const candidate of candidates) {
    const runId = runIds[candidate.id];
    const run = runId === undefined ? undefined : runOf(runId);
    const pretraining = run?.stages.pretrain;
    if (!run || run.checkpoint === null || pretraining?.status !== 'completed') continue;
    return { trialId: candidate.id, runId: run.id, runName: run.name, pretraining };
  }
  return null;
}

/** A branched trial's summary with the shared pretraining's summary, as a fresh run's would have it. */
export function withSharedPretraining(summary: RunSummary, pretraining: StageSummary): RunSummary {
  return { ...summary, stages: { pretrain: pretraining, ...summary.stages } };
}

/** The note beside a trial that reused another's pretraining. */
export function reusedNote(sourceTrialId: string): string {
  return `pretraining reused from ${sourceTrialId}`;
}
