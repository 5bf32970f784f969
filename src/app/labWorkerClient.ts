import * as Comlink from 'comlink';
import type { LabWorkerApi } from '../protocol/labWorkerApi';

/** Starts the training worker; everything heavy happens there, never on the page's thread. */
export function startLabWorker(): { api: Comlink.Remote<LabWorkerApi>; worker: Worker } {
  const worker = new Worker(new URL('../worker/labWorker.ts', import.meta.url), { type: 'module', name: 'simclr-lab' });
  return { api: Comlink.wrap<LabWorkerApi>(worker), worker };
}
