import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultRunConfig, parseRunConfig } from '../core/config';
import { SimclrModel, modelSpecFromConfig } from '../core/model';
import { architectureOf, checkEncoderFits, parseFinetuneRecipe, recipeChanges, referenceImages } from '../core/pretrained';
import { tempDirs } from '../testing/tempDir';
import { selectNodeBackend } from './nodeBackends';
import { SHIPPED_ENCODER_DIR, initialEncoderFor, readEncoderFile, shippedEncoderPath } from './pretrainedFile';

const SHIPPED = 'cifar10-resnet18-w025';

beforeAll(async () => {
  await selectNodeBackend('wasm');
});

describe('the shipped encoder', () => {
  const card = JSON.parse(readFileSync(join(SHIPPED_ENCODER_DIR, `${SHIPPED}.json`), 'utf8')) as {
    architecture: unknown;
    check: { images: number; imageSize: number; features: number[] };
  };

  it("fits the lab's default model and loads to the features recorded when it was exported", () => {
    const config = parseRunConfig({ pretrain: { init: SHIPPED } });
    const encoder = initialEncoderFor(config)!;
    expect(encoder.architecture).toEqual(architectureOf(defaultRunConfig));
    expect(card.architecture).toEqual(architectureOf(defaultRunConfig));
    expect(() => checkEncoderFits(encoder, config)).not.toThrow();

    const model = new SimclrModel(modelSpecFromConfig(config), 123);
    model.setWeights(encoder.weights);
    const input = referenceImages(card.check.images, card.check.imageSize);
    const features = tf.tidy(() => model.encode(tf.tensor4d(input.data, input.shape), false)).dataSync();
    model.dispose();
    expect(features.length).toBe(card.check.features.length);
    let worst = 0;
    for (let i = 0; i < features.length; i++)
      worst = Math.max(worst, Math.abs(features[i] - card.check.features[i]) / (1e-3 + Math.abs(card.check.features[i])));
    expect(worst).toBeLessThan(1e-3);
  });

  it('carries a fine-tuning recipe the lab can apply', () => {
    const { finetuneRecipe } = card as { finetuneRecipe?: unknown };
    expect(finetuneRecipe).toBeDefined();
    const recipe = parseFinetuneRecipe(finetuneRecipe);
    expect(recipeChanges(defaultRunConfig, recipe).length).toBeGreaterThan(0);
  });

  it('refuses a model of another width by naming the field', () => {
    const narrow = parseRunConfig({ model: { widthMultiplier: 0.125 } });
    expect(() => checkEncoderFits(readEncoderFile(shippedEncoderPath(SHIPPED)), narrow)).toThrow(
      /model\.widthMultiplier is 0\.125 here but 0\.25 in the encoder/,
    );
  });
});

/** Every test's folders are removed after it. */
const temps = tempDirs();
afterEach(() => temps.removeAll());

describe('reading encoder files', () => {
  it('names a missing shipped encoder, a missing file and a file that is no checkpoint', () => {
    expect(() => initialEncoderFor(parseRunConfig({ pretrain: { init: 'no-such-encoder' } }))).toThrow(
      /pretrain\.init: the shipped encoder "no-such-encoder" does not exist \(shipped encoders are public\/pretrained\/<name>\.ckpt\)/,
    );
    expect(() => initialEncoderFor(defaultRunConfig, '/nowhere/run.bin')).toThrow(/\/nowhere\/run\.bin does not exist/);
    const junk = join(temps.make('enc-'), 'junk.bin');
    writeFileSync(junk, 'hello');
    expect(() => readEncoderFile(junk)).toThrow(/junk\.bin: not a valid SimCLR Lab checkpoint: missing the SIMCLRCK signature/);
    expect(initialEncoderFor(defaultRunConfig)).toBeUndefined();
  });
});
