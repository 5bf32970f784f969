import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../core/config';
import { hashString, pretrainingFields, pretrainingReuseKey, checkpointAfterPretraining } from './reuse';
import { runSweep, sweepProgress, type RunTrial, type SweepEvent, type TrialOutcome } from './runner';
import { parseSweepSpec } from './spec';
import { stageSummary } from '../testing/stageSummary';

/**
 * A fake host: each trial "trains" pretraining for `epochs` epochs with k-NN accuracy
 * = quality(config) · epoch / epochs, then fine-tunes to test accuracy = quality. It checks the
 * abort signal between epochs like the engine's beforeStep.
 */
function fakeHost(options: {
  quality: (t: number, bs: number) => number;
  epochs: number;
  fail?: (temperature: number) => boolean;
  log?: string[];
  pretrainCache?: Set<string>;
}): RunTrial {
  return async (trial, onMetric, signal) => {
    const t = trial.config.pretrain.temperature;
    const bs = trial.config.pretrain.batchSize;
    options.log?.push(trial.id);
    if (options.fail?.(t)) throw new Error(`diverged at temperature ${t}`);
    const quality = options.quality(t, bs);
    const reused = trial.reuseKey !== null && options.pretrainCache?.has(trial.reuseKey);
    if (!reused) {
      for (let epoch = 1; epoch <= options.epochs; epoch++) {
        await Promise.resolve();
        if (signal.aborted) return { status: 'stopped', seconds: epoch };
        onMetric({ stage: 'pretrain', epoch, knnAccuracy: (quality * epoch) / options.epochs, loss: 5 - epoch });
      }
      if (trial.reuseKey) options.pretrainCache?.add(trial.reuseKey);
    }
    const outcome: TrialOutcome = {
      status: 'completed',
      seconds: 10,
      summary: {
        seconds: 10,
        stages: {
          pretrain: { testAccuracy: quality, finalMetrics: { knnAccuracy: quality, loss: 1 } },
          finetune: { testAccuracy: quality + trial.config.finetune.labelFraction / 10, finalMetrics: {} },
        },
      },
      ...(reused ? { reusedPretraining: true } : {}),
    };
    return outcome;
  };
}

const base = { dataset: { name: 'shapes', trainSize: 64, testSize: 32 }, pretrain: { epochs: 3 } };

describe('reuse keys', () => {
  it('depend on seed, dataset, model and pretrain fields only', () => {
    const a = parseRunConfig({ finetune: { labelFraction: 0.01 } });
    const b = parseRunConfig({ finetune: { labelFraction: 1, epochs: 3 }, distill: { temperature: 0.1 } });
    expect(pretrainingReuseKey(a)).toBe(pretrainingReuseKey(b));
    for (const change of [
      { seed: 1 },
      { dataset: { trainSize: 10 } },
      { model: { projectionDim: 64 } },
      { pretrain: { temperature: 0.2 } },
      { pretrain: { knnK: 5 } },
    ]) {
      expect(pretrainingReuseKey(parseRunConfig(change))).not.toBe(pretrainingReuseKey(a));
    }
    expect(pretrainingReuseKey(parseRunConfig({ pretrain: { enabled: false } }))).toBeNull();
    expect(Object.keys(pretrainingFields(a)).every((p) => p === 'seed' || /^(dataset|model|pretrain)\./.test(p))).toBe(true);
    expect(Object.keys(pretrainingFields(a))).toContain('pretrain.temperature');
  });

  it('hashes strings to 14 hex digits, differently for different strings', () => {
    expect(hashString('a')).toMatch(/^[0-9a-f]{14}$/);
    expect(hashString('a')).toBe(hashString('a'));
    expect(new Set(Array.from({ length: 1000 }, (_, i) => hashString(`{"seed":${i}}`))).size).toBe(1000);
  });

  it('builds a checkpoint that marks pretraining done and starts fine-tuning at step 0', () => {
    const weights = { w: { shape: [1], data: new Float32Array([2]) } };
    const summary = stageSummary('pretrain');
    expect(checkpointAfterPretraining(weights, summary)).toEqual({
      version: 1,
      stage: 'finetune',
      step: 0,
      completed: { pretrain: summary },
      models: { pretrain: weights },
      optimizer: {},
    });
  });
});

describe('runSweep', () => {
  const gridSpec = parseSweepSpec({
    base,
    method: 'grid',
    parameters: { 'pretrain.temperature': { values: [0.1, 0.5] }, 'pretrain.batchSize': { values: [16, 32] } },
    earlyStopping: { type: 'asha', metric: 'pretrain.knnAccuracy', minEpochs: 1, reductionFactor: 2 },
  });
  // Quality falls with the trial order, so every later trial is worse at rung 1 than the first.
  const quality = (t: number, bs: number) => 0.9 - t - bs / 1000;

  it('runs a grid, stops the hopeless trials with reasons, and keeps the best', async () => {
    const events: SweepEvent[] = [];
    const state = await runSweep({ spec: gridSpec, runTrial: fakeHost({ quality, epochs: 3 }), onEvent: (e) => events.push(e) });
    expect(state.status).toBe('completed');
    expect(state.trials.map((t) => [t.id, t.params, t.status])).toEqual([
      ['t001', { 'pretrain.temperature': 0.1, 'pretrain.batchSize': 16 }, 'completed'],
      ['t002', { 'pretrain.temperature': 0.1, 'pretrain.batchSize': 32 }, 'stopped'],
      ['t003', { 'pretrain.temperature': 0.5, 'pretrain.batchSize': 16 }, 'stopped'],
      ['t004', { 'pretrain.temperature': 0.5, 'pretrain.batchSize': 32 }, 'stopped'],
    ]);
    // t002 at rung 1: values .784/3 (t001) and .768/3; keep max(1, ⌊2/2⌋) = 1.
    expect(state.trials[1]).toMatchObject({
      stoppedAt: 1,
      objective: null,
      reason: "stopped at epoch 1: k-NN 25.6% below the rung's cut-off 26.1% (top 1/2 of 2)",
    });
    expect(state.trials[1].curve).toEqual([[1, 0.768 / 3]]);
    expect(state.trials[0].objective).toBeCloseTo(0.784 + 0.01, 12);
    expect(state.best).toEqual({ id: 't001', params: state.trials[0].params, objective: state.trials[0].objective });
    expect(events.filter((e) => e.type === 'trial-end')).toHaveLength(4);
    expect(events.at(-1)?.type).toBe('sweep-end');
    expect(sweepProgress(state)).toMatchObject({ completed: 1, stopped: 3, failed: 0, left: 0, etaSeconds: 0 });
  });

  it('records failures and keeps going', async () => {
    const spec = parseSweepSpec({ base, method: 'grid', parameters: { 'pretrain.temperature': { values: [0.1, 0.5, 0.2] } } });
    const state = await runSweep({ spec, runTrial: fakeHost({ quality, epochs: 2, fail: (t) => t === 0.5 }) });
    expect(state.trials.map((t) => t.status)).toEqual(['completed', 'failed', 'completed']);
    expect(state.trials[1]).toMatchObject({
      objective: null,
      error: 'diverged at temperature 0.5',
      reason: 'failed: diverged at temperature 0.5',
    });
    expect(state.best?.id).toBe('t001');
  });

  it('resumes: finished trials are kept, only the missing ones run', async () => {
    const controller = new AbortController();
    const log: string[] = [];
    const first = await runSweep({
      spec: gridSpec,
      runTrial: fakeHost({ quality, epochs: 3, log }),
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'trial-end' && e.trial.id === 't002') controller.abort();
      },
    });
    expect(first.status).toBe('interrupted');
    expect(first.trials.map((t) => t.id)).toEqual(['t001', 't002']);
    expect(log).toEqual(['t001', 't002']);

    const log2: string[] = [];
    const second = await runSweep({ spec: gridSpec, runTrial: fakeHost({ quality, epochs: 3, log: log2 }), previous: first.trials });
    expect(log2).toEqual(['t003', 't004']);
    expect(second.status).toBe('completed');
    expect(second.trials[0]).toEqual(first.trials[0]);
    // The rung state was rebuilt from the kept curves, so t003 meets the same cut-off as in one go.
    const oneGo = await runSweep({ spec: gridSpec, runTrial: fakeHost({ quality, epochs: 3 }) });
    expect(second.trials.map((t) => [t.status, t.reason])).toEqual(oneGo.trials.map((t) => [t.status, t.reason]));
  });

  it('a verdict that arrives after the run already finished leaves the trial completed, with its objective', async () => {
    // Rungs at epochs 1 and 3 of a 3-epoch pretraining: the worse trial is judged at its last report,
    // when its run has nothing left to skip.
    const spec = parseSweepSpec({
      base,
      method: 'grid',
      parameters: { 'pretrain.temperature': { values: [0.5, 0.1] } },
      objective: { metric: 'pretrain.knnAccuracy', goal: 'maximize' },
      earlyStopping: { type: 'asha', metric: 'pretrain.knnAccuracy', minEpochs: 1, reductionFactor: 3 },
    });
    const state = await runSweep({
      spec,
      runTrial: async (trial, onMetric) => {
        const quality = trial.config.pretrain.temperature === 0.5 ? 0.9 : 0.3;
        // Reports only at the end, as a run whose last epoch is its first report would.
        onMetric({ stage: 'pretrain', epoch: 3, knnAccuracy: quality });
        return {
          status: 'completed',
          summary: { seconds: 1, stages: { pretrain: { testAccuracy: quality, finalMetrics: { knnAccuracy: quality } } } },
        };
      },
    });
    expect(state.trials.map((t) => [t.status, t.objective])).toEqual([
      ['completed', 0.9],
      ['completed', 0.3],
    ]);
  });

  it('an interrupted running trial is left unfinished, not recorded as stopped', async () => {
    const controller = new AbortController();
    const spec = parseSweepSpec({ base, method: 'grid', parameters: { 'pretrain.temperature': { values: [0.1, 0.5] } } });
    const state = await runSweep({
      spec,
      runTrial: async (_trial, onMetric, signal) => {
        controller.abort();
        onMetric({ stage: 'pretrain', epoch: 1, knnAccuracy: 0.1 });
        return signal.aborted ? { status: 'stopped' } : { status: 'completed' };
      },
      signal: controller.signal,
    });
    expect(state.status).toBe('interrupted');
    expect(state.trials).toEqual([]);
  });

  it('shares pretraining: a label-fraction sweep pretrains once, and trials wait for a shared pretraining in progress', async () => {
    const spec = parseSweepSpec({
      base,
      method: 'grid',
      concurrency: 3,
      parameters: { 'finetune.labelFraction': { values: [0.01, 0.1, 1] } },
    });
    const cache = new Set<string>();
    const state = await runSweep({ spec, runTrial: fakeHost({ quality, epochs: 2, pretrainCache: cache }) });
    expect(new Set(state.trials.map((t) => t.reuseKey)).size).toBe(1);
    expect(state.trials.map((t) => t.reusedPretraining ?? false)).toEqual([false, true, true]);
    expect(state.best?.params).toEqual({ 'finetune.labelFraction': 1 });
  });

  it('stops every trial that shares a pretraining the rule stopped', async () => {
    const spec = parseSweepSpec({
      base,
      method: 'grid',
      parameters: { 'pretrain.temperature': { values: [0.1, 0.5] }, 'finetune.labelFraction': { values: [0.1, 1] } },
      earlyStopping: { type: 'asha', metric: 'pretrain.knnAccuracy', minEpochs: 1, reductionFactor: 2 },
    });
    const state = await runSweep({ spec, runTrial: fakeHost({ quality, epochs: 2, pretrainCache: new Set() }) });
    expect(state.trials.map((t) => t.status)).toEqual(['completed', 'completed', 'stopped', 'stopped']);
    expect(state.trials[3].reason).toMatch(/^shares its pretraining with t003, stopped at epoch 1: k-NN/);
    expect(state.trials[3].seconds).toBe(0);
  });

  it('runs up to `concurrency` trials at once', async () => {
    const spec = parseSweepSpec({
      base,
      method: 'random',
      trials: 6,
      concurrency: 2,
      parameters: { 'pretrain.temperature': { min: 0.1, max: 1 } },
    });
    let running = 0;
    let peak = 0;
    const state = await runSweep({
      spec,
      runTrial: async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return { status: 'completed', summary: { seconds: 1, stages: { finetune: { testAccuracy: 0.5, finalMetrics: {} } } } };
      },
    });
    expect(peak).toBe(2);
    expect(state.trials).toHaveLength(6);
  });

  it('records a combination the config schema refuses as a failed trial instead of crashing', async () => {
    const spec = parseSweepSpec({
      base,
      method: 'grid',
      parameters: { 'model.projectionLayers': { values: [0, 2] }, 'finetune.fromProjectionLayer': { values: [1] } },
    });
    const state = await runSweep({ spec, runTrial: fakeHost({ quality, epochs: 1 }) });
    expect(state.trials.map((t) => t.status)).toEqual(['failed', 'completed']);
    expect(state.trials[0].reason).toBe('failed: invalid config: finetune.fromProjectionLayer: must be at most model.projectionLayers (0)');
  });
});
