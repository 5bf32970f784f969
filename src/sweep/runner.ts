import { ConfigError, type RunConfig, type StageName } from '../core/config';
import type { MetricFields } from '../core/types';
import { emptyEarlyStoppingState, judgeReport, replayCurves, type EarlyStoppingState } from './asha';
import { pretrainingReuseKey } from './reuse';
import { paramsToPoint, pointToParams, proposePoint, type Observation } from './samplers';
import { metricField, metricStage, trialConfig, type ObjectiveMetric, type ParamValue, type StageMetric, type SweepSpec } from './spec';

/**
 * Sweep orchestration, independent of where trials run. The host injects `runTrial` (train one
 * config, report metrics, honour the abort signal); the runner proposes trials, schedules up to
 * `concurrency` at once, feeds the early-stopping rule, aborts the trials it stops, records every
 * finished trial and keeps the best. Given the finished trials of an earlier attempt it continues
 * where that one ended: they are kept as they are and only the missing trials run.
 */

export type FinishedStatus = 'completed' | 'stopped' | 'failed';

export interface TrialRecord {
  id: string;
  /** Position in the sweep's sequence of proposals (0-based). */
  index: number;
  params: Record<string, ParamValue>;
  status: FinishedStatus;
  /** The objective metric's value; null when the trial stopped early, failed or did not produce it. */
  objective: number | null;
  /** Epoch (of the early-stopping metric's stage) at which the trial was stopped. */
  stoppedAt?: number;
  reason?: string;
  error?: string;
  seconds: number;
  /** Pretraining reuse key (null when the trial does not pretrain). */
  reuseKey: string | null;
  /** Whether the host started this trial from a shared pretraining instead of pretraining it. */
  reusedPretraining?: boolean;
  /** (epoch, value) of the sweep's curve metric (see `curveMetric`). */
  curve?: [number, number][];
}

export interface BestTrial {
  id: string;
  params: Record<string, ParamValue>;
  objective: number;
}

export interface SweepState {
  spec: SweepSpec;
  status: 'running' | 'completed' | 'interrupted';
  /** Finished trials, in index order. */
  trials: TrialRecord[];
  /** Trials in progress. */
  running: { id: string; index: number; params: Record<string, ParamValue> }[];
  /** How many trials the sweep runs in all. */
  planned: number;
  best: BestTrial | null;
}

/** Fields of one metric event of a trial (the engine's `metric` RunEvent fits). */
export type TrialMetric = { stage: StageName; epoch: number } & MetricFields & { linearProbeAccuracy?: number };

export interface TrialRequest {
  id: string;
  index: number;
  params: Record<string, ParamValue>;
  config: RunConfig;
  reuseKey: string | null;
}

/** What a finished run reports; the engine's RunSummary fits. */
export interface TrialSummary {
  seconds: number;
  stages: Partial<Record<StageName, { testAccuracy: number | null; finalMetrics: object }>>;
}

export interface TrialOutcome {
  status: FinishedStatus;
  summary?: TrialSummary;
  error?: string;
  /** Wall time; the runner measures it when absent. */
  seconds?: number;
  reusedPretraining?: boolean;
}

export type RunTrial = (trial: TrialRequest, onMetric: (metric: TrialMetric) => void, signal: AbortSignal) => Promise<TrialOutcome>;

export type SweepEvent =
  | { type: 'trial-start'; trial: TrialRequest; state: SweepState }
  | { type: 'trial-metric'; trialId: string; epoch: number; value: number }
  | { type: 'trial-end'; trial: TrialRecord; state: SweepState }
  | { type: 'sweep-end'; state: SweepState };

export interface SweepOptions {
  spec: SweepSpec;
  runTrial: RunTrial;
  /** Finished trials of an earlier attempt (resume). */
  previous?: TrialRecord[];
  onEvent?: (event: SweepEvent) => void;
  /** Aborting interrupts the sweep: running trials are aborted and left unfinished (re-run on resume). */
  signal?: AbortSignal;
  /** Clock in milliseconds (tests inject one). */
  now?: () => number;
}

export function trialId(index: number): string {
  return `t${String(index + 1).padStart(3, '0')}`;
}

/** The metric charted per trial: the early-stopping metric, else the objective when it is per-epoch. */
export function curveMetric(spec: SweepSpec): StageMetric | null {
  if (spec.earlyStopping) return spec.earlyStopping.metric;
  const objective = spec.objective.metric;
  return objective === 'seconds' || objective === 'pretrain.testAccuracy' ? null : objective;
}

/** The objective's value from a finished run's summary (null when the run did not produce it). */
export function objectiveFromSummary(metric: ObjectiveMetric, summary: TrialSummary | undefined, seconds: number): number | null {
  if (metric === 'seconds') return summary?.seconds ?? seconds;
  const stage = summary?.stages[metricStage(metric)!];
  if (!stage) return null;
  const field = metricField(metric);
  const value = field === 'testAccuracy' ? stage.testAccuracy : (stage.finalMetrics as Record<string, unknown>)[field];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function bestTrial(trials: TrialRecord[], goal: 'maximize' | 'minimize'): BestTrial | null {
  let best: TrialRecord | null = null;
  for (const t of trials) {
    if (t.status !== 'completed' || t.objective === null) continue;
    if (!best || (goal === 'maximize' ? t.objective > best.objective! : t.objective < best.objective!)) best = t;
  }
  return best ? { id: best.id, params: best.params, objective: best.objective! } : null;
}

export interface SweepProgress {
  completed: number;
  stopped: number;
  failed: number;
  running: number;
  left: number;
  best: BestTrial | null;
  /** Seconds left, from the mean time of trials that ran (null before any finished). */
  etaSeconds: number | null;
}

export function sweepProgress(state: SweepState): SweepProgress {
  const count = (s: FinishedStatus) => state.trials.filter((t) => t.status === s).length;
  const left = state.planned - state.trials.length;
  const timed = state.trials.filter((t) => t.seconds > 0);
  const mean = timed.length ? timed.reduce((a, t) => a + t.seconds, 0) / timed.length : null;
  return {
    completed: count('completed'),
    stopped: count('stopped'),
    failed: count('failed'),
    running: state.running.length,
    left,
    best: state.best,
    etaSeconds: mean === null ? null : (mean * left) / Math.max(1, state.spec.concurrency),
  };
}

interface Active {
  request: TrialRequest;
  controller: AbortController;
  verdict: { epoch: number; reason: string } | null;
  curve: [number, number][];
  started: number;
}

export async function runSweep(options: SweepOptions): Promise<SweepState> {
  const { spec, runTrial } = options;
  const now = options.now ?? (() => Date.now());
  const emit = options.onEvent ?? (() => undefined);
  const rule = spec.earlyStopping;
  const watched = curveMetric(spec);
  const watchedStage = watched ? metricStage(watched) : null;
  const watchedField = watched ? metricField(watched) : null;

  const finished = new Map<number, TrialRecord>();
  for (const t of options.previous ?? []) if (t.index >= 0 && t.index < spec.trials) finished.set(t.index, t);
  let esState: EarlyStoppingState = rule
    ? replayCurves(
        rule,
        [...finished.values()].filter((t) => t.curve).map((t) => ({ trialId: t.id, curve: t.curve! })),
      )
    : emptyEarlyStoppingState();
  // A pretraining stopped early is stopped for every trial that would share it.
  const pretrainingStopped = new Map<string, TrialRecord>();
  const notePretrainingStop = (t: TrialRecord) => {
    if (t.status === 'stopped' && t.reuseKey && watchedStage === 'pretrain' && rule) pretrainingStopped.set(t.reuseKey, t);
  };
  for (const t of finished.values()) notePretrainingStop(t);

  const active = new Map<number, Active>();
  const state = (status: SweepState['status']): SweepState => {
    const trials = [...finished.values()].sort((a, b) => a.index - b.index);
    return {
      spec,
      status,
      trials,
      running: [...active.values()].map((a) => ({ id: a.request.id, index: a.request.index, params: a.request.params })),
      planned: spec.trials,
      best: bestTrial(trials, spec.objective.goal),
    };
  };

  const observations = (): Observation[] =>
    [...finished.values()].map((t) => ({ point: paramsToPoint(spec.parameters, t.params), value: t.objective, status: t.status }));

  /** The trial at `index`, or the reason its combination of values is not a valid config. */
  const request = (index: number): TrialRequest | { invalid: TrialRecord } => {
    const params = pointToParams(proposePoint(spec, index, spec.method === 'tpe' ? observations() : []));
    try {
      const config = trialConfig(spec, params);
      return { id: trialId(index), index, params, config, reuseKey: pretrainingReuseKey(config) };
    } catch (error) {
      // Values valid one by one can still clash (finetune.fromProjectionLayer > model.projectionLayers).
      if (!(error instanceof ConfigError)) throw error;
      const why = error.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
      return {
        invalid: {
          id: trialId(index),
          index,
          params,
          status: 'failed',
          objective: null,
          seconds: 0,
          reuseKey: null,
          error: `invalid config: ${why}`,
          reason: `failed: invalid config: ${why}`,
        },
      };
    }
  };

  const finish = (record: TrialRecord) => {
    finished.set(record.index, record);
    notePretrainingStop(record);
    emit({ type: 'trial-end', trial: record, state: state('running') });
  };

  const onMetric = (a: Active) => (metric: TrialMetric) => {
    if (a.verdict || a.controller.signal.aborted || metric.stage !== watchedStage) return;
    const value = (metric as unknown as Record<string, unknown>)[watchedField!]; // the watched field is one of the metric names the spec allows
    if (typeof value !== 'number' || !Number.isFinite(value)) return;
    a.curve.push([metric.epoch, value]);
    emit({ type: 'trial-metric', trialId: a.request.id, epoch: metric.epoch, value });
    if (!rule) return;
    const judged = judgeReport(rule, esState, { trialId: a.request.id, epoch: metric.epoch, value });
    esState = judged.state;
    if (judged.verdict.stop) {
      a.verdict = { epoch: judged.verdict.epoch, reason: judged.verdict.reason };
      a.controller.abort(new Error(judged.verdict.reason));
    }
  };

  const launch = async (req: TrialRequest): Promise<void> => {
    const a: Active = { request: req, controller: new AbortController(), verdict: null, curve: [], started: now() };
    active.set(req.index, a);
    emit({ type: 'trial-start', trial: req, state: state('running') });
    let outcome: TrialOutcome;
    try {
      outcome = await runTrial(req, onMetric(a), a.controller.signal);
    } catch (error) {
      outcome = { status: 'failed', error: error instanceof Error ? error.message : String(error) };
    }
    active.delete(req.index);
    const seconds = outcome.seconds ?? (now() - a.started) / 1000;
    if (options.signal?.aborted && !a.verdict && outcome.status !== 'completed') return; // interrupted: re-run on resume
    const base = {
      id: req.id,
      index: req.index,
      params: req.params,
      seconds,
      reuseKey: req.reuseKey,
      ...(a.curve.length ? { curve: a.curve } : {}),
      ...(outcome.reusedPretraining ? { reusedPretraining: true } : {}),
    };
    // A verdict at a trial's last report can arrive after its run has already finished: the work is
    // done, so it counts as completed with its objective (stopping saves nothing then).
    if (a.verdict && outcome.status !== 'completed') {
      finish({ ...base, status: 'stopped', objective: null, stoppedAt: a.verdict.epoch, reason: a.verdict.reason });
    } else if (outcome.status === 'failed') {
      finish({
        ...base,
        status: 'failed',
        objective: null,
        error: outcome.error ?? 'unknown error',
        reason: `failed: ${outcome.error ?? 'unknown error'}`,
      });
    } else if (outcome.status === 'stopped') {
      finish({ ...base, status: 'stopped', objective: null, reason: 'stopped by the host' });
    } else {
      const objective = objectiveFromSummary(spec.objective.metric, outcome.summary, seconds);
      finish({
        ...base,
        status: 'completed',
        objective,
        ...(objective === null ? { reason: `finished without ${spec.objective.metric}` } : {}),
      });
    }
  };

  const pending = Array.from({ length: spec.trials }, (_, i) => i).filter((i) => !finished.has(i));
  const inFlight = new Set<Promise<void>>();
  const aborted = () => options.signal?.aborted ?? false;
  const onAbort = () => {
    for (const a of active.values()) if (!a.verdict) a.controller.abort(new Error('sweep interrupted'));
  };
  options.signal?.addEventListener('abort', onAbort);
  try {
    while (!aborted()) {
      while (!aborted() && active.size < spec.concurrency && pending.length) {
        // Trials that would share a pretraining in progress wait for it, so it is computed once.
        const busy = new Set([...active.values()].map((a) => a.request.reuseKey).filter(Boolean));
        let chosen: TrialRequest | null = null;
        let invalid: TrialRecord | null = null;
        for (const index of pending) {
          const req = request(index);
          if ('invalid' in req) {
            invalid = req.invalid;
            break;
          }
          if (req.reuseKey && busy.has(req.reuseKey)) continue;
          chosen = req;
          break;
        }
        if (invalid) {
          pending.splice(pending.indexOf(invalid.index), 1);
          finish(invalid);
          continue;
        }
        if (!chosen) break;
        pending.splice(pending.indexOf(chosen.index), 1);
        const sharedStop = chosen.reuseKey ? pretrainingStopped.get(chosen.reuseKey) : undefined;
        if (sharedStop) {
          finish({
            id: chosen.id,
            index: chosen.index,
            params: chosen.params,
            status: 'stopped',
            objective: null,
            seconds: 0,
            reuseKey: chosen.reuseKey,
            ...(sharedStop.stoppedAt !== undefined ? { stoppedAt: sharedStop.stoppedAt } : {}),
            reason: sharedStop.reason?.startsWith('shares its pretraining')
              ? sharedStop.reason
              : `shares its pretraining with ${sharedStop.id}, ${sharedStop.reason ?? 'stopped'}`,
          });
          continue;
        }
        const promise: Promise<void> = launch(chosen).finally(() => inFlight.delete(promise));
        inFlight.add(promise);
      }
      if (inFlight.size === 0) break;
      await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  const result = state(finished.size >= spec.trials ? 'completed' : 'interrupted');
  emit({ type: 'sweep-end', state: result });
  return result;
}
