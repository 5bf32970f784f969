import { create } from 'zustand';
import type { EncoderStart } from '../../protocol/labWorkerApi';

/**
 * Where the next run's encoder comes from when the config cannot say it: a stored run's checkpoint
 * ("Use as starting point" in Runs) or a file the user chose. A shipped encoder is the config field
 * `pretrain.init` instead, so that share links carry it. Kept apart from the lab store because a
 * file's bytes belong to this page only (never in links, never in stored runs).
 */
interface StartPointState {
  start: EncoderStart | null;
  setStart(start: EncoderStart | null): void;
}

export const useStartPoint = create<StartPointState>()((set) => ({
  start: null,
  setStart: (start) => set({ start }),
}));

export function describeStart(start: EncoderStart): string {
  return start.kind === 'run' ? `run “${start.label}”` : `file “${start.name}”`;
}
