import { describe, expect, it } from 'vitest';
import {
  ashaRungs,
  emptyEarlyStoppingState,
  judgeReport,
  median,
  replayCurves,
  rungCutoffs,
  type EarlyStoppingState,
  type Verdict,
} from './asha';
import type { EarlyStoppingSpec } from './spec';

const asha: EarlyStoppingSpec = { type: 'asha', metric: 'pretrain.knnAccuracy', minEpochs: 1, reductionFactor: 3 };

/** Feeds reports in order, returning each verdict. */
function feed(rule: EarlyStoppingSpec, reports: [string, number, number][], start: EarlyStoppingState = emptyEarlyStoppingState()) {
  let state = start;
  const verdicts: Verdict[] = [];
  for (const [trialId, epoch, value] of reports) {
    const judged = judgeReport(rule, state, { trialId, epoch, value });
    state = judged.state;
    verdicts.push(judged.verdict);
  }
  return { state, verdicts };
}

describe('ASHA', () => {
  it('puts rungs at minEpochs·η^k', () => {
    expect(ashaRungs(1, 3, 10)).toEqual([1, 3, 9]);
    expect(ashaRungs(2, 2, 16)).toEqual([2, 4, 8, 16]);
    expect(ashaRungs(1, 3, 0.5)).toEqual([]);
  });

  it('keeps the top max(1, ⌊n/η⌋) at a rung, worked by hand', () => {
    // Rung 1 (epoch 1), η = 3. Arrivals and the cut-off each one meets:
    //   a 0.50: n=1 keep 1, cut-off 0.50 → continue
    //   b 0.40: n=2 keep 1, cut-off 0.50 → stop
    //   c 0.60: n=3 keep 1, cut-off 0.60 → continue
    //   d 0.45: n=4 keep 1, cut-off 0.60 → stop
    //   e 0.55: n=5 keep 1, cut-off 0.60 → stop
    //   f 0.56: n=6 keep 2, sorted .60 .56 .55 .50 .45 .40, cut-off 0.56 → continue (ties continue)
    //   g 0.41: n=7 keep 2, cut-off 0.56 → stop
    const { verdicts } = feed(asha, [
      ['a', 1, 0.5],
      ['b', 1, 0.4],
      ['c', 1, 0.6],
      ['d', 1, 0.45],
      ['e', 1, 0.55],
      ['f', 1, 0.56],
      ['g', 1, 0.41],
    ]);
    expect(verdicts.map((v) => v.stop)).toEqual([false, true, false, true, true, false, true]);
    expect(verdicts[6]).toEqual({
      stop: true,
      epoch: 1,
      reason: "stopped at epoch 1: k-NN 41.0% below the rung's cut-off 56.0% (top 1/3 of 7)",
    });
  });

  it("words the reason as the issue's example", () => {
    // Six trials at rung 3 (η=3): five recorded already, the sixth reports 41%; keep 2; cut-off = 2nd best = 47.2%.
    const values = [0.5, 0.472, 0.3, 0.35, 0.2];
    const rule: EarlyStoppingSpec = { ...asha, minEpochs: 3 };
    const { verdicts } = feed(rule, [...values.map((v, i) => [`t${i}`, 3, v] as [string, number, number]), ['x', 3, 0.41]]);
    expect(verdicts[5]).toEqual({
      stop: true,
      epoch: 3,
      reason: "stopped at epoch 3: k-NN 41.0% below the rung's cut-off 47.2% (top 1/3 of 6)",
    });
  });

  it('judges a trial once per rung and at every rung it passed', () => {
    // Epoch 1 and 3 are rungs; a trial reporting epochs 1, 2, 3 is judged at 1 and 3 only.
    const first = feed(asha, [
      ['a', 1, 0.3],
      ['a', 2, 0.4],
      ['a', 3, 0.5],
      ['a', 3, 0.5],
    ]);
    expect(Object.fromEntries(Object.entries(first.state.records).map(([k, r]) => [k, r.length]))).toEqual({ '1': 1, '3': 1 });
    // A trial evaluated only at epoch 4 is recorded at rungs 1 and 3 with that value.
    const skip = feed(asha, [['b', 4, 0.2]], first.state);
    expect(skip.state.records['1'].map((r) => r.trialId)).toEqual(['a', 'b']);
    expect(skip.verdicts[0]).toMatchObject({ stop: true, epoch: 1 });
  });

  it('is goal-aware: a loss above the cut-off stops', () => {
    const rule: EarlyStoppingSpec = { type: 'asha', metric: 'pretrain.loss', minEpochs: 1, reductionFactor: 2 };
    // η = 2: n=2 keep 1 → cut-off is the lower loss.
    const { verdicts } = feed(rule, [
      ['a', 1, 2.1],
      ['b', 1, 2.31],
      ['c', 1, 1.9],
    ]);
    expect(verdicts.map((v) => v.stop)).toEqual([false, true, false]);
    expect(verdicts[1]).toEqual({
      stop: true,
      epoch: 1,
      reason: "stopped at epoch 1: loss 2.310 above the rung's cut-off 2.100 (top 1/2 of 2)",
    });
  });

  it('does not change the state it is given', () => {
    const state = feed(asha, [['a', 1, 0.5]]).state;
    const copy = structuredClone(state);
    judgeReport(asha, state, { trialId: 'b', epoch: 1, value: 0.1 });
    expect(state).toEqual(copy);
  });

  it('rebuilds the same records from curves and reports cut-offs', () => {
    const live = feed(asha, [
      ['a', 1, 0.5],
      ['a', 2, 0.55],
      ['a', 3, 0.6],
      ['b', 1, 0.4],
      ['c', 1, 0.7],
      ['c', 3, 0.65],
    ]);
    const replayed = replayCurves(asha, [
      {
        trialId: 'a',
        curve: [
          [1, 0.5],
          [2, 0.55],
          [3, 0.6],
        ],
      },
      { trialId: 'b', curve: [[1, 0.4]] },
      {
        trialId: 'c',
        curve: [
          [1, 0.7],
          [3, 0.65],
        ],
      },
    ]);
    expect(replayed).toEqual(live.state);
    expect(rungCutoffs(asha, replayed)).toEqual([
      { epoch: 1, cutoff: 0.7, count: 3 },
      { epoch: 3, cutoff: 0.65, count: 2 },
    ]);
  });
});

describe('median rule', () => {
  const rule: EarlyStoppingSpec = { type: 'median', metric: 'finetune.testAccuracy', minEpochs: 2, reductionFactor: 3 };

  it('computes medians', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('waits for minEpochs and three other trials, then stops the ones below the median', () => {
    const { verdicts } = feed(rule, [
      ['a', 1, 0.1], // before minEpochs: not judged
      ['a', 2, 0.5],
      ['b', 2, 0.2], // only 1 other: not judged
      ['c', 2, 0.6],
      ['d', 2, 0.3], // others .5 .2 .6, median .5 → stop
      ['e', 2, 0.5], // others .5 .2 .6 .3, median .4 → continue
    ]);
    expect(verdicts.map((v) => v.stop)).toEqual([false, false, false, false, true, false]);
    expect(verdicts[4]).toEqual({
      stop: true,
      epoch: 2,
      reason: 'stopped at epoch 2: test accuracy 30.0% below the median 50.0% of 3 other trials there',
    });
  });
});
