import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CropBox } from './crop';
import { bicubicAxisWeights, cropResizeBicubic, keysCubic } from './resize';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// A 5×6 single-channel image (numpy.random.seed(3); rand(5, 6), float32).
const IMAGE = [
  [0.5507979, 0.7081478, 0.29090473, 0.5108276, 0.89294696, 0.8962931],
  [0.12558532, 0.20724288, 0.0514672, 0.44080985, 0.02987621, 0.4568332],
  [0.64914405, 0.2784873, 0.6762549, 0.5908628, 0.02398188, 0.5588541],
  [0.25925246, 0.4151012, 0.28352508, 0.69313794, 0.4404537, 0.15686774],
  [0.544649, 0.78031474, 0.30636352, 0.22195788, 0.38797125, 0.93638366],
];

// Expected values from an independent implementation: Pillow 9.4 (Debian's python3-pil), mode 'F',
// Image.BICUBIC, i.e. Keys' cubic with a = -0.5 at half-pixel centres, taps outside the image dropped
// and the weights renormalised: the semantics of TF 2's tf.image.resize(BICUBIC) that the official
// crop_and_resize uses. Pillow resizes the crop after numpy cut it out (TF crops, then resizes).
//   Image.fromarray(a[1:4, 2:6], 'F').resize((7, 7), Image.BICUBIC)
const CROP_TO_7 = [
  -0.043115, 0.137899, 0.418856, 0.2295629, 0.0371354, 0.3060767, 0.4800695, 0.086563, 0.2327798, 0.451835, 0.2335134, 0.032798, 0.3193439,
  0.5049974, 0.4199786, 0.4744242, 0.529811, 0.2302467, 0.0074652, 0.3571868, 0.5836203, 0.6830288, 0.672106, 0.6121436, 0.2686558,
  0.0307771, 0.3756502, 0.6012838, 0.5367994, 0.592101, 0.6547928, 0.4214227, 0.2017579, 0.3169868, 0.4029872, 0.2972236, 0.4449839,
  0.6772121, 0.578257, 0.3831618, 0.2468522, 0.1792658, 0.2094936, 0.3923585, 0.6891115, 0.6429539, 0.4572657, 0.21915, 0.0894763,
];
//   Image.fromarray(a, 'F').resize((8, 8), Image.BICUBIC)
const WHOLE_TO_8 = [
  0.57289, 0.714021, 0.5962392, 0.3017116, 0.474423, 0.8143388, 0.9757345, 0.9264973, 0.3487179, 0.4747165, 0.3859647, 0.1741288, 0.4435194,
  0.5274897, 0.6195446, 0.7262878, 0.1306859, 0.1816681, 0.1399128, 0.0971001, 0.4328268, 0.1409496, 0.1401357, 0.4724578, 0.5362376,
  0.3193462, 0.3124222, 0.5462723, 0.5685183, 0.1224559, 0.1421099, 0.5763246, 0.5858552, 0.385525, 0.393828, 0.6354262, 0.6693586,
  0.2938861, 0.2121442, 0.4460531, 0.2597763, 0.3574978, 0.3570408, 0.3294782, 0.6811633, 0.5599397, 0.3041225, 0.1360424, 0.4002963,
  0.5825534, 0.5276142, 0.2713584, 0.3984527, 0.4168098, 0.4975323, 0.6177332, 0.552574, 0.7514694, 0.6571835, 0.2727337, 0.185334,
  0.2665652, 0.6249938, 1.0242501,
];

function box(top: number, left: number, height: number, width: number): CropBox {
  return { top, left, height, width, areaFraction: (height * width) / 30, aspectRatio: width / height, fallback: false };
}

function resize(images: number[][][][], boxes: CropBox[], flips: boolean[], size: number): number[][][][] {
  const input = tf.tensor4d(images);
  const out = cropResizeBicubic(input, boxes, flips, size);
  const values = out.arraySync();
  input.dispose();
  out.dispose();
  return values;
}

const asImage = (rows: number[][]): number[][][] => rows.map((row) => row.map((v) => [v]));

describe('bicubic crop and resize (official crop_and_resize)', () => {
  it('Keys cubic with a = -0.5: interpolating at the knots, zero beyond 2, weights summing to 1', () => {
    expect(keysCubic(0)).toBe(1);
    expect(keysCubic(1)).toBeCloseTo(0, 12);
    expect(keysCubic(2)).toBeCloseTo(0, 12);
    expect(keysCubic(2.5)).toBe(0);
    expect(keysCubic(0.5)).toBeCloseTo(0.5625, 12); // (1.5·0.5 − 2.5)·0.25 + 1
    expect(keysCubic(1.5)).toBeCloseTo(-0.0625, 12);
    for (const d of [0.1, 0.37, 0.5, 0.93]) {
      expect(keysCubic(1 + d) + keysCubic(d) + keysCubic(1 - d) + keysCubic(2 - d)).toBeCloseTo(1, 12);
    }
  });

  it('matches Pillow on a crop of a 5×6 image upsampled to 7×7', () => {
    const [out] = resize([asImage(IMAGE)], [box(1, 2, 3, 4)], [false], 7);
    const flat = out.flat(2);
    CROP_TO_7.forEach((expected, i) => expect(flat[i]).toBeCloseTo(expected, 5));
    // Cubic overshoot is kept (the pipeline clips later, as the official one does).
    expect(Math.min(...flat)).toBeLessThan(0);
  });

  it('matches Pillow on the whole image upsampled to 8×8, rows and columns at different scales', () => {
    const [out] = resize([asImage(IMAGE)], [box(0, 0, 5, 6)], [false], 8);
    const flat = out.flat(2);
    WHOLE_TO_8.forEach((expected, i) => expect(flat[i]).toBeCloseTo(expected, 5));
  });

  it('is the identity for a whole-image crop at the same size, and mirrors the columns when flipped', () => {
    const square = IMAGE.slice(0, 5).map((row) => row.slice(0, 5));
    const [same, mirrored] = resize([asImage(square), asImage(square)], [box(0, 0, 5, 5), box(0, 0, 5, 5)], [false, true], 5);
    same.flat(2).forEach((v, i) => expect(v).toBeCloseTo(square.flat()[i], 6));
    mirrored.forEach((row, y) => row.forEach(([v], x) => expect(v).toBeCloseTo(square[y][4 - x], 6)));
  });

  it('resizes each image of a batch with its own box, channels independently', () => {
    const rgb = IMAGE.map((row) => row.map((v) => [v, 1 - v, 0.5]));
    const [a, b] = resize([rgb, rgb], [box(1, 2, 3, 4), box(0, 0, 5, 6)], [false, false], 7);
    a.flat(1).forEach(([r, g, blue], i) => {
      expect(r).toBeCloseTo(CROP_TO_7[i], 5);
      expect(g).toBeCloseTo(1 - CROP_TO_7[i], 5); // weights sum to 1, so 1 − x resizes to 1 − resize(x)
      expect(blue).toBeCloseTo(0.5, 6);
    });
    expect(b[0][0][0]).not.toBeCloseTo(a[0][0][0], 2);
  });

  it('gives no weight to pixels outside the crop', () => {
    const weights = bicubicAxisWeights(10, 3, 4, 8);
    for (let i = 0; i < 8; i++) {
      const row = Array.from(weights.subarray(i * 10, (i + 1) * 10));
      expect(row.slice(0, 3).every((w) => w === 0) && row.slice(7).every((w) => w === 0)).toBe(true);
      expect(row.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 6);
    }
    expect(() => bicubicAxisWeights(10, 8, 4, 8)).toThrow(/not inside/);
  });
});
