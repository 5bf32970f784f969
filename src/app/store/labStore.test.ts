import { beforeEach, describe, expect, it } from 'vitest';
import { defaultRunConfig } from '../../core';
import { configToHash } from '../../protocol/shareUrl';
import { sharedResultsOf } from '../share/sharedResults';
import { selectView, useLab } from './labStore';

const lab = () => useLab.getState();

beforeEach(() => {
  useLab.setState({ config: defaultRunConfig, fieldErrors: {}, notices: [], shown: null, viewSource: 'live' });
});

describe('lab store: settings', () => {
  it('applies valid field values and rejects invalid ones with the field named, keeping the old value', () => {
    lab().setField('pretrain.temperature', 0.2);
    expect(lab().config.pretrain.temperature).toBe(0.2);
    lab().setField('pretrain.temperature', -1);
    expect(lab().config.pretrain.temperature).toBe(0.2);
    expect(lab().fieldErrors['pretrain.temperature']).toMatch(/0/);
    lab().setField('pretrain.temperature', 0.1);
    expect(lab().fieldErrors['pretrain.temperature']).toBeUndefined();
  });

  it('reports a cross-field rule on the field being edited', () => {
    lab().setField('model.projectionLayers', 0);
    expect(lab().config.model.projectionLayers).toBe(3);
    expect(lab().fieldErrors['model.projectionLayers']).toContain('finetune.fromProjectionLayer');
  });
});

describe('lab store: links', () => {
  it('opens a link with results as a shared, untrained view', () => {
    const config = { ...defaultRunConfig, seed: 7, pretrain: { ...defaultRunConfig.pretrain, temperature: 0.2 } };
    const results = sharedResultsOf({
      status: 'completed',
      backend: 'webgpu',
      metrics: [
        { stage: 'pretrain', step: 1, epoch: 0.5, loss: 4.123456 },
        { stage: 'pretrain', step: 2, epoch: 1, loss: 3.9, knnAccuracy: 0.31 },
      ],
      stages: {},
    });
    lab().openHash(`#${configToHash(config, results)}`);
    expect(lab().config.seed).toBe(7);
    expect(lab().config.pretrain.temperature).toBe(0.2);
    expect(lab().viewSource).toBe('shared');
    const view = selectView(lab());
    expect(view.metrics.map((m) => m.loss)).toEqual([4.123, 3.9]);
    expect(view.metrics[1].knnAccuracy).toBe(0.31);
    expect(lab().notices).toEqual([]);
    expect(lab().live.metrics).toEqual([]);
  });

  it('names every bad key in one notice and keeps the good ones', () => {
    lab().openHash('#seed=3&pretrain.temperature=warm&nope=1&results=zzz');
    expect(lab().config.seed).toBe(3);
    expect(lab().config.pretrain.temperature).toBe(defaultRunConfig.pretrain.temperature);
    expect(lab().viewSource).toBe('live');
    expect(lab().notices).toHaveLength(1);
    const text = lab().notices[0].text;
    for (const key of ['pretrain.temperature', 'nope', 'results']) expect(text).toContain(key);
  });

  it('rejects results that decode but are not results', () => {
    lab().openHash(`#${configToHash(defaultRunConfig, { hello: 'world' })}`);
    expect(lab().viewSource).toBe('live');
    expect(lab().notices[0].text).toContain('results');
  });
});
