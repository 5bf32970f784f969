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
    expect(finetune!.testAccuracy!).toBeGreaterThan(baseline!.testAccuracy! + 0.08);
    // 0.2 before the official objective (2 × NT-Xent) and full-stream batches; the example's learning
    // rate was tuned on the half-size loss, and its encoder now reaches k-NN 0.31 instead of 0.36.
    expect(finetune!.testAccuracy!).toBeGreaterThan(0.18);

    // The student sees no labels (labelWeight 0): what it learns comes from the teacher.
    expect(distill!.labelledImages).toBe(0);
    // Chance is 0.1; the teacher itself is at ~0.2 here (0.17 before the changes above).
    expect(distill!.testAccuracy!).toBeGreaterThan(0.13);
    expect(distill!.finalMetrics.trainAccuracy!).toBeGreaterThan(0.3);
  }, 900_000);
});
