import { z } from 'zod';
import {
  ConfigError,
  catchConfigIssues,
  configValue,
  type ConfigFieldPath,
  isConfigFieldPath,
  parseRunConfig,
  safeParseRunConfig,
  setAtPath,
  type ConfigIssue,
  type RunConfig,
  type StageName,
  zodIssuesToConfigIssues,
} from '../core/config';

/**
 * The sweep spec: one schema for every host (CLI, server, lab). Parameters are keyed by RunConfig
 * field paths; a parameter whose values are objects is a tied group (its key is a free name and each
 * value sets several fields together). `parseSweepSpec` checks the shape with zod and then checks
 * every value and range against the RunConfig schema itself, so a sweep never proposes a config the
 * engine would refuse. Errors reuse ConfigError: `issues[].path` is `parameters.<path>`, `base.<path>`…
 */

export type ParamValue = string | number | boolean | null;
export type TiedValue = Record<string, ParamValue>;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const tied = z.record(z.string(), scalar);

const valuesParameter = z.object({ values: z.array(z.union([scalar, tied])).min(1) }).strict();

const rangeParameter = z
  .object({
    min: z.number(),
    max: z.number(),
    scale: z.enum(['linear', 'log']).default('linear'),
    type: z.enum(['float', 'int']).default('float'),
    /** Points a grid uses for this range (random methods ignore them). */
    values: z.array(z.number()).min(1).optional(),
  })
  .strict();

export const sweepParameterSchema = z.union([rangeParameter, valuesParameter], {
  error: 'expected { "values": [...] } or a range { "min", "max", "scale"?: "linear" | "log", "type"?: "float" | "int" }',
});

export const sweepMethods = ['grid', 'random', 'quasi-random', 'tpe'] as const;

/** Metrics a trial can be judged by (objective) — `seconds` is the trial's wall time. */
export const objectiveMetrics = [
  'pretrain.testAccuracy',
  'pretrain.knnAccuracy',
  'pretrain.linearProbeAccuracy',
  'pretrain.loss',
  'finetune.testAccuracy',
  'baseline.testAccuracy',
  'distill.testAccuracy',
  'seconds',
] as const;
/** Metrics reported per epoch during a stage, which early stopping can watch (pretraining reports k-NN, not testAccuracy). */
export const earlyStoppingMetrics = objectiveMetrics.filter((m) => m !== 'seconds' && m !== 'pretrain.testAccuracy') as Exclude<
  (typeof objectiveMetrics)[number],
  'seconds'
>[];

export type ObjectiveMetric = (typeof objectiveMetrics)[number];
export type StageMetric = Exclude<ObjectiveMetric, 'seconds'>;

export const sweepSpecSchema = z
  .object({
    name: z.string().min(1).max(200).default('sweep'),
    /** A partial RunConfig every trial starts from. */
    base: z.record(z.string(), z.unknown()).default({}),
    parameters: z.record(z.string(), sweepParameterSchema),
    method: z.enum(sweepMethods).default('grid'),
    /** Number of trials; for grid it defaults to the grid's size (a smaller number takes the first points). */
    trials: z.number().int().positive().max(10000).optional(),
    objective: z
      .object({
        metric: z.enum(objectiveMetrics, { error: `must be one of ${objectiveMetrics.join(', ')}` }),
        goal: z.enum(['maximize', 'minimize']),
      })
      .strict()
      .prefault({ metric: 'finetune.testAccuracy', goal: 'maximize' }),
    earlyStopping: z
      .object({
        type: z.enum(['asha', 'median']),
        metric: z.enum(earlyStoppingMetrics, { error: `must be one of ${earlyStoppingMetrics.join(', ')}` }),
        /** First rung (ASHA) / first epoch the median rule judges at. */
        minEpochs: z.number().positive().default(1),
        /** η: rungs at minEpochs·η^k, the top 1/η continue. */
        reductionFactor: z.number().min(1.5).max(100).default(3),
      })
      .strict()
      .nullable()
      .default(null),
    concurrency: z.number().int().min(1).max(64).default(1),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(0),
  })
  .strict();

export type SweepSpecInput = z.input<typeof sweepSpecSchema>;
type ParsedShape = z.infer<typeof sweepSpecSchema>;
export type SweepParameter = z.infer<typeof sweepParameterSchema>;
export type RangeParameter = z.infer<typeof rangeParameter>;
export type EarlyStoppingSpec = NonNullable<ParsedShape['earlyStopping']>;

/** A validated spec: `trials` is resolved, `base` is a validated partial config. */
export interface SweepSpec extends Omit<ParsedShape, 'trials'> {
  trials: number;
}

export function isRange(parameter: SweepParameter): parameter is RangeParameter {
  return 'min' in parameter;
}

export function isTiedGroup(parameter: SweepParameter): parameter is { values: TiedValue[] } {
  return !isRange(parameter) && parameter.values.some((v) => v !== null && typeof v === 'object');
}

/** The stage a metric belongs to (`seconds` belongs to none). */
export function metricStage(metric: ObjectiveMetric): StageName | null {
  return metric === 'seconds' ? null : (metric.split('.')[0] as StageName);
}

/** The metric field name inside a stage (`knnAccuracy`, `testAccuracy`, `loss`…). */
export function metricField(metric: ObjectiveMetric): string {
  return metric === 'seconds' ? 'seconds' : metric.split('.')[1];
}

/** Loss and time go down, accuracies go up. */
export function metricGoal(metric: ObjectiveMetric): 'maximize' | 'minimize' {
  return metric === 'pretrain.loss' || metric === 'seconds' ? 'minimize' : 'maximize';
}

export function gridSize(parameters: Record<string, SweepParameter>): number {
  return Object.values(parameters).reduce((n, p) => n * (p.values?.length ?? 0), 1);
}

/** What the RunConfig schema says about `value` at `path` on top of `base` (only that field's issues). */
function fieldIssue(base: Record<string, unknown>, path: ConfigFieldPath, value: unknown): string | null {
  const input = structuredClone(base);
  setAtPath(input, path, value);
  const parsed = safeParseRunConfig(input);
  return parsed.ok ? null : (parsed.issues.find((i) => i.path === path)?.message ?? null);
}

function describe(value: unknown): string {
  return JSON.stringify(value);
}

/** Checks one parameter against the RunConfig schema; returns issues named `parameters.<key>…`. */
function parameterIssues(key: string, parameter: SweepParameter, base: Record<string, unknown>, method: string): ConfigIssue[] {
  const at = `parameters.${key}`;
  const issues: ConfigIssue[] = [];
  if (isRange(parameter)) {
    if (!isConfigFieldPath(key))
      return [{ path: at, message: 'unknown field (parameter keys are RunConfig paths such as pretrain.temperature)' }];
    const { min, max, scale, type } = parameter;
    if (!(min < max)) issues.push({ path: at, message: `min (${min}) must be below max (${max})` });
    if (scale === 'log' && min <= 0) issues.push({ path: at, message: `a log-scale range needs min > 0 (got ${min})` });
    if (type === 'int' && (!Number.isInteger(min) || !Number.isInteger(max)))
      issues.push({ path: at, message: 'an int range needs integer min and max' });
    for (const [label, value] of [
      ['min', min],
      ['max', max],
    ] as const) {
      const problem = fieldIssue(base, key, value);
      if (problem) issues.push({ path: at, message: `${label} ${value} is outside the field's bounds: ${problem}` });
    }
    if (type === 'float' && !issues.length) {
      // A float range over an integer field would propose values the engine refuses.
      const inside = min + (max - min) * 0.371;
      if (!Number.isInteger(inside) && fieldIssue(base, key, inside))
        issues.push({ path: at, message: 'the field takes whole numbers: use "type": "int"' });
    }
    for (const [i, value] of (parameter.values ?? []).entries()) {
      const problem = fieldIssue(base, key, value);
      if (problem) issues.push({ path: `${at}.values.${i}`, message: `${value}: ${problem}` });
      else if (value < min || value > max) issues.push({ path: `${at}.values.${i}`, message: `${value} lies outside [${min}, ${max}]` });
    }
    if (method === 'grid' && !parameter.values)
      issues.push({ path: at, message: 'grid needs "values" for a range (or use random, quasi-random or tpe)' });
    return issues;
  }
  const values = parameter.values;
  const objects = values.filter((v) => v !== null && typeof v === 'object').length;
  if (objects > 0 && objects < values.length)
    return [{ path: at, message: 'values must be all plain values or all objects (a tied group), not a mix' }];
  if (objects === 0) {
    if (!isConfigFieldPath(key))
      return [{ path: at, message: 'unknown field (parameter keys are RunConfig paths such as pretrain.temperature)' }];
    for (const [i, value] of values.entries()) {
      const problem = fieldIssue(base, key, value);
      if (problem) issues.push({ path: `${at}.values.${i}`, message: `${describe(value)}: ${problem}` });
    }
    return issues;
  }
  for (const [i, group] of (values as TiedValue[]).entries()) {
    if (Object.keys(group).length === 0) issues.push({ path: `${at}.values.${i}`, message: 'a tied group sets at least one field' });
    for (const [path, value] of Object.entries(group)) {
      if (!isConfigFieldPath(path)) {
        issues.push({ path: `${at}.values.${i}.${path}`, message: 'unknown field' });
        continue;
      }
      const problem = fieldIssue(base, path, value);
      if (problem) issues.push({ path: `${at}.values.${i}.${path}`, message: `${describe(value)}: ${problem}` });
    }
  }
  return issues;
}

/** The RunConfig paths a parameter sets. */
export function parameterPaths(key: string, parameter: SweepParameter): string[] {
  if (!isTiedGroup(parameter)) return [key];
  return [...new Set(parameter.values.flatMap((group) => Object.keys(group)))];
}

/**
 * Validates a sweep spec. Throws a ConfigError whose issues name each bad field:
 * `parameters.<path>` for parameters, `base.<path>` for the base config, top-level names otherwise.
 */
export function parseSweepSpec(input: unknown): SweepSpec {
  const shaped = sweepSpecSchema.safeParse(input ?? {});
  if (!shaped.success) throw new ConfigError(zodIssuesToConfigIssues(shaped.error));
  const spec = shaped.data;
  const issues: ConfigIssue[] = [];

  const parsedBase = safeParseRunConfig(spec.base);
  const baseConfig: RunConfig | null = parsedBase.ok ? parsedBase.config : null;
  if (!parsedBase.ok) issues.push(...parsedBase.issues.map((i) => ({ path: i.path ? `base.${i.path}` : 'base', message: i.message })));

  const keys = Object.keys(spec.parameters);
  if (keys.length === 0) issues.push({ path: 'parameters', message: 'a sweep needs at least one parameter' });
  const owner = new Map<string, string>();
  for (const key of keys) {
    const parameter = spec.parameters[key];
    issues.push(...parameterIssues(key, parameter, spec.base, spec.method));
    for (const path of parameterPaths(key, parameter)) {
      const first = owner.get(path);
      if (first !== undefined) issues.push({ path: `parameters.${key}`, message: `sets ${path}, which parameters.${first} also sets` });
      else owner.set(path, key);
    }
  }

  let trials = spec.trials;
  if (spec.method === 'grid') {
    const size = gridSize(spec.parameters);
    if (trials !== undefined && trials > size)
      issues.push({ path: 'trials', message: `the grid has ${size} points; ask for at most ${size} trials (or omit trials)` });
    trials = Math.min(trials ?? size, size);
  } else if (trials === undefined) {
    issues.push({ path: 'trials', message: `required for method ${spec.method}` });
  }

  // The stages the objective and early stopping watch must run in some trial.
  const touched = new Set(keys.flatMap((k) => parameterPaths(k, spec.parameters[k])));
  const stageRuns = (stage: StageName | null): boolean => {
    if (!stage || !baseConfig) return true;
    const flag: ConfigFieldPath[] = stage === 'baseline' ? ['finetune.enabled', 'finetune.baseline'] : [`${stage}.enabled`];
    return flag.every((path) => touched.has(path) || configValue(baseConfig, path) === true);
  };
  if (!stageRuns(metricStage(spec.objective.metric)))
    issues.push({ path: 'objective.metric', message: `the ${metricStage(spec.objective.metric)} stage is disabled in base` });
  if (spec.earlyStopping && !stageRuns(metricStage(spec.earlyStopping.metric))) {
    issues.push({ path: 'earlyStopping.metric', message: `the ${metricStage(spec.earlyStopping.metric)} stage is disabled in base` });
  }

  if (issues.length) throw new ConfigError(issues);
  return { ...spec, trials: trials! };
}

export function safeParseSweepSpec(input: unknown): { ok: true; spec: SweepSpec } | { ok: false; issues: ConfigIssue[] } {
  const result = catchConfigIssues(() => parseSweepSpec(input));
  return result.ok ? { ok: true, spec: result.value } : result;
}

/** The RunConfig of one trial: base, then the trial's `{path: value}` params. Throws ConfigError. */
export function trialConfig(spec: Pick<SweepSpec, 'base'>, params: Record<string, ParamValue>): RunConfig {
  const input = structuredClone(spec.base);
  for (const [path, value] of Object.entries(params)) {
    // Param keys come from JSON (a spec, a resumed sweep.json): checked again here, not trusted.
    if (!isConfigFieldPath(path)) throw new ConfigError([{ path, message: 'unknown field' }]);
    setAtPath(input, path, value);
  }
  return parseRunConfig(input);
}
