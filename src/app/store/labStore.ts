import { create } from 'zustand';
import { type ConfigFieldPath, type ConfigIssue, type RunConfig, defaultRunConfig, safeParseRunConfig, setAtPath } from '../../core';
import { configFromHash } from '../../protocol/shareUrl';
import type { BrowserBackendInfo, BackendPreference, FolderFile, FolderLoadReport, LabEvent } from '../../protocol/labWorkerApi';
import type { BackendReport } from '../../browser/backendRanking';
import { type StoredRun, trimToCheckpoint } from '../../browser/runs/runRecord';
import { type SharedResults, parseSharedResults } from '../share/sharedResults';
import { type RunView, applyLabEvents, emptyRunView, runViewOfStored } from './liveRun';

import { type TabName, type TeacherView, isTeacherViewEmpty, splitTeacherHash } from '../share/teacherLink';

export type { TabName };

export interface Notice {
  id: number;
  level: 'info' | 'warn' | 'error';
  text: string;
}

/** Where the charts' data comes from. */
export type ViewSource = 'live' | 'shared' | 'stored';

export interface LabState {
  config: RunConfig;
  /** Field path → why the last value typed there was rejected (the config keeps its old value). */
  fieldErrors: Record<string, string>;
  backend: BrowserBackendInfo | null;
  backendPreference: BackendPreference;
  backendBusy: boolean;
  /** What auto measured (or remembered) for the current model, and why it chose its backend. */
  backendReport: BackendReport | null;
  /** What the backend choice is doing right now ("Measuring wasm…"), while busy. */
  backendProgress: string | null;
  notices: Notice[];
  /** The run in the worker (or the last one), always kept up to date. */
  live: RunView;
  /** A stored or shared run on screen instead of the live one. */
  shown: RunView | null;
  viewSource: ViewSource;
  runs: StoredRun[];
  /** Runs whose curves the Runs tab overlays. */
  compareIds: string[];
  tab: TabName;
  folder: FolderFile[] | null;
  folderReport: FolderLoadReport | null;
  shareLink: string | null;
  /** A teacher's link: hidden controls and tabs, title and note (null: nothing hidden). */
  teacher: TeacherView | null;

  setField(path: ConfigFieldPath, value: unknown): void;
  setConfig(config: RunConfig): void;
  resetConfig(): void;
  addNotice(level: Notice['level'], text: string): void;
  dismissNotice(id: number): void;
  applyEvents(events: LabEvent[]): void;
  /** `resumed`: the stored run being continued, whose curves up to its checkpoint stay on screen. */
  beginLiveRun(runId: string, config: RunConfig, resumed?: StoredRun): void;
  clearView(): void;
  showLive(): void;
  showStoredRun(run: StoredRun): void;
  /** Opens a share-link hash: config, issues as a notice, results (if any) as the shown run. */
  openHash(hash: string): void;
  setRuns(runs: StoredRun[]): void;
  toggleCompare(id: string): void;
  setTab(tab: TabName): void;
  setBackend(info: BrowserBackendInfo | null, busy?: boolean): void;
  setBackendPreference(preference: BackendPreference): void;
  setBackendReport(report: BackendReport | null): void;
  setBackendProgress(message: string | null): void;
  /** The charts' smoothing weight (TensorBoard's EMA; 0 = off). */
  chartSmoothing: number;
  setChartSmoothing(weight: number): void;
  /** Pause pressed: reads "pausing after this step…" until the worker says the step ended. */
  markPausing(): void;
  setFolder(folder: FolderFile[] | null, report: FolderLoadReport | null): void;
  setShareLink(link: string | null): void;
}

let noticeCounter = 0;

function issueText(issues: ConfigIssue[]): string {
  return issues.map((i) => `${i.path || '(link)'}: ${i.message}`).join('; ');
}

export const useLab = create<LabState>()((set, get) => ({
  config: defaultRunConfig,
  fieldErrors: {},
  backend: null,
  backendPreference: 'auto',
  backendBusy: false,
  backendReport: null,
  backendProgress: null,
  chartSmoothing: 0.6,
  notices: [],
  live: emptyRunView,
  shown: null,
  viewSource: 'live',
  runs: [],
  compareIds: [],
  tab: 'live',
  folder: null,
  folderReport: null,
  shareLink: null,
  teacher: null,

  setField(path, value) {
    const draft = structuredClone(get().config) as unknown as Record<string, unknown>;
    setAtPath(draft, path, value);
    const parsed = safeParseRunConfig(draft);
    if (parsed.ok) {
      const rest = { ...get().fieldErrors };
      delete rest[path];
      set({ config: parsed.config, fieldErrors: rest });
    } else {
      const own = parsed.issues.find((i) => i.path === path) ?? parsed.issues[0];
      set({ fieldErrors: { ...get().fieldErrors, [path]: own.path === path ? own.message : `${own.path}: ${own.message}` } });
    }
  },
  setConfig(config) {
    set({ config, fieldErrors: {} });
  },
  resetConfig() {
    set({ config: defaultRunConfig, fieldErrors: {} });
  },
  addNotice(level, text) {
    set({ notices: [...get().notices, { id: ++noticeCounter, level, text }] });
  },
  dismissNotice(id) {
    set({ notices: get().notices.filter((n) => n.id !== id) });
  },
  applyEvents(events) {
    set({ live: applyLabEvents(get().live, events) });
  },
  beginLiveRun(runId, config, resumed) {
    const base = resumed ? runViewOfStored(trimToCheckpoint(resumed)) : emptyRunView;
    set({
      live: { ...base, runId, config, status: 'starting', controller: 'idle', statusMessage: 'Starting…' },
      shown: null,
      viewSource: 'live',
    });
  },
  clearView() {
    set({ live: { ...emptyRunView, controller: get().live.controller }, shown: null, viewSource: 'live' });
  },
  showLive() {
    set({ shown: null, viewSource: 'live' });
  },
  showStoredRun(run) {
    set({ shown: runViewOfStored(run), viewSource: 'stored', config: run.config, fieldErrors: {} });
  },
  openHash(hash) {
    const split = splitTeacherHash(hash);
    const decoded = configFromHash(split.configHash);
    const issues = [...split.issues, ...decoded.issues];
    let results: SharedResults | null = null;
    if (decoded.results !== undefined) {
      const parsed = parseSharedResults(decoded.results);
      if (parsed.ok) results = parsed.results;
      else issues.push({ path: 'results', message: parsed.reason });
    }
    const teacher = isTeacherViewEmpty(split.view) ? null : split.view;
    const update: Partial<LabState> = { config: decoded.config, fieldErrors: {}, teacher };
    if (teacher?.hiddenTabs.includes(get().tab)) update.tab = 'live';
    if (results) {
      update.shown = {
        ...emptyRunView,
        config: decoded.config,
        status: results.status,
        backend: results.backend,
        metrics: results.metrics,
        stages: results.stages,
        statusMessage: 'Results from a shared link (not trained here). Re-run to train them yourself.',
      };
      update.viewSource = 'shared';
    }
    set(update);
    if (issues.length) get().addNotice('warn', `Some settings in the link were ignored: ${issueText(issues)}`);
  },
  setRuns(runs) {
    const ids = new Set(runs.map((r) => r.id));
    set({ runs, compareIds: get().compareIds.filter((id) => ids.has(id)) });
  },
  toggleCompare(id) {
    const ids = get().compareIds;
    set({ compareIds: ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id] });
  },
  setTab(tab) {
    set({ tab });
  },
  setBackend(info, busy = false) {
    set({ backend: info, backendBusy: busy });
  },
  setBackendPreference(preference) {
    set({ backendPreference: preference });
  },
  setBackendReport(report) {
    set({ backendReport: report });
  },
  setBackendProgress(message) {
    set({ backendProgress: message });
  },
  setChartSmoothing(weight) {
    set({ chartSmoothing: Math.min(0.99, Math.max(0, weight)) });
  },
  markPausing() {
    const live = get().live;
    if (live.controller === 'running') set({ live: { ...live, pausing: true } });
  },
  setFolder(folder, report) {
    set({ folder, folderReport: report });
  },
  setShareLink(link) {
    set({ shareLink: link });
  },
}));

/** The run the views show: a stored or shared one when chosen, else the live one. */
export function selectView(state: LabState): RunView {
  return state.shown ?? state.live;
}
