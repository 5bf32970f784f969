import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectNodeBackend } from '../../node/nodeBackends';
import { parseRunConfig, type RunConfigInput } from '../config';
import { createShapesDataset } from '../data/shapes';
import type { Checkpoint, CheckpointEvent, RunEvent } from '../types';
import { runExperiment } from './run';

const tiny: RunConfigInput = {
  seed: 3,
  dataset: { name: 'shapes', trainSize: 64, testSize: 32, imageSize: 16 },
  model: { widthMultiplier: 0.0625, projectionLayers: 2, projectionDim: 16 },
  pretrain: { epochs: 2, batchSize: 32, knnK: 5 },
  finetune: { epochs: 2, batchSize: 8, labelFraction: 0.25 },
  distill: { epochs: 1, batchSize: 32, studentWidthMultiplier: 0.0625 },
};

function dataset(config = parseRunConfig(tiny)) {
  return createShapesDataset({
    trainSize: config.dataset.trainSize!,
    testSize: config.dataset.testSize!,
    imageSize: 16,
    seed: config.seed,
  });
}

beforeAll(async () => {
  await selectNodeBackend('wasm');
});

describe('runExperiment', () => {
  it('runs every stage, emits well-formed events and leaks no tensors', async () => {
    const config = parseRunConfig(tiny);
    const events: RunEvent[] = [];
    const before = tf.memory().numTensors;
    const summary = await runExperiment({
      config,
      dataset: dataset(),
      backend: 'wasm',
      onEvent: (e) => events.push(e),
      visualEverySteps: 2,
    });
    expect(summary.error).toBeUndefined();
    expect(summary.status).toBe('completed');
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(summary.stages)).toEqual(['pretrain', 'finetune', 'baseline', 'distill']);
    expect(events[0].type).toBe('run-start');
    expect(events.at(-1)!.type).toBe('run-end');
    // Within each stage the live tensor count is the same at every step: nothing accumulates.
    for (const stage of ['pretrain', 'finetune', 'baseline', 'distill'] as const) {
      const counts = events
        .filter((e) => e.type === 'metric' && e.stage === stage && e.numTensors !== undefined)
        .map((e) => (e as { numTensors: number }).numTensors);
      expect(counts.length).toBeGreaterThan(1);
      expect(new Set(counts.slice(1)).size).toBe(1);
    }
    const similarity = events.find((e) => e.type === 'similarity');
    expect(similarity && similarity.type === 'similarity' && similarity.values.length).toBe(
      similarity && similarity.type === 'similarity' ? similarity.size ** 2 : -1,
    );
    const embedding = events.find((e) => e.type === 'embedding');
    expect(embedding && embedding.type === 'embedding' && embedding.points.length).toBe(32);
    expect(events.filter((e) => e.type === 'checkpoint').length).toBeGreaterThanOrEqual(4);
  });

  it('hands checkpoints to onCheckpoint, waits for it, then announces them by a weight-free event', async () => {
    const config = parseRunConfig({
      ...tiny,
      pretrain: { ...tiny.pretrain, epochs: 1 },
      finetune: { enabled: false },
      distill: { enabled: false },
    });
    const stored: CheckpointEvent[] = [];
    const announced: { event: RunEvent; storedBefore: number }[] = [];
    const summary = await runExperiment({
      config,
      dataset: dataset(config),
      backend: 'wasm',
      onEvent: (e) => e.type === 'checkpoint' && announced.push({ event: e, storedBefore: stored.length }),
      onCheckpoint: async (checkpoint, event) => {
        expect(checkpoint).toMatchObject({ stage: event.stage, step: event.step });
        expect(Object.keys(checkpoint.models.pretrain).length).toBeGreaterThan(0);
        // A slow store: the engine must not announce (or train on) before this settles.
        await new Promise((resolve) => setTimeout(resolve, 1));
        stored.push(event);
      },
    });
    expect(summary.status).toBe('completed');
    expect(announced.length).toBeGreaterThan(0);
    announced.forEach(({ event, storedBefore }, i) => {
      expect(storedBefore).toBe(i + 1);
      expect(event).toEqual(stored[i]);
      expect(Object.keys(event).sort()).toEqual(['epoch', 'stage', 'step', 'time', 'type']);
    });
  });

  it('stops when asked and resumes from the checkpoint to the same result as an uninterrupted run', async () => {
    const config = parseRunConfig(tiny);
    const straight = await runExperiment({ config, dataset: dataset(), backend: 'wasm', onEvent: () => undefined });

    let checkpoint: Checkpoint | undefined;
    let finetuneSteps = 0;
    let stopped = false;
    const first = await runExperiment({
      config,
      dataset: dataset(),
      backend: 'wasm',
      onEvent: (e) => {
        if (e.type === 'metric' && e.stage === 'finetune' && e.loss !== undefined) finetuneSteps = e.step;
      },
      onCheckpoint: (saved) => {
        checkpoint = saved;
      },
      control: {
        beforeStep: async () => {
          if (finetuneSteps >= 3) stopped = true;
          return stopped ? 'stop' : 'continue';
        },
      },
    });
    expect(first.status).toBe('stopped');
    expect(checkpoint!.stage).toBe('finetune');
    expect(checkpoint!.step).toBe(3);
    expect(Object.keys(checkpoint!.completed)).toEqual(['pretrain']);

    const resumedEvents: RunEvent[] = [];
    const resumed = await runExperiment({
      config,
      dataset: dataset(),
      backend: 'wasm',
      onEvent: (e) => resumedEvents.push(e),
      resumeFrom: checkpoint,
    });
    expect(resumed.status).toBe('completed');
    expect(resumedEvents.some((e) => e.type === 'stage-start' && e.stage === 'pretrain')).toBe(false);
    expect(resumedEvents.find((e) => e.type === 'stage-start' && e.stage === 'finetune')).toMatchObject({ startStep: 3 });
    for (const stage of ['pretrain', 'finetune', 'baseline', 'distill'] as const) {
      expect(resumed.stages[stage]!.testAccuracy).toBeCloseTo(straight.stages[stage]!.testAccuracy!, 6);
    }
    expect(resumed.stages.finetune!.finalMetrics.loss).toBeCloseTo(straight.stages.finetune!.finalMetrics.loss!, 4);
  });

  it("finetune.mode = 'linear' leaves the encoder and kept head layers bit-identical and trains the classifier", async () => {
    const config = parseRunConfig({
      ...tiny,
      finetune: { ...tiny.finetune, mode: 'linear', baseline: false },
      distill: { enabled: false },
    });
    const checkpoints: Checkpoint[] = [];
    const summary = await runExperiment({
      config,
      dataset: dataset(config),
      backend: 'wasm',
      onEvent: () => undefined,
      onCheckpoint: (saved) => {
        checkpoints.push(saved);
      },
    });
    expect(summary.status).toBe('completed');
    const pretrained = checkpoints.filter((c) => c.stage === 'pretrain').at(-1)!.models.pretrain;
    const finetuned = checkpoints.filter((c) => c.stage === 'finetune').at(-1)!.models.finetune;
    const frozen = Object.keys(finetuned).filter((path) => !path.startsWith('classifier/'));
    // Every encoder variable, BN moving statistics included, and the kept head layer (k = 1).
    expect(frozen.some((path) => path.startsWith('head/dense0/'))).toBe(true);
    expect(frozen.some((path) => path.endsWith('/movingVariance'))).toBe(true);
    for (const path of frozen)
      expect(
        Buffer.from(finetuned[path].data.buffer, finetuned[path].data.byteOffset, finetuned[path].data.byteLength).equals(
          Buffer.from(pretrained[path].data.buffer, pretrained[path].data.byteOffset, pretrained[path].data.byteLength),
        ),
        path,
      ).toBe(true);
    // The classifier itself does train: its kernel moves between the first and the last epoch.
    const first = checkpoints.find((c) => c.stage === 'finetune')!.models.finetune['classifier/kernel'].data;
    const last = finetuned['classifier/kernel'].data;
    expect(Array.from(last)).not.toEqual(Array.from(first));
  });

  it('trains the linear probe during pretraining and reports its accuracy beside k-NN', async () => {
    const config = parseRunConfig({ ...tiny, finetune: { enabled: false }, distill: { enabled: false } });
    const events: RunEvent[] = [];
    await runExperiment({ config, dataset: dataset(config), backend: 'wasm', onEvent: (e) => events.push(e) });
    const evaluations = events.filter((e) => e.type === 'metric' && e.stage === 'pretrain' && e.knnAccuracy !== undefined) as {
      linearProbeAccuracy?: number;
    }[];
    expect(evaluations.length).toBe(2);
    for (const e of evaluations) expect(e.linearProbeAccuracy).toBeGreaterThanOrEqual(0);
    const off = parseRunConfig({
      ...tiny,
      pretrain: { ...tiny.pretrain, linearProbe: false },
      finetune: { enabled: false },
      distill: { enabled: false },
    });
    const without: RunEvent[] = [];
    await runExperiment({ config: off, dataset: dataset(off), backend: 'wasm', onEvent: (e) => without.push(e) });
    expect(without.some((e) => e.type === 'metric' && e.linearProbeAccuracy !== undefined)).toBe(false);
    // The probe never moves the encoder: the contrastive run is the same with or without it.
    const loss = (list: RunEvent[]) =>
      list.filter((e) => e.type === 'metric' && e.loss !== undefined).map((e) => (e as { loss: number }).loss);
    expect(loss(events)).toEqual(loss(without));
  });

  it('reports a failure (not a crash) when training cannot run', async () => {
    const config = parseRunConfig({ ...tiny, pretrain: { ...tiny.pretrain, learningRate: 1e30 } });
    const summary = await runExperiment({ config, dataset: dataset(), backend: 'wasm', onEvent: () => undefined });
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatch(/diverged|NaN|loss/i);
  });
});
