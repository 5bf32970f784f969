import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeSweepHash } from '../sweep/shareLink';
import { tempDirs } from '../testing/tempDir';

const repo = resolve(__dirname, '../..');
// As `npm run sweep` runs it: one Node process with tsx's loader (the tsx CLI's signal relay would
// SIGKILL a child busy in a training step instead of letting it stop cleanly on Ctrl-C).
const command = [process.execPath, '--import', 'tsx', 'src/cli/sweep.ts'];
const example = join(repo, 'examples', 'sweep-shapes.json');

function sweep(args: string[]) {
  const result = spawnSync(command[0], [...command.slice(1), ...args], { cwd: repo, encoding: 'utf8', timeout: 300_000 });
  return { code: result.status, stderr: result.stderr };
}

interface SweepFile {
  status: string;
  planned: number;
  trials: {
    id: string;
    params: Record<string, unknown>;
    status: string;
    objective: number | null;
    stoppedAt?: number;
    reason?: string;
    seconds: number;
  }[];
  best: { id: string; params: Record<string, unknown>; objective: number } | null;
}

const readSweep = (dir: string) => JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as SweepFile;

/** Every test's folders are removed after it. */
const temps = tempDirs();
afterEach(() => temps.removeAll());

describe('npm run sweep', () => {
  it('exits 2 naming the field for an invalid spec or --set', () => {
    const dir = temps.make('simclr-sweep-');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ parameters: { 'pretrain.temprature': { values: [0.1] }, 'model.depth': { values: [18, 19] } } }));
    const invalid = sweep(['--spec', bad, '--out', join(dir, 'a')]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/parameters\.pretrain\.temprature: unknown field/);
    expect(invalid.stderr).toMatch(/parameters\.model\.depth\.values\.1: 19: must be one of 18, 34/);
    expect(existsSync(join(dir, 'a', 'sweep.json'))).toBe(false);

    const set = sweep(['--spec', example, '--set', 'base.pretrain.temperature=-1', '--set', 'pretrain.epochs=2', '--out', join(dir, 'b')]);
    expect(set.code).toBe(2);
    expect(set.stderr).toMatch(/base\.pretrain\.temperature: /);
    expect(set.stderr).toMatch(/pretrain\.epochs: --set changes the base config: write base\.<path>=value/);

    const missing = sweep(['--out', join(dir, 'c')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--spec FILE\.json is required/);
  });

  it('runs a 2×2 grid with ASHA on shapes: stopped trials carry reasons, every trial has its run folder', () => {
    const out = temps.make('simclr-sweep-');
    const result = sweep(['--spec', example, '--out', out, '--backend', 'wasm', '--quiet', '--lab', 'https://lab.example/simclr/']);
    expect(result.code, result.stderr).toBe(0);
    const file = readSweep(out);
    // The share link opens this very sweep in the lab at --lab: every trial, its status and objective.
    const link = readFileSync(join(out, 'share-link.txt'), 'utf8').trim();
    expect(link.startsWith('https://lab.example/simclr/#sweep=')).toBe(true);
    expect(result.stderr).toContain(`share link (${link.length} characters)`);
    const shared = decodeSweepHash(link.slice(link.indexOf('#')));
    if (!shared.ok) throw new Error(shared.error);
    expect(shared.sweep.spec.name).toBe(JSON.parse(readFileSync(example, 'utf8')).name);
    expect(file.status).toBe('completed');
    expect(file.trials.map((t) => t.id)).toEqual(['t001', 't002', 't003', 't004']);
    expect(file.trials.map((t) => t.params)).toEqual([
      { 'pretrain.temperature': 0.1, 'pretrain.learningRate': 0.003 },
      { 'pretrain.temperature': 0.1, 'pretrain.learningRate': 0.00001 },
      { 'pretrain.temperature': 1, 'pretrain.learningRate': 0.003 },
      { 'pretrain.temperature': 1, 'pretrain.learningRate': 0.00001 },
    ]);
    const stopped = file.trials.filter((t) => t.status === 'stopped');
    expect(stopped.length).toBeGreaterThan(0);
    for (const t of stopped) {
      expect(t.reason).toMatch(/^stopped at epoch \d: k-NN \d+\.\d% below the rung's cut-off \d+\.\d% \(top 1\/2 of \d\)$/);
      expect(t.stoppedAt).toBe(Number(/epoch (\d)/.exec(t.reason!)![1]));
      expect(t.objective).toBeNull();
    }
    const completed = file.trials.filter((t) => t.status === 'completed');
    expect(completed.length).toBeGreaterThan(0);
    const bestObjective = Math.max(...completed.map((t) => t.objective!));
    expect(file.best?.objective).toBe(bestObjective);
    for (const t of file.trials) {
      const dir = join(out, 'trials', t.id);
      for (const name of ['config.json', 'metrics.jsonl', 'summary.json'])
        expect(existsSync(join(dir, name)), `${t.id}/${name}`).toBe(true);
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      expect(config.pretrain.temperature).toBe(t.params['pretrain.temperature']);
      const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
      expect(summary.status).toBe(t.status);
      if (t.status === 'completed') expect(summary.stages.finetune.testAccuracy).toBe(t.objective);
    }
    expect(shared.sweep.trials.map((t) => [t.id, t.status, t.objective === null ? null : Number(t.objective.toPrecision(5))])).toEqual(
      file.trials.map((t) => [t.id, t.status, t.objective === null ? null : Number(t.objective.toPrecision(5))]),
    );
    expect(result.stderr).toMatch(/sweep: 4\/4 done \(\d completed, \d stopped, 0 failed\), 0 left \| best t00\d/);
  }, 300_000);

  it('resumes after Ctrl-C: finished trials are kept, the others run', async () => {
    const out = temps.make('simclr-sweep-');
    const child = spawn(command[0], [...command.slice(1), '--spec', example, '--out', out, '--backend', 'wasm', '--quiet'], { cwd: repo });
    let stderr = '';
    let interrupted = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!interrupted && /\[t001\] (completed|stopped)/.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted: \d\/4 trials finished; resume with the same command/);
    const first = readSweep(out);
    expect(first.status).toBe('interrupted');
    expect(first.trials.length).toBeGreaterThanOrEqual(1);
    expect(first.trials.length).toBeLessThan(4);

    const again = sweep(['--spec', example, '--out', out, '--backend', 'wasm', '--quiet']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`resuming with ${first.trials.length} finished`));
    expect(again.stderr).not.toMatch(/\[t001 1\/4\]/);
    const second = readSweep(out);
    expect(second.status).toBe('completed');
    expect(second.trials.map((t) => t.id)).toEqual(['t001', 't002', 't003', 't004']);
    expect(second.trials.slice(0, first.trials.length)).toEqual(first.trials);

    // A different spec in the same folder is refused rather than mixed in.
    const other = sweep(['--spec', example, '--set', 'base.seed=2', '--out', out]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds a different sweep/);
  }, 300_000);

  it('pretrains once for a label-fraction sweep, and the shared pretraining gives what a fresh run gives', () => {
    const dir = temps.make('simclr-sweep-');
    const spec = JSON.parse(readFileSync(example, 'utf8'));
    delete spec.earlyStopping;
    const write = (name: string, fractions: number[]) => {
      writeFileSync(join(dir, name), JSON.stringify({ ...spec, parameters: { 'finetune.labelFraction': { values: fractions } } }));
      return join(dir, name);
    };
    const shared = sweep(['--spec', write('two.json', [0.25, 0.5]), '--out', join(dir, 'two'), '--backend', 'wasm', '--quiet']);
    expect(shared.code, shared.stderr).toBe(0);
    expect(shared.stderr).toMatch(/\[t002\] completed in \d+s \(shared pretraining\)/);
    const two = readSweep(join(dir, 'two'));
    expect(two.trials.map((t) => (t as { reusedPretraining?: boolean }).reusedPretraining ?? false)).toEqual([false, true]);
    const metrics = readFileSync(join(dir, 'two', 'trials', 't002', 'metrics.jsonl'), 'utf8');
    expect(metrics).not.toMatch(/"stage":"pretrain"/);
    const summary = JSON.parse(readFileSync(join(dir, 'two', 'trials', 't002', 'summary.json'), 'utf8'));
    expect(summary.stages.pretrain.status).toBe('completed');

    const alone = sweep(['--spec', write('one.json', [0.5]), '--out', join(dir, 'one'), '--backend', 'wasm', '--quiet']);
    expect(alone.code, alone.stderr).toBe(0);
    expect(two.trials[1].objective).toBe(readSweep(join(dir, 'one')).trials[0].objective);
  }, 300_000);
  it('starts every trial from the shipped encoder that pretrain.init names, without pretraining', () => {
    const dir = temps.make('simclr-sweep-');
    const spec = {
      name: 'fine-tune the shipped encoder',
      base: {
        dataset: { name: 'cifar10', trainSize: 40, testSize: 20 },
        pretrain: { init: 'cifar10-resnet18-w025' },
        finetune: { mode: 'linear', labelFraction: 0.5, epochs: 1, batchSize: 10, baseline: false },
        distill: { enabled: false },
      },
      parameters: { 'finetune.learningRate': { values: [0.01, 0.001] } },
      method: 'grid',
    };
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    const result = sweep(['--spec', join(dir, 'spec.json'), '--out', join(dir, 'out'), '--backend', 'wasm', '--quiet']);
    expect(result.code, result.stderr).toBe(0);
    const done = readSweep(join(dir, 'out'));
    // The engine refuses a run whose pretrain.init encoder was not handed to it, so a completed
    // trial is one that started from the shipped weights.
    expect(done.trials.map((t) => t.status)).toEqual(['completed', 'completed']);
    for (const trial of done.trials) {
      const metrics = readFileSync(join(dir, 'out', 'trials', trial.id, 'metrics.jsonl'), 'utf8');
      expect(metrics).not.toMatch(/"stage":"pretrain"/);
    }
  }, 300_000);
});
