import type { OptimizerName, RunConfig } from '../core/config';
import { defaultRunConfig, flattenConfig } from '../core/config';

/**
 * "Export for the official trainer": the command lines of google-research/simclr `tf2/run.py`
 * (absl flags) equivalent to a RunConfig, for TPU pods and multi-GPU jobs past what tfjs can do.
 * Every config field is accounted for: mapped to a flag, or listed in `unmapped` with the reason.
 * No Node APIs (the lab shows the export too).
 */

export interface OfficialCommand {
  stage: 'pretrain' | 'finetune';
  argv: string[];
  /** The argv as one shell line. */
  command: string;
}

export interface UnmappedField {
  path: string;
  value: unknown;
  reason: string;
}

export interface OfficialTrainerExport {
  trainer: 'google-research/simclr tf2/run.py';
  commands: OfficialCommand[];
  unmapped: UnmappedField[];
  notes: string[];
}

const tfdsDatasets: Partial<Record<RunConfig['dataset']['name'], { name: string; trainExamples: number; evalSplit: string }>> = {
  cifar10: { name: 'cifar10', trainExamples: 50_000, evalSplit: 'test' },
  imagenet: { name: 'imagenet2012', trainExamples: 1_281_167, evalSplit: 'validation' },
  mnist: { name: 'mnist', trainExamples: 60_000, evalSplit: 'test' },
};

// The official trainer has no decoupled weight decay: adamw is exported as its nearest, adam (L2).
const officialOptimizer: Record<OptimizerName, string> = { lars: 'lars', sgd: 'momentum', adam: 'adam', adamw: 'adam' };

/** Fixed values of the official augmentation that the lab makes configurable. */
const officialFixed = { grayscaleProbability: 0.2, cropMinArea: 0.08, blurProbability: 0.5 };

export function officialTrainerExport(config: RunConfig): OfficialTrainerExport {
  const unmapped: UnmappedField[] = [];
  const mapped = new Set<string>();
  const notes: string[] = [
    'Add --use_tpu=True --tpu_name=NAME for a TPU pod; on GPUs the trainer uses a MirroredStrategy over all visible GPUs (--use_tpu=False).',
    'Replace MODEL_DIR and DATA_DIR (a tensorflow_datasets data directory); the fine-tuning command reads the pretraining checkpoint from MODEL_DIR/pretrain.',
  ];
  const miss = (path: string, reason: string) => {
    mapped.add(path);
    if (!unmapped.some((u) => u.path === path)) unmapped.push({ path, value: flattenConfig(config)[path], reason });
  };
  const use = (...paths: string[]) => paths.forEach((p) => mapped.add(p));
  const tfds = tfdsDatasets[config.dataset.name];
  use('dataset.name');
  if (!tfds) miss('dataset.name', `"${config.dataset.name}" is not a tensorflow_datasets dataset; build a TFDS dataset from the images and pass --dataset=NAME`);
  const datasetFlag = tfds?.name ?? 'YOUR_TFDS_DATASET';

  const common = (): string[] => {
    const flags = [`--image_size=${config.dataset.imageSize}`, `--resnet_depth=${config.model.depth}`];
    use('dataset.imageSize', 'model.depth');
    if (Number.isInteger(config.model.widthMultiplier)) flags.push(`--width_multiplier=${config.model.widthMultiplier}`);
    else miss('model.widthMultiplier', 'the official --width_multiplier is an integer (1, 2, 3); fractional widths have no equivalent');
    mapped.add('model.widthMultiplier');
    flags.push(`--sk_ratio=${config.model.skRatio}`);
    use('model.skRatio');
    flags.push(`--proj_head_mode=${config.model.projectionLayers === 0 ? 'none' : 'nonlinear'}`, `--num_proj_layers=${config.model.projectionLayers}`, `--proj_out_dim=${config.model.projectionDim}`);
    use('model.projectionLayers', 'model.projectionDim');
    return flags;
  };

  const epochsOrSteps = (path: string, epochs: number, batchSize: number): string => {
    use(path);
    if (Number.isInteger(epochs)) return `--train_epochs=${epochs}`;
    const examples = config.dataset.trainSize ?? tfds?.trainExamples;
    if (!examples) {
      miss(path, '--train_epochs is an integer and the dataset size is unknown, so no --train_steps equivalent');
      return `--train_epochs=${Math.max(1, Math.round(epochs))}`;
    }
    return `--train_steps=${Math.max(1, Math.round((epochs * examples) / batchSize))}`;
  };

  const commands: OfficialCommand[] = [];
  use('seed');
  miss('seed', 'tf2/run.py has no seed flag (its input pipeline and initialisation are not seeded)');
  for (const [path, value] of [
    ['dataset.trainSize', config.dataset.trainSize],
    ['dataset.testSize', config.dataset.testSize],
  ] as const) {
    if (value === null) use(path);
    else miss(path, 'the official trainer always uses the whole split; no flag caps the number of images');
  }
  use('dataset.path', 'dataset.subsetList');
  if (config.dataset.path !== null) miss('dataset.path', 'the official trainer reads TFDS datasets from --data_dir, not image folders');
  if (config.dataset.subsetList !== null) miss('dataset.subsetList', 'the official 1%/10% lists are the TFDS datasets imagenet2012_subset/1pct and /10pct; other lists have no flag');

  if (config.pretrain.enabled) {
    const p = config.pretrain;
    const argv = [
      'python',
      'tf2/run.py',
      '--mode=train_then_eval',
      '--train_mode=pretrain',
      `--dataset=${datasetFlag}`,
      `--eval_split=${tfds?.evalSplit ?? 'test'}`,
      `--train_batch_size=${p.batchSize}`,
      epochsOrSteps('pretrain.epochs', p.epochs, p.batchSize),
      `--optimizer=${officialOptimizer[p.optimizer]}`,
      `--learning_rate=${p.learningRate}`,
      `--learning_rate_scaling=${p.learningRateScaling}`,
      `--warmup_epochs=${p.warmupEpochs}`,
      `--weight_decay=${p.weightDecay}`,
      `--momentum=${p.momentum}`,
      `--temperature=${p.temperature}`,
      `--color_jitter_strength=${p.colorJitterStrength}`,
      `--use_blur=${p.blurProbability > 0 ? 'True' : 'False'}`,
      ...common(),
      `--lineareval_while_pretraining=${p.linearProbe ? 'True' : 'False'}`,
      '--model_dir=MODEL_DIR/pretrain',
      '--data_dir=DATA_DIR',
      '--use_tpu=False',
    ];
    use('pretrain.enabled', 'pretrain.linearProbe', 'pretrain.batchSize', 'pretrain.optimizer', 'pretrain.learningRate', 'pretrain.learningRateScaling', 'pretrain.warmupEpochs');
    use('pretrain.weightDecay', 'pretrain.momentum', 'pretrain.temperature', 'pretrain.colorJitterStrength', 'pretrain.blurProbability');
    if (p.blurProbability !== 0 && p.blurProbability !== officialFixed.blurProbability) {
      miss('pretrain.blurProbability', `the official blur probability is fixed at ${officialFixed.blurProbability} (--use_blur turns it on or off)`);
    }
    if (p.grayscaleProbability !== officialFixed.grayscaleProbability) miss('pretrain.grayscaleProbability', `fixed at ${officialFixed.grayscaleProbability} in the official augmentation`);
    else use('pretrain.grayscaleProbability');
    if (p.cropMinArea !== officialFixed.cropMinArea) miss('pretrain.cropMinArea', `fixed at ${officialFixed.cropMinArea} in the official random resized crop`);
    else use('pretrain.cropMinArea');
    miss('pretrain.knnK', 'the official trainer has no k-NN monitor; it trains a linear head on the frozen features while pretraining instead');
    miss('pretrain.knnEveryEpochs', 'no k-NN monitor in the official trainer');
    commands.push(command('pretrain', argv));
  } else {
    for (const path of Object.keys(flattenConfig(defaultRunConfig)).filter((k) => k.startsWith('pretrain.'))) use(path);
    notes.push('Pretraining is disabled: the fine-tuning command starts from whatever --checkpoint you give it.');
  }

  if (config.finetune.enabled) {
    const f = config.finetune;
    let dataset = datasetFlag;
    let split = 'train';
    if (config.dataset.name === 'imagenet' && (f.labelFraction === 0.01 || f.labelFraction === 0.1)) {
      dataset = f.labelFraction === 0.01 ? 'imagenet2012_subset/1pct' : 'imagenet2012_subset/10pct';
    } else if (f.labelFraction < 1) {
      split = `train[:${+(f.labelFraction * 100).toFixed(4)}%]`;
      unmapped.push({
        path: 'finetune.labelFraction',
        value: f.labelFraction,
        reason: `approximated by the TFDS split slice ${split}: the first images of the split, not a seeded class-balanced subset`,
      });
    }
    const argv = [
      'python',
      'tf2/run.py',
      '--mode=train_then_eval',
      '--train_mode=finetune',
      `--dataset=${dataset}`,
      `--train_split=${split}`,
      `--eval_split=${tfds?.evalSplit ?? 'test'}`,
      '--checkpoint=MODEL_DIR/pretrain',
      '--zero_init_logits_layer=True',
      // -1 fine-tunes every block; 4 freezes the whole encoder (linear evaluation).
      `--fine_tune_after_block=${f.mode === 'linear' ? 4 : -1}`,
      `--ft_proj_selector=${f.fromProjectionLayer}`,
      '--global_bn=False',
      `--train_batch_size=${f.batchSize}`,
      epochsOrSteps('finetune.epochs', f.epochs, f.batchSize),
      `--optimizer=${officialOptimizer[f.optimizer]}`,
      // The lab's fine-tuning rate is applied as given; the trainer scales its flag by batch/256.
      `--learning_rate=${+((f.learningRate * 256) / f.batchSize).toPrecision(6)}`,
      '--learning_rate_scaling=linear',
      '--warmup_epochs=0',
      `--weight_decay=${f.weightDecay}`,
      `--momentum=${f.momentum}`,
      ...common(),
      '--model_dir=MODEL_DIR/finetune',
      '--data_dir=DATA_DIR',
      '--use_tpu=False',
    ];
    use('finetune.enabled', 'finetune.mode', 'finetune.labelFraction', 'finetune.fromProjectionLayer', 'finetune.batchSize', 'finetune.optimizer', 'finetune.learningRate', 'finetune.weightDecay', 'finetune.momentum');
    if (f.baseline) miss('finetune.baseline', 'tf2/run.py fine-tunes only from a pretrained checkpoint; a from-scratch supervised baseline has no command');
    else use('finetune.baseline');
    commands.push(command('finetune', argv));
  } else {
    for (const path of Object.keys(flattenConfig(defaultRunConfig)).filter((k) => k.startsWith('finetune.'))) use(path);
  }

  for (const path of Object.keys(flattenConfig(defaultRunConfig)).filter((k) => k.startsWith('distill.'))) {
    if (config.distill.enabled) miss(path, 'tf2/run.py has no distillation mode (SimCLRv2 distillation is not in the TF2 trainer)');
    else use(path);
  }

  // Anything the schema gains later is listed rather than dropped silently.
  for (const path of Object.keys(flattenConfig(config))) {
    if (!mapped.has(path)) unmapped.push({ path, value: flattenConfig(config)[path], reason: 'no known equivalent flag' });
  }
  return { trainer: 'google-research/simclr tf2/run.py', commands, unmapped, notes };
}

function command(stage: OfficialCommand['stage'], argv: string[]): OfficialCommand {
  return { stage, argv, command: argv.map(shellQuote).join(' ') };
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./=:%-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
