import { useEffect, useState } from 'react';
import { type ConfigSection, configField, configFieldPaths } from '../../core';
import {
  type TabName,
  type TeacherView,
  emptyTeacherView,
  isHideableField,
  maxNoteLength,
  maxTitleLength,
  tabNames,
} from '../share/teacherLink';
import { backendNames, type BackendPreference } from '../../protocol/labWorkerApi';
import { formatRate } from '../../browser/backendRanking';
import { estimateRemaining, formatDuration } from '../store/eta';
import { pauseRun, resetLab, resumeRun, selectBackend, share, startRun, stepRun, stopRun } from '../labController';
import { selectView, useLab } from '../store/labStore';
import { ServerRunBadge, ServerRunButton, ServerSettings, useServerStop } from './ServerSettings';

export function Header() {
  return (
    <header className="app-header">
      <div className="brand">
        <h1>SimCLR Lab</h1>
        <span className="tagline">SimCLRv2: pretrain → fine-tune → distill, in your browser</span>
      </div>
      <RunControls />
      <BackendBadge />
      <ShareBox />
      <ServerSettings />
    </header>
  );
}

function RunControls() {
  const live = useLab((s) => s.live);
  const view = useLab(selectView);
  const active =
    live.controller === 'running' || live.controller === 'paused' || live.controller === 'stopping' || live.status === 'starting';
  const canContinue = !active && view.status === 'interrupted' && view.checkpoint !== null;
  const progress = live.progress;
  const serverStop = useServerStop();
  return (
    // biome-ignore lint/a11y/useSemanticElements: a toolbar of buttons, not form fields: a fieldset would bring form semantics and its own styling.
    <div className="run-controls" role="group" aria-label="Run controls">
      <button type="button" className="primary" disabled={active} onClick={() => void startRun()}>
        Start
      </button>
      <ServerRunButton />
      <button type="button" disabled={live.controller !== 'running' || serverStop !== null} onClick={pauseRun}>
        Pause
      </button>
      <button type="button" disabled={live.controller !== 'paused' && !canContinue} onClick={resumeRun}>
        Resume
      </button>
      <button
        type="button"
        disabled={live.controller === 'stopping' || (active && live.controller === 'idle') || serverStop !== null}
        onClick={stepRun}
      >
        Step
      </button>
      <button type="button" disabled={!active || live.controller === 'stopping'} onClick={serverStop ?? stopRun}>
        Stop
      </button>
      <button type="button" onClick={resetLab}>
        Reset
      </button>
      <span
        className="run-status"
        role="status"
        aria-live="polite"
        data-state={live.controller}
        data-status={live.status}
        data-pausing={live.pausing}
      >
        {live.pausing ? 'pausing after this step…' : active ? live.controller : live.status}
        {progress && active && ` · ${progress.stage} ${progress.step}/${progress.totalSteps}`}
        {live.statusMessage && <span className="status-message"> · {live.statusMessage}</span>}
      </span>
      {active && <RunEta />}
      <ServerRunBadge />
    </div>
  );
}

/** Images/s and the time left of the stage and of the whole run, from the measured speed. */
function RunEta() {
  const live = useLab((s) => s.live);
  const stage = live.progress?.stage;
  let rate: number | null = null;
  for (let i = live.metrics.length - 1; i >= 0 && rate === null; i--) {
    const point = live.metrics[i];
    if (point.stage === stage && typeof point.imagesPerSecond === 'number') rate = point.imagesPerSecond;
  }
  const eta = estimateRemaining(live.plan, live.progress, rate);
  if (!eta) return null;
  return (
    <span
      className="run-eta"
      data-testid="run-eta"
      data-stage-seconds={Math.round(eta.stageSeconds)}
      data-run-seconds={Math.round(eta.runSeconds)}
    >
      {formatRate(eta.imagesPerSecond)} images/s · {stage} {formatDuration(eta.stageSeconds)} left · run ≈ {formatDuration(eta.runSeconds)}{' '}
      left
    </span>
  );
}

function BackendBadge() {
  const backend = useLab((s) => s.backend);
  const busy = useLab((s) => s.backendBusy);
  const progress = useLab((s) => s.backendProgress);
  const preference = useLab((s) => s.backendPreference);
  const report = useLab((s) => s.backendReport);
  const training = useLab((s) => s.live.controller !== 'idle' || s.live.status === 'starting');
  const rateOf = (name: string) => report?.measurements.find((m) => m.name === name)?.imagesPerSecond ?? undefined;
  return (
    <div
      className="backend-badge"
      data-backend={backend?.name ?? ''}
      data-fallback={backend?.fallbackNotice ? 'true' : 'false'}
      data-busy={busy}
    >
      <label>
        <span className="visually-hidden">Backend</span>
        {/* Stays usable while auto measures: a choice made by hand then wins. */}
        <select
          aria-label="Backend"
          value={preference}
          disabled={training}
          onChange={(e) => void selectBackend(e.target.value as BackendPreference)}
        >
          <option value="auto">auto{report ? ` → ${report.chosen}` : ''}</option>
          {backendNames.map((name) => {
            const rate = rateOf(name);
            return (
              <option key={name} value={name}>
                {name}
                {rate !== undefined ? ` · ${formatRate(rate)} img/s` : ''}
              </option>
            );
          })}
        </select>
      </label>
      <span className="backend-name" data-testid="backend-name" title={backend?.adapter ?? undefined}>
        {busy ? 'choosing…' : backend ? backend.name : '—'}
        {!busy && backend?.adapter && <span className="adapter"> · {backend.adapter}</span>}
        {!busy && backend?.software && (
          <span className="software" data-testid="backend-software">
            {' '}
            · software adapter
          </span>
        )}
      </span>
      {busy && progress && (
        <span className="backend-progress" data-testid="backend-progress">
          {progress}
        </span>
      )}
      {backend?.fallbackNotice && (
        <span className="fallback" role="note" data-testid="backend-fallback">
          fell back
        </span>
      )}
      <BackendMenu />
    </div>
  );
}

/** Each backend's measured images/s, why auto chose its backend, and "Re-measure". */
function BackendMenu() {
  const report = useLab((s) => s.backendReport);
  const busy = useLab((s) => s.backendBusy);
  const training = useLab((s) => s.live.controller !== 'idle' || s.live.status === 'starting');
  return (
    <details className="backend-menu" data-testid="backend-menu">
      <summary>Speeds</summary>
      <div className="backend-menu-body">
        {report ? (
          <>
            <table className="summary-table" data-testid="backend-measurements">
              <caption>
                One training step of this model ({report.views} views), measured {new Date(report.measuredAt).toLocaleString()}
              </caption>
              <thead>
                <tr>
                  <th scope="col">backend</th>
                  <th scope="col">images/s</th>
                  <th scope="col">adapter / note</th>
                </tr>
              </thead>
              <tbody>
                {report.measurements.map((m) => (
                  <tr key={m.name} data-backend={m.name} data-outcome={m.outcome} data-rate={m.imagesPerSecond ?? ''}>
                    <th scope="row">{m.name}</th>
                    <td>{m.imagesPerSecond !== null ? formatRate(m.imagesPerSecond) : '—'}</td>
                    <td>{[m.adapter, m.software ? 'software adapter' : null, m.reason].filter(Boolean).join(' · ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="backend-why" data-testid="backend-why">
              Auto chose {report.chosen}: {report.why}
            </p>
          </>
        ) : (
          <p className="hint">{busy ? 'Measuring…' : 'Not measured yet: choose auto.'}</p>
        )}
        <button type="button" disabled={busy || training} onClick={() => void selectBackend('auto', { remeasure: true })}>
          Re-measure
        </button>
      </div>
    </details>
  );
}

const sectionLabels: Record<ConfigSection, string> = {
  dataset: 'Dataset',
  model: 'Model',
  pretrain: 'Pretrain',
  finetune: 'Fine-tune',
  distill: 'Distill',
};

/**
 * Share: a link to these settings (and results). A teacher can also hide controls and tabs and add
 * a title and a note that the shared page shows at the top; the link updates as they are chosen.
 */
function ShareBox() {
  const link = useLab((s) => s.shareLink);
  const current = useLab((s) => s.teacher);
  const [open, setOpen] = useState(false);
  const [withResults, setWithResults] = useState(true);
  const [draft, setDraft] = useState<TeacherView>(current ?? emptyTeacherView);
  useEffect(() => {
    if (open) void share(withResults, draft, false);
  }, [open, withResults, draft]);
  const toggleTab = (tab: TabName, hide: boolean) =>
    setDraft({ ...draft, hiddenTabs: hide ? [...draft.hiddenTabs, tab] : draft.hiddenTabs.filter((t) => t !== tab) });
  const sections = Object.keys(sectionLabels) as ConfigSection[];
  return (
    <div className="share-box">
      <button
        type="button"
        aria-expanded={open}
        aria-controls="share-dialog"
        onClick={() => {
          if (!open) {
            // Start from the exercise this page was opened with (if any), not a stale draft.
            const start = current ?? emptyTeacherView;
            setDraft(start);
            void share(withResults, start);
          }
          setOpen(!open);
        }}
      >
        Share
      </button>
      {open && (
        <section id="share-dialog" className="share-dialog" role="dialog" aria-label="Share" data-testid="share-dialog">
          <h2>Share these settings</h2>
          <label className="inline-check">
            <input type="checkbox" checked={withResults} onChange={(e) => setWithResults(e.target.checked)} /> with results
          </label>
          <fieldset>
            <legend>For a class (optional)</legend>
            <label>
              Title
              <input
                type="text"
                maxLength={maxTitleLength}
                value={draft.title ?? ''}
                onChange={(e) => setDraft({ ...draft, title: e.target.value || null })}
              />
            </label>
            <label>
              Note
              <textarea
                rows={3}
                maxLength={maxNoteLength}
                value={draft.note ?? ''}
                onChange={(e) => setDraft({ ...draft, note: e.target.value || null })}
              />
            </label>
            <label>
              Hide controls
              <select
                multiple
                size={7}
                value={draft.hiddenFields}
                onChange={(e) =>
                  setDraft({ ...draft, hiddenFields: Array.from(e.target.selectedOptions, (o) => o.value).filter(isHideableField) })
                }
              >
                {sections.map((section) => (
                  <optgroup key={section} label={sectionLabels[section]}>
                    <option value={section}>all {sectionLabels[section].toLowerCase()} settings</option>
                    {configFieldPaths
                      .filter((path) => path.startsWith(`${section}.`))
                      .map((path) => (
                        <option key={path} value={path}>
                          {configField(path).label} ({path})
                        </option>
                      ))}
                  </optgroup>
                ))}
                <option value="seed">Seed (seed)</option>
              </select>
            </label>
            <fieldset className="share-tabs">
              <legend>Hide tabs</legend>
              {tabNames
                .filter((tab) => tab !== 'live')
                .map((tab) => (
                  <label key={tab} className="inline-check">
                    <input type="checkbox" checked={draft.hiddenTabs.includes(tab)} onChange={(e) => toggleTab(tab, e.target.checked)} />{' '}
                    {tab}
                  </label>
                ))}
            </fieldset>
          </fieldset>
          {link && <input className="share-link" aria-label="Link to this run" readOnly value={link} onFocus={(e) => e.target.select()} />}
          <div className="share-actions">
            <button type="button" onClick={() => void share(withResults, draft)}>
              Copy link
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              Close
            </button>
          </div>
        </section>
      )}
    </div>
  );
}
