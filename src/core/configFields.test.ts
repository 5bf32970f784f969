import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  catchConfigIssues,
  type ConfigField,
  type ConfigFieldPath,
  configField,
  configFieldPaths,
  configFields,
  defaultRunConfig,
  flattenConfig,
  isConfigFieldPath,
  isNumericField,
  parseFieldValue,
  safeParseRunConfig,
  setAtPath,
  zodIssuesToConfigIssues,
} from './config';
import { describeFields, fieldMetaRegistry, formatBounds } from './configFields';

/** Whether the RunConfig schema accepts `value` at `path` on top of the defaults. */
function accepts(path: ConfigFieldPath, value: unknown): boolean {
  // The deepest head, so the cross-field rule fromProjectionLayer ≤ projectionLayers never bites:
  // only the field's own bounds are under test.
  const input = structuredClone({ ...defaultRunConfig, model: { ...defaultRunConfig.model, projectionLayers: 8 } }) as unknown as Record<
    string,
    unknown
  >;
  setAtPath(input, path, value);
  const result = safeParseRunConfig(input);
  return result.ok || !result.issues.some((issue) => issue.path === path);
}

describe('the RunConfig field table', () => {
  it('covers every leaf of defaultRunConfig, in schema order, with its default', () => {
    const flat = flattenConfig(defaultRunConfig);
    expect(configFields.map((f) => f.path)).toEqual(Object.keys(flat));
    for (const field of configFields) expect(field.default, field.path).toEqual(flat[field.path]);
  });

  it('gives every field a label and help text', () => {
    const missing = configFields.filter((f) => !f.label.trim() || f.help.trim().length < 10).map((f) => f.path);
    expect(missing).toEqual([]);
  });

  it('reads bounds from the schema, exclusive ones included', () => {
    expect(pick(configField('pretrain.temperature'))).toEqual({
      kind: 'number',
      min: 0,
      minExclusive: true,
      max: 100,
      maxExclusive: false,
    });
    expect(pick(configField('distill.temperature'))).toEqual({ kind: 'number', min: 0, minExclusive: true, max: 100, maxExclusive: false });
    expect(pick(configField('model.widthMultiplier'))).toEqual({ kind: 'number', min: 0, minExclusive: true, max: 4, maxExclusive: false });
    expect(pick(configField('dataset.imageSize'))).toEqual({ kind: 'integer', min: 8, minExclusive: false, max: 512, maxExclusive: false });
    expect(configField('dataset.trainSize')).toMatchObject({ kind: 'integer', nullable: true, min: 0, minExclusive: true, max: null });
    expect(configField('model.depth')).toMatchObject({ kind: 'choice', options: [18, 34, 50, 101, 152] });
    expect(configField('dataset.name').options).toContain('imagenet');
    expect(configField('pretrain.init')).toMatchObject({ kind: 'string', nullable: true });
    expect(formatBounds(configField('pretrain.temperature'))).toBe('(0, 100]');
  });

  it('agrees with parsing at and just past every bound, and on integer-ness and choices', () => {
    for (const field of configFields) {
      const { path } = field;
      if (field.min !== null) {
        expect(accepts(path, field.min), `${path} at min`).toBe(!field.minExclusive);
        expect(accepts(path, field.min - 1e-6), `${path} below min`).toBe(false);
      }
      if (field.max !== null) {
        expect(accepts(path, field.max), `${path} at max`).toBe(!field.maxExclusive);
        expect(accepts(path, field.max + 1e-6), `${path} above max`).toBe(false);
      }
      if (field.kind === 'integer') expect(accepts(path, Math.max(field.min ?? 0, 0) + 1.5), `${path} fraction`).toBe(false);
      if (field.kind === 'number') expect(accepts(path, field.default), `${path} default`).toBe(true);
      if (field.kind === 'choice') {
        for (const option of field.options ?? []) expect(accepts(path, option), `${path}=${option}`).toBe(true);
        expect(accepts(path, 'not-an-option'), `${path} other`).toBe(false);
      }
      expect(accepts(path, null), `${path} null`).toBe(field.nullable);
    }
  });

  it('types field paths from RunConfig and checks strings from outside at run time', () => {
    expectTypeOf<'pretrain.temperature'>().toMatchTypeOf<ConfigFieldPath>();
    expectTypeOf<'seed'>().toMatchTypeOf<ConfigFieldPath>();
    expectTypeOf<'pretrain'>().not.toMatchTypeOf<ConfigFieldPath>();
    expectTypeOf<'pretrain.temprature'>().not.toMatchTypeOf<ConfigFieldPath>();
    expect(configFieldPaths).toContain('distill.momentum');
    expect(isConfigFieldPath('pretrain.temperature')).toBe(true);
    expect(isConfigFieldPath('pretrain')).toBe(false);
    expect(isConfigFieldPath('pretrain.temprature')).toBe(false);
  });

  it('parses override text by the field kind from the table', () => {
    expect(isNumericField('dataset.trainSize')).toBe(true);
    expect(isNumericField('dataset.name')).toBe(false);
    expect(parseFieldValue('dataset.trainSize', '500')).toEqual({ ok: true, path: 'dataset.trainSize', value: 500 });
    expect(parseFieldValue('dataset.trainSize', 'null')).toEqual({ ok: true, path: 'dataset.trainSize', value: null });
    expect(parseFieldValue('dataset.testSize', 'many')).toMatchObject({ ok: false, issue: { path: 'dataset.testSize' } });
    expect(parseFieldValue('model.depth', '50')).toEqual({ ok: true, path: 'model.depth', value: 50 });
    expect(parseFieldValue('pretrain.linearProbe', 'false')).toEqual({ ok: true, path: 'pretrain.linearProbe', value: false });
    expect(parseFieldValue('pretrain.optimizer', 'adamw')).toEqual({ ok: true, path: 'pretrain.optimizer', value: 'adamw' });
    expect(parseFieldValue('pretrain.nope', '1')).toEqual({ ok: false, issue: { path: 'pretrain.nope', message: 'unknown field' } });
  });
});

describe('describeFields', () => {
  const about = { label: 'X', help: 'What x does.' };

  it('refuses a leaf without a label or help text', () => {
    const registry = z.registry<{ label: string; help: string }>();
    const unlabelled = z.object({ a: z.number().default(1).register(registry, about), b: z.boolean().default(true) });
    expect(() => describeFields(unlabelled, registry)).toThrow('b: no label in the field metadata');
    const helpless = z.object({ a: z.number().default(1).register(registry, { label: 'A', help: ' ' }) });
    expect(() => describeFields(helpless, registry)).toThrow('a: no help text in the field metadata');
  });

  it('keeps the tightest of several bounds and reads nested objects, nullables and literal unions', () => {
    const schema = z.object({
      n: z.number().min(0).gt(0).max(10).lt(5).default(1).register(fieldMetaRegistry, about),
      inner: z
        .object({
          k: z
            .number()
            .int()
            .nullable()
            .default(null)
            .register(fieldMetaRegistry, { ...about, emptyMeans: 'none' }),
          c: z
            .union([z.literal('a'), z.literal(2)])
            .default(2)
            .register(fieldMetaRegistry, about),
        })
        .prefault({}),
    });
    const [n, k, c] = describeFields(schema);
    expect(pick(n)).toEqual({ kind: 'number', min: 0, minExclusive: true, max: 5, maxExclusive: true });
    expect(k).toMatchObject({ path: 'inner.k', kind: 'integer', nullable: true, default: null, step: 1, emptyMeans: 'none' });
    expect(c).toMatchObject({ path: 'inner.c', kind: 'choice', options: ['a', 2], default: 2 });
  });

  it('refuses a number check it cannot show rather than dropping it', () => {
    const schema = z.object({ n: z.number().multipleOf(3).default(3).register(fieldMetaRegistry, about) });
    expect(() => describeFields(schema)).toThrow(/multiple_of/);
  });
});

describe('config issues', () => {
  it('name each unknown key and put a prefix before every path', () => {
    const error = z.object({ a: z.object({ b: z.number() }).strict() }).safeParse({ a: { b: 'x', c: 1, d: 2 } }).error;
    if (!error) throw new Error('the input should have been refused');
    const paths = zodIssuesToConfigIssues(error, 'base').map((issue) => issue.path);
    expect(paths.sort()).toEqual(['base.a.b', 'base.a.c', 'base.a.d']);
  });

  it('catch a ConfigError as issues but let any other error through', () => {
    const issue = { path: 'seed', message: 'bad' };
    expect(catchConfigIssues(() => 3)).toEqual({ ok: true, value: 3 });
    expect(
      catchConfigIssues(() => {
        throw new ConfigError([issue]);
      }),
    ).toEqual({ ok: false, issues: [issue] });
    expect(() =>
      catchConfigIssues(() => {
        throw new TypeError('a bug');
      }),
    ).toThrow(TypeError);
  });

  it('give fine-tuning and distillation their own rows of the shared training fields', () => {
    expect(configField('finetune.batchSize')).toMatchObject({ default: 64, min: 1, help: 'Labelled images per fine-tuning step.' });
    expect(configField('distill.batchSize')).toMatchObject({ default: 128, min: 1, help: 'Unlabelled images per distillation step.' });
    expect(configField('finetune.epochs').help).toContain('labelled images');
    expect(configField('distill.epochs').help).toContain('training images');
  });
});

function pick(field: ConfigField | ReturnType<typeof describeFields>[number]) {
  return { kind: field.kind, min: field.min, minExclusive: field.minExclusive, max: field.max, maxExclusive: field.maxExclusive };
}
