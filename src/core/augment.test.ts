import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  applyAugmentParams,
  augmentBatch,
  finetuneAugmentOptions,
  gaussianBlur,
  gaussianKernel,
  pretrainAugmentOptions,
  roundHalfEven,
  sampleAugmentParams,
  sampleCropBoxes,
  toGrayscale,
  twoViews,
  type AugmentOptions,
  type AugmentParams,
} from './augment';
import { parseRunConfig } from './config';
import { Rng } from './random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const noAugment: AugmentOptions = {
  imageSize: 8,
  cropMinArea: 1,
  flip: false,
  colorJitterStrength: 0,
  colorJitterProbability: 0,
  grayscaleProbability: 0,
  blurProbability: 0,
};

function randomImages(n: number, size: number, seed: number, channels = 3): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(
    Array.from({ length: n * size * size * channels }, () => rng.next()),
    [n, size, size, channels],
  );
}

type Pixel = [number, number, number];

/** HSV conversions written independently (colorsys style) for the per-pixel references. */
function rgbToHsvRef([r, g, b]: Pixel): Pixel {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  if (max === min) return [0, 0, max];
  const d = max - min;
  let h: number;
  if (max === r) h = (g - b) / d;
  else if (max === g) h = 2 + (b - r) / d;
  else h = 4 + (r - g) / d;
  h = (((h / 6) % 1) + 1) % 1;
  return [h, d / max, max];
}

function hsvToRgbRef([h, s, v]: Pixel): Pixel {
  if (s === 0) return [v, v, v];
  const i = Math.floor(h * 6) % 6;
  const f = h * 6 - Math.floor(h * 6);
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  return (
    [
      [v, t, p],
      [q, v, p],
      [p, v, t],
      [p, q, v],
      [t, p, v],
      [v, p, q],
    ] as Pixel[]
  )[i];
}

const clip = (x: number) => Math.min(1, Math.max(0, x));

function pixels(t: tf.Tensor): Pixel[] {
  const data = Array.from(t.dataSync());
  return Array.from({ length: data.length / 3 }, (_, i) => [data[3 * i], data[3 * i + 1], data[3 * i + 2]] as Pixel);
}

function expectPixelsClose(actual: Pixel[], expected: Pixel[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((p, i) => p.forEach((v, c) => expect(v).toBeCloseTo(expected[i][c], digits)));
}

describe('per-op references on a small image', () => {
  const image = randomImages(1, 3, 11);
  const source = pixels(image);

  it('brightness multiplies and clips', () => {
    expectPixelsClose(
      pixels(adjustBrightness(image, [1.6])),
      source.map((p) => p.map((v) => clip(v * 1.6)) as Pixel),
    );
  });

  it('contrast blends with the per-channel mean (tf.image.adjust_contrast)', () => {
    const mean = [0, 1, 2].map((c) => source.reduce((s, p) => s + p[c], 0) / source.length);
    expectPixelsClose(
      pixels(adjustContrast(image, [0.4])),
      source.map((p) => p.map((v, c) => clip((v - mean[c]) * 0.4 + mean[c])) as Pixel),
    );
  });

  it('saturation scales S in HSV and hue rotates H', () => {
    const saturated = source.map((p) => {
      const [h, s, v] = rgbToHsvRef(p);
      return hsvToRgbRef([h, Math.min(1, s * 1.5), v]).map(clip) as Pixel;
    });
    expectPixelsClose(pixels(adjustSaturation(image, [1.5])), saturated);
    for (const delta of [0.13, -0.31]) {
      const rotated = source.map((p) => {
        const [h, s, v] = rgbToHsvRef(p);
        return hsvToRgbRef([(((h + delta) % 1) + 1) % 1, s, v]).map(clip) as Pixel;
      });
      expectPixelsClose(pixels(adjustHue(image, [delta])), rotated);
    }
  });

  it('hue shift by 0 and by a full turn is the identity; saturation 0 gives grey', () => {
    expectPixelsClose(pixels(adjustHue(image, [0])), source);
    expectPixelsClose(pixels(adjustHue(image, [1])), source);
    const grey = pixels(adjustSaturation(image, [0]));
    grey.forEach((p, i) => {
      expect(p[0]).toBeCloseTo(p[1], 6);
      expect(p[1]).toBeCloseTo(p[2], 6);
      expect(p[0]).toBeCloseTo(Math.max(...source[i]), 6);
    });
  });

  it('grayscale uses luma 0.2989/0.587/0.114 replicated to 3 channels', () => {
    expectPixelsClose(
      pixels(toGrayscale(image)),
      source.map((p) => {
        const y = 0.2989 * p[0] + 0.587 * p[1] + 0.114 * p[2];
        return [y, y, y] as Pixel;
      }),
    );
  });

  it('blur matches a reflect-padded separable reference and preserves constant images', () => {
    const size = 6;
    const one = randomImages(2, size, 12, 1);
    const radius = 2;
    const sigmas = [0.7, 1.9];
    const blurred = gaussianBlur(one, sigmas, radius).arraySync();
    const src = one.arraySync();
    const reflect = (i: number) => (i < 0 ? -i : i >= size ? 2 * size - 2 - i : i);
    sigmas.forEach((sigma, n) => {
      const k = gaussianKernel(sigma, radius);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          let acc = 0;
          for (let dy = -radius; dy <= radius; dy++)
            for (let dx = -radius; dx <= radius; dx++) acc += k[dy + radius] * k[dx + radius] * src[n][reflect(y + dy)][reflect(x + dx)][0];
          expect(blurred[n][y][x][0]).toBeCloseTo(acc, 5);
        }
      }
    });
    const constant = tf.fill([3, 10, 10, 3], 0.37) as tf.Tensor4D;
    const values = gaussianBlur(constant, [0.1, 1, 2], 3).dataSync();
    expect(Math.max(...values.map((v) => Math.abs(v - 0.37)))).toBeLessThan(1e-6);
    expect(gaussianKernel(1.3, 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  });
});

describe('random resized crop sampling', () => {
  it('rounds half to even like lrintf', () => {
    expect([0.5, 1.5, 2.5, 2.4, 2.6, 3].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3, 3]);
  });

  it('draws boxes inside the image with area in [max(min, 0.1), 1] and aspect in [3/4, 4/3]', () => {
    const options = { ...noAugment, imageSize: 224, cropMinArea: 0.08 };
    const boxes = sampleCropBoxes(4000, options, new Rng(1));
    for (const box of boxes) {
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.top + box.height).toBeLessThanOrEqual(224);
      expect(box.left + box.width).toBeLessThanOrEqual(224);
      expect(box.areaFraction).toBeGreaterThanOrEqual(0.1);
      expect(box.areaFraction).toBeLessThanOrEqual(1);
      // Integer rounding of the width moves the ratio by at most half a pixel.
      expect(box.aspectRatio).toBeGreaterThanOrEqual(3 / 4 - 0.5 / box.height);
      expect(box.aspectRatio).toBeLessThanOrEqual(4 / 3 + 0.5 / box.height);
    }
    const areas = boxes.map((b) => b.areaFraction);
    expect(Math.min(...areas)).toBeLessThan(0.12);
    expect(Math.max(...areas)).toBeGreaterThan(0.95);
    // Independent continuous model of TF's sampler: aspect uniform, height uniform between the heights
    // of the min and max area (max capped by the image), rejected below min_object_covered.
    const rng = new Rng(99);
    const modelAreas: number[] = [];
    while (modelAreas.length < 20000) {
      const aspect = rng.uniform(3 / 4, 4 / 3);
      const hMin = Math.sqrt(0.08 / aspect);
      const hMax = Math.min(1, Math.sqrt(1 / aspect), 1 / aspect);
      const h = rng.uniform(hMin, hMax);
      const area = h * h * aspect;
      if (area >= 0.1) modelAreas.push(area);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(mean(areas) - mean(modelAreas))).toBeLessThan(0.02);
    const aspects = boxes.map((b) => b.aspectRatio);
    expect(Math.abs(mean(aspects) - (3 / 4 + 4 / 3) / 2)).toBeLessThan(0.02);
    expect(boxes.filter((b) => b.fallback).length).toBe(0);
  });

  it('falls back to the whole image when no crop can satisfy the constraints', () => {
    const boxes = sampleCropBoxes(20, { ...noAugment, cropMinArea: 0.99, cropAspect: [3, 4] }, new Rng(2), 10, 10);
    for (const box of boxes) expect(box).toMatchObject({ top: 0, left: 0, height: 10, width: 10, fallback: true });
  });

  it('crops exact pixels when the crop size equals the output size', () => {
    const images = randomImages(1, 8, 3);
    const params: AugmentParams[] = [
      {
        crop: { top: 2, left: 1, height: 4, width: 4, areaFraction: 0.25, aspectRatio: 1, fallback: false },
        flip: false,
        colorOrder: [],
        brightness: 1,
        contrast: 1,
        saturation: 1,
        hue: 0,
        grayscale: false,
        blurSigma: null,
      },
    ];
    const out = applyAugmentParams(images, params, { ...noAugment, imageSize: 4 });
    const expected = tf.slice(images, [0, 2, 1, 0], [1, 4, 4, 3]);
    expect(tf.max(tf.abs(tf.sub(out, expected))).dataSync()[0]).toBeLessThan(1e-6);
    const flipped = applyAugmentParams(images, [{ ...params[0], flip: true }], { ...noAugment, imageSize: 4 });
    expect(tf.max(tf.abs(tf.sub(flipped, tf.reverse(expected, 2)))).dataSync()[0]).toBeLessThan(1e-6);
  });
});

describe('augmentBatch', () => {
  const config = parseRunConfig({ dataset: { imageSize: 16 }, pretrain: { colorJitterStrength: 1, blurProbability: 0.5 } });
  const pretrain = pretrainAugmentOptions(config);

  it('returns [n, size, size, C] in [0, 1], also for other source sizes and grey images', () => {
    const images = randomImages(6, 20, 4);
    const out = augmentBatch(images, pretrain, new Rng(1));
    expect(out.shape).toEqual([6, 16, 16, 3]);
    const values = out.dataSync();
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
    const grey = augmentBatch(randomImages(3, 16, 5, 1), pretrain, new Rng(1));
    expect(grey.shape).toEqual([3, 16, 16, 1]);
    expect(() => augmentBatch(tf.zeros([2, 8, 8, 2]) as tf.Tensor4D, pretrain, new Rng(1))).toThrow(/\[n, H, W, 1\|3\]/);
    tf.dispose([images, out, grey]);
  });

  it('is deterministic for a seed and differs between seeds and between the two views', () => {
    const images = randomImages(4, 16, 6);
    const a = augmentBatch(images, pretrain, new Rng(7));
    const b = augmentBatch(images, pretrain, new Rng(7));
    const c = augmentBatch(images, pretrain, new Rng(8));
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(tf.max(tf.abs(tf.sub(a, c))).dataSync()[0]).toBeGreaterThan(0.01);
    const [v1, v2] = twoViews(images, pretrain, new Rng(9));
    expect(tf.max(tf.abs(tf.sub(v1, v2))).dataSync()[0]).toBeGreaterThan(0.01);
    tf.dispose([images, a, b, c, v1, v2]);
  });

  it('does not leak tensors', () => {
    const images = randomImages(5, 16, 7);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) augmentBatch(images, pretrain, new Rng(i)).dispose();
    expect(tf.memory().numTensors).toBe(before);
    images.dispose();
  });

  it('greys images at the grayscale rate', () => {
    const n = 400;
    const images = randomImages(n, 6, 8);
    const out = augmentBatch(images, { ...noAugment, imageSize: 6, grayscaleProbability: 0.2 }, new Rng(3));
    const data = out.dataSync();
    let grey = 0;
    for (let i = 0; i < n; i++) {
      let isGrey = true;
      for (let p = 0; p < 36 && isGrey; p++) {
        const o = (i * 36 + p) * 3;
        isGrey = data[o] === data[o + 1] && data[o + 1] === data[o + 2];
      }
      if (isGrey) grey++;
    }
    expect(Math.abs(grey / n - 0.2)).toBeLessThan(0.06);
    tf.dispose([images, out]);
  });

  it('flips half of the images', () => {
    const n = 400;
    // A horizontal ramp: flipped images have their bright column on the left.
    const ramp = tf.tile(tf.reshape(tf.linspace(0, 1, 8), [1, 1, 8, 1]), [n, 8, 1, 3]) as tf.Tensor4D;
    const out = augmentBatch(ramp, { ...noAugment, flip: true }, new Rng(4)).arraySync();
    const flipped = out.filter((image) => image[0][0][0] > image[0][7][0]).length;
    expect(Math.abs(flipped / n - 0.5)).toBeLessThan(0.075);
    ramp.dispose();
  });

  it('draws colour parameters in their ranges, at the jitter rate, in a random order', () => {
    const params = sampleAugmentParams(2000, pretrain, new Rng(5));
    const brightness = params.map((p) => p.brightness);
    expect(Math.min(...brightness)).toBeGreaterThanOrEqual(0.2);
    expect(Math.max(...brightness)).toBeLessThanOrEqual(1.8);
    expect(Math.min(...brightness)).toBeLessThan(0.25);
    expect(Math.max(...brightness)).toBeGreaterThan(1.75);
    const hue = params.map((p) => p.hue);
    expect(Math.max(...hue.map(Math.abs))).toBeLessThanOrEqual(0.2);
    const jittered = params.filter((p) => p.colorOrder.length === 4);
    expect(Math.abs(jittered.length / params.length - 0.8)).toBeLessThan(0.04);
    for (const p of jittered) expect([...p.colorOrder].sort()).toEqual(['brightness', 'contrast', 'hue', 'saturation']);
    expect(new Set(jittered.map((p) => p.colorOrder.join())).size).toBe(24);
    const blurred = params.filter((p) => p.blurSigma !== null);
    expect(Math.abs(blurred.length / params.length - 0.5)).toBeLessThan(0.04);
    for (const p of blurred) expect(p.blurSigma!).toBeGreaterThanOrEqual(0.1);
    for (const p of blurred) expect(p.blurSigma!).toBeLessThanOrEqual(2);
    const finetune = sampleAugmentParams(200, finetuneAugmentOptions(config), new Rng(6));
    expect(finetune.every((p) => p.colorOrder.length === 0 && !p.grayscale && p.blurSigma === null)).toBe(true);
  });

  it('applies each image its own colour order', () => {
    const images = randomImages(2, 4, 9);
    const base = {
      crop: { top: 0, left: 0, height: 4, width: 4, areaFraction: 1, aspectRatio: 1, fallback: false },
      flip: false,
      brightness: 1.5,
      contrast: 0.3,
      saturation: 1.7,
      hue: 0.25,
      grayscale: false,
      blurSigma: null,
    };
    const params: AugmentParams[] = [
      { ...base, colorOrder: ['brightness', 'contrast', 'saturation', 'hue'] },
      { ...base, colorOrder: ['hue', 'saturation', 'contrast', 'brightness'] },
    ];
    const out = applyAugmentParams(images, params, { ...noAugment, imageSize: 4 });
    const [first, second] = tf.split(images, 2, 0) as tf.Tensor4D[];
    const forward = adjustHue(adjustSaturation(adjustContrast(adjustBrightness(first, [1.5]), [0.3]), [1.7]), [0.25]);
    const backward = adjustBrightness(adjustContrast(adjustSaturation(adjustHue(second, [0.25]), [1.7]), [0.3]), [1.5]);
    expectPixelsClose(pixels(out), [...pixels(forward), ...pixels(backward)]);
    // The two orders really differ, so the test would notice a shared order.
    expect(
      tf
        .max(tf.abs(tf.sub(forward, adjustHue(adjustSaturation(adjustContrast(adjustBrightness(second, [1.5]), [0.3]), [1.7]), [0.25]))))
        .dataSync()[0],
    ).toBeGreaterThan(0);
  });
});
