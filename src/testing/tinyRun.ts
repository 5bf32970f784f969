import type { RunConfigInput } from '../core/config';

/**
 * The one tiny run of the tests: a few dozen 16 px shapes, the narrowest (1/16-width) ResNet-18
 * and one epoch per stage, small enough for a CPU-only machine or a software GPU. Tests that need
 * something else say so with `tinyRunWith`, so what they change is visible where it matters.
 */
export const tinyRun = {
  dataset: { name: 'shapes', trainSize: 64, testSize: 32, imageSize: 16 },
  model: { widthMultiplier: 0.0625, projectionLayers: 2, projectionDim: 16 },
  pretrain: { epochs: 1, batchSize: 16, knnK: 10, warmupEpochs: 0 },
  finetune: { labelFraction: 0.5, epochs: 1, batchSize: 16 },
  distill: { epochs: 1, batchSize: 16, studentWidthMultiplier: 0.0625 },
} satisfies RunConfigInput;

type Section = Record<string, unknown>;

function isSection(value: unknown): value is Section {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `tinyRun` with `changes` merged in field by field (a section given replaces only its fields). */
export function tinyRunWith(changes: RunConfigInput): RunConfigInput {
  const merged: Section = { ...tinyRun };
  for (const [key, value] of Object.entries(changes)) {
    const base = merged[key];
    merged[key] = isSection(base) && isSection(value) ? { ...base, ...value } : value;
  }
  return merged as RunConfigInput;
}

export type ConfigFields = Record<string, string | number | boolean>;

/** A config as dotted `path: value` fields: what a share link's hash (and the lab's form) holds. */
export function configFields(config: RunConfigInput): ConfigFields {
  const fields: ConfigFields = {};
  const visit = (value: unknown, path: string) => {
    if (isSection(value)) for (const [key, inner] of Object.entries(value)) visit(inner, path ? `${path}.${key}` : key);
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[path] = value;
    else if (value !== undefined) throw new Error(`${path}: a test config field must be a string, number or boolean`);
  };
  visit(config, '');
  return fields;
}

/** A config as `npm run train` flags: `--set path=value` for each field. */
export function setFlags(config: RunConfigInput): string[] {
  return Object.entries(configFields(config)).flatMap(([path, value]) => ['--set', `${path}=${value}`]);
}
