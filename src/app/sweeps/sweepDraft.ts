import type { ConfigIssue, RunConfig } from '../../core';
import {
  type EarlyStoppingSpec,
  type ObjectiveMetric,
  type SweepSpec,
  type StageMetric,
  safeParseSweepSpec,
  type sweepMethods,
} from '../../sweep/spec';

/**
 * The Sweeps tab's form as plain data, and its translation into a sweep spec. Everything the user
 * types stays text here (a half-typed "0." must not be rejected while typing); `buildSpecInput`
 * parses it, and `validateDraft` runs the result through the one sweep schema (src/sweep/spec.ts),
 * then files each issue under the form field it names, so errors show next to their field.
 */

export type SweepMethod = (typeof sweepMethods)[number];

export interface ParameterMark {
  /** RunConfig path, e.g. `pretrain.temperature`. */
  path: string;
  /** Choice fields only offer `values`; numeric fields offer both. */
  kind: 'numeric' | 'choice';
  mode: 'values' | 'range';
  /** Comma list as typed. */
  valuesText: string;
  min: string;
  max: string;
  scale: 'linear' | 'log';
  int: boolean;
  /** Points a grid takes from a range (evenly spaced, in log space on a log scale). */
  gridPoints: number;
}

export interface SweepDraft {
  name: string;
  marks: ParameterMark[];
  method: SweepMethod;
  /** Empty: the grid's size (grid only). */
  trials: string;
  objective: ObjectiveMetric;
  goal: 'maximize' | 'minimize';
  earlyStopping: 'off' | EarlyStoppingSpec['type'];
  earlyStoppingMetric: StageMetric;
  minEpochs: string;
  reductionFactor: string;
  seed: string;
  /** Trials trained at once (wasm/cpu only; a GPU backend trains one at a time). */
  concurrency: string;
}

export const emptyDraft: SweepDraft = {
  name: 'sweep',
  marks: [],
  method: 'grid',
  trials: '',
  objective: 'finetune.testAccuracy',
  goal: 'maximize',
  earlyStopping: 'off',
  earlyStoppingMetric: 'pretrain.knnAccuracy',
  minEpochs: '1',
  reductionFactor: '3',
  seed: '0',
  concurrency: '1',
};

/** Rounds to 3 significant digits so default lists read like something a person typed. */
function tidy(value: number): number {
  return value === 0 ? 0 : Number(value.toPrecision(3));
}

/**
 * What a freshly marked field sweeps: every option of a choice field; for a number v, the list
 * v/2, v, 2v (whole numbers for integer fields) and the range [v/10, 10v] when switched to a range.
 */
export function defaultMark(
  path: string,
  value: unknown,
  options: readonly (string | number)[] | undefined,
  integer: boolean,
): ParameterMark {
  const base: ParameterMark = {
    path,
    kind: 'numeric',
    mode: 'values',
    valuesText: '',
    min: '',
    max: '',
    scale: 'linear',
    int: integer,
    gridPoints: 3,
  };
  if (options) return { ...base, kind: 'choice', valuesText: options.map(String).join(', ') };
  const v = typeof value === 'number' && Number.isFinite(value) ? value : 0;
  if (v === 0) return { ...base, valuesText: '0', min: '0', max: '1' };
  const round = (x: number) => (integer ? Math.max(1, Math.round(x)) : tidy(x));
  const values = [...new Set([round(v / 2), round(v), round(v * 2)])];
  const positive = v > 0;
  return {
    ...base,
    valuesText: values.join(', '),
    min: String(round(positive ? v / 10 : v * 10)),
    max: String(round(positive ? v * 10 : v / 10)),
    scale: positive ? 'log' : 'linear',
  };
}

type Scalar = string | number | boolean | null;

/**
 * A comma list as the field's values: numbers for numeric fields and numeric choices, true/false
 * for booleans, text otherwise. Returns one issue per entry that is not a number where one is needed.
 */
export function parseValueList(text: string, kind: 'numeric' | 'choice', numericChoices: boolean): { values: Scalar[]; issues: string[] } {
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const issues: string[] = [];
  const values: Scalar[] = [];
  for (const entry of entries) {
    if (entry === 'null') values.push(null);
    else if (kind === 'numeric' || numericChoices) {
      const n = Number(entry);
      if (Number.isFinite(n)) values.push(n);
      else issues.push(`"${entry}" is not a number`);
    } else if (entry === 'true' || entry === 'false') values.push(entry === 'true');
    else values.push(entry);
  }
  if (entries.length === 0) issues.push('list at least one value (comma-separated)');
  return { values, issues };
}

/** `count` points from min to max inclusive, evenly spaced (geometrically on a log scale), rounded for int ranges. */
export function gridValues(min: number, max: number, count: number, log: boolean, int: boolean): number[] {
  const n = Math.max(2, Math.floor(count));
  const points = Array.from({ length: n }, (_, i) => {
    const t = i / (n - 1);
    const x = log && min > 0 && max > 0 ? Math.exp(Math.log(min) + t * (Math.log(max) - Math.log(min))) : min + t * (max - min);
    return int ? Math.round(x) : tidy(x);
  });
  return [...new Set(points)];
}

function parseNumber(text: string, what: string, issues: ConfigIssue[], path: string): number | null {
  if (text.trim() === '') {
    issues.push({ path, message: `${what} is empty` });
    return null;
  }
  const n = Number(text);
  if (!Number.isFinite(n)) {
    issues.push({ path, message: `${what} "${text}" is not a number` });
    return null;
  }
  return n;
}

/**
 * The spec input (for parseSweepSpec) the form describes, on top of `config` (the current settings
 * are the base every trial starts from). `issues` are the entries that could not even be parsed;
 * they carry the same paths the schema's issues use (`parameters.<path>`, `trials`…).
 */
export function buildSpecInput(
  draft: SweepDraft,
  config: RunConfig,
  numericChoice: (path: string) => boolean = () => false,
): { input: Record<string, unknown>; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const parameters: Record<string, unknown> = {};
  for (const mark of draft.marks) {
    const at = `parameters.${mark.path}`;
    if (mark.mode === 'values' || mark.kind === 'choice') {
      const parsed = parseValueList(mark.valuesText, mark.kind, numericChoice(mark.path));
      for (const message of parsed.issues) issues.push({ path: at, message });
      parameters[mark.path] = { values: parsed.values };
      continue;
    }
    const min = parseNumber(mark.min, 'min', issues, at);
    const max = parseNumber(mark.max, 'max', issues, at);
    if (min === null || max === null) continue;
    const range: Record<string, unknown> = { min, max, scale: mark.scale, type: mark.int ? 'int' : 'float' };
    // A grid needs points on a range: take `gridPoints` of them rather than refusing the range.
    if (draft.method === 'grid' && min < max && !(mark.scale === 'log' && min <= 0))
      range.values = gridValues(min, max, mark.gridPoints, mark.scale === 'log', mark.int);
    parameters[mark.path] = range;
  }
  const input: Record<string, unknown> = {
    name: draft.name.trim() || 'sweep',
    base: structuredClone(config),
    parameters,
    method: draft.method,
    objective: { metric: draft.objective, goal: draft.goal },
  };
  const concurrency = parseNumber(draft.concurrency, 'trials at once', issues, 'concurrency');
  if (concurrency !== null) input.concurrency = concurrency;
  if (draft.trials.trim() !== '') {
    const trials = parseNumber(draft.trials, 'trials', issues, 'trials');
    if (trials !== null) input.trials = trials;
  }
  const seed = parseNumber(draft.seed, 'seed', issues, 'seed');
  if (seed !== null) input.seed = seed;
  if (draft.earlyStopping !== 'off') {
    const minEpochs = parseNumber(draft.minEpochs, 'first rung (epochs)', issues, 'earlyStopping.minEpochs');
    const reductionFactor = parseNumber(draft.reductionFactor, 'η', issues, 'earlyStopping.reductionFactor');
    input.earlyStopping = {
      type: draft.earlyStopping,
      metric: draft.earlyStoppingMetric,
      ...(minEpochs !== null ? { minEpochs } : {}),
      ...(reductionFactor !== null ? { reductionFactor } : {}),
    };
  }
  return { input, issues };
}

/** The form field an issue path belongs to: `param:<path>` for parameters, else a top-level field id. */
export function issueTarget(path: string, marks: ParameterMark[]): string {
  if (path.startsWith('parameters.')) {
    // Paths contain dots, so match the longest marked path the issue starts with.
    const rest = path.slice('parameters.'.length);
    const owner = marks
      .map((m) => m.path)
      .filter((p) => rest === p || rest.startsWith(`${p}.`))
      .sort((a, b) => b.length - a.length)[0];
    return owner ? `param:${owner}` : 'parameters';
  }
  const head = path.split('.')[0];
  if (['parameters', 'trials', 'method', 'seed', 'name', 'objective', 'earlyStopping', 'concurrency'].includes(head)) return head;
  return 'general';
}

export type DraftCheck =
  | { ok: true; spec: SweepSpec; errors: Record<string, string[]> }
  | { ok: false; spec: null; errors: Record<string, string[]> };

/** Parses the form and validates the spec; errors are grouped by the form field they name. */
export function validateDraft(draft: SweepDraft, config: RunConfig, numericChoice?: (path: string) => boolean): DraftCheck {
  const built = buildSpecInput(draft, config, numericChoice);
  const errors: Record<string, string[]> = {};
  const file = (issue: ConfigIssue) => {
    const target = issueTarget(issue.path, draft.marks);
    // Keep the part of the path below the field (`values.1`, `metric`) so the message stays precise.
    const within = target.startsWith('param:') ? issue.path.slice(`parameters.${target.slice(6)}`.length + 1) : '';
    (errors[target] ??= []).push(within ? `${within}: ${issue.message}` : issue.message);
  };
  built.issues.forEach(file);
  if (built.issues.length) return { ok: false, spec: null, errors };
  const parsed = safeParseSweepSpec(built.input);
  if (!parsed.ok) {
    parsed.issues.forEach(file);
    return { ok: false, spec: null, errors };
  }
  return { ok: true, spec: parsed.spec, errors };
}

/** A sweep's spec back into the form (Re-run from a link, editing a stored sweep). Tied groups cannot be shown and are dropped. */
export function draftOfSpec(spec: SweepSpec, numericPaths: (path: string) => boolean): SweepDraft {
  const marks: ParameterMark[] = [];
  for (const [path, p] of Object.entries(spec.parameters)) {
    if ('min' in p) {
      marks.push({
        path,
        kind: 'numeric',
        mode: 'range',
        valuesText: (p.values ?? []).join(', '),
        min: String(p.min),
        max: String(p.max),
        scale: p.scale,
        int: p.type === 'int',
        gridPoints: p.values?.length ?? 3,
      });
    } else if (!p.values.some((v) => v !== null && typeof v === 'object')) {
      marks.push({
        path,
        kind: numericPaths(path) ? 'numeric' : 'choice',
        mode: 'values',
        valuesText: p.values.map(String).join(', '),
        min: '',
        max: '',
        scale: 'linear',
        int: false,
        gridPoints: 3,
      });
    }
  }
  return {
    name: spec.name,
    marks,
    method: spec.method,
    trials: String(spec.trials),
    objective: spec.objective.metric,
    goal: spec.objective.goal,
    earlyStopping: spec.earlyStopping?.type ?? 'off',
    earlyStoppingMetric: spec.earlyStopping?.metric ?? 'pretrain.knnAccuracy',
    minEpochs: String(spec.earlyStopping?.minEpochs ?? 1),
    reductionFactor: String(spec.earlyStopping?.reductionFactor ?? 3),
    seed: String(spec.seed),
    concurrency: String(spec.concurrency),
  };
}
