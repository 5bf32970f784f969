import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSweepSpec } from '../sweep/spec';

const examples = resolve(__dirname, '../../examples');
const sweepExamples = readdirSync(examples).filter((name) => name.startsWith('sweep-') && name.endsWith('.json'));

describe('example sweep specs', () => {
  it('exist', () => {
    expect(sweepExamples).toEqual(expect.arrayContaining(['sweep-shapes.json', 'sweep-cifar10-temperature.json']));
  });

  it.each(sweepExamples)('%s is a valid spec', (name) => {
    const spec = parseSweepSpec(JSON.parse(readFileSync(join(examples, name), 'utf8')));
    expect(spec.trials).toBeGreaterThan(0);
  });
});
