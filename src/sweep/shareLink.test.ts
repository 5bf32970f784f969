import { describe, expect, it } from 'vitest';
import { compressResults } from '../protocol/shareUrl';
import { Rng } from '../core/random';
import { runSweep } from './runner';
import { decodeSweepHash, encodeSweep, sweepToHash, thinCurve, type SharedSweep } from './shareLink';
import { parseSweepSpec } from './spec';
import { exampleSweepSpec } from './testSupport';

/** The example spec (random, 24 trials), with trials from a fake host: 6 epochs of k-NN curves, ASHA stops. */
async function exampleSweep(): Promise<SharedSweep> {
  const spec = parseSweepSpec(exampleSweepSpec);
  const rng = new Rng(3);
  const state = await runSweep({
    spec,
    runTrial: async (_trial, onMetric, signal) => {
      const quality = rng.uniform(0.3, 0.7);
      for (let epoch = 1; epoch <= 6; epoch++) {
        if (signal.aborted) return { status: 'stopped' };
        onMetric({ stage: 'pretrain', epoch, knnAccuracy: quality * (1 - Math.exp(-epoch / 2)) + rng.uniform(-0.01, 0.01) });
      }
      return {
        status: 'completed',
        seconds: rng.uniform(60, 200),
        summary: { seconds: 100, stages: { finetune: { testAccuracy: quality + 0.05, finalMetrics: {} } } },
      };
    },
  });
  return { spec: state.spec, trials: state.trials };
}

describe('sweep share links', () => {
  it('round-trips spec, trials and thinned curves', async () => {
    const sweep = await exampleSweep();
    expect(sweep.trials.some((t) => t.status === 'stopped' && t.reason)).toBe(true);
    const hash = `#${sweepToHash(sweep)}`;
    const decoded = decodeSweepHash(hash);
    if (!decoded.ok) throw new Error(decoded.error);
    expect(decoded.sweep.spec).toEqual(sweep.spec);
    expect(decoded.sweep.trials.map((t) => [t.id, t.params, t.status, t.reason, t.stoppedAt])).toEqual(
      sweep.trials.map((t) => [t.id, t.params, t.status, t.reason, t.stoppedAt]),
    );
    decoded.sweep.trials.forEach((t, i) => {
      const original = sweep.trials[i];
      if (original.objective === null) expect(t.objective).toBeNull();
      else expect(t.objective).toBeCloseTo(original.objective, 4);
      expect(t.seconds).toBeCloseTo(original.seconds, 1);
      expect(t.curve?.length).toBe(original.curve?.length);
      t.curve?.forEach(([e, v], j) => {
        expect(e).toBe(original.curve![j][0]);
        expect(v).toBeCloseTo(original.curve![j][1], 3);
      });
    });
    // The figure the README quotes (24 trials, 6-epoch curves, issue's example spec).
    console.log(
      `share link for 24 trials: ${hash.length} characters with curves, ${sweepToHash(sweep, { curves: false }).length + 1} without`,
    );
    expect(hash.length).toBeLessThan(8000);
  });

  it('thins curves to evenly spread points keeping both ends', () => {
    const curve = Array.from({ length: 100 }, (_, i) => [i + 1, i / 100] as [number, number]);
    const thin = thinCurve(curve, 5);
    expect(thin.map(([e]) => e)).toEqual([1, 26, 51, 75, 100]);
    expect(thinCurve(curve.slice(0, 3), 5)).toHaveLength(3);
  });

  it('decodes a bare value, a sweep= pair, or one among other hash pairs', async () => {
    const sweep = await exampleSweep();
    const value = encodeSweep(sweep, { curves: false });
    for (const text of [value, `sweep=${value}`, `#seed=1&sweep=${value}`]) {
      const decoded = decodeSweepHash(text);
      expect(decoded.ok).toBe(true);
      if (decoded.ok) expect(decoded.sweep.trials[0].curve).toBeUndefined();
    }
  });

  it('explains damaged or foreign links instead of throwing', () => {
    expect(decodeSweepHash('#seed=1')).toEqual({ ok: false, error: 'the link holds no sweep= value' });
    const cut = decodeSweepHash('#sweep=eJyrVkrLz1eyUlAqSS0u');
    expect(cut).toMatchObject({ ok: false });
    if (!cut.ok) expect(cut.error).toMatch(/damaged/);
    const foreign = decodeSweepHash(`#sweep=${compressResults({ v: 1, spec: {}, trials: [{ id: 'x' }] })}`);
    if (foreign.ok) throw new Error('expected a refusal');
    expect(foreign.error).toMatch(/not a sweep: trials\.0\.params/);
    const badSpec = decodeSweepHash(
      `#sweep=${compressResults({ v: 1, spec: { parameters: { 'pretrain.temprature': { values: [1] } } }, trials: [] })}`,
    );
    if (badSpec.ok) throw new Error('expected a refusal');
    expect(badSpec.error).toBe(
      "the sweep link's spec is invalid: spec.parameters.pretrain.temprature: unknown field (parameter keys are RunConfig paths such as pretrain.temperature)",
    );
  });
});
