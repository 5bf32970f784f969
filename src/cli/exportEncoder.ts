/**
 * Turns a finished `npm run train` folder into a shipped encoder:
 * `npx tsx src/cli/exportEncoder.ts --run DIR --name NAME [--machine TEXT] [--commit HASH] [--dest public/pretrained] [--log-dir docs/encoder] [--finetune-recipe FILE]`
 * Writes DEST/NAME.ckpt (the encoder and projection head only, in the checkpoint format, with its
 * architecture), DEST/NAME.json (its card) and copies the run's config.json, summary.json and
 * metrics.jsonl to LOG-DIR. `--finetune-recipe` puts a fine-tuning recipe on the card (JSON
 * `{settings: {"finetune.mode": …}, found: "…"}`, checked by parseFinetuneRecipe), which the lab offers
 * in one click. The card records features of a fixed input (referenceImages), so a test
 * can check that the shipped file loads to the network that was trained.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseRunConfig } from '../core/config';
import { deserializeCheckpoint, serializeCheckpoint } from '../core/checkpoint';
import { SimclrModel, modelSpecFromConfig } from '../core/model';
import {
  architectureOf,
  describeArchitecture,
  encoderCheckpoint,
  encoderFromCheckpoint,
  parseFinetuneRecipe,
  referenceImages,
} from '../core/pretrained';
import type { RunSummary } from '../core/types';
import { CommandLineError, parseCommandLine, printUsage, runCommand } from '../node/commandLine';
import { selectNodeBackend } from '../node/nodeBackends';

/** Images the card's `check` features are computed on. */
const CHECK_IMAGES = 2;

const EXPORT_USAGE =
  'usage: exportEncoder --run DIR --name NAME [--machine TEXT] [--commit HASH] [--dest DIR] [--log-dir DIR] [--finetune-recipe FILE]';

async function main(): Promise<number> {
  const flags = parseCommandLine(process.argv.slice(2), {
    run: { type: 'string' },
    name: { type: 'string' },
    machine: { type: 'string', default: 'unspecified' },
    commit: { type: 'string', default: 'unspecified' },
    dest: { type: 'string', default: 'public/pretrained' },
    'log-dir': { type: 'string', default: 'docs/encoder' },
    'finetune-recipe': { type: 'string' },
  });
  if (flags.help) return printUsage(EXPORT_USAGE);
  if (!flags.run || !flags.name) throw new CommandLineError('--run and --name are required');
  // Both checked above: the rest reads them as plain strings.
  const values = { ...flags, run: flags.run, name: flags.name };
  const run = values.run;
  // Checked before any work, so a bad recipe costs nothing and names its field.
  const finetuneRecipe = values['finetune-recipe']
    ? parseFinetuneRecipe(JSON.parse(readFileSync(values['finetune-recipe'], 'utf8')))
    : undefined;
  const config = parseRunConfig(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')));
  const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as RunSummary;
  const pretrain = summary.stages.pretrain;
  if (!pretrain) throw new Error(`${run}/summary.json has no pretraining stage`);
  const checkpoint = deserializeCheckpoint(readFileSync(join(run, 'checkpoint.bin')));
  const architecture = architectureOf(config);
  const encoder = encoderFromCheckpoint(checkpoint, values.name);

  await selectNodeBackend('wasm');
  // Reference features from the trained model as saved (linear probe included), not from the export.
  const probe = checkpoint.models.pretrain['linearProbe/kernel'];
  const model = new SimclrModel(modelSpecFromConfig(config), config.seed, { linearProbeClasses: probe ? probe.shape[1] : undefined });
  model.setWeights(checkpoint.models.pretrain);
  const input = referenceImages(CHECK_IMAGES, config.dataset.imageSize);
  const features = tf.tidy(() => model.encode(tf.tensor4d(input.data, input.shape), false));
  const check = Array.from(await features.data()).map((v) => Number(v.toPrecision(7)));
  features.dispose();
  const parameters = Object.values(encoder.weights).reduce((sum, record) => sum + record.data.length, 0);
  model.dispose();

  const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, number>);
  const evaluated = metrics.filter((m) => m.knnAccuracy !== undefined);
  const card = {
    name: values.name,
    title: `CIFAR-10 SimCLR encoder (${describeArchitecture(architecture)})`,
    architecture,
    parameters,
    data: {
      dataset: config.dataset.name,
      trainImages: config.dataset.trainSize,
      testImages: config.dataset.testSize,
      which: `a seeded (seed ${config.seed}), class-balanced sample of the training set, no labels used by the encoder; k-NN and linear probe measured on a class-balanced sample of the test set`,
    },
    epochs: pretrain.epochs,
    steps: pretrain.steps,
    knnAccuracy: pretrain.finalMetrics.knnAccuracy ?? null,
    knnK: config.pretrain.knnK,
    linearProbeAccuracy: pretrain.finalMetrics.linearProbeAccuracy ?? null,
    linearProbeNote:
      'linear classifier trained on stop-gradient encoder features alongside pretraining (official lineareval_while_pretraining), on all training labels',
    evaluations: evaluated.map((m) => ({ epoch: m.epoch, knnAccuracy: m.knnAccuracy, linearProbeAccuracy: m.linearProbeAccuracy ?? null })),
    minutes: Number((pretrain.seconds / 60).toFixed(1)),
    hours: Number((pretrain.seconds / 3600).toFixed(2)),
    // The stage counts both augmented views of every image.
    viewsPerSecond: Number(pretrain.imagesPerSecond.toFixed(2)),
    imagesPerSecond: Number((pretrain.imagesPerSecond / 2).toFixed(2)),
    backend: pretrain.backend,
    machine: values.machine,
    commit: values.commit,
    trainedWith: 'npm run train -- --config examples/cifar10-encoder.json',
    ...(finetuneRecipe ? { finetuneRecipe } : {}),
    config: config.pretrain,
    check: {
      images: CHECK_IMAGES,
      imageSize: config.dataset.imageSize,
      note: 'encoder features (eval mode) of referenceImages(2, 32) from src/core/pretrained.ts',
      features: check,
    },
  };

  mkdirSync(values.dest, { recursive: true });
  writeFileSync(join(values.dest, `${values.name}.ckpt`), serializeCheckpoint(encoderCheckpoint(encoder, architecture)));
  writeFileSync(join(values.dest, `${values.name}.json`), `${JSON.stringify(card, null, 2)}\n`);
  mkdirSync(values['log-dir'], { recursive: true });
  for (const file of ['config.json', 'summary.json', 'metrics.jsonl']) copyFileSync(join(run, file), join(values['log-dir'], file));
  process.stderr.write(`wrote ${values.dest}/${values.name}.ckpt (${parameters} values) and its card\n`);
  return 0;
}

runCommand(main, { usage: EXPORT_USAGE });
