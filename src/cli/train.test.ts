import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deserializeCheckpoint } from '../core/checkpoint';
import { tempDirs } from '../testing/tempDir';
import { setFlags, tinyRunWith } from '../testing/tinyRun';

const repo = resolve(__dirname, '../..');
const tsx = join(repo, 'node_modules', '.bin', 'tsx');

function train(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(tsx, ['src/cli/train.ts', ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 300_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const tiny = [
  ...setFlags(
    tinyRunWith({
      model: { projectionLayers: 1 },
      // warmupEpochs: the config's default, as this test has always run.
      pretrain: { batchSize: 32, knnK: 5, warmupEpochs: undefined },
      finetune: { batchSize: 8, labelFraction: 0.25 },
      distill: { batchSize: 32 },
    }),
  ),
  '--backend',
  'wasm',
  '--quiet',
];

/** Every test's folders are removed after it. */
const temps = tempDirs();
afterEach(() => temps.removeAll());

describe('npm run train', () => {
  it('exits 2 and names the field for an invalid override', () => {
    const out = temps.make('simclr-cli-');
    const result = train(['--set', 'pretrain.temperature=-1', '--set', 'model.depth=19', '--out', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/pretrain\.temperature/);
    expect(result.stderr).toMatch(/model\.depth: must be one of 18, 34, 50, 101, 152/);
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
  });

  it('exits 2 for unknown fields and unreadable config files', () => {
    const dir = temps.make('simclr-cli-');
    writeFileSync(join(dir, 'unknown.json'), JSON.stringify({ pretrain: { temprature: 0.1 } }));
    writeFileSync(join(dir, 'broken.json'), '{"seed": 1,');
    const unknown = train(['--config', join(dir, 'unknown.json'), '--out', join(dir, 'a')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/pretrain\.temprature: unknown field/);
    const broken = train(['--config', join(dir, 'broken.json'), '--out', join(dir, 'b')]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.json is not valid JSON/);
    const missing = train(['--config', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read config file .*nope\.json/);
  });

  it('exits 1 with a clear message when a dataset is missing', () => {
    const empty = temps.make('simclr-nodata-');
    const result = train(['--set', 'dataset.trainSize=10', '--out', join(empty, 'out'), '--backend', 'cpu', '--quiet'], {
      SIMCLR_DATASETS_DIR: empty,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cifar10\/(data_batch_1\.png|train_labels\.json) is missing/);
    expect(result.stderr).toMatch(/npm run fetch-datasets/);
  });

  it('runs all stages and writes config, metrics, summary and a checkpoint', () => {
    const out = temps.make('simclr-cli-');
    const result = train([...tiny, '--out', out]);
    expect(result.stderr).toMatch(/backend: wasm/);
    expect(result.code).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.dataset.name).toBe('shapes');
    expect(config.pretrain.temperature).toBe(0.5);
    const events = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    for (const event of events) {
      expect(event).toHaveProperty('stage');
      expect(event).toHaveProperty('step');
      expect(event).toHaveProperty('epoch');
    }
    expect(new Set(events.map((e) => e.stage))).toEqual(new Set(['pretrain', 'finetune', 'baseline', 'distill']));
    expect(events.some((e) => e.stage === 'pretrain' && typeof e.knnAccuracy === 'number')).toBe(true);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.status).toBe('completed');
    for (const stage of ['pretrain', 'finetune', 'baseline', 'distill']) {
      expect(summary.stages[stage].backend).toBe('wasm');
      expect(summary.stages[stage].imagesPerSecond).toBeGreaterThan(0);
      expect(summary.stages[stage].seconds).toBeGreaterThan(0);
      expect(summary.stages[stage].testAccuracy).toBeGreaterThanOrEqual(0);
    }
    expect(existsSync(join(out, 'checkpoint.bin'))).toBe(true);
  });

  it('resumes from checkpoint.bin on disk (--resume) to the same result as an uninterrupted run', async () => {
    const dir = temps.make('simclr-cli-resume-');
    const longer = [...tiny, '--set', 'pretrain.epochs=3', '--set', 'finetune.epochs=3'];
    const straightOut = join(dir, 'straight');
    const resumedOut = join(dir, 'resumed');
    mkdirSync(resumedOut);
    // While the uninterrupted run goes on, take its first checkpoint (written by rename, so always
    // whole) as the state of an interrupted run: the files a crashed or stopped run leaves behind.
    const child = spawn(tsx, ['src/cli/train.ts', ...longer, '--out', straightOut], { cwd: repo, stdio: 'ignore' });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    let taken: Buffer | undefined;
    while (!taken && child.exitCode === null) {
      await new Promise((wait) => setTimeout(wait, 50));
      if (existsSync(join(straightOut, 'checkpoint.bin'))) {
        taken = readFileSync(join(straightOut, 'checkpoint.bin'));
        writeFileSync(join(resumedOut, 'checkpoint.bin'), taken);
        writeFileSync(join(resumedOut, 'config.json'), readFileSync(join(straightOut, 'config.json')));
      }
    }
    expect(await exited).toBe(0);
    expect(taken).toBeDefined();
    const partial = deserializeCheckpoint(taken!);
    expect(partial.stage).toBe('pretrain');
    expect(partial.step).toBeLessThan(6);

    const resumed = train([...longer, '--out', resumedOut, '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).not.toMatch(/error/i);
    const a = JSON.parse(readFileSync(join(straightOut, 'summary.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(resumedOut, 'summary.json'), 'utf8'));
    expect(b.status).toBe('completed');
    for (const stage of ['pretrain', 'finetune', 'baseline', 'distill']) {
      expect(b.stages[stage].steps, stage).toBe(a.stages[stage].steps);
      expect(b.stages[stage].testAccuracy, stage).toBeCloseTo(a.stages[stage].testAccuracy, 6);
      expect(b.stages[stage].finalMetrics.loss, stage).toBeCloseTo(a.stages[stage].finalMetrics.loss, 4);
    }
  }, 600_000);
});
