import {
  type ConfigFieldPath,
  type ConfigIssue,
  type ConfigLeaf,
  ConfigError,
  type RunConfig,
  configValue,
  isConfigFieldPath,
  safeParseRunConfig,
  setAtPath,
} from './config';
import type { Checkpoint, EncoderArchitecture, TensorRecord } from './types';

/**
 * Starting a run from pretrained weights. Any checkpoint of this project can be the source — a
 * shipped encoder file (public/pretrained/*.ckpt), a run's checkpoint.bin from the CLI or the
 * server, a run stored in the browser — because all of them hold the SimCLR model under
 * `models.pretrain`. Only the encoder and projection-head weights are taken (a linear probe or
 * optimiser slots are dropped); the run then skips pretraining and fine-tunes from them.
 */
export interface PretrainedEncoder {
  /** Where the weights came from, for logs and errors (a file name, `run <id>`, a shipped name). */
  source: string;
  /** The architecture the weights were saved for, when the file records it. */
  architecture?: EncoderArchitecture;
  /** `encoder/...` and `head/...` weights (SimclrModel paths). */
  weights: Record<string, TensorRecord>;
}

const KEPT_PREFIXES = ['encoder/', 'head/'];

/** The config field each architecture field is read from (`architectureOf`), for messages and for matching a run to an encoder. */
export const ARCHITECTURE_CONFIG_PATHS: Readonly<Record<keyof EncoderArchitecture, ConfigFieldPath>> = {
  depth: 'model.depth',
  widthMultiplier: 'model.widthMultiplier',
  skRatio: 'model.skRatio',
  projectionLayers: 'model.projectionLayers',
  projectionDim: 'model.projectionDim',
  imageSize: 'dataset.imageSize',
};

/** The architecture fields whose values differ between `a` and `b`, in ARCHITECTURE_CONFIG_PATHS order. */
export function architectureDifferences(a: EncoderArchitecture, b: EncoderArchitecture): (keyof EncoderArchitecture)[] {
  return (Object.keys(ARCHITECTURE_CONFIG_PATHS) as (keyof EncoderArchitecture)[]).filter((key) => a[key] !== b[key]);
}

export function architectureOf(config: RunConfig): EncoderArchitecture {
  const { depth, widthMultiplier, skRatio, projectionLayers, projectionDim } = config.model;
  return { depth, widthMultiplier, skRatio, projectionLayers, projectionDim, imageSize: config.dataset.imageSize };
}

/** `ResNet-18 ×0.25, 3-layer 128-d head, 32 px` */
export function describeArchitecture(a: EncoderArchitecture): string {
  const sk = a.skRatio > 0 ? ` SK ${a.skRatio}` : '';
  return `ResNet-${a.depth} ×${a.widthMultiplier}${sk}, ${a.projectionLayers}-layer ${a.projectionDim}-d head, ${a.imageSize} px`;
}

/** The encoder (and projection head) of any checkpoint; throws naming the source if it has none. */
export function encoderFromCheckpoint(checkpoint: Checkpoint, source: string): PretrainedEncoder {
  const model = checkpoint.models.pretrain;
  if (!model) {
    const held = Object.keys(checkpoint.models);
    throw new Error(`${source} holds no pretrained encoder (no "pretrain" model; it has ${held.length ? held.join(', ') : 'no models'})`);
  }
  const weights = Object.fromEntries(Object.entries(model).filter(([path]) => KEPT_PREFIXES.some((prefix) => path.startsWith(prefix))));
  if (Object.keys(weights).length === 0) throw new Error(`${source} holds no encoder weights (no "encoder/..." variables)`);
  return { source, weights, ...(checkpoint.architecture ? { architecture: checkpoint.architecture } : {}) };
}

/**
 * Throws when `encoder` was saved for another architecture than `config` builds, naming every field
 * that differs as `config path: run value, encoder value`. Files without a recorded architecture
 * are checked weight by weight when loaded (SimclrModel.setWeights names the weights that differ).
 */
export function checkEncoderFits(encoder: PretrainedEncoder, config: RunConfig): void {
  const saved = encoder.architecture;
  if (!saved) return;
  const wanted = architectureOf(config);
  const differences = architectureDifferences(saved, wanted).map(
    (key) => `${ARCHITECTURE_CONFIG_PATHS[key]} is ${wanted[key]} here but ${saved[key]} in the encoder`,
  );
  if (differences.length > 0) {
    throw new Error(
      `The pretrained encoder from ${encoder.source} (${describeArchitecture(saved)}) does not fit this run's model ` +
        `(${describeArchitecture(wanted)}): ${differences.join('; ')}`,
    );
  }
}

/**
 * A checkpoint holding only an encoder and its projection head: the format of shipped encoder
 * files. It reads back with deserializeCheckpoint and encoderFromCheckpoint like any run's checkpoint.
 */
export function encoderCheckpoint(encoder: PretrainedEncoder, architecture: EncoderArchitecture): Checkpoint {
  return { version: 1, stage: 'finetune', step: 0, completed: {}, models: { pretrain: encoder.weights }, optimizer: {}, architecture };
}

/**
 * A fixed input for checking that an encoder file loads to the same function it was saved from:
 * `count` images of imageSize² RGB values in [0, 1] from an integer hash of the pixel index (no
 * dataset needed). Encoder files record their features on it (card `check`).
 */
export function referenceImages(count: number, imageSize: number): { shape: [number, number, number, number]; data: Float32Array } {
  const data = new Float32Array(count * imageSize * imageSize * 3);
  for (let i = 0; i < data.length; i++) data[i] = (Math.imul(i + 1, 2654435761) >>> 24) / 255;
  return { shape: [count, imageSize, imageSize, 3], data };
}

/**
 * How to fine-tune a shipped encoder on few labels, as found by a sweep and written on its card:
 * the lab offers it in one click, because the config's defaults are tuned for a freshly pretrained
 * network (a frozen encoder's raw features need a far smaller learning rate, for one).
 */
export interface FinetuneRecipe {
  settings: Partial<Record<ConfigFieldPath, ConfigLeaf>>;
  /** Where the recipe comes from, in words (the sweep, its trials and what the best one reached). */
  found: string;
}

/** Only the fine-tuning stages' own fields: a recipe never changes the data or the model. */
const RECIPE_SECTIONS = ['finetune.', 'distill.'];

/** Checks a card's recipe: known fine-tuning fields with values their schema accepts; errors name the field. */
export function parseFinetuneRecipe(input: unknown): FinetuneRecipe {
  if (input === null || typeof input !== 'object') throw new ConfigError([{ path: 'finetuneRecipe', message: 'expected an object' }]);
  const { settings, found } = input as { settings?: unknown; found?: unknown };
  if (typeof found !== 'string' || found.trim() === '')
    throw new ConfigError([{ path: 'finetuneRecipe.found', message: 'expected a sentence saying where the recipe comes from' }]);
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings))
    throw new ConfigError([{ path: 'finetuneRecipe.settings', message: 'expected an object of field paths to values' }]);
  const issues: ConfigIssue[] = [];
  const checked: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(settings)) {
    if (!isConfigFieldPath(path)) issues.push({ path: `finetuneRecipe.settings.${path}`, message: 'unknown field' });
    else if (!RECIPE_SECTIONS.some((section) => path.startsWith(section)))
      issues.push({ path: `finetuneRecipe.settings.${path}`, message: 'a fine-tuning recipe sets only finetune.* and distill.* fields' });
    else setAtPath(checked, path, value);
  }
  if (issues.length) throw new ConfigError(issues);
  const parsed = safeParseRunConfig(checked);
  if (!parsed.ok) throw new ConfigError(parsed.issues.map((issue) => ({ ...issue, path: `finetuneRecipe.settings.${issue.path}` })));
  return { settings: settings as FinetuneRecipe['settings'], found };
}

/** The recipe's fields whose value differs from `config` (empty: the config already follows it). */
export function recipeChanges(config: RunConfig, recipe: FinetuneRecipe): [ConfigFieldPath, ConfigLeaf][] {
  return (Object.entries(recipe.settings) as [ConfigFieldPath, ConfigLeaf][]).filter(
    ([path, value]) => configValue(config, path) !== value,
  );
}
