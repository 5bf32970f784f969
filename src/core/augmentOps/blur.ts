import * as tf from '@tensorflow/tfjs';

/**
 * Gaussian blur as in the official SimCLR code: kernel radius = floor(floor(imageSize/10)/2), taps
 * exp(-x²/(2σ²)) normalised to sum 1, applied separably. Unlike the official code (zero 'SAME'
 * padding, which darkens borders) the image is reflect-padded, so a constant image stays constant.
 */

export function blurRadius(imageSize: number): number {
  return Math.floor(Math.floor(imageSize / 10) / 2);
}

export function gaussianKernel(sigma: number, radius: number): number[] {
  const taps = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const total = taps.reduce((a, b) => a + b, 0);
  return taps.map((t) => t / total);
}

/**
 * Blurs image i with sigma[i], all in one pair of depthwise convolutions: the batch is folded into the
 * channel axis so every image gets its own kernel.
 */
export function gaussianBlur(images: tf.Tensor4D, sigmas: number[], radius: number): tf.Tensor4D {
  const [n, height, width, channels] = images.shape;
  if (sigmas.length !== n) throw new Error(`gaussianBlur needs one sigma per image (${n}), got ${sigmas.length}`);
  if (radius <= 0 || n === 0) return tf.clone(images);
  if (radius >= height || radius >= width) throw new Error(`blur radius ${radius} too large for ${height}x${width} images`);
  const size = 2 * radius + 1;
  const taps = new Float32Array(size * n * channels);
  sigmas.forEach((sigma, i) => {
    const kernel = gaussianKernel(sigma, radius);
    for (let t = 0; t < size; t++) for (let c = 0; c < channels; c++) taps[t * n * channels + i * channels + c] = kernel[t];
  });
  return tf.tidy(() => {
    const folded = tf.reshape(tf.transpose(images, [1, 2, 0, 3]), [1, height, width, n * channels]) as tf.Tensor4D;
    const padded = tf.mirrorPad(
      folded,
      [
        [0, 0],
        [radius, radius],
        [radius, radius],
        [0, 0],
      ],
      'reflect',
    );
    const vertical = tf.depthwiseConv2d(padded, tf.tensor4d(taps, [size, 1, n * channels, 1]), 1, 'valid');
    const both = tf.depthwiseConv2d(vertical, tf.tensor4d(taps, [1, size, n * channels, 1]), 1, 'valid');
    return tf.transpose(tf.reshape(both, [height, width, n, channels]), [2, 0, 1, 3]) as tf.Tensor4D;
  });
}
