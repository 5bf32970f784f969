import { describe, expect, it } from 'vitest';
import { configFieldPaths, parseRunConfig } from '../core/config';
import { officialTrainerExport } from './officialTrainerExport';

function flags(argv: string[]): Map<string, string> {
  return new Map(argv.filter((a) => a.startsWith('--')).map((a) => [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
}

describe('export for the official trainer (tf2/run.py)', () => {
  it('maps a paper-style ImageNet run flag by flag', () => {
    const config = parseRunConfig({
      dataset: { name: 'imagenet', trainSize: null, testSize: null, imageSize: 224 },
      model: { depth: 50, widthMultiplier: 2, skRatio: 0.0625, projectionLayers: 3 },
      pretrain: { epochs: 800, batchSize: 4096, learningRate: 0.075, learningRateScaling: 'sqrt', warmupEpochs: 10, weightDecay: 1e-6, temperature: 0.1, colorJitterStrength: 1, blurProbability: 0.5 },
      finetune: { labelFraction: 0.01, fromProjectionLayer: 1, epochs: 60, batchSize: 1024, learningRate: 0.2, baseline: false },
      distill: { enabled: false },
    });
    const { commands, unmapped } = officialTrainerExport(config);
    const pretrain = flags(commands[0].argv);
    expect(Object.fromEntries(pretrain)).toMatchObject({
      train_mode: 'pretrain',
      dataset: 'imagenet2012',
      train_batch_size: '4096',
      train_epochs: '800',
      optimizer: 'lars',
      learning_rate: '0.075',
      learning_rate_scaling: 'sqrt',
      warmup_epochs: '10',
      weight_decay: '0.000001',
      temperature: '0.1',
      color_jitter_strength: '1',
      use_blur: 'True',
      resnet_depth: '50',
      width_multiplier: '2',
      sk_ratio: '0.0625',
      num_proj_layers: '3',
      proj_out_dim: '128',
      image_size: '224',
    });
    const finetune = flags(commands[1].argv);
    expect(finetune.get('dataset')).toBe('imagenet2012_subset/1pct');
    expect(finetune.get('ft_proj_selector')).toBe('1');
    expect(finetune.get('optimizer')).toBe('momentum');
    // 0.2 applied at batch 1024 = 0.05 per 256 under linear scaling.
    expect(Number(finetune.get('learning_rate'))).toBeCloseTo(0.05, 10);
    expect(finetune.get('learning_rate_scaling')).toBe('linear');
    expect(unmapped.map((u) => u.path).sort()).toEqual(['pretrain.knnEveryEpochs', 'pretrain.knnK', 'seed']);
  });

  it('accounts for every config field: mapped to a flag or listed with a reason', () => {
    const { unmapped, commands } = officialTrainerExport(parseRunConfig({ dataset: { name: 'shapes' }, model: { widthMultiplier: 0.25 }, pretrain: { grayscaleProbability: 0.3 } }));
    const listed = new Map(unmapped.map((u) => [u.path, u]));
    for (const path of ['dataset.name', 'dataset.trainSize', 'model.widthMultiplier', 'pretrain.grayscaleProbability', 'finetune.baseline', 'finetune.labelFraction', 'distill.temperature', 'seed']) {
      expect(listed.get(path)?.reason, path).toBeTruthy();
    }
    expect(listed.get('model.widthMultiplier')?.value).toBe(0.25);
    expect(unmapped.every((u) => configFieldPaths.includes(u.path))).toBe(true);
    expect(new Set(unmapped.map((u) => u.path)).size).toBe(unmapped.length);
    expect(commands[1].argv).toContain("--train_split=train[:10%]");
    expect(commands[1].command).toContain("'--train_split=train[:10%]'");
  });

  it('turns fractional epochs into --train_steps from the dataset size', () => {
    const { commands } = officialTrainerExport(parseRunConfig({ dataset: { name: 'cifar10', trainSize: null }, pretrain: { epochs: 2.5, batchSize: 500 }, finetune: { enabled: false }, distill: { enabled: false } }));
    expect(commands).toHaveLength(1);
    expect(flags(commands[0].argv).get('train_steps')).toBe(String((2.5 * 50_000) / 500));
  });
});
