import { describe, expect, it } from 'vitest';
import { ConfigError, parseRunConfig } from './config';
import { parseFinetuneRecipe, recipeChanges } from './pretrained';

const recipe = {
  settings: { 'finetune.mode': 'linear', 'finetune.learningRate': 0.005, 'finetune.epochs': 18, 'finetune.batchSize': 25 },
  found: 'best of 12 trials of examples/sweep-cifar10-finetune.json',
};

function issuesOf(input: unknown): string[] {
  try {
    parseFinetuneRecipe(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe('a shipped encoder card’s fine-tuning recipe', () => {
  it('accepts fine-tuning fields with values their schema allows', () => {
    expect(parseFinetuneRecipe(recipe)).toEqual(recipe);
  });

  it('refuses unknown fields, fields outside fine-tuning and values the schema refuses, naming each', () => {
    const issues = issuesOf({
      found: 'a sweep',
      settings: { 'finetune.learningRat': 0.1, 'model.depth': 50, 'finetune.mode': 'frozen' },
    });
    expect(issues).toEqual([
      'finetuneRecipe.settings.finetune.learningRat: unknown field',
      'finetuneRecipe.settings.model.depth: a fine-tuning recipe sets only finetune.* and distill.* fields',
    ]);
    expect(issuesOf({ found: 'a sweep', settings: { 'finetune.mode': 'frozen' } })[0]).toMatch(
      /^finetuneRecipe\.settings\.finetune\.mode: /,
    );
    expect(issuesOf({ found: 'a sweep', settings: { 'finetune.learningRate': -1 } })[0]).toMatch(
      /^finetuneRecipe\.settings\.finetune\.learningRate: /,
    );
    expect(issuesOf({ settings: {} })).toEqual(['finetuneRecipe.found: expected a sentence saying where the recipe comes from']);
    expect(issuesOf('fast')).toEqual(['finetuneRecipe: expected an object']);
  });

  it('lists only the settings a config does not already follow', () => {
    const parsed = parseFinetuneRecipe(recipe);
    const config = parseRunConfig({ finetune: { mode: 'linear', epochs: 18 } });
    expect(recipeChanges(config, parsed)).toEqual([
      ['finetune.learningRate', 0.005],
      ['finetune.batchSize', 25],
    ]);
    const following = parseRunConfig({ finetune: { mode: 'linear', epochs: 18, learningRate: 0.005, batchSize: 25 } });
    expect(recipeChanges(following, parsed)).toEqual([]);
  });
});
