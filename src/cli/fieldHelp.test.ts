import { describe, expect, it } from 'vitest';
import { configFieldPaths } from '../core/config';
import { configFieldHelp } from './fieldHelp';

describe('configFieldHelp', () => {
  const text = configFieldHelp('Fields:', 80);

  it('lists every field once, with its type and bounds or choices and its default', () => {
    const heads = text.split('\n').filter((line) => /^ {2}\S/.test(line));
    expect(heads.map((line) => line.trim().split(/\s+/)[0])).toEqual([...configFieldPaths]);
    expect(heads).toContain('  pretrain.temperature  number (0, 100]  default 0.5');
    expect(heads).toContain('  model.depth  18|34|50|101|152  default 18');
    expect(heads).toContain('  dataset.trainSize  integer (0, ∞) images or null  default 5000');
    expect(heads).toContain('  pretrain.linearProbe  boolean  default true');
  });

  it('gives each field its label and help, wrapped to the width', () => {
    expect(text.startsWith('Fields:\n')).toBe(true);
    expect(text).toContain('      Temperature τ. Divides the cosine similarities');
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });
});
