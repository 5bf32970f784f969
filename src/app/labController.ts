import * as Comlink from 'comlink';
import type { RunConfig, RunSummary } from '../core';
import { configToHash } from '../protocol/shareUrl';
import type {
  AugmentationSample,
  BackendPreference,
  BrowserBackendInfo,
  EncoderStart,
  FolderFile,
  LabEvent,
  LabWorkerApi,
  StartRunRequest,
} from '../protocol/labWorkerApi';
import { startLabWorker } from './labWorkerClient';
import { measureBackends } from './backendProbe';
import { type BackendReport, measuringBatch, modelSignature, recallChoice, rememberChoice } from '../browser/backendRanking';
import { modelSpecFromConfig } from '../core/model/index';
import { createBatcher } from '../browser/batcher';
import { downloadBytes } from './lib/download';
import { exportRunFile, exportWeightsFile, importRunFile } from '../browser/runs/runFile';
import { markInterrupted, newRunId } from '../browser/runs/runRecord';
import { indexedDbRunStore } from '../browser/runs/runsDb';
import { sharedResultsOf } from './share/sharedResults';
import { type TeacherView, joinHash } from './share/teacherLink';
import { useLab } from './store/labStore';
import { useStartPoint } from './store/startPoint';

/**
 * The page's side of the lab: owns the worker, feeds its events to the store once per animation
 * frame, and implements the buttons. Nothing here computes anything heavy.
 */
let api: Comlink.Remote<LabWorkerApi> | null = null;
let lastHashWritten = '';
const store = indexedDbRunStore;
const lab = () => useLab.getState();

function worker(): Comlink.Remote<LabWorkerApi> {
  if (!api) throw new Error('The lab worker has not started yet.');
  return api;
}

export type RunControls = Pick<LabWorkerApi, 'pause' | 'resume' | 'step' | 'stop'>;

/** Set while Live shows a sweep's trial that trains in a worker of its own: Pause, Step and Stop act on it. */
let liveControls: RunControls | null = null;

export function setLiveControls(controls: RunControls | null): void {
  liveControls = controls;
}

function controls(): RunControls {
  return liveControls ?? worker();
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Who else hears the worker's events, as they arrive (the Sweeps tab feeds metrics to early stopping). */
const eventListeners = new Set<(events: LabEvent[]) => void>();

export function onLabEvents(listener: (events: LabEvent[]) => void): () => void {
  eventListeners.add(listener);
  return () => eventListeners.delete(listener);
}

/**
 * Link handlers tried before the config codec (a `#sweep=` link is not a config). A handler returns
 * true when the hash was its own.
 */
const hashHandlers: ((hash: string) => boolean)[] = [];

export function addHashHandler(handler: (hash: string) => boolean): void {
  hashHandlers.push(handler);
}

function openLink(hash: string): void {
  if (!hashHandlers.some((handle) => handle(hash))) lab().openHash(hash);
}

/** Set while a sweep owns the worker: Start then says so instead of racing the sweep's next trial. */
let busyWith: string | null = null;

export function setWorkerOwner(owner: string | null): void {
  busyWith = owner;
}

export async function refreshRuns(): Promise<void> {
  lab().setRuns(await store.listRuns());
}

export async function initLab(): Promise<void> {
  api = startLabWorker().api;
  const inbox = createBatcher<LabEvent>(
    (events) => {
      lab().applyEvents(events);
      if (events.some((e) => e.type === 'run-end' || e.type === 'stage-end')) void refreshRuns();
    },
    (flush) => requestAnimationFrame(flush),
  );
  if (location.hash.length > 1) {
    openLink(location.hash);
    lastHashWritten = location.hash.slice(1);
  }
  // First thing, for the link's model: a Start pressed from now on waits for this (backendReadyFor).
  // Not awaited: measuring takes seconds.
  void selectBackend('auto');
  await api.subscribe(
    Comlink.proxy((events: LabEvent[]) => {
      events.forEach((e) => inbox.push(e));
      // Listeners hear events at once, not at the next animation frame (which a hidden tab withholds).
      for (const listener of eventListeners) listener(events);
    }),
  );
  window.addEventListener('hashchange', () => {
    const hash = location.hash.slice(1);
    if (hash !== lastHashWritten) {
      lastHashWritten = hash;
      openLink(hash);
    }
  });
  // The address bar always reflects the settings (like TensorFlow Playground), without results.
  useLab.subscribe((state, previous) => {
    if (state.config === previous.config && state.teacher === previous.teacher) return;
    // A teacher's hidden controls, title and note stay in the address bar as the settings change.
    const hash = joinHash(configToHash(state.config), state.teacher);
    lastHashWritten = hash;
    history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
  });

  await markInterruptedRuns();
}

async function markInterruptedRuns(): Promise<void> {
  try {
    for (const run of await store.listRuns()) {
      // A server run trains on without this page: it is reattached (serverRun.ts), not interrupted.
      if (run.origin === 'server' && run.server) continue;
      const marked = markInterrupted(run);
      if (marked !== run) await store.putRun(marked);
    }
    await refreshRuns();
  } catch (error) {
    lab().addNotice('warn', `Stored runs are unavailable (${errorText(error)}); runs will not survive a reload.`);
  }
}

// Each backend request gets a number; only the newest may set the backend, so a choice made by
// hand while auto is still measuring wins, never the other way round.
let backendGeneration = 0;
let backendSettled: Promise<void> = Promise.resolve();

function browserStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/**
 * Chooses the backend. 'auto' uses the choice remembered for this model in this browser, else
 * measures one training step on each backend (`remeasure` forces that) and takes the fastest.
 */
export function selectBackend(preference: BackendPreference, options: { remeasure?: boolean } = {}): Promise<void> {
  const generation = ++backendGeneration;
  const task = chooseBackend(preference, generation, options.remeasure ?? false);
  backendSettled = task;
  return task;
}

async function chooseBackend(preference: BackendPreference, generation: number, remeasure: boolean): Promise<void> {
  const current = () => generation === backendGeneration;
  lab().setBackendPreference(preference);
  lab().setBackend(lab().backend, true);
  lab().setBackendProgress(preference === 'auto' ? 'measuring…' : 'starting…');
  try {
    let name: BackendPreference = preference;
    if (preference === 'auto') {
      const report = await autoReport(lab().config, remeasure, current);
      if (!current()) return;
      lab().setBackendReport(report);
      name = report.chosen;
    }
    const info = await worker().initBackend(name);
    if (!current()) return;
    lab().setBackend(info);
    if (info.fallbackNotice) lab().addNotice('warn', info.fallbackNotice);
  } catch (error) {
    if (!current()) return;
    lab().setBackend(lab().backend);
    lab().addNotice('error', `Backend: ${errorText(error)}`);
  } finally {
    if (current()) lab().setBackendProgress(null);
  }
}

async function autoReport(config: RunConfig, remeasure: boolean, current: () => boolean): Promise<BackendReport> {
  const signature = modelSignature(config);
  const storage = browserStorage();
  const remembered = remeasure ? null : recallChoice(storage, signature, navigator.userAgent);
  if (remembered) return remembered;
  const report = await measureBackends({
    spec: modelSpecFromConfig(config),
    signature,
    n: measuringBatch(config),
    onProgress: (message) => current() && lab().setBackendProgress(message),
    cancelled: () => !current(),
  });
  rememberChoice(storage, report, navigator.userAgent);
  return report;
}

/**
 * Before a run: waits for a backend choice still in progress, and on auto makes sure the choice
 * was made for this run's model (another model may rank the backends differently).
 */
async function backendReadyFor(config: RunConfig): Promise<void> {
  await backendSettled;
  const { backendPreference, backendReport } = lab();
  if (backendPreference === 'auto' && backendReport && backendReport.signature !== modelSignature(config)) {
    lab().applyEvents([{ type: 'status', time: Date.now(), message: 'Choosing the fastest backend for this model…' }]);
    await selectBackend('auto');
  }
}

/** The backend the lab trains `config` on, once chosen (null when none could start). */
export async function backendFor(config: RunConfig): Promise<BrowserBackendInfo | null> {
  await backendReadyFor(config);
  return lab().backend;
}

export function isRunning(): boolean {
  const live = lab().live;
  return live.controller === 'running' || live.controller === 'paused' || live.controller === 'stopping' || live.status === 'starting';
}

/** Roughly 10-20 similarity/embedding refreshes per pretraining run, at most one every step. */
export function visualEveryStepsFor(config: RunConfig): number {
  const images = config.dataset.trainSize ?? 50_000;
  const steps = Math.max(1, Math.floor(images / config.pretrain.batchSize)) * config.pretrain.epochs;
  return Math.max(1, Math.min(25, Math.floor(steps / 15)));
}

export async function startRun(options: { paused?: boolean; config?: RunConfig } = {}): Promise<void> {
  if (isRunning()) return;
  if (busyWith) {
    lab().addNotice('warn', `${busyWith} is using the trainer: stop it in the Sweeps tab first.`);
    return;
  }
  const config = options.config ?? lab().config;
  if (config.dataset.name === 'folder' && !lab().folder?.length) {
    lab().addNotice('error', 'Choose a folder of images first (Data & model → Your images).');
    return;
  }
  const runId = newRunId();
  lab().beginLiveRun(runId, config);
  // A shipped encoder named by pretrain.init wins over a run or file chosen as the starting point.
  const initialEncoder = config.pretrain.init === null ? (useStartPoint.getState().start ?? undefined) : undefined;
  if (lab().backendBusy) lab().applyEvents([{ type: 'status', time: Date.now(), message: 'Waiting for the backend…' }]);
  await backendReadyFor(config);
  const running = worker().startRun({
    runId,
    config,
    resume: false,
    initialEncoder,
    startPaused: options.paused,
    folder: lab().folder ?? undefined,
    visualEverySteps: visualEveryStepsFor(config),
  });
  if (options.paused) void worker().step();
  await finishRun(running);
}

/** A sweep trial's run, as the lab's worker and the trial workers start it: a fresh stored run. */
export function trialRunRequest(
  config: RunConfig,
  options: { runId: string; name?: string; initialEncoder?: EncoderStart },
): StartRunRequest {
  return {
    runId: options.runId,
    name: options.name,
    config,
    resume: false,
    initialEncoder: options.initialEncoder,
    visualEverySteps: visualEveryStepsFor(config),
  };
}

/**
 * Trains one config to its end as Start does (a stored run in Runs, shown live) and returns its
 * summary; aborting `signal` stops it like the Stop button. The Sweeps tab runs its trials this way;
 * `initialEncoder` starts one at fine-tuning from an earlier trial's run (pretraining reuse).
 */
export async function runInLab(
  config: RunConfig,
  options: { runId: string; name?: string; signal?: AbortSignal; initialEncoder?: EncoderStart },
): Promise<RunSummary> {
  // No isRunning() check: the store hears the last run's final events only at the next animation
  // frame, so it can still read "running" here; the worker itself refuses a second run.
  lab().beginLiveRun(options.runId, config);
  await backendReadyFor(config);
  const stop = () => void worker().stop();
  options.signal?.addEventListener('abort', stop);
  try {
    if (options.signal?.aborted) throw new Error('stopped before it started');
    return await worker().startRun(trialRunRequest(config, options));
  } finally {
    options.signal?.removeEventListener('abort', stop);
    await refreshRuns();
  }
}

export async function continueRun(runId: string): Promise<void> {
  if (isRunning()) return;
  const run = await store.getRun(runId);
  if (!run) return;
  if (run.config.dataset.name === 'folder' && !lab().folder?.length) {
    lab().addNotice(
      'error',
      'This run trained on your own images: choose the same folder again (Data & model → Your images), then continue.',
    );
    return;
  }
  lab().beginLiveRun(runId, run.config, run);
  lab().setConfig(run.config);
  await backendReadyFor(run.config);
  await finishRun(
    worker().startRun({
      runId,
      config: run.config,
      resume: true,
      folder: lab().folder ?? undefined,
      visualEverySteps: visualEveryStepsFor(run.config),
    }),
  );
}

async function finishRun(running: Promise<unknown>): Promise<void> {
  try {
    await running;
  } catch (error) {
    lab().addNotice('error', `Training failed: ${errorText(error)}`);
  }
  await refreshRuns();
}

export function pauseRun(): void {
  lab().markPausing();
  void controls().pause();
}
export const stepRun = () => (isRunning() ? void controls().step() : void startRun({ paused: true }));
export const stopRun = () => void controls().stop();

export function resumeRun(): void {
  const live = lab().live;
  const view = lab().shown ?? live;
  if (live.controller === 'paused') void controls().resume();
  else if (view.status === 'interrupted' && view.runId) void continueRun(view.runId);
}

/** Stops any run and clears the live views; the settings stay. */
export function resetLab(): void {
  if (isRunning()) void controls().stop();
  lab().clearView();
}

/** Builds the share link, shows it and tries to copy it (the clipboard may be denied). */
export async function share(includeResults: boolean, teacher: TeacherView | null = null, copy = true): Promise<string> {
  const { config } = lab();
  const view = lab().shown ?? lab().live;
  const hasResults = view.metrics.length > 0 || Object.keys(view.stages).length > 0;
  const results =
    includeResults && hasResults
      ? sharedResultsOf({
          status: view.status === 'starting' || view.status === 'idle' ? 'running' : view.status,
          backend: view.backend,
          metrics: view.metrics,
          stages: view.stages,
        })
      : undefined;
  const hash = joinHash(configToHash(config, results), teacher);
  const link = `${location.origin}${location.pathname}${hash ? `#${hash}` : ''}`;
  lab().setShareLink(link);
  if (!copy) return link;
  try {
    await navigator.clipboard.writeText(link);
    lab().addNotice('info', 'Link copied to the clipboard.');
  } catch {
    // Headless or insecure contexts refuse the clipboard; the link is in the text field.
  }
  return link;
}

export async function deleteRun(runId: string): Promise<void> {
  await store.deleteRun(runId);
  if (lab().shown?.runId === runId) lab().showLive();
  if (lab().live.runId === runId && !isRunning()) lab().clearView();
  await refreshRuns();
}

export async function showRun(runId: string): Promise<void> {
  const run = await store.getRun(runId);
  if (run) lab().showStoredRun(run);
}

export async function exportRun(runId: string): Promise<void> {
  const run = await store.getRun(runId);
  if (!run) return;
  const checkpoint = await store.getCheckpointBytes(runId);
  downloadBytes(exportRunFile(run, checkpoint), `${runId}.simclr-run.json.gz`, 'application/gzip');
}

export async function downloadWeights(runId: string): Promise<void> {
  const run = await store.getRun(runId);
  const checkpoint = await store.getCheckpointBytes(runId);
  if (!run || !checkpoint) {
    lab().addNotice('warn', 'This run has no stored weights yet.');
    return;
  }
  downloadBytes(exportWeightsFile(run, checkpoint), `${runId}.weights.ckpt`, 'application/octet-stream');
}

export async function importRun(file: File): Promise<void> {
  try {
    const { run, checkpoint } = importRunFile(new Uint8Array(await file.arrayBuffer()));
    if (checkpoint) await store.putCheckpoint(run, checkpoint);
    else await store.putRun(run);
    await refreshRuns();
    lab().addNotice('info', `Imported ${run.name}.`);
  } catch (error) {
    lab().addNotice('error', `Import failed: ${errorText(error)}`);
  }
}

export async function chooseFolder(files: FolderFile[]): Promise<void> {
  if (files.length === 0) {
    lab().addNotice('warn', 'The folder is empty.');
    return;
  }
  const report = await worker().inspectFolder(files);
  const usable = new Set(report.unreadable.map((u) => u.path));
  lab().setFolder(
    files.filter((f) => !usable.has(f.path)),
    report,
  );
  if (report.images === 0) lab().addNotice('error', 'No readable images in that folder (expected one sub-folder of images per class).');
  else lab().setField('dataset.name', 'folder');
}

export async function sampleAugmentations(count: number, seed: number): Promise<AugmentationSample> {
  const { config, folder } = lab();
  return worker().sampleAugmentations({ config, count, seed, folder: folder ?? undefined });
}
