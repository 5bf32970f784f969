import { type RunConfig, deserializeCheckpoint } from '../../core';
import { type ServerRunStatus, SimclrServerClient, labEventsOf } from '../../protocol/serverClient';
import type { LabEvent, RunOutcome } from '../../protocol/labWorkerApi';
import { isRunning, refreshRuns } from '../labController';
import { createBatcher } from '../../browser/batcher';
import { type StoredRun, createRun, markInterrupted, recordEvent } from '../../browser/runs/runRecord';
import { indexedDbRunStore } from '../../browser/runs/runsDb';
import { useLab } from '../store/labStore';
import { runViewOfStored } from '../store/liveRun';
import { describeServerError, normalizeServerUrl, useServer } from './serverSettings';

/**
 * Runs "on the server": submits the lab's config to the GPU server, streams the run's events into
 * the same store path as the browser worker's (so the Live charts fill the same way), keeps a
 * stored record like a local run's, and cancels it on Stop.
 */
const lab = () => useLab.getState();
const server = () => useServer.getState();
const store = indexedDbRunStore;

/** How a finished server run reads in the lab's own status words. */
export function labStatusOfServer(status: ServerRunStatus): RunOutcome | null {
  switch (status) {
    case 'succeeded':
      return 'completed';
    case 'cancelled':
      return 'stopped';
    case 'failed':
      return 'failed';
    case 'interrupted':
      return 'interrupted';
    default:
      return null;
  }
}

/** The stored id of a server run: prefixed, so it never collides with a browser run's id. */
export function storedIdOfServerRun(serverRunId: string): string {
  return `server-${serverRunId}`;
}

/** A stored record for a server run (same shape as a local one, marked with its origin). */
export function createServerRunRecord(serverRunId: string, url: string, config: RunConfig, now = Date.now()): StoredRun {
  const run = createRun(storedIdOfServerRun(serverRunId), config, now);
  return { ...run, name: `${run.name} · server`, origin: 'server', server: { url, runId: serverRunId } };
}

function clientOrNotice(): { client: SimclrServerClient; url: string } | null {
  const normalized = normalizeServerUrl(server().url);
  if (!normalized.ok) {
    lab().addNotice('error', normalized.reason);
    return null;
  }
  return { client: new SimclrServerClient({ baseUrl: normalized.url, token: server().token || null }), url: normalized.url };
}

export async function testConnection(): Promise<void> {
  const target = clientOrNotice();
  if (!target) {
    server().setCheck({ state: 'error', message: normalizeServerUrl(server().url).ok ? 'No server.' : 'Set a server URL first.' });
    return;
  }
  server().setCheck({ state: 'checking' });
  try {
    const health = await target.client.health();
    server().setCheck({ state: 'ok', backend: health.backend, device: health.device });
  } catch (error) {
    server().setCheck({ state: 'error', message: describeServerError(error, target.url) });
  }
}

let abort: AbortController | null = null;

export function serverRunActive(): boolean {
  return server().active !== null;
}

export async function runOnServer(): Promise<void> {
  if (isRunning() || serverRunActive()) return;
  const config = lab().config;
  if (config.dataset.name === 'folder') {
    lab().addNotice(
      'error',
      "A run on your own images trains in the browser: the server cannot read this page's folder. Put the images in a server data root instead.",
    );
    return;
  }
  const target = clientOrNotice();
  if (!target) return;
  const { client, url } = target;
  let id: string;
  let backend: string;
  try {
    backend = (await client.health()).backend;
    id = (await client.submitRun(config)).id;
  } catch (error) {
    lab().addNotice('error', describeServerError(error, url));
    return;
  }
  server().setActive({ id, url, backend });
  const record = createServerRunRecord(id, url, config);
  lab().beginLiveRun(record.id, config);
  lab().applyEvents([{ type: 'status', time: Date.now(), message: `Submitted to ${url} as ${id}` }]);
  await saveRun(record);
  await followServerRun(record, client);
}

/** How often the record (with its last event id) is written while events stream. */
const saveEveryMs = 1000;

/**
 * Streams a server run's events after the record's last event id into the live view and the
 * record, saving the record (and with it the id to reattach from) every second and at stage ends
 * and checkpoints, until the run ends or the stream is lost.
 */
async function followServerRun(record: StoredRun, client: SimclrServerClient): Promise<void> {
  const { url, runId: id } = record.server!;
  abort = new AbortController();
  const inbox = createBatcher<LabEvent>(
    (events) => lab().applyEvents(events),
    (flush) => requestAnimationFrame(flush),
  );
  let finalStatus: ServerRunStatus | null = null;
  let savedAt = Date.now();
  try {
    for await (const stored of client.events(id, { signal: abort.signal, lastEventId: record.server!.lastEventId ?? 0 })) {
      if (stored.event.type === 'status') finalStatus = stored.event.status;
      for (const event of labEventsOf(stored.event)) {
        recordEvent(record, event);
        inbox.push(event);
      }
      record.server = { ...record.server!, lastEventId: stored.id };
      if (stored.event.type === 'stage-end' || stored.event.type === 'checkpoint' || Date.now() - savedAt > saveEveryMs) {
        savedAt = Date.now();
        await saveRun(record);
      }
    }
  } catch (error) {
    if (!abort.signal.aborted) lab().addNotice('error', `Lost the server run ${id}: ${describeServerError(error, url)}`);
  } finally {
    inbox.flush();
  }
  await finish(record, client, finalStatus);
}

/** A stored server run that was streaming when the page went away: the lab can pick it up again. */
export function isReattachable(run: StoredRun): boolean {
  return run.origin === 'server' && !!run.server && (run.status === 'running' || run.status === 'paused');
}

/** The newest reattachable run, and the others (one live run at a time: those become interrupted). */
export function runsToReattach(runs: StoredRun[]): { reattach: StoredRun | null; others: StoredRun[] } {
  const candidates = runs.filter(isReattachable).sort((a, b) => b.updatedAt - a.updatedAt);
  return { reattach: candidates[0] ?? null, others: candidates.slice(1) };
}

/**
 * After a reload: reconnects to the server run that was streaming (Last-Event-ID = the last event
 * stored) and keeps charting it; runs that cannot be reattached are marked interrupted.
 */
export async function reattachServerRuns(): Promise<void> {
  let runs: StoredRun[];
  try {
    runs = await store.listRuns();
  } catch {
    return;
  }
  const { reattach, others } = runsToReattach(runs);
  for (const run of others) await saveRun(markInterrupted(run));
  if (!reattach) return;
  const { url, runId } = reattach.server!;
  if (isRunning() || serverRunActive()) {
    await saveRun(markInterrupted(reattach));
    await refreshRuns();
    return;
  }
  const client = new SimclrServerClient({ baseUrl: url, token: server().token || null });
  server().setActive({ id: runId, url, backend: reattach.backend ?? '…' });
  useLab.setState({
    live: { ...runViewOfStored(reattach), status: 'running', controller: 'running', statusMessage: `Reattached to server run ${runId}` },
    shown: null,
    viewSource: 'live',
  });
  await followServerRun(structuredClone(reattach), client);
}

async function finish(record: StoredRun, client: SimclrServerClient, finalStatus: ServerRunStatus | null): Promise<void> {
  // A run cancelled while queued, or one whose stream broke, never sent run-end: settle it here,
  // through the same fold as every event (an outcome from run-end is kept).
  const settled: LabEvent = { type: 'settled', time: Date.now(), status: (finalStatus && labStatusOfServer(finalStatus)) ?? 'interrupted' };
  recordEvent(record, settled);
  if (lab().live.runId === record.id) lab().applyEvents([settled]);
  if (finalStatus === 'succeeded' || finalStatus === 'cancelled') {
    try {
      const active = server().active;
      if (active) {
        // Stored as served (the server's checkpoint files are in the lab's encoding), once it decodes.
        const bytes = await client.checkpointBytes(active.id);
        deserializeCheckpoint(bytes);
        await store.putCheckpoint(record, bytes);
      }
    } catch {
      // No checkpoint on the server (e.g. cancelled before the first epoch): curves are kept anyway.
    }
  }
  await saveRun(record);
  server().setActive(null);
  abort = null;
  await refreshRuns();
}

async function saveRun(record: StoredRun): Promise<void> {
  try {
    await store.putRun(structuredClone(record));
  } catch (error) {
    lab().addNotice('warn', `Could not store the server run (${error instanceof Error ? error.message : String(error)}).`);
  }
}

/** Stop while a server run streams: asks the server to cancel; the stream reports the outcome. */
export async function cancelServerRun(): Promise<void> {
  const active = server().active;
  const target = clientOrNotice();
  if (!active || !target) return;
  lab().applyEvents([{ type: 'controller', time: Date.now(), state: 'stopping' }]);
  try {
    await target.client.cancelRun(active.id);
  } catch (error) {
    lab().addNotice('error', describeServerError(error, active.url));
    // Still stop listening so the lab is usable again.
    abort?.abort();
  }
}
