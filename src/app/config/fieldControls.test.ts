import { describe, expect, it } from 'vitest';
import { configField, configFieldPaths } from '../../core';
import { fieldControl, fieldLabel } from './fieldControls';

describe('the UI controls come from the field table', () => {
  it('offers the schema’s bounds (temperature > 0 and ≤ 100, widths ≤ 4)', () => {
    expect(fieldControl('pretrain.temperature')).toMatchObject({ control: 'number', min: 0, max: 100, step: 0.05 });
    expect(fieldControl('distill.temperature')).toMatchObject({ min: 0, max: 100 });
    expect(fieldControl('model.widthMultiplier')).toMatchObject({ min: 0, max: 4 });
    expect(fieldControl('distill.studentWidthMultiplier')).toMatchObject({ min: 0, max: 4 });
    // An exclusive integer bound becomes the next whole number, which is the same set of values.
    expect(fieldControl('dataset.trainSize')).toMatchObject({ min: 1, max: undefined, step: 1, placeholder: 'all' });
    expect(fieldControl('seed')).toMatchObject({ min: 0, max: 2 ** 31 - 1, step: 1 });
    expect(fieldControl('pretrain.learningRate')).toMatchObject({ min: 0, max: undefined });
  });

  it('matches the table for every numeric field', () => {
    for (const path of configFieldPaths) {
      const field = configField(path);
      const control = fieldControl(path);
      if (field.kind === 'number') {
        expect(control.min, path).toBe(field.min ?? undefined);
        expect(control.max, path).toBe(field.max ?? undefined);
        expect(control.step, path).toBe(field.step ?? 'any');
      }
      if (field.kind === 'integer') {
        expect(control.min, path).toBe(field.min === null ? undefined : field.min + (field.minExclusive ? 1 : 0));
        expect(control.max, path).toBe(field.max === null ? undefined : field.max - (field.maxExclusive ? 1 : 0));
        expect(control.step, path).toBe(field.step ?? 1);
      }
    }
  });

  it('picks the control by kind and lists the choices the browser can run', () => {
    const controls = Object.fromEntries(configFieldPaths.map((path) => [path, fieldControl(path).control]));
    expect(controls['pretrain.enabled']).toBe('checkbox');
    expect(controls['model.depth']).toBe('select');
    expect(controls['pretrain.optimizer']).toBe('select');
    expect(controls['finetune.fromProjectionLayer']).toBe('number');
    expect(controls['pretrain.init']).toBe('text');
    expect(fieldControl('model.depth').options).toEqual([18, 34, 50, 101, 152]);
    expect(fieldControl('pretrain.optimizer').options).toEqual(['lars', 'sgd', 'adam', 'adamw']);
    expect(fieldControl('dataset.name').options).toEqual(['cifar10', 'mnist', 'shapes', 'folder']);
  });

  it('keeps the labels the e2e specs find controls by', () => {
    expect(fieldLabel('pretrain.colorJitterStrength')).toBe('Colour-jitter strength');
    expect(fieldLabel('pretrain.cropMinArea')).toBe('Crop min area');
  });
});
