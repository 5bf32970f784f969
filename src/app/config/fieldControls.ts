import { type ConfigField, type ConfigFieldPath, configField } from '../../core';

/**
 * How a config field is offered in the browser, derived from the field table (src/core/config.ts →
 * configFields): the control type, its choices and the HTML bounds. Kept free of React so tests can
 * compare it with the schema, and so other views (the sweep view) can build on the same shape.
 */
export interface FieldControl {
  field: ConfigField;
  control: 'checkbox' | 'select' | 'number' | 'text';
  /** Choices the browser can run (server-only ones such as ImageNet left out). */
  options: readonly (string | number)[];
  /** HTML `min`/`max`: the schema's bounds; an exclusive bound is the bound itself (the schema's
   * message then explains a value on it), except for integers, where it is the next whole number. */
  min: number | undefined;
  max: number | undefined;
  step: number | 'any';
  /** Shown in an empty box of a nullable field (e.g. "all"). */
  placeholder: string | undefined;
}

export function fieldControl(path: ConfigFieldPath): FieldControl {
  const field = configField(path);
  const integer = field.kind === 'integer';
  const min = field.min === null ? undefined : integer && field.minExclusive ? Math.floor(field.min) + 1 : field.min;
  const max = field.max === null ? undefined : integer && field.maxExclusive ? Math.ceil(field.max) - 1 : field.max;
  return {
    field,
    control: controlOf(field),
    options: (field.options ?? []).filter((option) => !field.notInBrowser.includes(option)),
    min,
    max,
    step: field.step ?? 'any',
    placeholder: field.emptyMeans ?? undefined,
  };
}

function controlOf(field: ConfigField): FieldControl['control'] {
  switch (field.kind) {
    case 'boolean':
      return 'checkbox';
    case 'choice':
      return 'select';
    case 'number':
    case 'integer':
      return 'number';
    case 'string':
      return 'text';
  }
}

/** The label of a field (the accessible name of its control). */
export function fieldLabel(path: ConfigFieldPath): string {
  return configField(path).label;
}
