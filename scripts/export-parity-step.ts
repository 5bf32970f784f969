/**
 * One pretraining forward/backward of the lab's model on a fixed batch, written out for the PyTorch
 * reference to recompute from the same weights (`reference_simclr_cifar.py --check-step DIR`): catches
 * any difference in the forward pass, batch-norm statistics or gradients (wasm kernels included).
 *
 *   npx tsx scripts/export-parity-step.ts --config scripts/parity-cifar10.json --out runs/parity/step [--n 32] [--backend wasm]
 *
 * DIR/step.json: weights before the step (BN γ/β perturbed so every kernel gets a gradient) (every variable, by readable path), the 2N input views
 * (NHWC, seeded uniform in [0, 1]), τ, the per-anchor NT-Xent loss, the gradient of the official
 * objective (2 × that loss) per trainable variable, and the moving BN statistics after the forward.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng, ntXentLoss, parseRunConfig, SimclrModel, modelSpecFromConfig, type TensorRecord } from '../src/core';
import { CommandLineError, parseCommandLine, parseIntegerFlag, printUsage, runCommand } from '../src/node/commandLine';
import { selectNodeBackend } from '../src/node/nodeBackends';

const usage = 'usage: npx tsx scripts/export-parity-step.ts --config FILE.json --out DIR [--n N>=2] [--backend NAME]';

async function main(): Promise<number> {
  const flags = parseCommandLine(process.argv.slice(2), {
    config: { type: 'string' },
    out: { type: 'string' },
    n: { type: 'string', default: '32' },
    backend: { type: 'string', default: 'wasm' },
  });
  if (flags.help) return printUsage(usage);
  const configPath = flags.config;
  const outDir = flags.out;
  if (!configPath || !outDir) throw new CommandLineError('--config and --out are required');
  const n = parseIntegerFlag('--n', flags.n, { min: 2 });
  const backend = await selectNodeBackend(flags.backend);
  const config = parseRunConfig(JSON.parse(readFileSync(configPath, 'utf8')));
  const size = config.dataset.imageSize;
  const model = new SimclrModel(modelSpecFromConfig(config), config.seed);
  // BN scales and offsets away from their init (zero-γ blocks pass no gradient to their convolutions,
  // which would leave those kernels unchecked): γ in [0.5, 1.5], β in [-0.2, 0.2], seeded.
  const rng = new Rng(config.seed + 99);
  const perturbed: Record<string, TensorRecord> = {};
  for (const [path, record] of Object.entries(model.getWeights())) {
    if (path.endsWith('/gamma')) perturbed[path] = { shape: record.shape, data: record.data.map(() => rng.uniform(0.5, 1.5)) };
    if (path.endsWith('/beta')) perturbed[path] = { shape: record.shape, data: record.data.map(() => rng.uniform(-0.2, 0.2)) };
  }
  model.setWeights(perturbed, { partial: true });
  const weights = model.getWeights();
  const views = tf.randomUniform([2 * n, size, size, 3], 0, 1, 'float32', 1234) as tf.Tensor4D;
  const tau = config.pretrain.temperature;
  let perAnchor = 0;
  const { value, grads } = tf.variableGrads(() => {
    const z = model.project(model.encode(views, true), true);
    const [z1, z2] = tf.split(z, 2) as [tf.Tensor2D, tf.Tensor2D];
    const loss = ntXentLoss(z1, z2, tau);
    return tf.mul(loss, 2) as tf.Scalar; // the official objective
  }, model.trainableVariables());
  perAnchor = (await value.data())[0] / 2;
  const gradients: Record<string, { shape: number[]; data: number[] }> = {};
  for (const variable of model.trainableVariables()) {
    const grad = grads[variable.name];
    gradients[model.pathOf(variable)] = { shape: grad.shape.slice(), data: Array.from(await grad.data()) };
  }
  const after = model.getWeights();
  const moving: Record<string, { shape: number[]; data: number[] }> = {};
  for (const [path, record] of Object.entries(after)) {
    if (path.endsWith('movingMean') || path.endsWith('movingVariance'))
      moving[path] = { shape: record.shape, data: Array.from(record.data) };
  }
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  const plain = (records: Record<string, { shape: number[]; data: ArrayLike<number> }>) =>
    Object.fromEntries(Object.entries(records).map(([k, r]) => [k, { shape: r.shape, data: Array.from(r.data) }]));
  writeFileSync(
    join(out, 'step.json'),
    JSON.stringify({
      backend: backend.name,
      temperature: tau,
      widthMultiplier: config.model.widthMultiplier,
      projectionLayers: config.model.projectionLayers,
      projectionDim: config.model.projectionDim,
      views: { shape: views.shape, data: Array.from(await views.data()) },
      weights: plain(weights),
      loss: perAnchor,
      gradients,
      movingAfter: moving,
    }),
  );
  process.stderr.write(
    `backend ${backend.name}: loss ${perAnchor.toFixed(6)} (per anchor), ${Object.keys(gradients).length} gradients → ${out}/step.json\n`,
  );
  tf.dispose([views, value, ...Object.values(grads)]);
  return 0;
}

runCommand(main, { usage });
