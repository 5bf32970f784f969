import type { KeyValueStorage } from '../gpuServer/serverSettings';
import { type ServerSweepState, serverSweepKey } from './serverSweepState';

/**
 * The server sweeps this browser sent or opened, with their last folded state, in localStorage
 * (beside the server settings): the list shows them without asking the server, and a reload
 * reattaches to a running one after its last event. Only the newest are kept, so the entry stays
 * small whatever the history.
 */
const storageKey = 'simclr-lab.serverSweeps';
export const MAX_REMEMBERED_SERVER_SWEEPS = 30;

function looksLikeState(value: unknown): value is ServerSweepState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.url === 'string' &&
    typeof v.id === 'string' &&
    typeof v.spec === 'object' &&
    v.spec !== null &&
    Array.isArray(v.trials) &&
    Array.isArray(v.running) &&
    typeof v.lastEventId === 'number'
  );
}

export function loadServerSweeps(storage: KeyValueStorage | null): ServerSweepState[] {
  if (!storage) return [];
  try {
    const parsed: unknown = JSON.parse(storage.getItem(storageKey) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter(looksLikeState) : [];
  } catch {
    // Corrupt or inaccessible storage: the server still lists its sweeps.
    return [];
  }
}

/** `state` replaces the entry of the same sweep (or joins the list); the oldest beyond the cap go. */
export function rememberServerSweep(storage: KeyValueStorage | null, state: ServerSweepState): ServerSweepState[] {
  const key = serverSweepKey(state);
  const all = [state, ...loadServerSweeps(storage).filter((s) => serverSweepKey(s) !== key)]
    .sort((a, b) => b.createdAt - a.createdAt)
    .slice(0, MAX_REMEMBERED_SERVER_SWEEPS);
  try {
    storage?.setItem(storageKey, JSON.stringify(all));
  } catch {
    // A full quota: the sweep still shows for this page's lifetime, and the server keeps it.
  }
  return all;
}
