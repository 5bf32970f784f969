import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configFieldPaths, isConfigFieldPath, parseRunConfig, type RunConfigInput } from '../core/config';
import { officialTrainerExport } from './officialTrainerExport';

/**
 * Every flag tf2/run.py defines (google-research/simclr, flags.DEFINE_* calls), transcribed: name →
 * absl type and, for enums, the allowed values.
 */
type FlagType = 'float' | 'integer' | 'string' | 'bool' | 'enum';
const OFFICIAL_FLAGS: Record<string, { type: FlagType; values?: readonly string[] }> = {
  learning_rate: { type: 'float' },
  learning_rate_scaling: { type: 'enum', values: ['linear', 'sqrt'] },
  warmup_epochs: { type: 'float' },
  weight_decay: { type: 'float' },
  batch_norm_decay: { type: 'float' },
  train_batch_size: { type: 'integer' },
  train_split: { type: 'string' },
  train_epochs: { type: 'integer' },
  train_steps: { type: 'integer' },
  eval_steps: { type: 'integer' },
  eval_batch_size: { type: 'integer' },
  checkpoint_epochs: { type: 'integer' },
  checkpoint_steps: { type: 'integer' },
  eval_split: { type: 'string' },
  dataset: { type: 'string' },
  cache_dataset: { type: 'bool' },
  mode: { type: 'enum', values: ['train', 'eval', 'train_then_eval'] },
  train_mode: { type: 'enum', values: ['pretrain', 'finetune'] },
  lineareval_while_pretraining: { type: 'bool' },
  checkpoint: { type: 'string' },
  zero_init_logits_layer: { type: 'bool' },
  fine_tune_after_block: { type: 'integer' },
  master: { type: 'string' },
  model_dir: { type: 'string' },
  data_dir: { type: 'string' },
  use_tpu: { type: 'bool' },
  tpu_name: { type: 'string' },
  tpu_zone: { type: 'string' },
  gcp_project: { type: 'string' },
  optimizer: { type: 'enum', values: ['momentum', 'adam', 'lars'] },
  momentum: { type: 'float' },
  eval_name: { type: 'string' },
  keep_checkpoint_max: { type: 'integer' },
  keep_hub_module_max: { type: 'integer' },
  temperature: { type: 'float' },
  hidden_norm: { type: 'bool' },
  proj_head_mode: { type: 'enum', values: ['none', 'linear', 'nonlinear'] },
  proj_out_dim: { type: 'integer' },
  num_proj_layers: { type: 'integer' },
  ft_proj_selector: { type: 'integer' },
  global_bn: { type: 'bool' },
  width_multiplier: { type: 'integer' },
  resnet_depth: { type: 'integer' },
  sk_ratio: { type: 'float' },
  se_ratio: { type: 'float' },
  image_size: { type: 'integer' },
  color_jitter_strength: { type: 'float' },
  use_blur: { type: 'bool' },
};

/** absl's parsers: what each type accepts on the command line. */
const accepts: Record<Exclude<FlagType, 'enum'>, (value: string) => boolean> = {
  float: (v) => /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(v),
  integer: (v) => /^[-+]?\d+$/.test(v),
  bool: (v) => /^(true|false|t|f|1|0)$/i.test(v),
  string: () => true,
};

/**
 * Problems the official trainer would have with an argv: unknown or repeated flags, values its
 * parsers reject, and the values its code rejects or mis-handles (tf2/resnet.py depths,
 * fine_tune_after_block range, the projection-head selector, data_util's colour-jitter ops).
 */
function officialArgvProblems(argv: string[]): string[] {
  expect(argv.slice(0, 2)).toEqual(['python', 'tf2/run.py']);
  const problems: string[] = [];
  const values = new Map<string, string>();
  for (const arg of argv.slice(2)) {
    const match = /^--([a-z_0-9]+)=(.*)$/.exec(arg);
    if (!match) {
      problems.push(`not a --name=value flag: ${arg}`);
      continue;
    }
    const [, name, value] = match;
    const spec = OFFICIAL_FLAGS[name];
    if (!spec) problems.push(`unknown flag --${name}`);
    else if (spec.type === 'enum' ? !spec.values!.includes(value) : !accepts[spec.type](value))
      problems.push(`--${name}=${value} is not a valid ${spec.type}`);
    if (values.has(name)) problems.push(`--${name} given twice`);
    values.set(name, value);
  }
  const int = (name: string) => (values.has(name) ? Number(values.get(name)) : undefined);
  if (![18, 34, 50, 101, 152, 200].includes(int('resnet_depth') ?? 50)) problems.push('resnet_depth not in tf2/resnet.py');
  if ((int('width_multiplier') ?? 1) < 1) problems.push('width_multiplier below 1');
  const after = int('fine_tune_after_block') ?? -1;
  if (after < -1 || after > 4) problems.push('fine_tune_after_block outside [-1, 4]');
  const selector = int('ft_proj_selector') ?? 0;
  if (selector > (int('num_proj_layers') ?? 3)) problems.push('ft_proj_selector beyond the head');
  if (values.get('proj_head_mode') !== 'nonlinear')
    problems.push('proj_head_mode other than nonlinear breaks tf2/model.py (its outputs cannot be unpacked)');
  if (Number(values.get('color_jitter_strength') ?? 1) * 0.8 > 1) problems.push('colour jitter lower bound negative');
  if ((int('train_steps') ?? 1) < 1 && !values.has('train_epochs')) problems.push('no training length');
  const checkpoint = values.get('checkpoint');
  if (values.get('train_mode') === 'finetune' && !(checkpoint && /(\/ckpt-\d+|^PRETRAINED_CHECKPOINT)$/.test(checkpoint)))
    problems.push(`--checkpoint=${checkpoint} is not a checkpoint prefix`);
  return problems;
}

function flags(argv: string[]): Map<string, string> {
  return new Map(argv.filter((a) => a.startsWith('--')).map((a) => [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
}

function exportOf(input: RunConfigInput) {
  return officialTrainerExport(parseRunConfig(input));
}

/** tf2/run.py's training loop: checkpoints after every `every` steps until `steps` is reached. */
function lastCheckpointStep(steps: number, every: number): number {
  let step = 0;
  while (step < steps) step += every;
  return step;
}

describe('export for the official trainer (tf2/run.py)', () => {
  it('maps a paper-style ImageNet run flag by flag', () => {
    const { commands, unmapped, refused } = exportOf({
      dataset: { name: 'imagenet', trainSize: null, testSize: null, imageSize: 224 },
      model: { depth: 50, widthMultiplier: 2, skRatio: 0.0625, projectionLayers: 3 },
      pretrain: {
        epochs: 800,
        batchSize: 4096,
        learningRate: 0.075,
        learningRateScaling: 'sqrt',
        warmupEpochs: 10,
        weightDecay: 1e-6,
        temperature: 0.1,
        colorJitterStrength: 1,
        blurProbability: 0.5,
      },
      finetune: { labelFraction: 0.01, fromProjectionLayer: 1, epochs: 60, batchSize: 1024, learningRate: 0.2, baseline: false },
      distill: { enabled: false },
    });
    expect(refused).toEqual([]);
    for (const c of commands) expect(officialArgvProblems(c.argv)).toEqual([]);
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
      lineareval_while_pretraining: 'True',
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
    expect(finetune.get('fine_tune_after_block')).toBe('-1');
    expect(finetune.get('optimizer')).toBe('momentum');
    expect(finetune.get('train_epochs')).toBe('60');
    // 0.2 applied at batch 1024 = 0.05 per 256 under linear scaling.
    expect(Number(finetune.get('learning_rate'))).toBeCloseTo(0.05, 10);
    expect(finetune.get('learning_rate_scaling')).toBe('linear');
    // The last checkpoint of the pretraining directory: 1,281,167 images × 800 // 4096 + 1 steps,
    // saved every round(1,281,167 / 4096) = 313 steps.
    expect(pretrain.get('checkpoint_steps')).toBe('313');
    expect(finetune.get('checkpoint')).toBe(`MODEL_DIR/pretrain/ckpt-${lastCheckpointStep(Math.floor((1_281_167 * 800) / 4096) + 1, 313)}`);
    expect(unmapped.map((u) => u.path).sort()).toEqual(['pretrain.knnEveryEpochs', 'pretrain.knnK', 'seed']);
  });

  it('fine-tunes from the prefix of the last pretraining checkpoint, not a directory', () => {
    const { commands, notes } = exportOf({
      dataset: { name: 'cifar10', trainSize: null, testSize: null },
      model: { widthMultiplier: 1 },
      pretrain: { epochs: 100, batchSize: 512 },
    });
    // 50,000 × 100 // 512 + 1 = 9,766 steps, checkpoints every round(97.66) = 98 steps → ckpt-9800.
    expect(flags(commands[1].argv).get('checkpoint')).toBe('MODEL_DIR/pretrain/ckpt-9800');
    expect(notes.join('\n')).toMatch(/restores MODEL_DIR\/pretrain\/ckpt-9800/);
    const noPretrain = exportOf({ dataset: { name: 'cifar10' }, model: { widthMultiplier: 1 }, pretrain: { enabled: false } });
    expect(flags(noPretrain.commands[0].argv).get('checkpoint')).toBe('PRETRAINED_CHECKPOINT');
    expect(noPretrain.notes.join('\n')).toMatch(/replace PRETRAINED_CHECKPOINT/);
  });

  it('accounts for every config field: mapped to a flag or listed with a reason', () => {
    const { unmapped, commands, refused } = exportOf({
      dataset: { name: 'shapes' },
      pretrain: { grayscaleProbability: 0.3, epochs: 3 },
      model: { widthMultiplier: 1 },
    });
    expect(refused).toEqual([]);
    const listed = new Map(unmapped.map((u) => [u.path, u]));
    for (const path of [
      'dataset.name',
      'dataset.trainSize',
      'pretrain.grayscaleProbability',
      'finetune.baseline',
      'finetune.labelFraction',
      'distill.temperature',
      'seed',
    ]) {
      expect(listed.get(path)?.reason, path).toBeTruthy();
    }
    expect(unmapped.every((u) => isConfigFieldPath(u.path))).toBe(true);
    expect(new Set(unmapped.map((u) => u.path)).size).toBe(unmapped.length);
    expect(commands[1].argv).toContain('--train_split=train[:10%]');
    expect(commands[1].command).toContain("'--train_split=train[:10%]'");
  });

  it('turns fractional pretraining epochs into the official step count over the training split', () => {
    const { commands } = exportOf({
      dataset: { name: 'cifar10', trainSize: 5000 },
      model: { widthMultiplier: 1 },
      pretrain: { epochs: 2.5, batchSize: 500 },
      finetune: { enabled: false },
      distill: { enabled: false },
    });
    expect(commands).toHaveLength(1);
    // The official trainer ignores the 5,000-image cap (listed as unmapped): 50,000 × 2.5 // 500 + 1.
    expect(flags(commands[0].argv).get('train_steps')).toBe('251');
  });

  it('turns fractional fine-tuning epochs into steps over the labelled subset, not the whole dataset', () => {
    const imagenet = exportOf({
      dataset: { name: 'imagenet', trainSize: null, testSize: null, imageSize: 224 },
      model: { depth: 50, widthMultiplier: 1 },
      finetune: { labelFraction: 0.01, epochs: 0.5, batchSize: 1024 },
      distill: { enabled: false },
    });
    // imagenet2012_subset/1pct holds 12,811 images: 12,811 × 0.5 // 1024 + 1 = 7 steps.
    expect(flags(imagenet.commands[1].argv).get('train_steps')).toBe('7');
    const cifar = exportOf({
      dataset: { name: 'cifar10', trainSize: null },
      model: { widthMultiplier: 1 },
      finetune: { labelFraction: 0.1, epochs: 2.5, batchSize: 256 },
      distill: { enabled: false },
    });
    const finetune = flags(cifar.commands[1].argv);
    expect(finetune.get('train_split')).toBe('train[:5000]');
    expect(finetune.get('train_steps')).toBe(String(Math.floor((5000 * 2.5) / 256) + 1));
  });

  it('maps the linear evaluation, the linear probe and the optimisers', () => {
    const linear = exportOf({
      dataset: { name: 'cifar10' },
      model: { widthMultiplier: 1 },
      pretrain: { linearProbe: false, optimizer: 'adam' },
      finetune: { mode: 'linear', fromProjectionLayer: 0, optimizer: 'lars' },
    });
    expect(linear.refused).toEqual([]);
    const [pretrain, finetune] = linear.commands.map((c) => flags(c.argv));
    expect(pretrain.get('lineareval_while_pretraining')).toBe('False');
    expect(pretrain.get('optimizer')).toBe('adam');
    expect(finetune.get('fine_tune_after_block')).toBe('4');
    expect(finetune.get('ft_proj_selector')).toBe('0');
    expect(finetune.get('optimizer')).toBe('lars');
    const sgd = exportOf({ dataset: { name: 'cifar10' }, model: { widthMultiplier: 1 }, pretrain: { optimizer: 'sgd' } });
    expect(flags(sgd.commands[0].argv).get('optimizer')).toBe('momentum');
  });

  describe('refuses what the official trainer cannot run as the same model, naming the field', () => {
    const base: RunConfigInput = { dataset: { name: 'cifar10' }, model: { widthMultiplier: 1 } };
    const cases: [string, RunConfigInput, string, RegExp][] = [
      ['a fractional width', { ...base, model: { widthMultiplier: 0.5 } }, 'model.widthMultiplier', /integer/],
      ['colour jitter above 1.25', { ...base, pretrain: { colorJitterStrength: 1.5 } }, 'pretrain.colorJitterStrength', /at most 1\.25/],
      [
        'no projection layers',
        { ...base, model: { widthMultiplier: 1, projectionLayers: 0 }, finetune: { fromProjectionLayer: 0 } },
        'model.projectionLayers',
        /cannot unpack/,
      ],
      [
        'a classifier on the last head layer with the linear probe on',
        { ...base, finetune: { fromProjectionLayer: 3 } },
        'finetune.fromProjectionLayer',
        /cannot restore/,
      ],
      [
        'linear evaluation above head layers',
        { ...base, finetune: { mode: 'linear', fromProjectionLayer: 1 } },
        'finetune.fromProjectionLayer',
        /still trains the projection-head layers/,
      ],
      ['AdamW', { ...base, finetune: { optimizer: 'adamw' } }, 'finetune.optimizer', /no decoupled weight decay/],
      [
        'fractional epochs of a dataset of unknown size',
        { dataset: { name: 'shapes' }, model: { widthMultiplier: 1 }, pretrain: { epochs: 1.5 } },
        'pretrain.epochs',
        /fractional epochs/,
      ],
    ];
    for (const [what, input, path, reason] of cases) {
      it(what, () => {
        const result = exportOf(input);
        expect(result.commands).toEqual([]);
        expect(result.refused.map((r) => r.path)).toContain(path);
        expect(result.refused.find((r) => r.path === path)!.reason).toMatch(reason);
      });
    }

    it('but exports the boundary cases it can run', () => {
      for (const input of [
        { ...base, pretrain: { colorJitterStrength: 1.25 } },
        { ...base, finetune: { fromProjectionLayer: 3 }, pretrain: { linearProbe: false } },
        { ...base, model: { widthMultiplier: 1, projectionDim: 512 }, finetune: { fromProjectionLayer: 3 } },
      ] satisfies RunConfigInput[]) {
        const result = exportOf(input);
        expect(result.refused).toEqual([]);
        for (const c of result.commands) expect(officialArgvProblems(c.argv)).toEqual([]);
      }
    });
  });

  it('emits only official flags with values their parsers and the official code accept, for any config', () => {
    const input = fc.record({
      dataset: fc.record({ name: fc.constantFrom('cifar10', 'imagenet', 'mnist', 'shapes'), imageSize: fc.constantFrom(28, 32, 64, 224) }),
      model: fc.record({
        depth: fc.constantFrom(18, 34, 50, 101, 152),
        widthMultiplier: fc.constantFrom(0.25, 0.5, 1, 2, 3),
        skRatio: fc.constantFrom(0, 0.0625),
        projectionLayers: fc.integer({ min: 0, max: 3 }),
        projectionDim: fc.constantFrom(64, 128),
      }),
      pretrain: fc.record({
        enabled: fc.boolean(),
        epochs: fc.constantFrom(1, 2.5, 100),
        batchSize: fc.constantFrom(64, 512, 4096),
        optimizer: fc.constantFrom('lars', 'sgd', 'adam', 'adamw'),
        colorJitterStrength: fc.constantFrom(0, 0.5, 1, 1.25, 1.5),
        blurProbability: fc.constantFrom(0, 0.5),
        linearProbe: fc.boolean(),
        weightDecay: fc.constantFrom(0, 1e-6, 1e-4),
      }),
      finetune: fc.record({
        labelFraction: fc.constantFrom(0.01, 0.1, 0.25, 1),
        mode: fc.constantFrom('full', 'linear'),
        fromProjectionLayer: fc.integer({ min: 0, max: 3 }),
        epochs: fc.constantFrom(0.5, 1, 30, 2.5),
        batchSize: fc.constantFrom(32, 1024),
        optimizer: fc.constantFrom('lars', 'sgd', 'adam', 'adamw'),
      }),
      distill: fc.constant({ enabled: false }),
    });
    fc.assert(
      fc.property(input, (raw) => {
        const finetune = { ...raw.finetune, fromProjectionLayer: Math.min(raw.finetune.fromProjectionLayer, raw.model.projectionLayers) };
        const result = exportOf({ ...raw, finetune } as RunConfigInput);
        for (const r of result.refused) {
          expect(configFieldPaths).toContain(r.path);
          expect(r.reason.length).toBeGreaterThan(20);
        }
        if (result.refused.length > 0) {
          expect(result.commands).toEqual([]);
          return;
        }
        expect(result.commands.length).toBeGreaterThan(0);
        for (const c of result.commands) expect(officialArgvProblems(c.argv), c.command).toEqual([]);
      }),
      { numRuns: 300, seed: 10 },
    );
  });
});
