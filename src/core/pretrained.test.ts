import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectNodeBackend } from '../node/nodeBackends';
import { deserializeCheckpoint, serializeCheckpoint } from './checkpoint';
import { ConfigError, parseRunConfig, type RunConfigInput } from './config';
import { createShapesDataset } from './data/shapes';
import { SimclrModel, modelSpecFromConfig } from './model';
import { architectureOf, checkEncoderFits, encoderCheckpoint, encoderFromCheckpoint, referenceImages } from './pretrained';
import { pca2d } from './train/pca';
import { runExperiment } from './train/run';
import type { Checkpoint, RunEvent } from './types';

const tiny: RunConfigInput = {
  seed: 5,
  dataset: { name: 'shapes', trainSize: 48, testSize: 24, imageSize: 16 },
  model: { widthMultiplier: 0.0625, projectionLayers: 2, projectionDim: 16 },
  pretrain: { epochs: 1, batchSize: 16, knnK: 5 },
  finetune: { enabled: false, epochs: 1, batchSize: 8, labelFraction: 0.5 },
  distill: { enabled: false },
};

function shapes(config = parseRunConfig(tiny)) {
  return createShapesDataset({
    trainSize: config.dataset.trainSize!,
    testSize: config.dataset.testSize!,
    imageSize: 16,
    seed: config.seed,
  });
}

function features(model: SimclrModel, imageSize: number): Float32Array {
  const input = referenceImages(3, imageSize);
  return tf.tidy(() => model.encode(tf.tensor4d(input.data, input.shape), false)).dataSync() as Float32Array;
}

beforeAll(async () => {
  await selectNodeBackend('wasm');
});

describe('pretrained encoders', () => {
  it('an encoder file keeps the encoder and head of a model with a probe, and loads to the same features', () => {
    const config = parseRunConfig(tiny);
    const source = new SimclrModel(modelSpecFromConfig(config), 11, { linearProbeClasses: 4 });
    const run: Checkpoint = {
      version: 1,
      stage: 'pretrain',
      step: 3,
      completed: {},
      models: { pretrain: source.getWeights() },
      optimizer: {},
    };
    const encoder = encoderFromCheckpoint(run, 'run.bin');
    expect(Object.keys(encoder.weights).some((path) => path.startsWith('linearProbe/'))).toBe(false);
    expect(Object.keys(encoder.weights).length).toBe(Object.keys(run.models.pretrain).length - 2);

    const file = deserializeCheckpoint(serializeCheckpoint(encoderCheckpoint(encoder, architectureOf(config))));
    const loaded = encoderFromCheckpoint(file, 'file.ckpt');
    expect(loaded.architecture).toEqual(architectureOf(config));
    const target = new SimclrModel(modelSpecFromConfig(config), 99);
    expect(features(target, 16)).not.toEqual(features(source, 16));
    target.setWeights(loaded.weights);
    expect(features(target, 16)).toEqual(features(source, 16));
    source.dispose();
    target.dispose();
  });

  it('names every architecture field that differs, by config path', () => {
    const saved = parseRunConfig(tiny);
    const encoder = { source: 'enc.ckpt', weights: {}, architecture: architectureOf(saved) };
    expect(() => checkEncoderFits(encoder, saved)).not.toThrow();
    const other = parseRunConfig({ ...tiny, model: { ...tiny.model, widthMultiplier: 0.125, projectionDim: 32 } });
    expect(() => checkEncoderFits(encoder, other)).toThrow(
      /enc\.ckpt .*does not fit.*model\.widthMultiplier is 0\.125 here but 0\.0625 in the encoder; model\.projectionDim is 32 here but 16 in the encoder/,
    );
    const bigger = parseRunConfig({ ...tiny, dataset: { ...tiny.dataset, imageSize: 64 } });
    expect(() => checkEncoderFits(encoder, bigger)).toThrow(/dataset\.imageSize is 64 here but 16/);
  });

  it('a checkpoint without a pretrain model is refused by name', () => {
    const checkpoint: Checkpoint = { version: 1, stage: 'baseline', step: 0, completed: {}, models: { baseline: {} }, optimizer: {} };
    expect(() => encoderFromCheckpoint(checkpoint, 'old.bin')).toThrow(/old\.bin holds no pretrained encoder.*it has baseline/);
  });

  it('pretrain.init accepts a shipped name only', () => {
    expect(parseRunConfig({ pretrain: { init: 'cifar10-resnet18-w025' } }).pretrain.init).toBe('cifar10-resnet18-w025');
    expect(() => parseRunConfig({ pretrain: { init: '../secret' } })).toThrow(ConfigError);
    try {
      parseRunConfig({ pretrain: { init: '../secret' } });
    } catch (error) {
      expect((error as ConfigError).issues[0].path).toBe('pretrain.init');
    }
  });

  it("a run started from another run's encoder skips pretraining and shows that encoder at once", async () => {
    const config = parseRunConfig(tiny);
    let last: Checkpoint | undefined;
    const first = await runExperiment({
      config,
      dataset: shapes(),
      backend: 'wasm',
      onEvent: () => undefined,
      onCheckpoint: (saved) => {
        last = saved;
      },
    });
    expect(first.status).toBe('completed');
    const stored = deserializeCheckpoint(serializeCheckpoint(last!));
    expect(stored.architecture).toEqual(architectureOf(config));

    const next = parseRunConfig({ ...tiny, finetune: { ...tiny.finetune, enabled: true } });
    const events: RunEvent[] = [];
    const before = tf.memory().numTensors;
    const summary = await runExperiment({
      config: next,
      dataset: shapes(next),
      backend: 'wasm',
      onEvent: (e) => events.push(e),
      visualEverySteps: 1,
      initialEncoder: encoderFromCheckpoint(stored, 'run 1'),
    });
    expect(summary.error).toBeUndefined();
    expect(Object.keys(summary.stages)).toEqual(['finetune', 'baseline']);
    expect(tf.memory().numTensors).toBe(before);
    const firstStage = events.findIndex((e) => e.type === 'stage-start');
    const embedding = events.findIndex((e) => e.type === 'embedding');
    const similarity = events.findIndex((e) => e.type === 'similarity');
    expect(embedding).toBeGreaterThan(0);
    expect(similarity).toBeGreaterThan(0);
    expect(Math.max(embedding, similarity)).toBeLessThan(firstStage);
    expect(events.some((e) => e.type === 'stage-start' && e.stage === 'pretrain')).toBe(false);

    // The embedding shown is the stored encoder's: PCA of its test features, computed independently.
    const dataset = shapes(next);
    const reference = new SimclrModel(modelSpecFromConfig(config), 0, { linearProbeClasses: dataset.classNames.length });
    reference.setWeights(stored.models.pretrain);
    const images = await dataset.test.readBatch(Array.from({ length: dataset.test.count }, (_, i) => i));
    const h = tf.tidy(() =>
      reference.encode(tf.div(tf.tensor4d(images, [dataset.test.count, 16, 16, 3], 'int32').toFloat(), 255) as tf.Tensor4D, false),
    );
    const expected = await pca2d(h);
    h.dispose();
    reference.dispose();
    const shown = events[embedding] as Extract<RunEvent, { type: 'embedding' }>;
    expect(shown.points.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) {
      expect(shown.points[i][0]).toBeCloseTo(expected[i][0], 3);
      expect(shown.points[i][1]).toBeCloseTo(expected[i][1], 3);
    }
  });

  it('a run started from given weights resumes from its checkpoint without pretraining', async () => {
    const config = parseRunConfig({ ...tiny, finetune: { ...tiny.finetune, enabled: true, baseline: false, epochs: 2 } });
    const source = new SimclrModel(modelSpecFromConfig(config), 8);
    const initialEncoder = { source: 'given', weights: source.getWeights(), architecture: architectureOf(config) };
    source.dispose();
    let checkpoint: Checkpoint | undefined;
    let steps = 0;
    const first = await runExperiment({
      config,
      dataset: shapes(config),
      backend: 'wasm',
      initialEncoder,
      onEvent: (e) => {
        if (e.type === 'metric' && e.loss !== undefined) steps = e.step;
      },
      onCheckpoint: (saved) => {
        checkpoint = saved;
      },
      control: { beforeStep: async () => (steps >= 1 ? 'stop' : 'continue') },
    });
    expect(first.status).toBe('stopped');
    expect(checkpoint!.stage).toBe('finetune');
    const events: RunEvent[] = [];
    const resumed = await runExperiment({
      config,
      dataset: shapes(config),
      backend: 'wasm',
      onEvent: (e) => events.push(e),
      resumeFrom: checkpoint,
    });
    expect(resumed.error).toBeUndefined();
    expect(Object.keys(resumed.stages)).toEqual(['finetune']);
    expect(events.some((e) => e.type === 'stage-start' && e.stage === 'pretrain')).toBe(false);
  });

  it('fails the run with the mismatch named when the encoder was saved for another model', async () => {
    const small = parseRunConfig({ ...tiny, finetune: { ...tiny.finetune, enabled: true, baseline: false } });
    const wide = parseRunConfig({ ...tiny, model: { ...tiny.model, widthMultiplier: 0.125 } });
    const weights = new SimclrModel(modelSpecFromConfig(wide), 1).getWeights();
    const withArchitecture = { source: 'wide.ckpt', weights, architecture: architectureOf(wide) };
    const named = await runExperiment({
      config: small,
      dataset: shapes(small),
      backend: 'wasm',
      onEvent: () => undefined,
      initialEncoder: withArchitecture,
    });
    expect(named.status).toBe('failed');
    expect(named.error).toMatch(/wide\.ckpt.*model\.widthMultiplier is 0\.0625 here but 0\.125 in the encoder/);
    // An older file without a recorded architecture still fails by weight name and shape.
    const unnamed = await runExperiment({
      config: small,
      dataset: shapes(small),
      backend: 'wasm',
      onEvent: () => undefined,
      initialEncoder: { source: 'old.bin', weights },
    });
    expect(unnamed.status).toBe('failed');
    expect(unnamed.error).toMatch(/old\.bin does not fit.*has shape \[.*\], expected \[/);
  });

  it('fails clearly when pretrain.init names an encoder the host did not load', async () => {
    const config = parseRunConfig({
      ...tiny,
      pretrain: { ...tiny.pretrain, init: 'cifar10-resnet18-w025' },
      finetune: { ...tiny.finetune, enabled: true },
    });
    const summary = await runExperiment({ config, dataset: shapes(config), backend: 'wasm', onEvent: () => undefined });
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatch(
      /pretrain\.init names the encoder "cifar10-resnet18-w025".*public\/pretrained\/cifar10-resnet18-w025\.ckpt/,
    );
  });
});
