/**
 * Headless runner: `npm run train -- --config FILE.json [--set path=value ...] [--out DIR] [--backend NAME]`.
 * Writes DIR/config.json (resolved), DIR/metrics.jsonl (one JSON object per metric event),
 * DIR/summary.json and DIR/checkpoint.bin. Exit 0 success, 2 invalid config, 1 runtime failure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, applyOverrides, parseRunConfig, type RunConfig } from '../core/config';
import { deserializeCheckpoint } from '../core/checkpoint';
import { runExperiment } from '../core/train/run';
import type { Checkpoint, RunEvent } from '../core/types';
import { parseTrainArgs, TRAIN_USAGE } from './args';
import { printUsage, runCommand } from '../node/commandLine';
import { selectNodeBackend } from '../node/nodeBackends';
import { createProgressReporter } from './progress';
import { configFieldHelp } from './fieldHelp';
import { UsageError, loadNodeDataset, openRunFolder, readJsonObject } from './runFolder';
import { initialEncoderFor } from '../node/pretrainedFile';
import { checkEncoderFits, type PretrainedEncoder } from '../core/pretrained';

function readConfigInput(path: string | undefined): Record<string, unknown> {
  return path ? readJsonObject(path, 'config') : {};
}

export function resolveConfig(configPath: string | undefined, overrides: string[]): RunConfig {
  const { input, issues } = applyOverrides(readConfigInput(configPath), overrides);
  if (issues.length) throw new ConfigError(issues);
  return parseRunConfig(input);
}

async function main(): Promise<number> {
  const args = parseTrainArgs(process.argv.slice(2));
  if (args.help) return printUsage(`${TRAIN_USAGE}\n\n${configFieldHelp()}`);
  let config: RunConfig;
  try {
    config = resolveConfig(args.config, args.set);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Invalid config:\n${error.issues.map((i) => `  ${i.path || '(config)'}: ${i.message}`).join('\n')}\n`);
      return 2;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }

  let initialEncoder: PretrainedEncoder | undefined;
  try {
    initialEncoder = initialEncoderFor(config, args.initFrom);
    if (initialEncoder) checkEncoderFits(initialEncoder, config);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }

  const out = resolve(args.out);
  const checkpointPath = join(out, 'checkpoint.bin');
  let resumeFrom: Checkpoint | undefined;
  if (args.resume && existsSync(checkpointPath)) {
    resumeFrom = deserializeCheckpoint(readFileSync(checkpointPath));
    const previous = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as unknown;
    if (JSON.stringify(parseRunConfig(previous)) !== JSON.stringify(config)) {
      process.stderr.write(`--resume: ${out}/config.json differs from the config given; resume with the same config (or a new --out)\n`);
      return 2;
    }
  }

  const backend = await selectNodeBackend(args.backend);
  process.stderr.write(`backend: ${backend.name} (${backend.detail})\n`);
  for (const notice of backend.notices) process.stderr.write(`notice: ${notice}\n`);

  const dataset = await loadNodeDataset(config);
  process.stderr.write(
    `dataset: ${config.dataset.name}, ${dataset.train.count} train / ${dataset.test.count} test images, ${dataset.classNames.length} classes\n`,
  );

  const folder = openRunFolder(out, config, { append: resumeFrom !== undefined });
  const progress = args.quiet ? () => undefined : createProgressReporter();
  const onEvent = (event: RunEvent) => {
    progress(event);
    folder.record(event);
    if (event.type === 'log' && args.quiet) {
      process.stderr.write(`[${event.level}] ${event.message}\n`);
    }
  };

  let stopRequested = false;
  process.once('SIGINT', () => {
    stopRequested = true;
    process.stderr.write('\nstopping after this step (checkpoint will be saved; continue with --resume)…\n');
  });
  const summary = await runExperiment({
    config,
    dataset,
    backend: backend.name,
    onEvent,
    onCheckpoint: (checkpoint) => folder.saveCheckpoint(checkpoint),
    resumeFrom,
    initialEncoder,
    control: {
      // Steps chain promises without returning to the event loop: yield once per step so the
      // SIGINT handler (a macrotask) can run and Ctrl-C stops the run.
      beforeStep: async () => {
        await new Promise((done) => setImmediate(done));
        return stopRequested ? 'stop' : 'continue';
      },
    },
  });
  folder.writeSummary(summary);
  process.stderr.write(`\n${summary.status}: results in ${out}\n`);
  if (summary.status === 'failed') {
    process.stderr.write(`error: ${summary.error}\n`);
    return 1;
  }
  return 0;
}

runCommand(main, { usage: TRAIN_USAGE });
