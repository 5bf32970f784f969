import { describe, expect, it } from 'vitest';
import { applyOverrides, parseRunConfig } from '../core/config';
import { configFields, setFlags, tinyRun, tinyRunWith } from './tinyRun';

describe('the tests tiny run', () => {
  it('is a valid config', () => {
    expect(parseRunConfig(tinyRun).model.widthMultiplier).toBe(0.0625);
  });

  it('tinyRunWith changes only the fields it names', () => {
    const config = tinyRunWith({ seed: 4, pretrain: { batchSize: 8 }, distill: { enabled: false } });
    expect(config).toMatchObject({ seed: 4, pretrain: { epochs: 1, batchSize: 8, knnK: 10 }, distill: { enabled: false, epochs: 1 } });
    expect(tinyRun.pretrain.batchSize).toBe(16);
  });

  it('reads back the same config from its fields and its --set flags', () => {
    const config = tinyRunWith({ finetune: { enabled: false }, distill: { enabled: false } });
    expect(configFields(config)).toMatchObject({ 'dataset.name': 'shapes', 'finetune.enabled': false });
    const flags = setFlags(config);
    const overrides = flags.filter((_, i) => i % 2 === 1);
    expect(flags.filter((_, i) => i % 2 === 0).every((flag) => flag === '--set')).toBe(true);
    const { input, issues } = applyOverrides({}, overrides);
    expect(issues).toEqual([]);
    expect(parseRunConfig(input)).toEqual(parseRunConfig(config));
  });
});
