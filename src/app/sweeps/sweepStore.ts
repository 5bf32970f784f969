import { create } from 'zustand';
import type { SweepStatus } from '../../protocol/serverClient';
import type { BestTrial } from '../../sweep/runner';
import type { SweepSpec } from '../../sweep/spec';
import { type ParameterMark, type SweepDraft, defaultMark, emptyDraft } from './sweepDraft';
import type { StoredSweep } from './sweepRecord';
import type { Brush, SortKey, TrialRow } from './sweepView';

/**
 * The sweep on screen: one of this browser's (local), one opened from a `#sweep=` link (shared, never
 * trained here) or one running on the GPU server (server, see serverSweepState.ts).
 */
export interface ShownSweep {
  source: 'local' | 'shared' | 'server';
  /** Stored id (local sweeps), the server's id (server sweeps). */
  id: string | null;
  name: string;
  spec: SweepSpec;
  status: StoredSweep['status'] | 'shared' | SweepStatus;
  /** Finished trials. */
  trials: TrialRow[];
  running: { id: string; index: number; params: TrialRow['params'] }[];
  runIds: Record<string, string>;
  /** Trial id → the trial whose pretraining it reused (local sweeps). */
  reusedFrom?: Record<string, string>;
  best: BestTrial | null;
  /** Server sweeps: which server and id (cancel, "Open run"). */
  server?: { url: string; id: string };
  /** Server sweeps: curves of the trials in progress (a local sweep's are `liveCurves` of the store). */
  liveCurves?: Record<string, [number, number][]>;
}

export interface SweepSummary {
  id: string;
  name: string;
  createdAt: number;
  status: StoredSweep['status'];
  finished: number;
  planned: number;
}

export interface SweepsState {
  draft: SweepDraft;
  shown: ShownSweep | null;
  /** (epoch, value) of the curve metric of trials in progress, as it arrives. */
  liveCurves: Record<string, [number, number][]>;
  saved: SweepSummary[];
  brushes: Record<string, Brush>;
  /** Show only the best k% (null: all trials). */
  topPercent: number | null;
  hovered: string | null;
  sort: SortKey;
  shareLink: string | null;
  /** The sweep training now (its stored id), if any. */
  activeId: string | null;

  setActive(id: string | null): void;
  toggleMark(path: string, value: unknown, options: readonly (string | number)[] | undefined, integer: boolean): void;
  updateMark(path: string, patch: Partial<ParameterMark>): void;
  setDraft(patch: Partial<SweepDraft>): void;
  show(sweep: ShownSweep | null): void;
  appendCurve(trialId: string, point: [number, number]): void;
  setSaved(saved: SweepSummary[]): void;
  setBrush(axis: string, brush: Brush | null): void;
  clearBrushes(): void;
  setTopPercent(percent: number | null): void;
  setHovered(id: string | null): void;
  setSort(column: string): void;
  setShareLink(link: string | null): void;
}

export const useSweeps = create<SweepsState>()((set, get) => ({
  draft: emptyDraft,
  shown: null,
  liveCurves: {},
  saved: [],
  brushes: {},
  topPercent: null,
  hovered: null,
  sort: { column: 'id', descending: false },
  shareLink: null,
  activeId: null,

  setActive(id) {
    set({ activeId: id });
  },
  toggleMark(path, value, options, integer) {
    const { draft } = get();
    const marks = draft.marks.some((m) => m.path === path)
      ? draft.marks.filter((m) => m.path !== path)
      : [...draft.marks, defaultMark(path, value, options, integer)];
    set({ draft: { ...draft, marks } });
  },
  updateMark(path, patch) {
    const { draft } = get();
    set({ draft: { ...draft, marks: draft.marks.map((m) => (m.path === path ? { ...m, ...patch } : m)) } });
  },
  setDraft(patch) {
    set({ draft: { ...get().draft, ...patch } });
  },
  show(sweep) {
    const sameSweep = sweep !== null && get().shown?.id === sweep.id && get().shown?.source === sweep.source;
    // A different sweep has different axes: its brushes would not mean anything.
    set(sameSweep ? { shown: sweep } : { shown: sweep, brushes: {}, hovered: null, liveCurves: {}, shareLink: null });
  },
  appendCurve(trialId, point) {
    const curves = get().liveCurves;
    set({ liveCurves: { ...curves, [trialId]: [...(curves[trialId] ?? []), point] } });
  },
  setSaved(saved) {
    set({ saved });
  },
  setBrush(axis, brush) {
    const brushes = { ...get().brushes };
    if (brush) brushes[axis] = brush;
    else delete brushes[axis];
    set({ brushes });
  },
  clearBrushes() {
    set({ brushes: {} });
  },
  setTopPercent(percent) {
    set({ topPercent: percent });
  },
  setHovered(id) {
    if (get().hovered !== id) set({ hovered: id });
  },
  setSort(column) {
    const { sort } = get();
    set({ sort: sort.column === column ? { column, descending: !sort.descending } : { column, descending: column === 'objective' } });
  },
  setShareLink(link) {
    set({ shareLink: link });
  },
}));
