import type { StoredSweepEvent, SweepListItem, SweepRecord, SweepStatus, SweepTrial } from '../../protocol/serverClient';
import type { BestTrial, TrialRecord } from '../../sweep/runner';
import type { SweepSpec } from '../../sweep/spec';
import type { ShownSweep } from './sweepStore';

/**
 * A sweep that runs on the GPU server, as the Sweeps tab holds it: what the server's record says,
 * folded forward by its event stream. Pure functions only: the controller (serverSweepController.ts)
 * fetches and streams, these decide what the views show. The state is plain JSON, kept in
 * localStorage with the id of the last event folded in, so a reload shows it at once and reattaches
 * to the stream after that id (Last-Event-ID).
 */
export interface ServerSweepState {
  /** The server's base URL (as normalised in Settings). */
  url: string;
  /** The server's sweep id. */
  id: string;
  name: string;
  createdAt: number;
  spec: SweepSpec;
  status: SweepStatus;
  reason: string | null;
  /** Finished trials, in index order. */
  trials: TrialRecord[];
  /** Trials proposed and not finished (queued or training on the server). */
  running: ShownSweep['running'];
  /** Trial id → the server run that carries it. */
  runIds: Record<string, string>;
  best: BestTrial | null;
  /** (epoch, value) of the curve metric of the trials in progress, as their events arrive. */
  curves: Record<string, [number, number][]>;
  /** Id of the last sweep event folded in (0: none). */
  lastEventId: number;
}

/** Where a server sweep lives: one server's id space is not another's. */
export function serverSweepKey(sweep: { url: string; id: string }): string {
  return `${sweep.url} ${sweep.id}`;
}

function bestOf(best: { id: string; params: BestTrial['params']; objective: number } | null): BestTrial | null {
  return best ? { id: best.id, params: best.params, objective: best.objective } : null;
}

/** A finished server trial as the runner records one (what the table, charts and share links read). */
export function trialRecordOf(trial: SweepTrial, finishedStatus: TrialRecord['status'], reason?: string): TrialRecord {
  const record: TrialRecord = {
    id: trial.id,
    index: trial.index,
    params: trial.params,
    status: finishedStatus,
    objective: trial.objective,
    seconds: trial.seconds ?? 0,
    reuseKey: trial.reuseKey ?? null,
  };
  if (trial.stoppedAt !== undefined) record.stoppedAt = trial.stoppedAt;
  const why = trial.reason ?? reason;
  if (why !== undefined) record.reason = why;
  if (trial.error !== undefined) record.error = trial.error;
  if (trial.reusedPretraining) record.reusedPretraining = true;
  if (trial.curve?.length) record.curve = trial.curve;
  return record;
}

function isFinishedTrial(trial: SweepTrial): trial is SweepTrial & { status: TrialRecord['status'] } {
  return trial.status === 'completed' || trial.status === 'stopped' || trial.status === 'failed';
}

/**
 * The state of a sweep from its record (`GET /api/sweeps/:id`), up to its `eventCount`. A finished
 * sweep's trials that the server still reports in progress (its cancel reaches their runs a moment
 * after the sweep's own status) are shown stopped, with the sweep's reason.
 */
export function serverSweepOfRecord(url: string, record: SweepRecord, spec: SweepSpec): ServerSweepState {
  const sweepOver = record.status !== 'running';
  const trials: TrialRecord[] = [];
  const running: ShownSweep['running'] = [];
  const runIds: Record<string, string> = {};
  for (const trial of record.trials) {
    if (trial.runId) runIds[trial.id] = trial.runId;
    if (isFinishedTrial(trial)) trials.push(trialRecordOf(trial, trial.status));
    else if (sweepOver)
      trials.push(trialRecordOf(trial, 'stopped', `the sweep ${record.status}${record.reason ? `: ${record.reason}` : ''}`));
    else running.push({ id: trial.id, index: trial.index, params: trial.params });
  }
  return {
    url,
    id: record.id,
    name: record.name,
    createdAt: Date.parse(record.createdAt),
    spec,
    status: record.status,
    reason: record.reason,
    trials: trials.sort((a, b) => a.index - b.index),
    running,
    runIds,
    best: bestOf(record.best),
    curves: {},
    lastEventId: record.eventCount,
  };
}

/** A sweep before any of its events: folding its stream from the first event rebuilds everything, curves of running trials included. */
export function emptyServerSweep(url: string, id: string, spec: SweepSpec, createdAt: number): ServerSweepState {
  return {
    url,
    id,
    name: spec.name,
    createdAt,
    spec,
    status: 'running',
    reason: null,
    trials: [],
    running: [],
    runIds: {},
    best: null,
    curves: {},
    lastEventId: 0,
  };
}

/**
 * Folds stored sweep events (in id order) into a new state; the input is not changed. Events at or
 * before `lastEventId` are skipped, so a replay after a reconnect never counts one twice.
 */
export function applyServerSweepEvents(state: ServerSweepState, events: readonly StoredSweepEvent[]): ServerSweepState {
  const next: ServerSweepState = {
    ...state,
    trials: [...state.trials],
    running: [...state.running],
    runIds: { ...state.runIds },
    curves: { ...state.curves },
  };
  for (const { id, event } of events) {
    if (id <= next.lastEventId) continue;
    next.lastEventId = id;
    switch (event.type) {
      case 'sweep-status':
        next.status = event.status;
        next.reason = event.reason ?? null;
        break;
      case 'trial-start': {
        const { trial } = event;
        if (trial.runId) next.runIds[trial.id] = trial.runId;
        // The server queues a trial again (new run) when it lost the old one: one row still.
        next.trials = next.trials.filter((t) => t.id !== trial.id);
        if (!next.running.some((r) => r.id === trial.id)) next.running.push({ id: trial.id, index: trial.index, params: trial.params });
        delete next.curves[trial.id];
        break;
      }
      case 'trial-status':
        next.runIds[event.trialId] = event.runId;
        break;
      case 'trial-metric':
        next.curves[event.trialId] = [...(next.curves[event.trialId] ?? []), [event.epoch, event.value]];
        break;
      case 'trial-end': {
        const { trial } = event;
        if (trial.runId) next.runIds[trial.id] = trial.runId;
        next.running = next.running.filter((r) => r.id !== trial.id);
        delete next.curves[trial.id];
        const status = isFinishedTrial(trial) ? trial.status : 'failed';
        next.trials = [...next.trials.filter((t) => t.id !== trial.id), trialRecordOf(trial, status)].sort((a, b) => a.index - b.index);
        next.best = bestOf(event.best);
        break;
      }
    }
  }
  return next;
}

/** What the Sweeps views show of a server sweep. */
export function shownOfServerSweep(state: ServerSweepState): ShownSweep {
  return {
    source: 'server',
    id: state.id,
    name: state.name,
    spec: state.spec,
    status: state.status,
    trials: state.trials,
    running: state.status === 'running' ? state.running : [],
    runIds: state.runIds,
    best: state.best,
    server: { url: state.url, id: state.id },
    liveCurves: state.status === 'running' ? state.curves : {},
  };
}

/** One line of the list of server sweeps. */
export interface ServerSweepSummary {
  url: string;
  id: string;
  name: string;
  createdAt: number;
  status: SweepStatus;
  finished: number;
  planned: number;
}

export function summaryOfServerSweep(state: ServerSweepState): ServerSweepSummary {
  return {
    url: state.url,
    id: state.id,
    name: state.name,
    createdAt: state.createdAt,
    status: state.status,
    finished: state.trials.length,
    planned: state.spec.trials,
  };
}

export function summaryOfListItem(url: string, item: SweepListItem): ServerSweepSummary {
  const { completed, stopped, failed } = item.counts;
  return {
    url,
    id: item.id,
    name: item.name,
    createdAt: Date.parse(item.createdAt),
    status: item.status,
    finished: completed + stopped + failed,
    planned: item.planned,
  };
}

/** Of two lines of one sweep, the one further along: finished beats running, then more finished trials; ties go to `b`. */
function fresher(a: ServerSweepSummary, b: ServerSweepSummary): ServerSweepSummary {
  const aOver = a.status !== 'running';
  const bOver = b.status !== 'running';
  if (aOver !== bOver) return aOver ? a : b;
  return a.finished > b.finished ? a : b;
}

/**
 * The list of server sweeps: those this browser remembers (any server) and those the configured
 * server lists (sent from the CLI or another browser too), one line each, the fresher one (the
 * followed sweep is often ahead of the last listing). Newest first.
 */
export function mergeServerSweeps(remembered: ServerSweepSummary[], listed: ServerSweepSummary[]): ServerSweepSummary[] {
  const byKey = new Map<string, ServerSweepSummary>();
  for (const s of remembered) byKey.set(serverSweepKey(s), s);
  for (const s of listed) {
    const key = serverSweepKey(s);
    const known = byKey.get(key);
    byKey.set(key, known ? fresher(known, s) : s);
  }
  return [...byKey.values()].sort((a, b) => b.createdAt - a.createdAt);
}
