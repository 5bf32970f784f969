import { z } from 'zod';

/**
 * The one RunConfig schema: used by the UI, the URL codec, the CLI and the server.
 * Every field has a default, so `parseRunConfig({})` is a complete, runnable config. The defaults are
 * sized for a laptop browser (a falling loss in seconds, a meaningful k-NN accuracy in minutes);
 * the paper-faithful recipes live in examples/.
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

export const datasetNames = ['cifar10', 'mnist', 'shapes', 'folder', 'imagenet'] as const;

export const datasetSchema = z
  .object({
    name: z.enum(datasetNames).default('cifar10'),
    /** Cap on training images (null = all of them). */
    trainSize: positiveInt.nullable().default(5000),
    /** Cap on test images (null = all of them). */
    testSize: positiveInt.nullable().default(1000),
    /** Height = width of the images the network sees. */
    imageSize: z.number().int().min(8).max(512).default(32),
    /** Folder or ImageNet root (server/CLI only; confined to the host's data roots). */
    path: z.string().min(1).nullable().default(null),
    /** Optional path of an ImageNet subset list (one training file name per line). */
    subsetList: z.string().min(1).nullable().default(null),
  })
  .strict();

export const modelSchema = z
  .object({
    depth: resnetDepth.default(18),
    widthMultiplier: z.number().positive().max(4).default(0.25),
    /** Selective-kernel ratio (0 = off); applies to bottleneck blocks (depth >= 50). */
    skRatio: z.number().min(0).max(1).default(0),
    /** Number of dense layers in the projection head (SimCLRv2 default 3). */
    projectionLayers: z.number().int().min(0).max(8).default(3),
    projectionDim: positiveInt.max(4096).default(128),
  })
  .strict();

export const pretrainSchema = z
  .object({
    enabled: z.boolean().default(true),
    epochs: z.number().positive().max(10000).default(10),
    batchSize: z.number().int().min(2).max(65536).default(128),
    optimizer: optimizerName.default('lars'),
    /** Base learning rate; the applied rate is scaled by `learningRateScaling`. */
    learningRate: z.number().positive().default(1.0),
    learningRateScaling: z.enum(['linear', 'sqrt']).default('linear'),
    warmupEpochs: nonNegative.default(1),
    weightDecay: nonNegative.default(1e-4),
    momentum: z.number().min(0).max(1).default(0.9),
    temperature: z.number().positive().max(100).default(0.5),
    colorJitterStrength: z.number().min(0).max(4).default(0.5),
    grayscaleProbability: probability.default(0.2),
    blurProbability: probability.default(0),
    cropMinArea: z.number().gt(0).max(1).default(0.08),
    knnK: positiveInt.default(200),
    /** Run the k-NN monitor every this many epochs (and always at the end). */
    knnEveryEpochs: z.number().positive().default(1),
    /**
     * Train a linear classifier on stop-gradient encoder features of the labelled subset alongside
     * the contrastive loss, evaluated with the k-NN monitor (official `lineareval_while_pretraining`,
     * on by default there too).
     */
    linearProbe: z.boolean().default(true),
    /**
     * Start from a shipped pretrained encoder instead of pretraining: its name (the files
     * public/pretrained/<name>.ckpt and .json, e.g. `cifar10-resnet18-w025`); null = pretrain here.
     * When set, the pretraining stage is skipped and the other pretrain.* settings are not read.
     */
    init: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,79}$/, { error: 'must be the name of a shipped encoder: lower-case letters, digits, ".", "_" or "-"' })
      .nullable()
      .default(null),
  })
  .strict();

export const finetuneSchema = z
  .object({
    enabled: z.boolean().default(true),
    labelFraction: z.number().gt(0).max(1).default(0.1),
    /**
     * full = fine-tune every layer; linear = freeze the encoder and the kept head layers and train the
     * classifier alone (official `fine_tune_after_block=4`, linear evaluation).
     */
    mode: z.enum(['full', 'linear']).default('full'),
    /** Keep the first k projection-head layers before the classifier (0 = encoder only). */
    fromProjectionLayer: z.number().int().min(0).max(8).default(1),
    epochs: z.number().positive().max(10000).default(20),
    batchSize: z.number().int().min(1).max(65536).default(64),
    optimizer: optimizerName.default('sgd'),
    /** Applied learning rate (cosine-decayed to 0 over the stage, no scaling). */
    learningRate: z.number().positive().default(0.05),
    weightDecay: nonNegative.default(0),
    momentum: z.number().min(0).max(1).default(0.9),
    /** Also train the same architecture from scratch on the same labels. */
    baseline: z.boolean().default(true),
  })
  .strict();

export const distillSchema = z
  .object({
    enabled: z.boolean().default(true),
    studentDepth: resnetDepth.default(18),
    studentWidthMultiplier: z.number().positive().max(4).default(0.125),
    studentSkRatio: z.number().min(0).max(1).default(0),
    temperature: z.number().positive().max(100).default(1.0),
    /** Weight of the label loss on the labelled subset (0 = pure distillation). */
    labelWeight: probability.default(0),
    epochs: z.number().positive().max(10000).default(10),
    batchSize: z.number().int().min(1).max(65536).default(128),
    optimizer: optimizerName.default('sgd'),
    learningRate: z.number().positive().default(0.05),
    weightDecay: nonNegative.default(0),
    momentum: z.number().min(0).max(1).default(0.9),
  })
  .strict();

export const runConfigSchema = z
  .object({
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(0),
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

function zodIssuesToConfigIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.flatMap((issue) => {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: base ? `${base}.${key}` : key, message: 'unknown field' }));
    }
    return [{ path: base, message: issue.message }];
  });
}

/** Validates and fills defaults. Throws a ConfigError whose `issues` name each bad field. */
export function parseRunConfig(input: unknown): RunConfig {
  const result = runConfigSchema.safeParse(input ?? {});
  if (!result.success) throw new ConfigError(zodIssuesToConfigIssues(result.error));
  return result.data;
}

export function safeParseRunConfig(input: unknown): { ok: true; config: RunConfig } | { ok: false; issues: ConfigIssue[] } {
  try {
    return { ok: true, config: parseRunConfig(input) };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, issues: error.issues };
    throw error;
  }
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

/** The dotted paths of every leaf field in the schema, in declaration order. */
export const configFieldPaths: string[] = Object.keys(flattenConfig(defaultRunConfig));

/** Sets `path` (dotted) in a nested plain object, creating objects on the way. */
export function setAtPath(target: Record<string, unknown>, path: string, value: unknown): void {
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
export function parseFieldValue(path: string, text: string): { ok: true; value: unknown } | { ok: false; issue: ConfigIssue } {
  const defaults = flattenConfig(defaultRunConfig);
  if (!(path in defaults)) return { ok: false, issue: { path, message: 'unknown field' } };
  const current = defaults[path];
  const trimmed = text.trim();
  if (trimmed === 'null') return { ok: true, value: null };
  if (typeof current === 'boolean') {
    if (trimmed === 'true' || trimmed === '1') return { ok: true, value: true };
    if (trimmed === 'false' || trimmed === '0') return { ok: true, value: false };
    return { ok: false, issue: { path, message: `expected true or false, got "${text}"` } };
  }
  if (typeof current === 'number' || (current === null && isNumericField(path))) {
    const value = Number(trimmed);
    if (trimmed === '' || !Number.isFinite(value)) return { ok: false, issue: { path, message: `expected a number, got "${text}"` } };
    return { ok: true, value };
  }
  return { ok: true, value: text };
}

function isNumericField(path: string): boolean {
  return path === 'dataset.trainSize' || path === 'dataset.testSize';
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
    const path = override.slice(0, eq).trim();
    const parsed = parseFieldValue(path, override.slice(eq + 1));
    if (parsed.ok) setAtPath(copy, path, parsed.value);
    else issues.push(parsed.issue);
  }
  return { input: copy, issues };
}
