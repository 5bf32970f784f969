import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { parseRunConfig } from '../../core/config';
import { parseSweepSpec } from '../../sweep/spec';
import { tempDirs } from '../testSupport';
import { SqliteRunStore } from './runStore';
import { checkStore } from './storeCheck';
import { SweepStore } from './sweepStore';

// Sweeps live in the run store's database: a store written before sweeps existed opens unchanged and
// gains the tables; sweeps, trials and events survive a reopen; the store check still accepts it.

const temps = tempDirs();
afterEach(() => temps.removeAll());

function tables(dir: string): string[] {
  const db = new Database(join(dir, 'runs.sqlite'), { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
}

it('adds its tables to an existing store and keeps what the store held', () => {
  const dir = temps.make('simclr-sweepstore-');
  const old = new SqliteRunStore(dir);
  const run = old.createRun(parseRunConfig({ seed: 3 }));
  old.close();
  expect(tables(dir)).not.toContain('sweeps');
  checkStore(dir);

  const runs = new SqliteRunStore(dir);
  const sweeps = new SweepStore(runs);
  expect(runs.getRun(run.id)?.config.seed).toBe(3);
  const spec = parseSweepSpec({
    base: { finetune: { enabled: false }, distill: { enabled: false } },
    parameters: { 'pretrain.temperature': { values: [0.1, 0.2] } },
    objective: { metric: 'pretrain.knnAccuracy', goal: 'maximize' },
  });
  const sweep = sweeps.createSweep(spec, 'on');
  const heard: number[] = [];
  sweeps.events.on('event', (id: string, stored: { id: number }) => id === sweep.id && heard.push(stored.id));
  const trialRun = sweeps.createTrialRun(
    sweep.id,
    { index: 0, id: 't001', params: { 'pretrain.temperature': 0.1 } },
    run.config,
    false,
    (runId) => ({
      type: 'trial-start',
      time: 1,
      trial: { id: 't001', index: 0, runId, params: { 'pretrain.temperature': 0.1 }, status: 'queued', objective: null },
    }),
  );
  sweeps.saveSharedPretraining(sweep.id, 'abc', new Uint8Array([1, 2, 3]));
  expect(heard).toEqual([2]);
  runs.close();

  // Reopened: everything is there, and the store check does not take the shared file for an orphan.
  checkStore(dir);
  const again = new SweepStore(new SqliteRunStore(dir));
  expect(tables(dir)).toEqual(expect.arrayContaining(['events', 'meta', 'runs', 'sweep_events', 'sweep_trials', 'sweeps']));
  expect(again.getSweep(sweep.id)).toMatchObject({ status: 'running', reuse: 'on', eventCount: 2, spec });
  expect(again.trials(sweep.id)).toEqual([
    { index: 0, id: 't001', runId: trialRun.id, params: { 'pretrain.temperature': 0.1 }, record: null, reused: false },
  ]);
  expect(again.runs.getRun(trialRun.id)?.status).toBe('queued');
  expect(again.eventsAfter(sweep.id, 0).map((e) => e.event.type)).toEqual(['sweep-status', 'trial-start']);
  expect([...(again.readSharedPretraining(sweep.id, 'abc') ?? [])]).toEqual([1, 2, 3]);
  again.removeSharedPretrainings(sweep.id);
  expect(again.readSharedPretraining(sweep.id, 'abc')).toBeNull();
  again.runs.close();
});
