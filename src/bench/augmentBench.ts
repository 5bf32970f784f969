import * as tf from '@tensorflow/tfjs';
import { pretrainAugmentOptions, twoViews } from '../core/augment';
import { parseRunConfig } from '../core/config';
import { Rng } from '../core/random';
import { parseIntegerFlag } from '../node/commandLine';
import { selectNodeBackend } from '../node/nodeBackends';
import { median } from './stats';

/**
 * Time of the pretraining augmentation alone (two views of a batch: crop + resize, flip, colour jitter,
 * grayscale, blur), no model. A one-off measurement for BENCHMARKS.md ("Augmentation cost"), e.g. to
 * price the official bicubic resize against the bilinear one it replaced:
 *
 *     npx tsx src/bench/augmentBench.ts [backend=wasm] [batch=128] [size=32] [reps=20]
 */
async function main(): Promise<void> {
  const [backend = 'wasm', batchText = '128', sizeText = '32', repsText = '20'] = process.argv.slice(2);
  const batch = parseIntegerFlag('batch', batchText, { min: 1 });
  const size = parseIntegerFlag('size', sizeText, { min: 1 });
  const reps = parseIntegerFlag('reps', repsText, { min: 1 });
  const selected = await selectNodeBackend(backend);
  const config = parseRunConfig({ dataset: { name: 'cifar10', imageSize: size }, pretrain: { blurProbability: 0.5 } });
  const options = pretrainAugmentOptions(config);
  const rng = new Rng(0);
  const images = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const run = async (): Promise<void> => {
    const [a, b] = twoViews(images, options, rng);
    await Promise.all([a.data(), b.data()]);
    a.dispose();
    b.dispose();
  };
  for (let i = 0; i < 3; i++) await run(); // warm-up: kernels compiled, buffers allocated
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  const middle = median(times);
  console.log(
    JSON.stringify({
      backend: selected.name,
      batch,
      size,
      reps,
      medianMsPerBatch: Number(middle.toFixed(2)),
      viewsPerSecond: Math.round((2 * batch * 1000) / middle),
      liveTensorsAfter: tf.memory().numTensors,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
