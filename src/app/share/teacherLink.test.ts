import { describe, expect, it } from 'vitest';
import { configFromHash, configToHash } from '../../protocol/shareUrl';
import { parseRunConfig } from '../../core';
import { type TeacherView, isFieldHidden, joinHash, splitTeacherHash, teacherViewToHash } from './teacherLink';

describe('teacher links', () => {
  it('reads hidden controls, tabs, title and note, and leaves the config pairs to the config codec', () => {
    const { view, configHash, issues } = splitTeacherHash(
      '#pretrain.temperature=0.2&hide=pretrain.temperature,model,tab:similarity&title=Why%20temperature%3F&note=Try%200.1%20and%201.0&seed=7',
    );
    expect(issues).toEqual([]);
    expect(view).toEqual({
      hiddenFields: ['pretrain.temperature', 'model'],
      hiddenTabs: ['similarity'],
      title: 'Why temperature?',
      note: 'Try 0.1 and 1.0',
    });
    expect(configHash).toBe('pretrain.temperature=0.2&seed=7');
    const decoded = configFromHash(configHash);
    expect(decoded.issues).toEqual([]);
    expect(decoded.config.pretrain.temperature).toBe(0.2);
  });

  it('hides a section’s fields through its prefix, and nothing else', () => {
    const { view } = splitTeacherHash('hide=model');
    expect(isFieldHidden(view, 'model.depth')).toBe(true);
    expect(isFieldHidden(view, 'model.widthMultiplier')).toBe(true);
    expect(isFieldHidden(view, 'pretrain.temperature')).toBe(false);
    expect(isFieldHidden(null, 'model.depth')).toBe(false);
  });

  it('reports unknown controls and tabs, the Live tab and over-long text, keeping what is valid', () => {
    const { view, issues } = splitTeacherHash(`hide=pretrain.temprature,tab:nope,tab:live,tab:runs&title=${'x'.repeat(130)}`);
    expect(view.hiddenTabs).toEqual(['runs']);
    expect(view.hiddenFields).toEqual([]);
    expect(view.title).toHaveLength(120);
    expect(issues.map((i) => i.message)).toEqual([
      'unknown control "pretrain.temprature" (expected a config path such as pretrain.temperature, or tab:<name>)',
      'unknown tab "nope" (tabs: augmentations, similarity, embeddings, runs, sweeps, about)',
      'the Live tab cannot be hidden',
      'longer than 120 characters; cut to fit',
    ]);
  });

  it('round-trips through a readable hash, with results kept last and unknown config keys still reported', () => {
    const view: TeacherView = {
      hiddenFields: ['pretrain.temperature'],
      hiddenTabs: ['similarity'],
      title: 'Exercise 1: τ',
      note: 'Lower τ; watch the loss & the bands.',
    };
    const config = parseRunConfig({ pretrain: { temperature: 0.1 } });
    const hash = joinHash(configToHash(config, { tiny: true }), view);
    expect(hash.startsWith('pretrain.temperature=0.1&hide=pretrain.temperature,tab:similarity&title=Exercise%201%3A%20%CF%84&note=')).toBe(
      true,
    );
    expect(hash.split('&').at(-1)?.startsWith('results=')).toBe(true);
    const split = splitTeacherHash(`${hash}&bogus.key=1`);
    expect(split.view).toEqual(view);
    const decoded = configFromHash(split.configHash);
    expect(decoded.config.pretrain.temperature).toBe(0.1);
    expect(decoded.results).toEqual({ tiny: true });
    expect(decoded.issues.map((i) => i.path)).toEqual(['bogus.key']);
    expect(teacherViewToHash({ hiddenFields: [], hiddenTabs: [], title: null, note: null })).toBe('');
  });
});
