import * as tf from '@tensorflow/tfjs';

/**
 * Weighted k-NN classifier on cosine similarity (the usual contrastive-learning monitor): each test
 * feature votes for the classes of its k most similar training features with weight
 * exp(similarity / temperature).
 */
export interface KnnOptions {
  k: number;
  numClasses: number;
  /** Vote temperature (0.1 is customary). */
  temperature?: number;
  /** Test rows per similarity chunk, to bound memory. */
  chunkSize?: number;
}

export async function knnAccuracy(
  trainFeatures: tf.Tensor2D,
  trainLabels: ArrayLike<number>,
  testFeatures: tf.Tensor2D,
  testLabels: ArrayLike<number>,
  options: KnnOptions,
): Promise<number> {
  const predictions = await knnPredict(trainFeatures, trainLabels, testFeatures, options);
  let correct = 0;
  predictions.forEach((p, i) => {
    if (p === testLabels[i]) correct++;
  });
  return predictions.length ? correct / predictions.length : 0;
}

export async function knnPredict(
  trainFeatures: tf.Tensor2D,
  trainLabels: ArrayLike<number>,
  testFeatures: tf.Tensor2D,
  options: KnnOptions,
): Promise<number[]> {
  const k = Math.min(options.k, trainFeatures.shape[0]);
  const temperature = options.temperature ?? 0.1;
  const chunkSize = options.chunkSize ?? 256;
  const bank = tf.tidy(() => tf.transpose(l2Normalize(trainFeatures)));
  const predictions: number[] = [];
  try {
    for (let start = 0; start < testFeatures.shape[0]; start += chunkSize) {
      const size = Math.min(chunkSize, testFeatures.shape[0] - start);
      const { values, indices } = tf.tidy(() => {
        const queries = l2Normalize(tf.slice(testFeatures, [start, 0], [size, -1]));
        return tf.topk(tf.matMul(queries, bank), k);
      });
      const [sims, ids] = await Promise.all([values.data(), indices.data()]);
      tf.dispose([values, indices]);
      for (let row = 0; row < size; row++) {
        const votes = new Float64Array(options.numClasses);
        for (let j = 0; j < k; j++) {
          votes[trainLabels[ids[row * k + j]]] += Math.exp(sims[row * k + j] / temperature);
        }
        let best = 0;
        for (let c = 1; c < votes.length; c++) if (votes[c] > votes[best]) best = c;
        predictions.push(best);
      }
    }
  } finally {
    bank.dispose();
  }
  return predictions;
}

export function l2Normalize<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.div(x, tf.add(tf.norm(x, 'euclidean', -1, true), 1e-12)) as T);
}
