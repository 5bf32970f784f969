import * as tf from '@tensorflow/tfjs';

/**
 * Projects rows of `features` onto their first two principal components (power iteration with
 * deflation on the covariance matrix): enough for a live 2-D picture of the embedding.
 */
export async function pca2d(features: tf.Tensor2D, iterations = 60): Promise<[number, number][]> {
  const projected = tf.tidy(() => {
    const centred = tf.sub(features, tf.mean(features, 0, true));
    let covariance = tf.div(tf.matMul(centred, centred, true, false), Math.max(1, features.shape[0] - 1)) as tf.Tensor2D;
    const components: tf.Tensor2D[] = [];
    const dim = features.shape[1];
    for (let c = 0; c < 2; c++) {
      // Deterministic start vector: the result should not flicker between refreshes.
      let v = tf.div(tf.add(tf.linspace(1, 2, dim), c), dim).reshape([dim, 1]) as tf.Tensor2D;
      for (let i = 0; i < iterations; i++) {
        const next = tf.matMul(covariance, v);
        v = tf.div(next, tf.add(tf.norm(next), 1e-12)) as tf.Tensor2D;
      }
      components.push(v);
      const eigenvalue = tf.sum(tf.mul(v, tf.matMul(covariance, v)));
      covariance = tf.sub(covariance, tf.mul(eigenvalue, tf.matMul(v, v, false, true))) as tf.Tensor2D;
    }
    return tf.matMul(centred, tf.concat(components, 1));
  });
  const values = await projected.data();
  projected.dispose();
  const points: [number, number][] = [];
  for (let i = 0; i < features.shape[0]; i++) points.push([values[2 * i], values[2 * i + 1]]);
  return points;
}
