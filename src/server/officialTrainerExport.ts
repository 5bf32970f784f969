import type { OptimizerName, RunConfig } from '../core/config';
import { defaultRunConfig, flattenConfig } from '../core/config';
import { encoderFeatureDim } from '../core/model/resnet';
import type { OfficialCommand, OfficialTrainerExport, RefusedField, UnmappedField } from '../protocol/serverApi';
export type { OfficialCommand, OfficialTrainerExport, RefusedField, UnmappedField };

/**
 * "Export for the official trainer": the command lines of google-research/simclr `tf2/run.py`
 * (absl flags) equivalent to a RunConfig, for TPU pods and multi-GPU jobs past what tfjs can do.
 * Every config field is accounted for: mapped to a flag, or listed in `unmapped` with the reason.
 * A config the official trainer cannot run as the same model and training (fractional widths,
 * colour jitter its ops reject, no projection head, …) is refused: `refused` names each field
 * and why, and no commands are given. No Node APIs (the lab shows the export too).
 */

const tfdsDatasets: Partial<Record<RunConfig['dataset']['name'], { name: string; trainExamples: number; evalSplit: string }>> = {
  cifar10: { name: 'cifar10', trainExamples: 50_000, evalSplit: 'test' },
  imagenet: { name: 'imagenet2012', trainExamples: 1_281_167, evalSplit: 'validation' },
  mnist: { name: 'mnist', trainExamples: 60_000, evalSplit: 'test' },
};

/** The official `--optimizer` of each lab optimiser; adamw has none (refused). */
const officialOptimizer: Record<OptimizerName, string | null> = { lars: 'lars', sgd: 'momentum', adam: 'adam', adamw: null };

/**
 * Training-split sizes of the TFDS datasets the official trainer reads (what `--train_epochs`
 * counts over): tensorflow_datasets' imagenet2012_subset/1pct and /10pct hold the images of the
 * official 1percent.txt and 10percent.txt lists.
 */
const officialSubsetExamples = { 'imagenet2012_subset/1pct': 12_811, 'imagenet2012_subset/10pct': 128_116 } as const;

/**
 * The official colour jitter: contrast and saturation factors in [1 − 0.8s, 1 + 0.8s] through
 * tf.image.random_contrast / random_saturation, which raise an error for a negative lower bound.
 */
const maxOfficialColorJitterStrength = 1 / 0.8;

/** tf2/model.py get_train_steps: examples × epochs // batch + 1 (when --train_steps is not given). */
export function officialTrainSteps(examples: number, epochs: number, batchSize: number): number {
  return Math.floor((examples * epochs) / batchSize) + 1;
}

/** Python's round(): half to even. */
function pythonRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Fixed values of the official augmentation that the lab makes configurable. */
const officialFixed = { grayscaleProbability: 0.2, cropMinArea: 0.08, blurProbability: 0.5 };

export function officialTrainerExport(config: RunConfig): OfficialTrainerExport {
  const unmapped: UnmappedField[] = [];
  const refused: RefusedField[] = [];
  const mapped = new Set<string>();
  const notes: string[] = [
    'Add --use_tpu=True --tpu_name=NAME for a TPU pod; on GPUs the trainer uses a MirroredStrategy over all visible GPUs (--use_tpu=False).',
    'Replace MODEL_DIR and DATA_DIR (a tensorflow_datasets data directory).',
  ];
  const refuse = (path: string, reason: string) => {
    if (!refused.some((r) => r.path === path)) refused.push({ path, value: flattenConfig(config)[path], reason });
  };
  const miss = (path: string, reason: string) => {
    mapped.add(path);
    if (!unmapped.some((u) => u.path === path)) unmapped.push({ path, value: flattenConfig(config)[path], reason });
  };
  const use = (...paths: string[]) => paths.forEach((p) => mapped.add(p));
  const tfds = tfdsDatasets[config.dataset.name];
  use('dataset.name');
  if (!tfds)
    miss(
      'dataset.name',
      `"${config.dataset.name}" is not a tensorflow_datasets dataset; build a TFDS dataset from the images and pass --dataset=NAME`,
    );
  const datasetFlag = tfds?.name ?? 'YOUR_TFDS_DATASET';

  const common = (): string[] => {
    const flags = [`--image_size=${config.dataset.imageSize}`, `--resnet_depth=${config.model.depth}`];
    use('dataset.imageSize', 'model.depth');
    flags.push(`--width_multiplier=${config.model.widthMultiplier}`, `--sk_ratio=${config.model.skRatio}`);
    use('model.widthMultiplier', 'model.skRatio');
    flags.push(
      '--proj_head_mode=nonlinear',
      `--num_proj_layers=${config.model.projectionLayers}`,
      `--proj_out_dim=${config.model.projectionDim}`,
    );
    use('model.projectionLayers', 'model.projectionDim');
    return flags;
  };

  /**
   * --train_epochs when whole; otherwise the official step count over `examples` (the split the
   * stage trains on: the whole training split, or the labelled subset when fine-tuning).
   */
  const epochsOrSteps = (path: string, epochs: number, batchSize: number, examples: number | null): string => {
    use(path);
    if (Number.isInteger(epochs)) return `--train_epochs=${epochs}`;
    if (examples === null) {
      refuse(
        path,
        `--train_epochs is an integer and the size of "${datasetFlag}" is unknown here, so fractional epochs have no --train_steps equivalent; use whole epochs`,
      );
      return `--train_epochs=${Math.max(1, Math.round(epochs))}`;
    }
    return `--train_steps=${officialTrainSteps(examples, epochs, batchSize)}`;
  };

  // Configs the official code cannot run as the same model.
  if (!Number.isInteger(config.model.widthMultiplier)) {
    refuse(
      'model.widthMultiplier',
      `the official --width_multiplier is an integer (1, 2, 3); a ${config.model.widthMultiplier}× network has no equivalent`,
    );
  }
  if (config.model.projectionLayers === 0) {
    refuse(
      'model.projectionLayers',
      "without projection layers the official head mode is 'none', whose single output tf2/model.py cannot unpack; use at least 1 layer",
    );
  }

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
  if (config.dataset.subsetList !== null)
    miss(
      'dataset.subsetList',
      'the official 1%/10% lists are the TFDS datasets imagenet2012_subset/1pct and /10pct; other lists have no flag',
    );

  const optimizerFlag = (path: string, name: OptimizerName): string => {
    const official = officialOptimizer[name];
    if (official === null)
      refuse(path, 'the official trainer has no decoupled weight decay (AdamW): its adam adds L2 to the loss; choose adam, sgd or lars');
    return official ?? name;
  };

  const pretrainExamples = tfds?.trainExamples ?? null;
  const pretrainCheckpointSteps = pretrainExamples === null ? null : Math.max(1, pythonRound(pretrainExamples / config.pretrain.batchSize));
  // tf2/run.py saves MODEL_DIR/ckpt-<step> after every checkpoint_steps steps until it reaches
  // train_steps, so its last checkpoint is ckpt-<train_steps rounded up to a multiple of them>.
  let pretrainCheckpoint = 'PRETRAINED_CHECKPOINT';
  if (config.pretrain.enabled && pretrainExamples !== null && pretrainCheckpointSteps !== null) {
    const p = config.pretrain;
    const steps = officialTrainSteps(pretrainExamples, p.epochs, p.batchSize);
    pretrainCheckpoint = `MODEL_DIR/pretrain/ckpt-${Math.ceil(steps / pretrainCheckpointSteps) * pretrainCheckpointSteps}`;
  }

  if (config.pretrain.enabled) {
    const p = config.pretrain;
    if (p.colorJitterStrength > maxOfficialColorJitterStrength) {
      refuse(
        'pretrain.colorJitterStrength',
        `the official colour jitter draws contrast and saturation factors from [1 − 0.8s, 1 + 0.8s] with tf.image.random_contrast/random_saturation, which reject a negative lower bound: s must be at most 1.25`,
      );
    }
    const argv = [
      'python',
      'tf2/run.py',
      '--mode=train_then_eval',
      '--train_mode=pretrain',
      `--dataset=${datasetFlag}`,
      `--eval_split=${tfds?.evalSplit ?? 'test'}`,
      `--train_batch_size=${p.batchSize}`,
      epochsOrSteps('pretrain.epochs', p.epochs, p.batchSize, pretrainExamples),
      // One checkpoint per epoch as the official default, but never every 0 steps (a batch over twice the split).
      ...(pretrainCheckpointSteps === null ? [] : [`--checkpoint_steps=${pretrainCheckpointSteps}`]),
      `--optimizer=${optimizerFlag('pretrain.optimizer', p.optimizer)}`,
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
    use(
      'pretrain.enabled',
      'pretrain.linearProbe',
      'pretrain.batchSize',
      'pretrain.optimizer',
      'pretrain.learningRate',
      'pretrain.learningRateScaling',
      'pretrain.warmupEpochs',
    );
    use('pretrain.weightDecay', 'pretrain.momentum', 'pretrain.temperature', 'pretrain.colorJitterStrength', 'pretrain.blurProbability');
    if (p.blurProbability !== 0 && p.blurProbability !== officialFixed.blurProbability) {
      miss(
        'pretrain.blurProbability',
        `the official blur probability is fixed at ${officialFixed.blurProbability} (--use_blur turns it on or off)`,
      );
    }
    if (p.grayscaleProbability !== officialFixed.grayscaleProbability)
      miss('pretrain.grayscaleProbability', `fixed at ${officialFixed.grayscaleProbability} in the official augmentation`);
    else use('pretrain.grayscaleProbability');
    if (p.cropMinArea !== officialFixed.cropMinArea)
      miss('pretrain.cropMinArea', `fixed at ${officialFixed.cropMinArea} in the official random resized crop`);
    else use('pretrain.cropMinArea');
    miss(
      'pretrain.knnK',
      'the official trainer has no k-NN monitor; it trains a linear head on the frozen features while pretraining instead',
    );
    miss('pretrain.knnEveryEpochs', 'no k-NN monitor in the official trainer');
    if (p.init === null) use('pretrain.init');
    else
      miss(
        'pretrain.init',
        'starts from a SimCLR Lab encoder file; the official trainer starts from its own TF checkpoints (--checkpoint)',
      );
    commands.push(command('pretrain', argv));
  } else {
    for (const path of Object.keys(flattenConfig(defaultRunConfig)).filter((k) => k.startsWith('pretrain.'))) use(path);
  }

  if (config.finetune.enabled) {
    const f = config.finetune;
    let dataset = datasetFlag;
    let split = 'train';
    // How many labelled images the fine-tuning split holds (what its epochs count over).
    let labelledExamples: number | null = tfds?.trainExamples ?? null;
    if (config.dataset.name === 'imagenet' && (f.labelFraction === 0.01 || f.labelFraction === 0.1)) {
      const subset = f.labelFraction === 0.01 ? 'imagenet2012_subset/1pct' : 'imagenet2012_subset/10pct';
      dataset = subset;
      labelledExamples = officialSubsetExamples[subset];
    } else if (f.labelFraction < 1) {
      if (labelledExamples !== null) {
        // TFDS slices by example count: the first round(fraction × N) images.
        labelledExamples = Math.max(1, pythonRound(f.labelFraction * labelledExamples));
        split = `train[:${labelledExamples}]`;
      } else {
        split = `train[:${+(f.labelFraction * 100).toFixed(4)}%]`;
      }
      unmapped.push({
        path: 'finetune.labelFraction',
        value: f.labelFraction,
        reason: `approximated by the TFDS split slice ${split}: the first images of the split, not a seeded class-balanced subset`,
      });
    }
    if (f.mode === 'linear' && f.fromProjectionLayer > 0) {
      refuse(
        'finetune.fromProjectionLayer',
        "with --fine_tune_after_block=4 the official trainer still trains the projection-head layers below the classifier, where linear mode here freezes them; use 0 (a linear classifier on the encoder features, the paper's linear evaluation)",
      );
    }
    const featureDim = encoderFeatureDim({
      depth: config.model.depth,
      widthMultiplier: config.model.widthMultiplier,
      skRatio: config.model.skRatio,
      imageSize: config.dataset.imageSize,
    });
    if (
      config.pretrain.enabled &&
      config.pretrain.linearProbe &&
      f.fromProjectionLayer === config.model.projectionLayers &&
      config.model.projectionDim !== featureDim
    ) {
      refuse(
        'finetune.fromProjectionLayer',
        `the pretraining checkpoint holds the linear-probe head on the encoder features (${featureDim} wide); a classifier on the last projection layer (${config.model.projectionDim} wide) cannot restore it. Choose a lower layer or turn off pretrain.linearProbe`,
      );
    }
    const argv = [
      'python',
      'tf2/run.py',
      '--mode=train_then_eval',
      '--train_mode=finetune',
      `--dataset=${dataset}`,
      `--train_split=${split}`,
      `--eval_split=${tfds?.evalSplit ?? 'test'}`,
      `--checkpoint=${pretrainCheckpoint}`,
      '--zero_init_logits_layer=True',
      // -1 fine-tunes every block; 4 freezes the whole encoder (linear evaluation).
      `--fine_tune_after_block=${f.mode === 'linear' ? 4 : -1}`,
      `--ft_proj_selector=${f.fromProjectionLayer}`,
      '--global_bn=False',
      `--train_batch_size=${f.batchSize}`,
      epochsOrSteps('finetune.epochs', f.epochs, f.batchSize, labelledExamples),
      `--optimizer=${optimizerFlag('finetune.optimizer', f.optimizer)}`,
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
    use(
      'finetune.enabled',
      'finetune.mode',
      'finetune.labelFraction',
      'finetune.fromProjectionLayer',
      'finetune.batchSize',
      'finetune.optimizer',
      'finetune.learningRate',
      'finetune.weightDecay',
      'finetune.momentum',
    );
    if (f.baseline)
      miss(
        'finetune.baseline',
        'tf2/run.py fine-tunes only from a pretrained checkpoint; a from-scratch supervised baseline has no command',
      );
    else use('finetune.baseline');
    commands.push(command('finetune', argv));
  } else {
    for (const path of Object.keys(flattenConfig(defaultRunConfig)).filter((k) => k.startsWith('finetune.'))) use(path);
  }

  for (const path of Object.keys(flattenConfig(defaultRunConfig)).filter((k) => k.startsWith('distill.'))) {
    if (config.distill.enabled) miss(path, 'tf2/run.py has no distillation mode (SimCLRv2 distillation is not in the TF2 trainer)');
    else use(path);
  }

  if (config.finetune.enabled) {
    if (!config.pretrain.enabled) {
      notes.push(
        'Pretraining is disabled: replace PRETRAINED_CHECKPOINT with the checkpoint prefix to fine-tune from (a file prefix such as DIR/ckpt-1000, not a directory).',
      );
    } else if (pretrainExamples === null) {
      notes.push(
        "Replace PRETRAINED_CHECKPOINT with the pretraining run's last checkpoint prefix: python -c \"import tensorflow as tf; print(tf.train.latest_checkpoint('MODEL_DIR/pretrain'))\".",
      );
    } else {
      notes.push(
        `The fine-tuning command restores ${pretrainCheckpoint}, the last checkpoint the pretraining command writes; if you change its flags, pass the prefix tf.train.latest_checkpoint('MODEL_DIR/pretrain') gives.`,
      );
    }
  }
  if (config.pretrain.enabled && config.pretrain.linearProbe && config.finetune.labelFraction < 1) {
    notes.push(
      '--lineareval_while_pretraining trains its linear head on the labels of every pretraining image; the lab trains it on the labelled subset. The encoder is unaffected either way (stop-gradient).',
    );
  }

  // Anything the schema gains later is listed rather than dropped silently.
  for (const path of Object.keys(flattenConfig(config))) {
    if (!mapped.has(path)) unmapped.push({ path, value: flattenConfig(config)[path], reason: 'no known equivalent flag' });
  }
  if (refused.length > 0) return { trainer: 'google-research/simclr tf2/run.py', commands: [], unmapped, refused, notes };
  return { trainer: 'google-research/simclr tf2/run.py', commands, unmapped, refused, notes };
}

function command(stage: OfficialCommand['stage'], argv: string[]): OfficialCommand {
  return { stage, argv, command: argv.map(shellQuote).join(' ') };
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./=:%-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
