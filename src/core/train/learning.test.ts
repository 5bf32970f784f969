import { beforeAll, describe, expect, it } from 'vitest';
import { selectNodeBackend } from '../../node/nodeBackends';
import { parseRunConfig } from '../config';
import { runOnShapes, shapesSmokeExample } from '../../testing/shapesRun';

/**
 * The method actually works, asserted on accuracy (never on time): a short run of
 * examples/shapes-smoke.json (10 classes, chance = 10%) on the wasm backend.
 */
const config = parseRunConfig(shapesSmokeExample());

beforeAll(async () => {
  await selectNodeBackend('wasm');
});

describe('SimCLR on shapes learns', () => {
  it('pretraining lifts k-NN accuracy far above chance, fine-tuning beats the baseline, the student learns from the teacher', async () => {
    const { summary, events } = await runOnShapes(config, 'wasm');
    expect(summary.error).toBeUndefined();
    const { pretrain, finetune, baseline, distill } = summary.stages;

    const knn = events
      .filter((e) => e.type === 'metric' && e.stage === 'pretrain' && e.knnAccuracy !== undefined)
      .map((e) => (e as { knnAccuracy: number }).knnAccuracy);
    expect(knn.length).toBeGreaterThanOrEqual(2);
    // Chance is 0.1. k-NN 0.36 before the official objective, 0.31 after it, 0.27 with the official
    // ResNet-18 (a projection shortcut in block1_1 too, tf2/resnet.py) on this unchanged recipe.
    expect(pretrain!.testAccuracy!).toBeGreaterThan(0.25);
    const losses = events
      .filter((e) => e.type === 'metric' && e.stage === 'pretrain' && e.loss !== undefined)
      .map((e) => (e as { loss: number }).loss);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)));

    expect(finetune!.labelledImages).toBe(100);
    // Measured with the CLI on this recipe (256 test images: ±2.5 points standard error), fine-tuned vs
    // supervised-only: seed 1 (this test) 21.9% vs 7.0% with bilinear crops, 16.0% vs 9.8% with the
    // official bicubic resize; seed 2 13.7% vs 12.5% and 17.2% vs 14.1% (its k-NN 14.8% and 28.5%). The
    // seed moves these more than the resize does, so the bounds are where a fine-tune that learned
    // nothing from pretraining (≈ the baseline, chance 10%) fails, not at one lucky seed's margin.
    expect(finetune!.testAccuracy!).toBeGreaterThan(baseline!.testAccuracy! + 0.03);
    expect(finetune!.testAccuracy!).toBeGreaterThan(0.15);

    // The student sees no labels (labelWeight 0): what it learns comes from the teacher.
    expect(distill!.labelledImages).toBe(0);
    // Chance is 0.1; the student reached 0.164 (bilinear) and 0.141 (bicubic) behind a 0.16–0.22 teacher.
    expect(distill!.testAccuracy!).toBeGreaterThan(0.13);
    expect(distill!.finalMetrics.trainAccuracy!).toBeGreaterThan(0.3);
  }, 900_000);
});
