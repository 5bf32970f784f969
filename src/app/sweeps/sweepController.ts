import { ConfigError } from '../../core';
import { indexedDbRunStore as runStore, indexedDbSweepStore } from '../../browser/runs/runsDb';
import { newRunId } from '../../browser/runs/runRecord';
import type { LabEvent } from '../../protocol/labWorkerApi';
import { type RunTrial, type SweepEvent, type TrialMetric, type TrialOutcome, runSweep } from '../../sweep/runner';
import { SWEEP_HASH_KEY, decodeSweepHash, sweepShareLink } from '../../sweep/shareLink';
import { type ParamValue, type SweepSpec, trialConfig } from '../../sweep/spec';
import { addHashHandler, deleteRun, isRunning, onLabEvents, runInLab, setWorkerOwner, showRun } from '../labController';
import { useLab } from '../store/labStore';
import { sweepableKind } from './fieldKind';
import { type TrialWorkers, trialWorkersFor } from './trialWorkers';
import { reuseSourceFor, withSharedPretraining } from './pretrainingReuse';
import { draftOfSpec } from './sweepDraft';
import { type StoredSweep, createStoredSweep, sharedOf } from './sweepRecord';
import { type ShownSweep, type SweepSummary, useSweeps } from './sweepStore';

/**
 * The Sweeps tab's host of the sweep runner (src/sweep/runner.ts), as the CLI is its command-line
 * host: trials run one after another in the lab's worker through `runInLab`, or several at once in
 * trial workers of their own on wasm/cpu (trialWorkers.ts); each is a stored run in Runs. The
 * runner's early-stopping verdicts stop them through the same Stop the button uses, and the sweep
 * is written to IndexedDB after every trial so a reload can continue it (the finished
 * trials are handed back as `previous`; the trial that was cut short runs again). A trial whose
 * pretraining an earlier trial already did starts at fine-tuning from that trial's run.
 */

const store = indexedDbSweepStore<StoredSweep>();
const lab = () => useLab.getState();
const sweeps = () => useSweeps.getState();

let active: { record: StoredSweep; controller: AbortController; stoppedByUser: boolean } | null = null;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function isSweepRunning(): boolean {
  return active !== null;
}

function summaryOf(record: StoredSweep): SweepSummary {
  return {
    id: record.id,
    name: record.name,
    createdAt: record.createdAt,
    status: record.status,
    finished: record.trials.length,
    planned: record.spec.trials,
  };
}

function shownOf(record: StoredSweep, running: ShownSweep['running'] = []): ShownSweep {
  return {
    source: 'local',
    id: record.id,
    name: record.name,
    spec: record.spec,
    status: record.status,
    trials: record.trials,
    running,
    runIds: record.runIds,
    reusedFrom: record.reusedFrom ?? {},
    best: record.best,
  };
}

async function refreshSaved(): Promise<void> {
  sweeps().setSaved((await store.listSweeps()).map(summaryOf));
}

async function save(record: StoredSweep): Promise<void> {
  record.updatedAt = Date.now();
  try {
    await store.putSweep(record);
  } catch (error) {
    lab().addNotice('warn', `The sweep could not be saved (${errorText(error)}); it will not survive a reload.`);
  }
}

/** Validated spec → a new stored sweep, run at once. */
export async function startSweep(spec: SweepSpec): Promise<void> {
  if (active || isRunning()) {
    lab().addNotice('warn', 'Training is in progress: stop it before starting a sweep.');
    return;
  }
  const record = createStoredSweep(spec);
  await save(record);
  await refreshSaved();
  await runStored(record);
}

/** A stopped, interrupted or reloaded sweep: the finished trials stay, the rest run. */
export async function continueSweep(id: string): Promise<void> {
  if (active || isRunning()) return;
  const record = await store.getSweep(id);
  if (record) await runStored(record);
}

export function stopSweep(): void {
  if (!active) return;
  active.stoppedByUser = true;
  active.controller.abort(new Error('stopped from the Sweeps tab'));
}

async function runStored(record: StoredSweep): Promise<void> {
  const controller = new AbortController();
  const run = { record, controller, stoppedByUser: false };
  active = run;
  sweeps().setActive(record.id);
  record.status = 'running';
  await save(record);
  setWorkerOwner(`The sweep "${record.name}"`);
  sweeps().show(shownOf(record));

  // The runner's metric callback of the trial in progress: the worker's events carry no run id,
  // but it trains one run at a time, so every metric until runInLab returns is this trial's.
  let feed: ((metric: TrialMetric) => void) | null = null;
  const unlisten = onLabEvents((events: LabEvent[]) => {
    for (const event of events) if (event.type === 'metric' && feed) feed(event);
  });
  // Several trials at once (wasm/cpu, spec.concurrency > 1): each in a worker of its own, which
  // routes its own metrics; otherwise one after another in the lab's worker.
  let pool: TrialWorkers | null = null;

  const runTrial: RunTrial = async (trial, onMetric, signal) => {
    const runId = newRunId();
    // Pretraining reuse (pretrainingReuse.ts): an earlier trial's run of the same reuse key that
    // finished pretraining gives this trial its encoder, and the trial starts at fine-tuning.
    const storedRuns = trial.reuseKey ? new Map((await runStore.listRuns()).map((r) => [r.id, r])) : null;
    const source = storedRuns && reuseSourceFor(trial, record.trials, record.runIds, (id) => storedRuns.get(id));
    record.runIds = { ...record.runIds, [trial.id]: runId };
    const { [trial.id]: _earlierAttempt, ...reusedFrom } = record.reusedFrom ?? {};
    record.reusedFrom = source ? { ...reusedFrom, [trial.id]: source.trialId } : reusedFrom;
    await save(record);
    if (source) sweeps().show(shownOf(record, running));
    if (!pool) feed = onMetric;
    try {
      const initialEncoder = source ? ({ kind: 'run', runId: source.runId, label: source.runName } as const) : undefined;
      const options = { runId, name: `${record.name} · ${trial.id}`, signal, initialEncoder };
      const summary = pool ? await pool.run(trial.config, { ...options, onMetric }) : await runInLab(trial.config, options);
      const outcome: TrialOutcome = {
        status: summary.status,
        summary: source ? withSharedPretraining(summary, source.pretraining) : summary,
        seconds: summary.seconds,
        ...(source ? { reusedPretraining: true } : {}),
      };
      if (summary.error) outcome.error = summary.error;
      return outcome;
    } finally {
      feed = null;
    }
  };

  let running: ShownSweep['running'] = [];
  const onEvent = (event: SweepEvent) => {
    switch (event.type) {
      case 'trial-start':
        running = event.state.running;
        sweeps().show(shownOf(record, running));
        break;
      case 'trial-metric':
        sweeps().appendCurve(event.trialId, [event.epoch, event.value]);
        break;
      case 'trial-end':
        record.trials = event.state.trials;
        record.best = event.state.best;
        running = event.state.running;
        void save(record).then(refreshSaved);
        sweeps().show(shownOf(record, running));
        break;
      case 'sweep-end':
        break;
    }
  };

  try {
    pool = await trialWorkersFor(record.spec);
    const spec = { ...record.spec, concurrency: pool?.size ?? 1 };
    const state = await runSweep({ spec, runTrial, previous: record.trials, onEvent, signal: controller.signal });
    record.trials = state.trials;
    record.best = state.best;
    record.status = state.status === 'completed' ? 'completed' : run.stoppedByUser ? 'stopped' : 'interrupted';
  } catch (error) {
    record.status = 'interrupted';
    lab().addNotice('error', `The sweep stopped: ${errorText(error)}`);
  } finally {
    unlisten();
    pool?.dispose();
    setWorkerOwner(null);
    active = null;
    sweeps().setActive(null);
  }
  await save(record);
  await refreshSaved();
  sweeps().show(shownOf(record));
}

export async function openSweep(id: string): Promise<void> {
  const record = await store.getSweep(id);
  if (record) sweeps().show(shownOf(record, active?.record.id === id ? (sweeps().shown?.running ?? []) : []));
}

export async function deleteSweep(id: string): Promise<void> {
  if (active?.record.id === id) return;
  await store.deleteSweep(id);
  if (sweeps().shown?.id === id) sweeps().show(null);
  await refreshSaved();
}

/** The current settings become the best (or any) trial's config. */
export function applyTrial(spec: SweepSpec, trialId: string, params: Record<string, ParamValue>): void {
  try {
    lab().setConfig(trialConfig(spec, params));
    lab().addNotice('info', `Settings now hold trial ${trialId}'s values (${Object.keys(params).join(', ')}).`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    lab().addNotice('error', `Trial ${trialId}'s settings are not a valid config: ${error.message}`);
  }
}

export async function openTrialRun(runId: string): Promise<void> {
  await showRun(runId);
  lab().setTab('live');
}

/** The `#sweep=` link of the shown sweep: with thinned curves when the link stays short enough. */
export function sweepLink(sweep: Pick<ShownSweep, 'spec' | 'trials'>): string {
  const finished = sweep.trials.filter((t) => t.status !== 'running') as StoredSweep['trials'];
  const shared = sharedOf({ spec: sweep.spec, trials: finished });
  return sweepShareLink(shared, `${location.origin}${location.pathname}#`);
}

export async function shareSweep(): Promise<void> {
  const shown = sweeps().shown;
  if (!shown) return;
  const link = sweepLink(shown);
  sweeps().setShareLink(link);
  try {
    await navigator.clipboard.writeText(link);
    lab().addNotice('info', 'Sweep link copied to the clipboard.');
  } catch {
    // Headless or insecure contexts refuse the clipboard; the link is in the text field.
  }
}

/** Opens a `#sweep=` link: the views without training. Returns false for any other hash. */
function openSweepHash(hash: string): boolean {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!text.startsWith(`${SWEEP_HASH_KEY}=`)) return false;
  const decoded = decodeSweepHash(text);
  if (!decoded.ok) {
    lab().addNotice('error', decoded.error);
    return true;
  }
  const { spec, trials } = decoded.sweep;
  lab().setTab('sweeps');
  sweeps().show({
    source: 'shared',
    id: null,
    name: spec.name,
    spec,
    status: 'shared',
    trials,
    running: [],
    runIds: {},
    best: bestOf(trials, spec.objective.goal),
  });
  return true;
}

function bestOf(trials: ShownSweep['trials'], goal: 'maximize' | 'minimize'): ShownSweep['best'] {
  let best: ShownSweep['trials'][number] | null = null;
  for (const t of trials) {
    if (t.status !== 'completed' || t.objective === null) continue;
    if (!best || (goal === 'maximize' ? t.objective > (best.objective as number) : t.objective < (best.objective as number))) best = t;
  }
  return best ? { id: best.id, params: best.params, objective: best.objective as number } : null;
}

/** A shared sweep trained here: its spec becomes a new local sweep (and fills the form). */
export async function rerunShown(): Promise<void> {
  const shown = sweeps().shown;
  if (!shown) return;
  sweeps().setDraft(draftOfSpec(shown.spec, (path) => sweepableKind(path) === 'numeric'));
  await startSweep(shown.spec);
}

addHashHandler(openSweepHash);

/**
 * After the lab started: lists stored sweeps, and continues one a reload cut short (status still
 * `running`). The run of its unfinished trial was marked interrupted by the lab; the trial runs
 * again from the start, so that run is removed rather than left to be continued by hand.
 */
export async function initSweeps(): Promise<void> {
  let all: StoredSweep[];
  try {
    all = await store.listSweeps();
  } catch (error) {
    lab().addNotice('warn', `Stored sweeps are unavailable (${errorText(error)}).`);
    return;
  }
  sweeps().setSaved(all.map(summaryOf));
  const unfinished = all.find((s) => s.status === 'running');
  if (!unfinished) return;
  const finished = new Set(unfinished.trials.map((t) => t.id));
  for (const [trialId, runId] of Object.entries(unfinished.runIds)) {
    if (finished.has(trialId)) continue;
    await deleteRun(runId);
    const { [trialId]: _dropped, ...rest } = unfinished.runIds;
    unfinished.runIds = rest;
  }
  lab().addNotice(
    'info',
    `Continuing the sweep "${unfinished.name}" after the reload: ${unfinished.trials.length} of ${unfinished.spec.trials} trials were finished.`,
  );
  if (!sweeps().shown) sweeps().show(shownOf(unfinished));
  await runStored(unfinished);
}
