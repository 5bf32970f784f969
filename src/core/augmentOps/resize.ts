import * as tf from '@tensorflow/tfjs';
import type { CropBox } from './crop';

/**
 * Crop-then-resize as the official pipeline does it (tf2/data_util.py crop_and_resize: crop_to_bounding_box,
 * then tf.image.resize(..., BICUBIC)), which in TF 2 is resize_bicubic with half_pixel_centers = true:
 * output sample i of an axis sits at (i + 0.5)·crop/out − 0.5 in the crop's pixel coordinates, is
 * interpolated with Keys' cubic kernel (a = −0.5) over the 4 nearest pixels, and taps that fall outside
 * the crop get weight 0 with the remaining weights renormalised to sum to 1. No anti-aliasing (crops are
 * only ever upsampled here or kept at size) and no clipping: cubic interpolation can overshoot [0, 1],
 * which the pipeline's later clips remove, as in the official code.
 *
 * tfjs has no bicubic resize, and each image has its own box, so the resize is done as two batched
 * matrix products with per-image weight matrices built here: [n, S, H] × image × [n, S, W]ᵀ. A
 * horizontal flip is the same product with the column weights reversed.
 */

/** Keys' cubic convolution kernel. */
export function keysCubic(x: number, a = -0.5): number {
  const t = Math.abs(x);
  if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

/**
 * Weights [outSize × inSize] mapping one axis of the source image (inSize pixels) to outSize samples
 * of the span [start, start + length) resized with TF's half-pixel bicubic. `reverse` gives the
 * mirrored samples (row i holds what row outSize − 1 − i would).
 */
export function bicubicAxisWeights(inSize: number, start: number, length: number, outSize: number, reverse = false): Float32Array {
  if (!(Number.isInteger(start) && Number.isInteger(length) && length > 0 && start >= 0 && start + length <= inSize)) {
    throw new Error(`resize: span [${start}, ${start + length}) is not inside an axis of ${inSize} pixels`);
  }
  const weights = new Float32Array(outSize * inSize);
  const scale = length / outSize;
  for (let i = 0; i < outSize; i++) {
    const position = (i + 0.5) * scale - 0.5;
    const base = Math.floor(position);
    const delta = position - base;
    const taps: [number, number][] = [];
    let sum = 0;
    for (let k = -1; k <= 2; k++) {
      const index = base + k;
      if (index < 0 || index >= length) continue;
      const w = keysCubic(delta - k);
      taps.push([index, w]);
      sum += w;
    }
    const row = reverse ? outSize - 1 - i : i;
    for (const [index, w] of taps) weights[row * inSize + start + index] += sum !== 0 ? w / sum : 0;
  }
  return weights;
}

/**
 * Each image's crop resized to size×size (and mirrored where `flips[i]`): images [n, H, W, C] →
 * [n, size, size, C].
 */
export function cropResizeBicubic(images: tf.Tensor4D, boxes: CropBox[], flips: boolean[], size: number): tf.Tensor4D {
  const [n, height, width, channels] = images.shape;
  if (boxes.length !== n || flips.length !== n) throw new Error(`resize: ${boxes.length} boxes and ${flips.length} flips for ${n} images`);
  const rows = new Float32Array(n * size * height);
  const cols = new Float32Array(n * size * width);
  boxes.forEach((box, i) => {
    rows.set(bicubicAxisWeights(height, box.top, box.height, size), i * size * height);
    cols.set(bicubicAxisWeights(width, box.left, box.width, size, flips[i]), i * size * width);
  });
  return tf.tidy(() => {
    const byRow = tf.matMul(tf.tensor3d(rows, [n, size, height]), images.reshape([n, height, width * channels]));
    // Bring the width axis forward so the column weights contract it, then put the axes back.
    const widthFirst = byRow
      .reshape([n, size, width, channels])
      .transpose([0, 2, 1, 3])
      .reshape([n, width, size * channels]);
    const byCol = tf.matMul(tf.tensor3d(cols, [n, size, width]), widthFirst);
    return byCol.reshape([n, size, size, channels]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
  });
}
