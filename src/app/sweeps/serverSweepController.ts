import { ConfigError } from '../../core';
import { SimclrServerClient, type SweepRecord } from '../../protocol/serverClient';
import { parseSweepSpec, type SweepSpec } from '../../sweep/spec';
import { importServerRun } from '../gpuServer/serverRunImport';
import { type KeyValueStorage, describeServerError, normalizeServerUrl, useServer } from '../gpuServer/serverSettings';
import { refreshRuns, showRun } from '../labController';
import { useLab } from '../store/labStore';
import { loadServerSweeps, rememberServerSweep } from './serverSweepMemory';
import {
  type ServerSweepState,
  type ServerSweepSummary,
  applyServerSweepEvents,
  emptyServerSweep,
  mergeServerSweeps,
  serverSweepKey,
  serverSweepOfRecord,
  shownOfServerSweep,
  summaryOfListItem,
  summaryOfServerSweep,
} from './serverSweepState';
import { useServerSweeps } from './serverSweepStore';
import { type ShownSweep, useSweeps } from './sweepStore';

/**
 * Sweeps on the GPU server from the Sweeps tab: "Run sweep on server" posts the tab's spec to
 * `/api/sweeps`, and the sweep on screen is followed through its event stream (one at a time: the
 * one shown), folded by serverSweepState.ts into the same views a local sweep fills. Each sweep's
 * folded state is remembered in localStorage with its last event id, so a reload shows it and
 * reattaches after that event (Last-Event-ID), the way a server run reattaches.
 */

const lab = () => useLab.getState();
const sweeps = () => useSweeps.getState();
const serverSweeps = () => useServerSweeps.getState();

/** Every server sweep this page knows the state of (remembered or opened), by serverSweepKey. */
const states = new Map<string, ServerSweepState>();
/** What the configured server listed at the last look. */
let listed: ServerSweepSummary[] = [];
let following: { key: string; controller: AbortController } | null = null;

/** How often a followed sweep's state is written to localStorage (and at every trial end). */
const saveEveryMs = 1000;

function storage(): KeyValueStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function configuredUrl(): string | null {
  const normalized = normalizeServerUrl(useServer.getState().url);
  return normalized.ok ? normalized.url : null;
}

/** The token goes only to the server it was typed for, never to another URL a sweep remembers. */
function clientFor(url: string): SimclrServerClient {
  const token = url === configuredUrl() ? useServer.getState().token || null : null;
  return new SimclrServerClient({ baseUrl: url, token });
}

function publishList(): void {
  serverSweeps().setList(mergeServerSweeps([...states.values()].map(summaryOfServerSweep), listed));
}

/** The page's copy of a sweep's state; `persist`: also localStorage and the list (not on every event of a burst). */
function keep(state: ServerSweepState, persist = true): void {
  states.set(serverSweepKey(state), state);
  if (!persist) return;
  rememberServerSweep(storage(), state);
  publishList();
}

function isShown(state: { url: string; id: string }, shown: ShownSweep | null = sweeps().shown): boolean {
  return shown?.source === 'server' && shown.server?.url === state.url && shown.server.id === state.id;
}

function stopFollowing(): void {
  following?.controller.abort(new Error('another sweep was opened'));
  following = null;
}

/** A spec the server sent, checked by the same schema as the tab's own (a server of another version may differ). */
function specOf(record: SweepRecord): SweepSpec | null {
  try {
    return parseSweepSpec(record.spec);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    lab().addNotice('error', `The server's sweep ${record.id} has a spec this lab cannot read: ${error.message}`);
    return null;
  }
}

/** "Run sweep on server": sends the spec; the reply's errors (400 naming fields, 401, unreachable) are shown beside the button. */
export async function submitServerSweep(spec: SweepSpec): Promise<void> {
  const fail = (message: string) => {
    serverSweeps().setSubmit(false, message);
    lab().addNotice('error', message);
  };
  const url = configuredUrl();
  if (!url) return fail(normalizeServerUrl(useServer.getState().url).ok ? 'No server.' : 'No server URL set (Settings → server URL).');
  const dataset = (spec.base as { dataset?: { name?: unknown } }).dataset;
  if (dataset?.name === 'folder')
    return fail("A sweep on your own images trains in the browser: the server cannot read this page's folder. Use Run sweep instead.");
  serverSweeps().setSubmit(true, null);
  let id: string;
  try {
    id = (await clientFor(url).createSweep(spec as unknown as Record<string, unknown>)).id;
  } catch (error) {
    return fail(describeServerError(error, url, 'the sweep spec'));
  }
  serverSweeps().setSubmit(false, null);
  const state = emptyServerSweep(url, id, spec, Date.now());
  keep(state);
  lab().addNotice('info', `Sent the sweep "${spec.name}" to ${url} (sweep ${id}).`);
  sweeps().show(shownOfServerSweep(state));
  void follow(state);
}

/** Shows a server sweep: at once from what is remembered, else from its record; a running one is followed. */
export async function openServerSweep(url: string, id: string): Promise<void> {
  const known = states.get(serverSweepKey({ url, id }));
  if (known) {
    sweeps().show(shownOfServerSweep(known));
    if (known.status === 'running' && following?.key !== serverSweepKey(known)) void follow(known);
    return;
  }
  let record: SweepRecord;
  try {
    record = await clientFor(url).getSweep(id);
  } catch (error) {
    lab().addNotice('error', `The server sweep ${id} could not be opened: ${describeServerError(error, url)}`);
    return;
  }
  const spec = specOf(record);
  if (!spec) return;
  // A running sweep is rebuilt from its first event: the record has no curves of trials in progress.
  const state =
    record.status === 'running'
      ? { ...emptyServerSweep(url, id, spec, Date.parse(record.createdAt)), name: record.name }
      : serverSweepOfRecord(url, record, spec);
  keep(state);
  sweeps().show(shownOfServerSweep(state));
  if (state.status === 'running') void follow(state);
}

/**
 * Streams the sweep's events after its last folded one into its state; the views follow while it is
 * the sweep on screen. When the stream ends (the sweep finished), the record has the last word.
 */
async function follow(initial: ServerSweepState): Promise<void> {
  stopFollowing();
  const key = serverSweepKey(initial);
  const controller = new AbortController();
  following = { key, controller };
  const client = clientFor(initial.url);
  let state = initial;
  let savedAt = Date.now();
  let publishing = false;
  // A replay from the first event is a burst: the views redraw at most every 100 ms.
  const publish = () => {
    publishing = false;
    if (isShown(state)) sweeps().show(shownOfServerSweep(state));
  };
  try {
    for await (const stored of client.sweepEvents(initial.id, { signal: controller.signal, lastEventId: initial.lastEventId })) {
      state = applyServerSweepEvents(state, [stored]);
      const persist = stored.event.type === 'trial-end' || stored.event.type === 'sweep-status' || Date.now() - savedAt > saveEveryMs;
      if (persist) savedAt = Date.now();
      keep(state, persist);
      if (!publishing) {
        publishing = true;
        setTimeout(publish, 100);
      }
    }
  } catch (error) {
    if (!controller.signal.aborted)
      lab().addNotice(
        'error',
        `Lost the server sweep "${state.name}": ${describeServerError(error, state.url)}. Open it again to reattach.`,
      );
    keep(state);
    return;
  } finally {
    if (following?.controller === controller) following = null;
  }
  if (controller.signal.aborted) {
    keep(state);
    return;
  }
  state = (await settledRecord(client, state)) ?? state;
  keep(state);
  if (isShown(state)) sweeps().show(shownOfServerSweep(state));
  void refreshServerSweeps();
}

/**
 * The record of a finished sweep once its trials have settled: a cancel marks the sweep first and
 * reaches its trials' runs a moment later, so trials still reported in progress are asked again.
 */
async function settledRecord(client: SimclrServerClient, state: ServerSweepState): Promise<ServerSweepState | null> {
  for (let attempt = 0; attempt < 10; attempt++) {
    let record: SweepRecord;
    try {
      record = await client.getSweep(state.id);
    } catch {
      return null;
    }
    const unsettled = record.trials.some((t) => t.status === 'running' || t.status === 'queued');
    if (!unsettled || attempt === 9) return { ...serverSweepOfRecord(state.url, record, state.spec), lastEventId: state.lastEventId };
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return null;
}

/** Cancel on the server: the stream then reports the stopped trials and the sweep's end. */
export async function cancelServerSweep(): Promise<void> {
  const shown = sweeps().shown;
  if (shown?.source !== 'server' || !shown.server) return;
  const { url, id } = shown.server;
  try {
    await clientFor(url).cancelSweep(id);
    lab().addNotice('info', `Cancelling the server sweep "${shown.name}".`);
  } catch (error) {
    lab().addNotice('error', `The server sweep could not be cancelled: ${describeServerError(error, url)}`);
  }
}

/** "Open run" of a server trial: its run is fetched into Runs (as "Run on server" stores one) and shown in Live. */
export async function openServerTrialRun(sweep: Pick<ShownSweep, 'name' | 'runIds' | 'server'>, runId: string): Promise<void> {
  if (!sweep.server) return;
  const { url } = sweep.server;
  const trialId = Object.keys(sweep.runIds).find((t) => sweep.runIds[t] === runId) ?? runId;
  try {
    const storedId = await importServerRun(clientFor(url), url, runId, `${sweep.name} · ${trialId}`);
    await refreshRuns();
    await showRun(storedId);
    lab().setTab('live');
  } catch (error) {
    lab().addNotice('error', `The run of ${trialId} could not be opened: ${describeServerError(error, url)}`);
  }
}

/** Asks the configured server for its sweeps (sent from anywhere); an unreachable server leaves the remembered ones. */
export async function refreshServerSweeps(): Promise<void> {
  const url = configuredUrl();
  if (!url) {
    listed = [];
    publishList();
    return;
  }
  try {
    listed = (await clientFor(url).listSweeps()).map((item) => summaryOfListItem(url, item));
  } catch {
    // Offline or a refused token: the list keeps what this browser remembers.
  }
  publishList();
}

/** After the lab started: lists server sweeps, and reattaches to the newest one that was running when the page went away. */
export async function initServerSweeps(): Promise<void> {
  const remembered = loadServerSweeps(storage());
  for (const state of remembered) states.set(serverSweepKey(state), state);
  publishList();
  void refreshServerSweeps();
  const running = remembered.filter((s) => s.status === 'running').sort((a, b) => b.createdAt - a.createdAt)[0];
  if (!running || sweeps().shown) return;
  lab().addNotice(
    'info',
    `Reattached to the server sweep "${running.name}" on ${running.url}: ${running.trials.length} of ${running.spec.trials} trials were finished.`,
  );
  sweeps().show(shownOfServerSweep(running));
  await follow(running);
}
