import { deserializeCheckpoint } from '../../core';
import { hasOutcome, type StoredRun, recordEvent } from '../../browser/runs/runRecord';
import { indexedDbRunStore } from '../../browser/runs/runsDb';
import type { LabEvent } from '../../protocol/labWorkerApi';
import { isTerminal } from '../../protocol/serverApi';
import { type ServerRunStatus, type SimclrServerClient, labEventsOf } from '../../protocol/serverClient';
import { createServerRunRecord, labStatusOfServer, storedIdOfServerRun } from './serverRun';

/**
 * A finished run of the server (a sweep trial's, say) becomes a stored server run of this lab, the
 * same record "Run on server" keeps: its whole event log folded by the lab's own reducer, and its
 * checkpoint when it has one. Opening it then draws it in Live and lists it in Runs like any other.
 */
const store = indexedDbRunStore;

export class RunNotFinishedError extends Error {
  constructor(runId: string, status: ServerRunStatus) {
    super(`the server run ${runId} is still ${status}: open it once it has finished`);
    this.name = 'RunNotFinishedError';
  }
}

/** The stored id of the run, fetched from the server unless a finished copy is stored already. */
export async function importServerRun(client: SimclrServerClient, url: string, runId: string, name: string): Promise<string> {
  const storedId = storedIdOfServerRun(runId);
  const existing = await store.getRun(storedId);
  if (existing && hasOutcome(existing.status)) return storedId;

  const run = await client.getRun(runId);
  if (!isTerminal(run.status)) throw new RunNotFinishedError(runId, run.status);
  const record: StoredRun = { ...createServerRunRecord(runId, url, run.config, Date.parse(run.createdAt)), name: `${name} · server` };
  let lastEventId = 0;
  for await (const stored of client.events(runId, { reconnect: false })) {
    for (const event of labEventsOf(stored.event)) recordEvent(record, event);
    lastEventId = stored.id;
  }
  // As a streamed run settles: a run cancelled while queued never sent run-end.
  const settled: LabEvent = {
    type: 'settled',
    time: Date.parse(run.finishedAt ?? run.updatedAt),
    status: labStatusOfServer(run.status) ?? 'failed',
  };
  recordEvent(record, settled);
  record.server = { url, runId, lastEventId };

  const bytes = run.status === 'succeeded' || run.status === 'cancelled' ? await checkpointOf(client, runId) : null;
  if (bytes) await store.putCheckpoint(record, bytes);
  else await store.putRun(record);
  return storedId;
}

async function checkpointOf(client: SimclrServerClient, runId: string): Promise<Uint8Array | null> {
  try {
    const bytes = await client.checkpointBytes(runId);
    deserializeCheckpoint(bytes);
    return bytes;
  } catch {
    // No checkpoint (cancelled before its first epoch) or one this lab cannot read: the curves still show.
    return null;
  }
}
