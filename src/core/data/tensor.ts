import * as tf from '@tensorflow/tfjs';

/**
 * Turns a batch from DatasetSplit.readBatch (uint8 HWC RGB) into a float32 [0, 1] NHWC tensor,
 * resized bilinearly (half-pixel centres) to targetSize×targetSize when it differs from `size`.
 */
export function toFloatBatch(bytes: Uint8Array, n: number, size: number, targetSize = size): tf.Tensor4D {
  const expected = n * size * size * 3;
  if (bytes.length !== expected) throw new Error(`batch has ${bytes.length} bytes, expected ${n}×${size}×${size}×3 = ${expected}`);
  const floats = new Float32Array(expected);
  for (let i = 0; i < expected; i++) floats[i] = bytes[i] / 255;
  const images = tf.tensor4d(floats, [n, size, size, 3], 'float32');
  if (targetSize === size) return images;
  const resized = tf.tidy(() => tf.image.resizeBilinear(images, [targetSize, targetSize], false, true).clipByValue(0, 1) as tf.Tensor4D);
  images.dispose();
  return resized;
}
