/**
 * The command-line host of sweeps:
 * `npm run sweep -- --spec FILE.json [--set base.path=value ...] [--out DIR] [--backend NAME]`.
 * Writes DIR/sweep.json (spec, status, finished trials, best; replaced atomically after every
 * trial) and each trial's run folder DIR/trials/<id>/ (the files of `npm run train`). Trials that
 * share a pretraining reuse DIR/pretrained/<key>.bin. Running again with the same --out resumes.
 * Exit 0 done, 2 invalid spec or arguments, 1 runtime failure (or every trial failed), 130 interrupted.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, parseFieldValue, setAtPath, type ConfigIssue, type RunConfig } from '../core/config';
import { deserializeCheckpoint, serializeCheckpoint } from '../core/checkpoint';
import { checkpointAfterPretraining } from '../sweep/reuse';
import { runSweep, sweepProgress, type RunTrial, type SweepEvent, type SweepState, type TrialRecord } from '../sweep/runner';
import { objectiveMetrics, parseSweepSpec, type SweepSpec } from '../sweep/spec';
import { runExperiment } from '../core/train/run';
import { checkEncoderFits } from '../core/pretrained';
import { initialEncoderFor } from '../node/pretrainedFile';
import type { Checkpoint, Dataset, RunEvent } from '../core/types';
import { formatDuration } from './progress';
import { sweepShareLink } from '../sweep/shareLink';
import { CommandLineError, parseCommandLine, printUsage, runCommand } from '../node/commandLine';
import { selectNodeBackend } from '../node/nodeBackends';
import { createProgressReporter } from './progress';
import { configFieldHelp } from './fieldHelp';
import { UsageError, loadNodeDataset, openRunFolder, readJsonObject, writeFileAtomic } from './runFolder';

export const SWEEP_USAGE = `Usage: npm run sweep -- --spec FILE.json [--set base.path=value ...] [--out DIR] [--backend NAME] [--quiet]

  --spec FILE     sweep spec JSON (see README, "Sweeps"; examples/sweep-*.json)
  --set P=V       override a field of the spec's base config, e.g. --set base.dataset.trainSize=500 (repeatable)
  --out DIR       output folder (sweep.json, trials/<id>/, pretrained/); default sweeps/<time>.
                  Running again with the same --out resumes: finished trials are kept.
  --backend NAME  force a backend: tensorflow-gpu, tensorflow, webgpu, wasm, cpu
  --quiet         no per-step progress (trial and sweep lines only)
  --lab URL       the lab's address for the share link written to DIR/share-link.txt
                  (default http://127.0.0.1:5173/, where npm start serves it)

Exit status: 0 done, 2 invalid spec (stderr names the field), 1 runtime failure, 130 interrupted (Ctrl-C).`;

interface SweepArgs {
  spec?: string;
  set: string[];
  out: string;
  backend?: string;
  quiet: boolean;
  lab: string;
  help: boolean;
}

function parseSweepArgs(argv: readonly string[]): SweepArgs {
  const flags = parseCommandLine(argv, {
    spec: { type: 'string' },
    set: { type: 'string', multiple: true, short: 's' },
    out: { type: 'string', short: 'o' },
    backend: { type: 'string', short: 'b' },
    quiet: { type: 'boolean', short: 'q' },
    lab: { type: 'string', default: 'http://127.0.0.1:5173/' },
  });
  return {
    spec: flags.spec,
    set: flags.set,
    out: flags.out ?? `sweeps/${new Date().toISOString().replace(/[:.]/g, '-')}`,
    backend: flags.backend,
    quiet: flags.quiet,
    lab: flags.lab,
    help: flags.help,
  };
}

/** Applies `--set base.<path>=value` overrides to the spec's base; issues are named `base.<path>`. */
function applyBaseOverrides(input: Record<string, unknown>, overrides: string[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const base = (input.base ?? {}) as Record<string, unknown>;
  if (base === null || typeof base !== 'object' || Array.isArray(base)) return [{ path: 'base', message: 'must be an object' }];
  for (const override of overrides) {
    const eq = override.indexOf('=');
    const path = eq > 0 ? override.slice(0, eq).trim() : override;
    if (eq <= 0) issues.push({ path, message: 'expected base.path=value' });
    else if (!path.startsWith('base.')) issues.push({ path, message: '--set changes the base config: write base.<path>=value' });
    else {
      const field = path.slice('base.'.length);
      const parsed = parseFieldValue(field, override.slice(eq + 1));
      if (parsed.ok) setAtPath(base, parsed.path, parsed.value);
      else issues.push({ path: `base.${parsed.issue.path}`, message: parsed.issue.message });
    }
  }
  input.base = base;
  return issues;
}

function formatObjective(spec: SweepSpec, value: number | null): string {
  if (value === null) return '-';
  return spec.objective.metric.endsWith('Accuracy') ? `${(100 * value).toFixed(2)}%` : value.toPrecision(4);
}

function formatParams(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(4)) : String(v)}`)
    .join(' ');
}

/** The file the sweep keeps current: finished trials only (unfinished ones re-run on resume). */
function sweepFile(state: SweepState, status: string): string {
  const trials = state.trials.map((t) => ({ ...t }));
  return `${JSON.stringify({ spec: state.spec, status, planned: state.planned, trials, best: state.best }, null, 2)}\n`;
}

function readPrevious(path: string, spec: SweepSpec): TrialRecord[] {
  if (!existsSync(path)) return [];
  const previous = readJsonObject(path, 'sweep');
  if (JSON.stringify(previous.spec) !== JSON.stringify(spec)) {
    throw new UsageError(`${path} holds a different sweep: resume with the same spec and --set values (or choose a new --out)`);
  }
  if (!Array.isArray(previous.trials)) throw new UsageError(`${path} has no trials list`);
  return previous.trials as TrialRecord[];
}

async function main(): Promise<number> {
  const args = parseSweepArgs(process.argv.slice(2));
  if (args.help) return printUsage(`${SWEEP_USAGE}\n\n${configFieldHelp('Config fields (spec parameter keys; --set base.path=value):')}`);
  if (!args.spec) throw new CommandLineError('--spec FILE.json is required');

  const out = resolve(args.out);
  const sweepPath = join(out, 'sweep.json');
  let spec: SweepSpec;
  let previous: TrialRecord[];
  try {
    const input = readJsonObject(args.spec, 'spec');
    const overrideIssues = applyBaseOverrides(input, args.set);
    try {
      spec = parseSweepSpec(input);
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError([...overrideIssues, ...error.issues]);
      throw error;
    }
    if (overrideIssues.length) throw new ConfigError(overrideIssues);
    previous = readPrevious(sweepPath, spec);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Invalid sweep spec:\n${error.issues.map((i) => `  ${i.path || '(spec)'}: ${i.message}`).join('\n')}\n`);
      if (error.issues.some((i) => i.path === 'objective.metric'))
        process.stderr.write(`  (objective metrics: ${objectiveMetrics.join(', ')})\n`);
      return 2;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const backend = await selectNodeBackend(args.backend);
  process.stderr.write(`backend: ${backend.name} (${backend.detail})\n`);
  for (const notice of backend.notices) process.stderr.write(`notice: ${notice}\n`);
  mkdirSync(join(out, 'trials'), { recursive: true });
  mkdirSync(join(out, 'pretrained'), { recursive: true });
  const kept = previous.length;
  process.stderr.write(
    `sweep "${spec.name}": ${spec.trials} trials (${spec.method})${kept ? `, resuming with ${kept} finished` : ''}; results in ${out}\n`,
  );

  // Datasets depend on the dataset fields and the seed (shapes and caps are seeded): load each once.
  const datasets = new Map<string, Promise<Dataset>>();
  const datasetFor = (config: RunConfig) => {
    const key = JSON.stringify([config.dataset, config.seed]);
    if (!datasets.has(key)) datasets.set(key, loadNodeDataset(config));
    return datasets.get(key)!;
  };

  const showSteps = !args.quiet && spec.concurrency === 1;
  const runTrial: RunTrial = async (trial, onMetric, signal) => {
    const dataset = await datasetFor(trial.config);
    const dir = join(out, 'trials', trial.id);
    rmSync(dir, { recursive: true, force: true }); // an unfinished attempt re-runs from the start
    const folder = openRunFolder(dir, trial.config);
    const sharedPath = trial.reuseKey ? join(out, 'pretrained', `${trial.reuseKey}.bin`) : null;
    const resumeFrom: Checkpoint | undefined =
      sharedPath && existsSync(sharedPath) ? deserializeCheckpoint(readFileSync(sharedPath)) : undefined;
    const progress = showSteps ? createProgressReporter() : () => undefined;
    let pretrained: Checkpoint['models']['pretrain'] | undefined;
    const onEvent = (event: RunEvent) => {
      progress(event);
      folder.record(event);
      if (event.type === 'metric') onMetric(event);
      else if (
        event.type === 'stage-end' &&
        event.stage === 'pretrain' &&
        event.summary.status === 'completed' &&
        sharedPath &&
        pretrained &&
        !resumeFrom
      ) {
        writeFileAtomic(sharedPath, serializeCheckpoint(checkpointAfterPretraining(pretrained, event.summary)));
      } else if (event.type === 'log' && event.level !== 'info' && !showSteps)
        process.stderr.write(`[${trial.id}] [${event.level}] ${event.message}\n`);
    };
    // A trial that names a shipped encoder starts from it, as `npm run train` does; one that
    // branches from a shared pretraining already holds its encoder in `resumeFrom`.
    const initialEncoder = resumeFrom ? undefined : initialEncoderFor(trial.config);
    if (initialEncoder) checkEncoderFits(initialEncoder, trial.config);
    const summary = await runExperiment({
      config: trial.config,
      dataset,
      backend: backend.name,
      initialEncoder,
      onEvent,
      onCheckpoint: (checkpoint) => {
        folder.saveCheckpoint(checkpoint);
        // The last pretraining checkpoint holds the weights a shared pretraining is saved from.
        if (checkpoint.stage === 'pretrain') pretrained = checkpoint.models.pretrain;
      },
      resumeFrom,
      control: {
        // Training steps chain promises without returning to the event loop; yield once per step so
        // Ctrl-C (a signal handler, a macrotask) gets through.
        beforeStep: async () => {
          await new Promise((done) => setImmediate(done));
          return signal.aborted ? 'stop' : 'continue';
        },
      },
    });
    folder.writeSummary(summary);
    return {
      status: summary.status,
      summary,
      seconds: summary.seconds,
      ...(summary.error ? { error: summary.error } : {}),
      ...(resumeFrom ? { reusedPretraining: true } : {}),
    };
  };

  const controller = new AbortController();
  let firstInterrupt = 0;
  process.on('SIGINT', () => {
    // Wrappers (npm, a shell) may deliver one Ctrl-C twice: only a second press after a moment quits at once.
    if (firstInterrupt && Date.now() - firstInterrupt > 1000) process.exit(130);
    if (firstInterrupt) return;
    firstInterrupt = Date.now();
    process.stderr.write(
      "\nstopping the sweep after the running trials' current step (run the same command again to resume; Ctrl-C again to quit now)…\n",
    );
    controller.abort();
  });

  const onEvent = (event: SweepEvent) => {
    if (event.type === 'trial-start') {
      process.stderr.write(`\n[${event.trial.id} ${event.trial.index + 1}/${spec.trials}] ${formatParams(event.trial.params)}\n`);
    } else if (event.type === 'trial-end') {
      writeFileAtomic(sweepPath, sweepFile(event.state, 'running'));
      const t = event.trial;
      const detail = t.status === 'completed' ? `${spec.objective.metric} ${formatObjective(spec, t.objective)}` : (t.reason ?? '');
      process.stderr.write(
        `[${t.id}] ${t.status} in ${formatDuration(t.seconds)}${t.reusedPretraining ? ' (shared pretraining)' : ''}: ${detail}\n`,
      );
      const p = sweepProgress(event.state);
      const best = p.best ? `best ${p.best.id} ${formatObjective(spec, p.best.objective)}` : 'best -';
      process.stderr.write(
        `sweep: ${spec.trials - p.left}/${spec.trials} done (${p.completed} completed, ${p.stopped} stopped, ${p.failed} failed), ${p.left} left | ${best} | ETA ${formatDuration(p.etaSeconds)}\n`,
      );
    }
  };

  const state = await runSweep({ spec, runTrial, previous, onEvent, signal: controller.signal });
  writeFileAtomic(sweepPath, sweepFile(state, state.status));
  const p = sweepProgress(state);
  if (state.status === 'interrupted') {
    process.stderr.write(
      `\ninterrupted: ${state.trials.length}/${spec.trials} trials finished; resume with the same command (results in ${out})\n`,
    );
    return 130;
  }
  if (state.trials.length > 0) {
    // The researcher's way to send the result: the lab opens it with every view, without training.
    const link = sweepShareLink({ spec, trials: state.trials }, `${args.lab.replace(/#.*$/, '')}#`);
    writeFileAtomic(join(out, 'share-link.txt'), `${link}\n`);
    process.stderr.write(`share link (${link.length} characters) in ${join(out, 'share-link.txt')}\n`);
  }
  if (state.trials.length > 0 && p.failed === state.trials.length) {
    process.stderr.write(`\nevery trial failed; first error: ${state.trials[0].error ?? 'unknown'}\n`);
    return 1;
  }
  process.stderr.write(
    `\nsweep completed: ${p.completed} completed, ${p.stopped} stopped, ${p.failed} failed; ` +
      (state.best
        ? `best ${state.best.id} (${formatParams(state.best.params)}): ${spec.objective.metric} ${formatObjective(spec, state.best.objective)}`
        : 'no trial produced the objective') +
      `\nresults in ${out}\n`,
  );
  return 0;
}

runCommand(main, { usage: SWEEP_USAGE });
