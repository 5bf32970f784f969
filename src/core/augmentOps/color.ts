import * as tf from '@tensorflow/tfjs';

/**
 * Colour operations of SimCLR's colour distortion as batched tensor ops on [n, H, W, 3] images in [0, 1].
 * Per-image factors come as [n] arrays. They follow TensorFlow's image ops used by the official code
 * (SimCLRv2 `color_jitter_rand`): brightness multiplies, contrast blends with the per-channel image mean
 * (tf.image.adjust_contrast), saturation scales S and hue rotates H in HSV (tf.image.adjust_saturation
 * and adjust_hue), grayscale uses tf.image.rgb_to_grayscale's luma weights. Results are clipped to [0, 1].
 */

export const LUMA_WEIGHTS: [number, number, number] = [0.2989, 0.587, 0.114];

function perImage(values: number[]): tf.Tensor4D {
  return tf.tensor4d(values, [values.length, 1, 1, 1]);
}

function clip01<T extends tf.Tensor>(x: T): T {
  return tf.clipByValue(x, 0, 1);
}

export function adjustBrightness(images: tf.Tensor4D, factors: number[]): tf.Tensor4D {
  return tf.tidy(() => clip01(tf.mul(images, perImage(factors))));
}

export function adjustContrast(images: tf.Tensor4D, factors: number[]): tf.Tensor4D {
  return tf.tidy(() => {
    const mean = tf.mean(images, [1, 2], true);
    return clip01(tf.add(tf.mul(tf.sub(images, mean), perImage(factors)), mean));
  });
}

/** Fractional part, mapping into [0, 1) also for negative inputs. */
function fract(x: tf.Tensor): tf.Tensor {
  return tf.sub(x, tf.floor(x));
}

/** RGB [n,H,W,3] → hue, saturation, value, each [n,H,W,1]; hue in [0, 1) turns. */
export function rgbToHsv(images: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  return tf.tidy(() => {
    const [r, g, b] = tf.split(images, 3, 3);
    const value = tf.maximum(tf.maximum(r, g), b);
    const chroma = tf.sub(value, tf.minimum(tf.minimum(r, g), b));
    const saturation = tf.div(chroma, tf.maximum(value, 1e-12));
    // Grey pixels (chroma 0) get hue 0: every numerator is then 0 as well.
    const safeChroma = tf.maximum(chroma, 1e-12);
    const hueFromRed = tf.div(tf.sub(g, b), safeChroma);
    const hueFromGreen = tf.add(tf.div(tf.sub(b, r), safeChroma), 2);
    const hueFromBlue = tf.add(tf.div(tf.sub(r, g), safeChroma), 4);
    const sextant = tf.where(tf.equal(r, value), hueFromRed, tf.where(tf.equal(g, value), hueFromGreen, hueFromBlue));
    return [fract(tf.div(sextant, 6)), saturation, value] as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  });
}

/** Hue, saturation, value [n,H,W,1] each → RGB [n,H,W,3]. */
export function hsvToRgb(hue: tf.Tensor4D, saturation: tf.Tensor4D, value: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const h6 = tf.mul(fract(hue), 6);
    const chroma = tf.mul(value, saturation);
    // Channel c = V − V·S·clamp(min(k, 4 − k), 0, 1) with k = (n + 6H) mod 6 and n = 5, 3, 1 for R, G, B.
    const channel = (n: number) => {
      const k = tf.sub(tf.add(h6, n), tf.mul(tf.floor(tf.div(tf.add(h6, n), 6)), 6));
      const ramp = tf.clipByValue(tf.minimum(k, tf.sub(4, k)), 0, 1);
      return tf.sub(value, tf.mul(chroma, ramp));
    };
    return tf.concat([channel(5), channel(3), channel(1)], 3) as tf.Tensor4D;
  });
}

export function adjustSaturation(images: tf.Tensor4D, factors: number[]): tf.Tensor4D {
  return tf.tidy(() => {
    const [h, s, v] = rgbToHsv(images);
    return clip01(hsvToRgb(h, tf.clipByValue(tf.mul(s, perImage(factors)), 0, 1) as tf.Tensor4D, v));
  });
}

/** Rotates hue by `deltas` (fractions of a full turn, any sign). */
export function adjustHue(images: tf.Tensor4D, deltas: number[]): tf.Tensor4D {
  return tf.tidy(() => {
    const [h, s, v] = rgbToHsv(images);
    return clip01(hsvToRgb(fract(tf.add(h, perImage(deltas))) as tf.Tensor4D, s, v));
  });
}

export function toGrayscale(images: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const luma = tf.sum(tf.mul(images, tf.tensor1d(LUMA_WEIGHTS)), 3, true);
    return tf.tile(luma, [1, 1, 1, 3]) as tf.Tensor4D;
  });
}
