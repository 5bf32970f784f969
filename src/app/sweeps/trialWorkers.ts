import * as Comlink from 'comlink';
import { type RunConfig, type RunSummary, parseRunConfig } from '../../core';
import { createBatcher } from '../../browser/batcher';
import type { BackendName, EncoderStart, LabEvent, LabWorkerApi } from '../../protocol/labWorkerApi';
import type { TrialMetric } from '../../sweep/runner';
import { backendFor, refreshRuns, setLiveControls, trialRunRequest } from '../labController';
import { startLabWorker } from '../labWorkerClient';
import { useLab } from '../store/labStore';
import type { SweepSpec } from '../../sweep/spec';
import { type TrialSlots, planTrialSlots } from './trialSlots';

/**
 * The trial workers of a sweep that trains several trials at once (wasm or cpu; see trialSlots.ts):
 * each trial trains in a lab worker of its own (the same worker entry as the lab's, started on the
 * lab's backend with its share of the wasm threads), so each is an ordinary stored run that its
 * worker records into IndexedDB, exactly as the lab's worker records a run. A worker's events
 * carry no run id, but a worker trains one trial at a time, so its metrics are that trial's. The
 * first worker's trial is shown in Live (Pause, Step and Stop act on it), as a sweep's one trial is
 * when trials run one after another. Workers start when first needed and end with `dispose`.
 */

/** What one trial run takes: the options `runInLab` takes, plus where its metrics go. */
export interface TrialRunOptions {
  runId: string;
  name?: string;
  signal?: AbortSignal;
  /** Start from this encoder instead of pretraining (branching a trial from an earlier one's). */
  initialEncoder?: EncoderStart;
  /** The trial's metrics as they arrive (the sweep runner's early stopping reads them). */
  onMetric?: (metric: TrialMetric) => void;
}

export interface TrialWorkers {
  /** How many trials train at once. */
  readonly size: number;
  /** Trains `config` in a free worker (waiting for one if all are busy) and returns its summary. */
  run(config: RunConfig, options: TrialRunOptions): Promise<RunSummary>;
  /** Ends every worker. Call once the runs have returned: a run still training is lost. */
  dispose(): void;
}

interface Slot {
  index: number;
  api: Comlink.Remote<LabWorkerApi>;
  worker: Worker;
  /** The backend start; a trial waits for it. */
  ready: Promise<void>;
  /** Hears the worker's events while a trial trains. */
  listener: ((events: LabEvent[]) => void) | null;
  busy: boolean;
}

const lab = () => useLab.getState();

export function createTrialWorkers(backend: BackendName, slots: TrialSlots): TrialWorkers {
  const started: Slot[] = [];
  const waiting: { resolve: (slot: Slot) => void; reject: (error: Error) => void }[] = [];
  let disposed = false;
  // Live hears the first worker's events once per animation frame, as it hears the lab's worker.
  const live = createBatcher<LabEvent>(
    (events) => {
      lab().applyEvents(events);
      if (events.some((e) => e.type === 'run-end' || e.type === 'stage-end')) void refreshRuns();
    },
    (flush) => requestAnimationFrame(flush),
  );

  const start = (): Slot => {
    const index = started.length;
    const { api, worker } = startLabWorker(`simclr-sweep-trial-${index + 1}`);
    const slot: Slot = { index, api, worker, ready: Promise.resolve(), listener: null, busy: false };
    slot.ready = (async () => {
      await api.subscribe(Comlink.proxy((events: LabEvent[]) => slot.listener?.(events)));
      const info = await api.initBackend(backend, slots.wasmThreads === null ? {} : { wasmThreads: slots.wasmThreads });
      if (info.name !== backend) lab().addNotice('warn', `A sweep's trial worker started on ${info.name}, not ${backend}.`);
    })();
    started.push(slot);
    return slot;
  };

  const acquire = (): Promise<Slot> => {
    if (disposed) return Promise.reject(new Error('the sweep has ended'));
    const free = started.find((s) => !s.busy) ?? (started.length < slots.workers ? start() : null);
    if (free) {
      free.busy = true;
      return Promise.resolve(free);
    }
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };

  const release = (slot: Slot) => {
    const next = waiting.shift();
    if (next) next.resolve(slot);
    else slot.busy = false;
  };

  return {
    size: slots.workers,

    async run(config, options) {
      const slot = await acquire();
      const inLive = slot.index === 0;
      const stop = () => void slot.api.stop();
      options.signal?.addEventListener('abort', stop);
      try {
        await slot.ready;
        if (options.signal?.aborted) throw new Error('stopped before it started');
        // The worker's events come through the subscription's own message channel and startRun's
        // result through the worker's, so the last events (the final metrics, the controller going
        // idle) can arrive after the result: the trial keeps listening until the worker says idle.
        let settled: () => void = () => undefined;
        const idle = new Promise<void>((resolve) => {
          settled = resolve;
        });
        slot.listener = (events) => {
          for (const event of events) if (event.type === 'metric') options.onMetric?.(event);
          if (inLive) for (const event of events) live.push(event);
          if (events.some((event) => event.type === 'controller' && event.state === 'idle')) settled();
        };
        if (inLive) {
          lab().beginLiveRun(options.runId, config);
          setLiveControls(slot.api);
        }
        const summary = await slot.api.startRun(trialRunRequest(config, options));
        await Promise.race([idle, new Promise((resolve) => setTimeout(resolve, LATE_EVENTS_MS))]);
        return summary;
      } finally {
        options.signal?.removeEventListener('abort', stop);
        slot.listener = null;
        release(slot);
        await refreshRuns();
      }
    },

    dispose() {
      if (disposed) return;
      disposed = true;
      live.flush();
      setLiveControls(null);
      for (const next of waiting.splice(0)) next.reject(new Error('the sweep has ended'));
      for (const slot of started) {
        slot.listener = null;
        slot.api[Comlink.releaseProxy]();
        slot.worker.terminate();
      }
    },
  };
}

/** How long a finished trial waits for its worker's last events (they normally trail by milliseconds). */
const LATE_EVENTS_MS = 5000;

/** The trial slots on this machine for `concurrency` on `backend`. */
export function slotsHere(backend: BackendName | null, concurrency: number): TrialSlots {
  return planTrialSlots({
    backend,
    concurrency,
    cores: navigator.hardwareConcurrency,
    threadedWasm: typeof crossOriginIsolated === 'boolean' && crossOriginIsolated,
  });
}

/**
 * The trial workers a sweep of `spec` trains in, or null when its trials run one after another in
 * the lab's own worker (a GPU backend, one core, or a concurrency of 1).
 */
export async function trialWorkersFor(spec: SweepSpec): Promise<TrialWorkers | null> {
  const backend = await backendFor(parseRunConfig(spec.base)); // a validated spec's base is a valid config
  if (!backend) return null;
  const slots = slotsHere(backend.name, spec.concurrency);
  return slots.workers > 1 ? createTrialWorkers(backend.name, slots) : null;
}
