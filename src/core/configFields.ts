import { z } from 'zod';

/**
 * Field-level description of a zod object schema: the one place that turns the schema's checks,
 * enums and defaults, plus the presentation metadata attached to each field, into a flat table of
 * leaf fields. The UI, the CLI's --help and the sweep view read bounds and options from this table,
 * so they can no longer drift from what the schema accepts.
 *
 * This module knows nothing about RunConfig (config.ts builds its table with it), which keeps the
 * import one-way: config.ts → configFields.ts.
 */

/** How a field is presented; attached to the schema with `.register(fieldMetaRegistry, {...})`. */
export interface FieldMeta {
  /** Short name for a form label (the UI's accessible name, so e2e specs rely on some of them). */
  label: string;
  /** One or two sentences: what the field does and what the paper/official code uses. */
  help: string;
  /** Unit of the value, when it has one (px, epochs, images). */
  unit?: string;
  /** How values are best spaced when sweeping or sliding: log for rates, temperatures, decays. */
  scale?: 'linear' | 'log';
  /** Spinner step for number inputs; integers step by 1 when unset. */
  step?: number;
  /** For nullable fields: what null (an empty box) means, e.g. "all". */
  emptyMeans?: string;
  /** Choices that only a Node host can run (e.g. ImageNet): the browser UI leaves them out. */
  notInBrowser?: readonly (string | number)[];
}

/** Typed registry: metadata lives on the schema objects themselves, not in a parallel table. */
export const fieldMetaRegistry = z.registry<FieldMeta>();

export type FieldKind = 'number' | 'integer' | 'boolean' | 'choice' | 'string';
export type FieldValue = string | number | boolean | null;

export interface FieldSpec<P extends string = string> {
  path: P;
  kind: FieldKind;
  /** Whether null is accepted (an empty box in the UI, `null` on the command line). */
  nullable: boolean;
  /** Choices of a `choice` field, in schema order; null for other kinds. */
  options: readonly (string | number)[] | null;
  /** Lower bound from the schema's checks (null = unbounded); exclusive when `minExclusive`. */
  min: number | null;
  minExclusive: boolean;
  max: number | null;
  maxExclusive: boolean;
  /** Spinner step: the metadata's, else 1 for integers, else null (any). */
  step: number | null;
  default: FieldValue;
  label: string;
  help: string;
  unit: string | null;
  scale: 'linear' | 'log';
  emptyMeans: string | null;
  notInBrowser: readonly (string | number)[];
}

interface Collected {
  meta: Partial<FieldMeta>;
  nullable: boolean;
  hasDefault: boolean;
  default: FieldValue;
}

/**
 * Lists every leaf field of an object schema in declaration order. Throws on a field whose meta lacks
 * a label or help text, or whose type the table cannot describe, so a new field cannot slip into the
 * UI unlabelled or with bounds the table silently dropped.
 */
export function describeFields<P extends string>(schema: z.core.$ZodType, registry = fieldMetaRegistry): FieldSpec<P>[] {
  const out: FieldSpec<P>[] = [];
  walk(schema, '', { meta: {}, nullable: false, hasDefault: false, default: null }, registry, (spec) => out.push(spec as FieldSpec<P>));
  return out;
}

function walk(
  node: z.core.$ZodType,
  path: string,
  collected: Collected,
  registry: typeof fieldMetaRegistry,
  emit: (spec: FieldSpec) => void,
): void {
  // Metadata registered on an outer wrapper (after .default()) wins over the inner schema's.
  const here = registry.get(node);
  const info: Collected = { ...collected, meta: { ...(here ?? {}), ...collected.meta } };
  const def = (node as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case 'object':
      for (const [key, child] of Object.entries(def.shape)) {
        walk(child, path ? `${path}.${key}` : key, { meta: {}, nullable: false, hasDefault: false, default: null }, registry, emit);
      }
      return;
    case 'default':
      walk(def.innerType, path, { ...info, hasDefault: true, default: def.defaultValue as FieldValue }, registry, emit);
      return;
    case 'prefault':
    case 'readonly':
      walk(def.innerType, path, info, registry, emit);
      return;
    case 'nullable':
    case 'optional':
      walk(def.innerType, path, { ...info, nullable: true }, registry, emit);
      return;
    case 'number':
      emit(leaf(path, info, numberKindAndBounds(def.checks ?? [])));
      return;
    case 'boolean':
      emit(leaf(path, info, { kind: 'boolean' }));
      return;
    case 'string':
      emit(leaf(path, info, { kind: 'string' }));
      return;
    case 'enum':
      emit(leaf(path, info, { kind: 'choice', options: Object.values(def.entries) }));
      return;
    case 'literal':
      emit(leaf(path, info, { kind: 'choice', options: literalValues(def.values, path) }));
      return;
    case 'union':
      emit(leaf(path, info, { kind: 'choice', options: def.options.flatMap((option) => unionLiteralValues(option, path)) }));
      return;
    default:
      throw new Error(`${path || '(root)'}: the field table cannot describe a ${def.type} schema`);
  }
}

interface Shape {
  kind: FieldKind;
  options?: readonly (string | number)[];
  min?: number | null;
  minExclusive?: boolean;
  max?: number | null;
  maxExclusive?: boolean;
}

function leaf(path: string, info: Collected, shape: Shape): FieldSpec {
  const { meta } = info;
  if (!meta.label?.trim()) throw new Error(`${path}: no label in the field metadata`);
  if (!meta.help?.trim()) throw new Error(`${path}: no help text in the field metadata`);
  const kind = shape.kind;
  return {
    path,
    kind,
    nullable: info.nullable,
    options: shape.options ?? null,
    min: shape.min ?? null,
    minExclusive: shape.minExclusive ?? false,
    max: shape.max ?? null,
    maxExclusive: shape.maxExclusive ?? false,
    step: meta.step ?? (kind === 'integer' ? 1 : null),
    default: info.hasDefault ? info.default : null,
    label: meta.label,
    help: meta.help,
    unit: meta.unit ?? null,
    scale: meta.scale ?? 'linear',
    emptyMeans: meta.emptyMeans ?? null,
    notInBrowser: meta.notInBrowser ?? [],
  };
}

/** Folds a number schema's checks into integer-ness and the tightest lower and upper bounds. */
function numberKindAndBounds(checks: readonly z.core.$ZodCheck<never>[]): Shape {
  const shape: Required<Omit<Shape, 'options'>> = { kind: 'number', min: null, minExclusive: false, max: null, maxExclusive: false };
  for (const check of checks) {
    const def = (check as unknown as z.core.$ZodChecks)._zod.def;
    switch (def.check) {
      case 'number_format':
        // int(), int32(), safeint(), uint32(): every integer format names itself so.
        if (def.format.includes('int')) shape.kind = 'integer';
        break;
      case 'greater_than': {
        const value = Number(def.value);
        if (shape.min === null || value > shape.min || (value === shape.min && !def.inclusive)) {
          shape.min = value;
          shape.minExclusive = !def.inclusive;
        }
        break;
      }
      case 'less_than': {
        const value = Number(def.value);
        if (shape.max === null || value < shape.max || (value === shape.max && !def.inclusive)) {
          shape.max = value;
          shape.maxExclusive = !def.inclusive;
        }
        break;
      }
      default:
        // multipleOf and friends would constrain the value in a way the table cannot show yet.
        throw new Error(`a number check the field table does not know: ${def.check}`);
    }
  }
  return shape;
}

function literalValues(values: readonly unknown[], path: string): (string | number)[] {
  return values.map((value) => {
    if (typeof value === 'string' || typeof value === 'number') return value;
    throw new Error(`${path}: only string and number literals can be choices`);
  });
}

function unionLiteralValues(option: z.core.$ZodType, path: string): (string | number)[] {
  const def = (option as z.core.$ZodTypes)._zod.def;
  if (def.type === 'literal') return literalValues(def.values, path);
  if (def.type === 'enum') return Object.values(def.entries);
  throw new Error(`${path}: a union field must be a union of literals (got a ${def.type} option)`);
}

/** The bounds as interval text, e.g. `(0, 100]`, `[1, ∞)`; empty when unbounded both ways. */
export function formatBounds(field: Pick<FieldSpec, 'min' | 'max' | 'minExclusive' | 'maxExclusive'>): string {
  if (field.min === null && field.max === null) return '';
  const low = field.min === null ? '(-∞' : `${field.minExclusive ? '(' : '['}${field.min}`;
  const high = field.max === null ? '∞)' : `${field.max}${field.maxExclusive ? ')' : ']'}`;
  return `${low}, ${high}`;
}
