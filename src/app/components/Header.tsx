import { useState } from 'react';
import { backendNames, type BackendPreference } from '../../worker/api';
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
  const active = live.controller === 'running' || live.controller === 'paused' || live.controller === 'stopping' || live.status === 'starting';
  const canContinue = !active && view.status === 'interrupted' && view.checkpoint !== null;
  const progress = live.progress;
  const serverStop = useServerStop();
  return (
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
      <button type="button" disabled={live.controller === 'stopping' || (active && live.controller === 'idle') || serverStop !== null} onClick={stepRun}>
        Step
      </button>
      <button type="button" disabled={!active || live.controller === 'stopping'} onClick={serverStop ?? stopRun}>
        Stop
      </button>
      <button type="button" onClick={resetLab}>
        Reset
      </button>
      <span className="run-status" role="status" aria-live="polite" data-state={live.controller} data-status={live.status}>
        {active ? live.controller : live.status}
        {progress && active && ` · ${progress.stage} ${progress.step}/${progress.totalSteps}`}
        {live.statusMessage && <span className="status-message"> · {live.statusMessage}</span>}
      </span>
      <ServerRunBadge />
    </div>
  );
}

function BackendBadge() {
  const backend = useLab((s) => s.backend);
  const busy = useLab((s) => s.backendBusy);
  const preference = useLab((s) => s.backendPreference);
  const training = useLab((s) => s.live.controller !== 'idle' || s.live.status === 'starting');
  return (
    <div className="backend-badge" data-backend={backend?.name ?? ''} data-fallback={backend?.fallbackNotice ? 'true' : 'false'}>
      <label>
        <span className="visually-hidden">Backend</span>
        <select
          aria-label="Backend"
          value={preference}
          disabled={busy || training}
          onChange={(e) => void selectBackend(e.target.value as BackendPreference)}
        >
          <option value="auto">auto</option>
          {backendNames.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <span className="backend-name" data-testid="backend-name" title={backend?.adapter ?? undefined}>
        {busy ? 'starting…' : backend ? backend.name : '—'}
        {backend?.adapter && <span className="adapter"> · {backend.adapter}</span>}
      </span>
      {backend?.fallbackNotice && (
        <span className="fallback" role="note" data-testid="backend-fallback">
          fell back
        </span>
      )}
    </div>
  );
}

function ShareBox() {
  const link = useLab((s) => s.shareLink);
  const [withResults, setWithResults] = useState(true);
  return (
    <div className="share-box">
      <button type="button" onClick={() => void share(withResults)}>
        Share
      </button>
      <label className="inline-check">
        <input type="checkbox" checked={withResults} onChange={(e) => setWithResults(e.target.checked)} /> with results
      </label>
      {link && <input className="share-link" aria-label="Link to this run" readOnly value={link} onFocus={(e) => e.target.select()} />}
    </div>
  );
}
