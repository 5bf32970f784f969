import { describe, expect, it } from 'vitest';
import { defaultRunConfig, parseRunConfig } from '../core/config';
import { configFromHash, configToHash } from './shareUrl';

describe('share-link codec', () => {
  it('writes only non-default fields as readable pairs', () => {
    const config = parseRunConfig({ seed: 7, pretrain: { temperature: 0.2 }, finetune: { labelFraction: 0.01 } });
    expect(configToHash(config)).toBe('seed=7&pretrain.temperature=0.2&finetune.labelFraction=0.01');
    expect(configToHash(defaultRunConfig)).toBe('');
  });

  it('round-trips config and compressed results', () => {
    const config = parseRunConfig({ dataset: { name: 'shapes', trainSize: null }, model: { depth: 50 }, distill: { enabled: false } });
    const results = {
      curves: {
        loss: [
          [0, 5.1],
          [1, 4.2],
        ],
      },
      summary: { knn: 0.61 },
    };
    const decoded = configFromHash(`#${configToHash(config, results)}`);
    expect(decoded.issues).toEqual([]);
    expect(decoded.config).toEqual(config);
    expect(decoded.results).toEqual(results);
  });

  it('reports unknown and invalid keys but keeps the valid ones', () => {
    const decoded = configFromHash(
      '#pretrain.temperature=0.1&pretrain.bogus=3&model.depth=19&seed=abc&finetune.labelFraction=0.01&results=%%%',
    );
    expect(decoded.config.pretrain.temperature).toBe(0.1);
    expect(decoded.config.finetune.labelFraction).toBe(0.01);
    expect(decoded.config.model.depth).toBe(18);
    const paths = decoded.issues.map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['pretrain.bogus', 'model.depth', 'seed']));
    expect(decoded.issues.length).toBe(4);
  });

  it('never throws on garbage', () => {
    for (const hash of ['#', '#&&&', '#=', '#results=abc', '#%E0%A4%A', '#a=b=c', '#pretrain=3', `#${'x'.repeat(5000)}`]) {
      const decoded = configFromHash(hash);
      expect(decoded.config).toBeTruthy();
    }
  });
});
