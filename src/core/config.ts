import { z } from 'zod';
import { type FieldSpec, type FieldValue, describeFields, fieldMetaRegistry as fields } from './configFields';

/**
 * The one RunConfig schema: used by the UI, the URL codec, the CLI and the server.
 * Every field has a default, so `parseRunConfig({})` is a complete, runnable config. The defaults are
 * sized for a laptop browser (a falling loss in seconds, a meaningful k-NN accuracy in minutes);
 * the paper-faithful recipes live in examples/.
 *
 * Every leaf also carries its label, help text, unit and scale (`.register(fields, …)`), so the
 * field table below (`configFields`) that the UI, --help and the sweep view read comes from the
 * same place as the bounds it shows.
 */

const positiveInt = z.number().int().positive();
const nonNegative = z.number().min(0);
const probability = z.number().min(0).max(1);
/**
 * lars = official LARS; sgd = Nesterov momentum (official `momentum`); adam = Adam with L2 in the
 * loss (official `adam`); adamw = Adam with decoupled weight decay (not in the official code).
 */
const optimizerName = z.enum(['lars', 'sgd', 'adam', 'adamw']);
const resnetDepth = z.union([z.literal(18), z.literal(34), z.literal(50), z.literal(101), z.literal(152)], {
  error: 'must be one of 18, 34, 50, 101, 152',
});

// Help shared by fields that mean the same thing in several stages.
const optimizerHelp =
  'lars: per-layer trust ratio (SimCLR). sgd: Nesterov momentum. adam: Adam with L2 weight decay in the loss (both as the official code). adamw: Adam with decoupled weight decay.';
const depthHelp = '18/34 use basic blocks, 50+ bottleneck blocks.';
const weightDecayHelp = 'L2 penalty on the weights; biases and batch-norm parameters are excluded, as in the official code.';
const momentumHelp = 'Momentum of sgd and lars, β₁ of adam and adamw.';
const epochsHelp = (images: string): string => `Passes over the ${images}; fractions are allowed (0.5 = half an epoch).`;

// Fields that every stage (or both classifier stages) declare alike. They are functions because a
// registered schema carries its own metadata: each stage needs fresh instances to register.
const epochsField = (byDefault: number, images: string) =>
  z
    .number()
    .positive()
    .max(10000)
    .default(byDefault)
    .register(fields, { label: 'Epochs', help: epochsHelp(images), unit: 'epochs', scale: 'log', step: 1 });
const weightDecayField = (byDefault: number) =>
  nonNegative.default(byDefault).register(fields, { label: 'Weight decay', help: weightDecayHelp, scale: 'log', step: 0.0001 });
const momentumField = () => z.number().min(0).max(1).default(0.9).register(fields, { label: 'Momentum', help: momentumHelp, step: 0.05 });

/**
 * The training fields fine-tuning and distillation share: the same optimiser defaults and an
 * unscaled, cosine-decayed learning rate; only the epochs, the batch and what a batch holds differ.
 */
function classifierTrainingFields(defaults: { epochs: number; epochImages: string; batchSize: number; batchHelp: string }) {
  return {
    epochs: epochsField(defaults.epochs, defaults.epochImages),
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(65536)
      .default(defaults.batchSize)
      .register(fields, { label: 'Batch size', help: defaults.batchHelp, unit: 'images', scale: 'log' }),
    optimizer: optimizerName.default('sgd').register(fields, { label: 'Optimizer', help: optimizerHelp }),
    /** Applied learning rate (cosine-decayed to 0 over the stage, no scaling). */
    learningRate: z.number().positive().default(0.05).register(fields, {
      label: 'Learning rate',
      help: 'Applied as is (no batch scaling), cosine-decayed to 0 over the stage.',
      scale: 'log',
      step: 0.01,
    }),
    weightDecay: weightDecayField(0),
    momentum: momentumField(),
  };
}

export const datasetNames = ['cifar10', 'mnist', 'shapes', 'folder', 'imagenet'] as const;

export const datasetSchema = z
  .object({
    name: z
      .enum(datasetNames)
      .default('cifar10')
      .register(fields, {
        label: 'Dataset',
        help: 'cifar10 and mnist are the real datasets, shapes is generated from the seed (instant), folder is your own images (one sub-folder per class), imagenet needs the server or the CLI (with dataset.path).',
        notInBrowser: ['imagenet'],
      }),
    /** Cap on training images (null = all of them). */
    trainSize: positiveInt.nullable().default(5000).register(fields, {
      label: 'Training images',
      help: 'Cap on training images: the lever that makes a run fit a laptop.',
      unit: 'images',
      scale: 'log',
      emptyMeans: 'all',
    }),
    /** Cap on test images (null = all of them). */
    testSize: positiveInt.nullable().default(1000).register(fields, {
      label: 'Test images',
      help: 'Cap on the test images that k-NN, the linear probe and the classifiers are evaluated on.',
      unit: 'images',
      scale: 'log',
      emptyMeans: 'all',
    }),
    /** Height = width of the images the network sees. */
    imageSize: z.number().int().min(8).max(512).default(32).register(fields, {
      label: 'Image size (px)',
      help: 'Height and width the images are resized to; at 32 px and below the stem is a 3×3 convolution without max-pool.',
      unit: 'px',
    }),
    /** Folder or ImageNet root (server/CLI only; confined to the host's data roots). */
    path: z.string().min(1).nullable().default(null).register(fields, {
      label: 'Dataset path',
      help: 'Root of the folder or ImageNet dataset (server and CLI only; confined to the host’s data roots).',
    }),
    /** Optional path of an ImageNet subset list (one training file name per line). */
    subsetList: z.string().min(1).nullable().default(null).register(fields, {
      label: 'ImageNet subset list',
      help: 'Path of an official subset list (1percent.txt, 10percent.txt: one training file name per line) that picks the labelled images.',
    }),
  })
  .strict();

export const modelSchema = z
  .object({
    depth: resnetDepth.default(18).register(fields, { label: 'ResNet depth', help: depthHelp }),
    widthMultiplier: z.number().positive().max(4).default(0.25).register(fields, {
      label: 'Width multiplier',
      help: 'Channels relative to a standard ResNet; the paper goes up to 3×. Small widths train fast in a browser.',
      scale: 'log',
      step: 0.03125,
    }),
    /** Selective-kernel ratio (0 = off); applies to bottleneck blocks (depth >= 50). */
    skRatio: z.number().min(0).max(1).default(0).register(fields, {
      label: 'Selective-kernel ratio',
      help: 'Selective kernels in bottleneck blocks (ResNet-50 and deeper); any value above 0 also gives every depth the ResNet-D stem and shortcuts, as the official code. 0 = off, the paper uses 0.0625.',
      step: 0.0625,
    }),
    /** Number of dense layers in the projection head (SimCLRv2 default 3). */
    projectionLayers: z.number().int().min(0).max(8).default(3).register(fields, {
      label: 'Projection-head layers',
      help: 'SimCLRv2 uses a deeper head (3 layers): the contrastive loss is computed on its output, and fine-tuning can keep part of it.',
    }),
    projectionDim: positiveInt.max(4096).default(128).register(fields, {
      label: 'Projection dim',
      help: 'Width of the head’s last layer, the space the contrastive loss compares in (128 in the paper).',
      scale: 'log',
    }),
  })
  .strict();

export const pretrainSchema = z
  .object({
    enabled: z.boolean().default(true).register(fields, {
      label: 'Pretrain',
      help: 'Run contrastive pretraining (NT-Xent on two augmented views, no labels).',
    }),
    epochs: epochsField(10, 'training images'),
    batchSize: z.number().int().min(2).max(65536).default(128).register(fields, {
      label: 'Batch size',
      help: 'Each image is a negative for every other one: bigger batches mean more negatives per anchor (2N−2) and a harder, more useful task.',
      unit: 'images',
      scale: 'log',
    }),
    optimizer: optimizerName.default('lars').register(fields, {
      label: 'Optimizer',
      help: `LARS adapts the step per layer, which keeps large-batch training stable. ${optimizerHelp}`,
    }),
    /** Base learning rate; the applied rate is scaled by `learningRateScaling`. */
    learningRate: z.number().positive().default(1.0).register(fields, {
      label: 'Base learning rate',
      help: 'Scaled by batch/256 (linear) or √batch (sqrt), warmed up, then cosine-decayed.',
      scale: 'log',
      step: 0.05,
    }),
    learningRateScaling: z.enum(['linear', 'sqrt']).default('linear').register(fields, {
      label: 'LR scaling',
      help: 'How the base learning rate grows with the batch: linear = base × batch/256, sqrt = base × √batch (the paper’s choice for small batches).',
    }),
    warmupEpochs: nonNegative.default(1).register(fields, {
      label: 'Warm-up epochs',
      help: 'The learning rate rises linearly from 0 over this many epochs before the cosine decay.',
      unit: 'epochs',
      step: 1,
    }),
    weightDecay: weightDecayField(1e-4),
    momentum: momentumField(),
    temperature: z.number().positive().max(100).default(0.5).register(fields, {
      label: 'Temperature τ',
      help: 'Divides the cosine similarities before the softmax: a low τ sharpens it and focuses the loss on the hardest negatives; too low makes training unstable.',
      scale: 'log',
      step: 0.05,
    }),
    colorJitterStrength: z.number().min(0).max(4).default(0.5).register(fields, {
      label: 'Colour-jitter strength',
      help: 'Strength s of brightness/contrast/saturation/hue jitter (0.5 for CIFAR-10, 1.0 for ImageNet).',
      step: 0.1,
    }),
    grayscaleProbability: probability.default(0.2).register(fields, {
      label: 'Grayscale probability',
      help: 'Chance that a view is turned grey, so colour alone cannot tell two images apart (0.2 in the paper).',
      step: 0.05,
    }),
    blurProbability: probability.default(0).register(fields, {
      label: 'Blur probability',
      help: 'Gaussian blur; the paper turns it off for 32 px images.',
      step: 0.05,
    }),
    cropMinArea: z.number().gt(0).max(1).default(0.08).register(fields, {
      label: 'Crop min area',
      help: 'Smallest share of the image a random crop keeps (0.08 in the paper).',
      step: 0.01,
    }),
    knnK: positiveInt.default(200).register(fields, {
      label: 'k-NN monitor k',
      help: 'Neighbours that vote (cosine-weighted) in the k-NN accuracy monitor on the frozen encoder features.',
    }),
    /** Run the k-NN monitor every this many epochs (and always at the end). */
    knnEveryEpochs: z.number().positive().default(1).register(fields, {
      label: 'k-NN every (epochs)',
      help: 'How often the k-NN monitor (and the linear probe’s test accuracy) is measured; it always runs at the end.',
      unit: 'epochs',
      step: 1,
    }),
    /**
     * Train a linear classifier on stop-gradient encoder features of the labelled subset alongside
     * the contrastive loss, evaluated with the k-NN monitor (official `lineareval_while_pretraining`,
     * on by default there too).
     */
    linearProbe: z.boolean().default(true).register(fields, {
      label: 'Linear probe',
      help: 'Also train a linear classifier on the frozen (stop-gradient) encoder features of the labelled images while pretraining, and chart its test accuracy beside k-NN (the official linear evaluation while pretraining).',
    }),
    /**
     * Start from a shipped pretrained encoder instead of pretraining: its name (the files
     * public/pretrained/<name>.ckpt and .json, e.g. `cifar10-resnet18-w025`); null = pretrain here.
     * When set, the pretraining stage is skipped and the other pretrain.* settings are not read.
     */
    init: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,79}$/, { error: 'must be the name of a shipped encoder: lower-case letters, digits, ".", "_" or "-"' })
      .nullable()
      .default(null)
      .register(fields, {
        label: 'Pretrained encoder',
        help: 'Name of a shipped encoder (public/pretrained/<name>.ckpt) to start from instead of pretraining; the other pretrain settings are then not read.',
      }),
  })
  .strict();

export const finetuneSchema = z
  .object({
    enabled: z.boolean().default(true).register(fields, {
      label: 'Fine-tune',
      help: 'Train a classifier on the labelled fraction, on top of the pretrained encoder.',
    }),
    labelFraction: z.number().gt(0).max(1).default(0.1).register(fields, {
      label: 'Label fraction',
      help: 'Share of training images whose labels are used (class-balanced, seeded). The paper reports 1% and 10% of ImageNet.',
      scale: 'log',
      step: 0.01,
    }),
    /**
     * full = fine-tune every layer; linear = freeze the encoder and the kept head layers and train the
     * classifier alone (official `fine_tune_after_block=4`, linear evaluation).
     */
    mode: z.enum(['full', 'linear']).default('full').register(fields, {
      label: 'Fine-tune mode',
      help: 'full: every layer learns. linear: encoder and kept head layers stay frozen and only the classifier trains (linear evaluation, as the paper reports it).',
    }),
    /** Keep the first k projection-head layers before the classifier (0 = encoder only). */
    fromProjectionLayer: z.number().int().min(0).max(8).default(1).register(fields, {
      label: 'Fine-tune from layer',
      help: 'How many projection-head layers to keep under the classifier: 0 = encoder only (SimCLR v1), 1 = first head layer (SimCLRv2, better with few labels).',
    }),
    ...classifierTrainingFields({
      epochs: 20,
      epochImages: 'labelled images',
      batchSize: 64,
      batchHelp: 'Labelled images per fine-tuning step.',
    }),
    /** Also train the same architecture from scratch on the same labels. */
    baseline: z.boolean().default(true).register(fields, {
      label: 'Supervised-only baseline',
      help: 'Also train the same network from scratch on the same labels, for comparison.',
    }),
  })
  .strict();

export const distillSchema = z
  .object({
    enabled: z.boolean().default(true).register(fields, {
      label: 'Distill',
      help: 'Train a student to match the fine-tuned teacher’s softened predictions on all the unlabelled images.',
    }),
    studentDepth: resnetDepth.default(18).register(fields, { label: 'Student depth', help: `ResNet depth of the student. ${depthHelp}` }),
    studentWidthMultiplier: z.number().positive().max(4).default(0.125).register(fields, {
      label: 'Student width',
      help: 'Width multiplier of the student: the same as the teacher’s is self-distillation, smaller compresses it.',
      scale: 'log',
      step: 0.03125,
    }),
    studentSkRatio: z.number().min(0).max(1).default(0).register(fields, {
      label: 'Student SK ratio',
      help: 'Selective-kernel ratio of the student (0 = off).',
      step: 0.0625,
    }),
    temperature: z.number().positive().max(100).default(1.0).register(fields, {
      label: 'Distillation temperature τ',
      help: 'Softens the teacher’s predictions: higher τ passes on more of how it ranks the wrong classes. The paper uses 1.0 (big→small) and 0.1 (self-distillation).',
      scale: 'log',
      step: 0.1,
    }),
    /** Weight of the label loss on the labelled subset (0 = pure distillation). */
    labelWeight: probability.default(0).register(fields, {
      label: 'Label-loss weight',
      help: '0 = pure distillation on unlabelled images; >0 mixes in the loss on the labelled subset.',
      step: 0.1,
    }),
    ...classifierTrainingFields({
      epochs: 10,
      epochImages: 'training images',
      batchSize: 128,
      batchHelp: 'Unlabelled images per distillation step.',
    }),
  })
  .strict();

export const runConfigSchema = z
  .object({
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(0)
      .register(fields, {
        label: 'Seed',
        help: 'Seeds data order, augmentations, initialisation and the labelled subset: the same seed reproduces a run.',
      }),
    dataset: datasetSchema.prefault({}),
    model: modelSchema.prefault({}),
    pretrain: pretrainSchema.prefault({}),
    finetune: finetuneSchema.prefault({}),
    distill: distillSchema.prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.finetune.fromProjectionLayer > config.model.projectionLayers) {
      ctx.addIssue({
        code: 'custom',
        path: ['finetune', 'fromProjectionLayer'],
        message: `must be at most model.projectionLayers (${config.model.projectionLayers})`,
      });
    }
    if (config.distill.enabled && !config.finetune.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['distill', 'enabled'],
        message: 'distillation needs a teacher: enable finetune (or disable distill)',
      });
    }
    // A field the chosen dataset never reads is refused rather than silently ignored.
    if (config.dataset.path !== null && config.dataset.name !== 'folder' && config.dataset.name !== 'imagenet') {
      ctx.addIssue({
        code: 'custom',
        path: ['dataset', 'path'],
        message: `only the folder and imagenet datasets read a path; remove it for ${config.dataset.name}`,
      });
    }
    if (config.dataset.subsetList !== null && config.dataset.name !== 'imagenet') {
      ctx.addIssue({
        code: 'custom',
        path: ['dataset', 'subsetList'],
        message: `only the imagenet dataset reads a subset list; remove it for ${config.dataset.name}`,
      });
    }
  });

export type RunConfig = z.infer<typeof runConfigSchema>;
/** What callers may pass: any subset of fields, at any depth. */
export type RunConfigInput = z.input<typeof runConfigSchema>;
export type OptimizerName = z.infer<typeof optimizerName>;
/**
 * The stages in the order a run trains them (baseline: the supervised-only comparison on the same
 * labels, after fine-tuning). Resume, run records and shared results order stages by this list.
 */
export const stageNames = ['pretrain', 'finetune', 'baseline', 'distill'] as const;
export type StageName = (typeof stageNames)[number];

/** The dotted paths of the leaves of a nested object type: `'seed' | 'dataset.name' | …`. */
type LeafPaths<T, Prefix extends string = ''> = {
  [K in keyof T & string]: T[K] extends Record<string, unknown> ? LeafPaths<T[K], `${Prefix}${K}.`> : `${Prefix}${K}`;
}[keyof T & string];

/** Every leaf field of RunConfig by dotted path, checked by the compiler (`'pretrain.temperature'`). */
export type ConfigFieldPath = LeafPaths<RunConfig>;
/** The top-level groups of fields (`'dataset' | 'model' | …`); a teacher's link can hide a whole one. */
export type ConfigSection = { [K in keyof RunConfig]: RunConfig[K] extends Record<string, unknown> ? K : never }[keyof RunConfig];
/** A leaf value of a config field. */
export type ConfigLeaf = FieldValue;
/** One row of the RunConfig field table (see configFields.ts for what each column means). */
export type ConfigField = FieldSpec<ConfigFieldPath>;

/**
 * The field table: every leaf of RunConfig in schema order with its kind, bounds, options, default
 * and presentation. Built from the schema at load, so it cannot disagree with what parsing accepts.
 */
export const configFields: readonly ConfigField[] = describeFields<ConfigFieldPath>(runConfigSchema);
const fieldsByPath = new Map<string, ConfigField>(configFields.map((field) => [field.path, field]));

/** The dotted paths of every leaf field in the schema, in declaration order. */
export const configFieldPaths: readonly ConfigFieldPath[] = configFields.map((field) => field.path);

/** Narrows a string from outside (URL, CLI, JSON spec) to a field path. */
export function isConfigFieldPath(path: string): path is ConfigFieldPath {
  return fieldsByPath.has(path);
}

/** The table row of a field path. */
export function configField(path: ConfigFieldPath): ConfigField {
  const field = fieldsByPath.get(path);
  // Unreachable for a ConfigFieldPath; kept so a stale cast fails loudly instead of rendering nothing.
  if (!field) throw new Error(`no such config field: ${path}`);
  return field;
}

/** Whether a field holds a number (integers included), even when its value is null (trainSize). */
export function isNumericField(path: ConfigFieldPath): boolean {
  const kind = configField(path).kind;
  return kind === 'number' || kind === 'integer';
}

export interface ConfigIssue {
  /** Dotted field path, e.g. `pretrain.temperature` (empty for the whole config). */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(`Invalid run config: ${issues.map((i) => `${i.path || '(config)'}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * A zod error as ConfigIssues with dotted paths (under `prefix` when given); an unknown key becomes
 * its own issue so each one is named. The sweep spec reports its own schema's errors the same way.
 */
export function zodIssuesToConfigIssues(error: z.ZodError, prefix = ''): ConfigIssue[] {
  return error.issues.flatMap((issue) => {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: base ? `${base}.${key}` : key, message: 'unknown field' }));
    }
    return [{ path: base, message: issue.message }];
  });
}

/**
 * Runs a parser that throws ConfigError and returns its issues instead; any other error is a bug and
 * still throws. The `safeParse…` functions of the config and the sweep spec are this.
 */
export function catchConfigIssues<T>(parse: () => T): { ok: true; value: T } | { ok: false; issues: ConfigIssue[] } {
  try {
    return { ok: true, value: parse() };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, issues: error.issues };
    throw error;
  }
}

/** Validates and fills defaults. Throws a ConfigError whose `issues` name each bad field. */
export function parseRunConfig(input: unknown): RunConfig {
  const result = runConfigSchema.safeParse(input ?? {});
  if (!result.success) throw new ConfigError(zodIssuesToConfigIssues(result.error));
  return result.data;
}

export function safeParseRunConfig(input: unknown): { ok: true; config: RunConfig } | { ok: false; issues: ConfigIssue[] } {
  const result = catchConfigIssues(() => parseRunConfig(input));
  return result.ok ? { ok: true, config: result.value } : result;
}

export const defaultRunConfig: RunConfig = parseRunConfig({});

/** Flattens a config to dotted paths → leaf values (null and primitives). */
export function flattenConfig(value: unknown, prefix = ''): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      Object.assign(out, flattenConfig(child, prefix ? `${prefix}.${key}` : key));
    }
  } else if (prefix) {
    out[prefix] = value as string | number | boolean | null;
  }
  return out;
}

/** The value of one field of a config. */
export function configValue(config: RunConfig, path: ConfigFieldPath): ConfigLeaf {
  let node: unknown = config;
  for (const key of path.split('.')) node = (node as Record<string, unknown>)[key];
  return node as ConfigLeaf;
}

/** Sets `path` (dotted) in a nested plain object, creating objects on the way. */
export function setAtPath(target: Record<string, unknown>, path: ConfigFieldPath, value: unknown): void {
  const keys = path.split('.');
  let node: Record<string, unknown> = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

/**
 * Turns the text of a `path=value` override (CLI `--set`, URL hash) into a typed value using the
 * default's type at that path; unknown paths and unparsable values return an issue.
 */
export function parseFieldValue(
  path: string,
  text: string,
): { ok: true; path: ConfigFieldPath; value: unknown } | { ok: false; issue: ConfigIssue } {
  if (!isConfigFieldPath(path)) return { ok: false, issue: { path, message: 'unknown field' } };
  const field = configField(path);
  const trimmed = text.trim();
  if (trimmed === 'null') return { ok: true, path, value: null };
  if (field.kind === 'boolean') {
    if (trimmed === 'true' || trimmed === '1') return { ok: true, path, value: true };
    if (trimmed === 'false' || trimmed === '0') return { ok: true, path, value: false };
    return { ok: false, issue: { path, message: `expected true or false, got "${text}"` } };
  }
  // Numeric choices (model.depth) are numbers too; the schema then checks the value is one of them.
  const numeric = isNumericField(path) || (field.kind === 'choice' && typeof field.options?.[0] === 'number');
  if (numeric) {
    const value = Number(trimmed);
    if (trimmed === '' || !Number.isFinite(value)) return { ok: false, issue: { path, message: `expected a number, got "${text}"` } };
    return { ok: true, path, value };
  }
  return { ok: true, path, value: text };
}

/** Applies `path=value` overrides to a (possibly partial) config input; returns issues for bad ones. */
export function applyOverrides(
  input: Record<string, unknown>,
  overrides: string[],
): { input: Record<string, unknown>; issues: ConfigIssue[] } {
  const copy = structuredClone(input);
  const issues: ConfigIssue[] = [];
  for (const override of overrides) {
    const eq = override.indexOf('=');
    if (eq <= 0) {
      issues.push({ path: override, message: 'expected path=value' });
      continue;
    }
    const parsed = parseFieldValue(override.slice(0, eq).trim(), override.slice(eq + 1));
    if (parsed.ok) setAtPath(copy, parsed.path, parsed.value);
    else issues.push(parsed.issue);
  }
  return { input: copy, issues };
}
