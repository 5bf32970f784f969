import { describe, expect, it } from 'vitest';
import { type RunConfig, type RunSummary, parseRunConfig } from '../../core';
import { stageSummary } from '../../testing/stageSummary';
import { tinyRun } from '../../testing/tinyRun';
import { pretrainingReuseKey } from '../../sweep/reuse';
import { type RunTrial, type SweepEvent, type TrialRecord, objectiveFromSummary, runSweep } from '../../sweep/runner';
import { parseSweepSpec, trialConfig } from '../../sweep/spec';
import { STUDY_LABEL_FRACTIONS, labelEfficiencyStudySpec, sweepsLabelFraction } from './labelEfficiencySpec';
import { type RunAtHand, reuseSourceFor, withSharedPretraining } from './pretrainingReuse';

const pretrained = (id: string, overrides: Partial<RunAtHand> = {}): RunAtHand => ({
  id,
  name: `sweep · ${id}`,
  stages: { pretrain: stageSummary('pretrain', { testAccuracy: 0.4 }), finetune: stageSummary('finetune') },
  checkpoint: { stage: 'finetune', step: 2, epoch: 1 },
  ...overrides,
});

describe('reuseSourceFor', () => {
  const finished = [
    { id: 't001', index: 0, reuseKey: 'a' },
    { id: 't002', index: 1, reuseKey: 'b' },
    { id: 't003', index: 2, reuseKey: 'a' },
  ];
  const runIds = { t001: 'run-1', t002: 'run-2', t003: 'run-3' };

  it('branches from the earliest trial of the same key whose run finished pretraining', () => {
    const runs = new Map([
      ['run-1', pretrained('run-1')],
      ['run-2', pretrained('run-2')],
      ['run-3', pretrained('run-3')],
    ]);
    const source = reuseSourceFor({ id: 't004', reuseKey: 'a' }, finished, runIds, (id) => runs.get(id));
    expect(source).toMatchObject({ trialId: 't001', runId: 'run-1', runName: 'sweep · run-1' });
    expect(source?.pretraining.testAccuracy).toBe(0.4);
    expect(reuseSourceFor({ id: 't004', reuseKey: 'b' }, finished, runIds, (id) => runs.get(id))?.trialId).toBe('t002');
  });

  it('pretrains the first of a key, a trial that does not pretrain, and one whose key no run shares', () => {
    const runs = (id: string) => pretrained(id);
    expect(reuseSourceFor({ id: 't001', reuseKey: 'a' }, [], {}, runs)).toBeNull();
    expect(reuseSourceFor({ id: 't004', reuseKey: null }, finished, runIds, runs)).toBeNull();
    expect(reuseSourceFor({ id: 't004', reuseKey: 'c' }, finished, runIds, runs)).toBeNull();
    // A trial never branches from itself (a re-run of a trial that is also in the list).
    expect(reuseSourceFor({ id: 't002', reuseKey: 'b' }, finished, runIds, runs)).toBeNull();
  });

  it('skips runs that cannot give a pretrained encoder: deleted, pretraining stopped or failed, no checkpoint, branched themselves', () => {
    const cases: [string, RunAtHand | undefined][] = [
      ['deleted', undefined],
      ['stopped', pretrained('run-1', { stages: { pretrain: stageSummary('pretrain', { status: 'stopped' }) } })],
      ['failed', pretrained('run-1', { stages: { pretrain: stageSummary('pretrain', { status: 'failed' }) } })],
      ['no checkpoint', pretrained('run-1', { checkpoint: null })],
      // It started from another run's encoder (or a shipped one): it never pretrained.
      ['branched', pretrained('run-1', { stages: { finetune: stageSummary('finetune') } })],
    ];
    for (const [what, first] of cases) {
      const runs = new Map<string, RunAtHand | undefined>([
        ['run-1', first],
        ['run-3', pretrained('run-3')],
      ]);
      const source = reuseSourceFor({ id: 't004', reuseKey: 'a' }, finished, runIds, (id) => runs.get(id));
      expect(source?.trialId, what).toBe('t003');
      runs.delete('run-3');
      expect(
        reuseSourceFor({ id: 't004', reuseKey: 'a' }, finished, runIds, (id) => runs.get(id)),
        what,
      ).toBeNull();
    }
  });

  it("gives a branched trial's summary the shared pretraining, so a pretraining objective has its value", () => {
    const summary: RunSummary = { status: 'completed', backend: 'wasm', seconds: 3, stages: { finetune: stageSummary('finetune') } };
    const shared = stageSummary('pretrain', { testAccuracy: 0.42, finalMetrics: { knnAccuracy: 0.42, loss: 3.1 } });
    const merged = withSharedPretraining(summary, shared);
    expect(objectiveFromSummary('pretrain.knnAccuracy', merged, 3)).toBe(0.42);
    expect(objectiveFromSummary('pretrain.loss', merged, 3)).toBe(3.1);
    expect(merged.stages.finetune).toBe(summary.stages.finetune);
    expect(summary.stages.pretrain).toBeUndefined();
  });
});

/**
 * The tab's host in miniature: the sweep runner drives trials whose "runs" are records kept here;
 * each trial asks `reuseSourceFor` (with the finished trials and their runs, as sweepController does)
 * and either pretrains (2 epochs reporting k-NN) or branches from the source's run.
 */
function tabHost(knnOf: (config: RunConfig) => number) {
  const runs = new Map<string, RunAtHand>();
  const runIds: Record<string, string> = {};
  let finished: TrialRecord[] = [];
  const pretrainedBy: string[] = [];
  const branchedFrom: Record<string, string> = {};
  const runTrial: RunTrial = async (trial, onMetric, signal) => {
    const source = reuseSourceFor(trial, finished, runIds, (id) => runs.get(id));
    const run: RunAtHand = { id: `run-${trial.id}`, name: trial.id, stages: {}, checkpoint: null };
    runs.set(run.id, run);
    runIds[trial.id] = run.id;
    if (source) branchedFrom[trial.id] = source.trialId;
    else {
      pretrainedBy.push(trial.id);
      const knn = knnOf(trial.config);
      for (const epoch of [1, 2]) {
        await Promise.resolve();
        run.checkpoint = { stage: 'pretrain', step: epoch, epoch };
        if (signal.aborted) {
          run.stages.pretrain = stageSummary('pretrain', { status: 'stopped' });
          return { status: 'stopped' };
        }
        onMetric({ stage: 'pretrain', epoch, knnAccuracy: (knn * epoch) / 2 });
      }
      run.stages.pretrain = stageSummary('pretrain', { testAccuracy: knn, finalMetrics: { knnAccuracy: knn } });
    }
    run.stages.finetune = stageSummary('finetune', { testAccuracy: trial.config.finetune.labelFraction });
    run.checkpoint = { stage: 'finetune', step: 1, epoch: 1 };
    const summary: RunSummary = { status: 'completed', backend: 'cpu', seconds: 1, stages: { ...run.stages } };
    return {
      status: 'completed',
      summary: source ? withSharedPretraining(summary, source.pretraining) : summary,
      ...(source ? { reusedPretraining: true } : {}),
    };
  };
  const onEvent = (event: SweepEvent) => {
    if (event.type === 'trial-end') finished = event.state.trials;
  };
  return { runTrial, onEvent, pretrainedBy, branchedFrom };
}

const settings = parseRunConfig({ ...tinyRun, finetune: { ...tinyRun.finetune, enabled: false }, distill: { enabled: false } });

describe('the label-efficiency study', () => {
  it('is a grid over 1%, 10% and 100% labels with supervised-only on, whatever the settings had', () => {
    const spec = labelEfficiencyStudySpec(settings);
    expect(spec).toMatchObject({ method: 'grid', trials: 3, objective: { metric: 'finetune.testAccuracy', goal: 'maximize' } });
    expect(sweepsLabelFraction(spec)).toBe(true);
    const configs = STUDY_LABEL_FRACTIONS.map((f) => trialConfig(spec, { 'finetune.labelFraction': f }));
    expect(configs.map((c) => [c.finetune.enabled, c.finetune.baseline, c.finetune.labelFraction])).toEqual([
      [true, true, 0.01],
      [true, true, 0.1],
      [true, true, 1],
    ]);
    // Everything else is the current settings: one pretraining serves all three.
    expect(configs[0].pretrain).toEqual(settings.pretrain);
    expect(new Set(configs.map(pretrainingReuseKey)).size).toBe(1);
  });

  it('pretrains once and fine-tunes three times from that one pretraining', async () => {
    const host = tabHost(() => 0.4);
    const state = await runSweep({ spec: labelEfficiencyStudySpec(settings), runTrial: host.runTrial, onEvent: host.onEvent });
    expect(host.pretrainedBy).toEqual(['t001']);
    expect(host.branchedFrom).toEqual({ t002: 't001', t003: 't001' });
    expect(state.trials.map((t) => [t.status, t.reusedPretraining ?? false, t.objective])).toEqual([
      ['completed', false, 0.01],
      ['completed', true, 0.1],
      ['completed', true, 1],
    ]);
  });
});

describe('reuse with early stopping on a pretraining metric', () => {
  it('judges a pretraining once: trials sharing a stopped one stop unrun, those sharing a kept one branch and keep its objective', async () => {
    const spec = parseSweepSpec({
      base: settings,
      method: 'grid',
      parameters: { 'pretrain.temperature': { values: [0.5, 0.1] }, 'finetune.labelFraction': { values: [0.1, 1] } },
      objective: { metric: 'pretrain.knnAccuracy', goal: 'maximize' },
      earlyStopping: { type: 'asha', metric: 'pretrain.knnAccuracy', minEpochs: 1, reductionFactor: 2 },
    });
    // The later temperature is worse: ASHA stops its pretraining at the first rung.
    const host = tabHost((config) => (config.pretrain.temperature === 0.5 ? 0.6 : 0.2));
    const state = await runSweep({ spec, runTrial: host.runTrial, onEvent: host.onEvent });
    const byTemperature = (t: number) => state.trials.filter((trial) => trial.params['pretrain.temperature'] === t);
    const [kept, keptBranch] = byTemperature(0.5);
    const [stopped, stoppedSharer] = byTemperature(0.1);
    expect(host.pretrainedBy).toEqual([kept.id, stopped.id]);
    expect(host.branchedFrom).toEqual({ [keptBranch.id]: kept.id });
    expect([kept.status, keptBranch.status]).toEqual(['completed', 'completed']);
    expect(keptBranch.objective).toBe(0.6);
    expect(keptBranch.reusedPretraining).toBe(true);
    expect(stopped.status).toBe('stopped');
    expect(stoppedSharer.status).toBe('stopped');
    expect(stoppedSharer.reason).toMatch(new RegExp(`^shares its pretraining with ${stopped.id}`));
  });
});
