import { useMemo } from 'react';
import { sweepProgress, type SweepState } from '../../sweep/runner';
import { formatDuration } from '../store/eta';
import { ParallelCoordinates } from './ParallelCoordinates';
import { LabelEfficiencyStudyButton, SweepLabelEfficiency } from './LabelEfficiencyStudy';
import { ImportanceChart, LearningCurves, ObjectiveScatter } from './SweepCharts';
import { SweepBuilder } from './SweepBuilder';
import { reusedNote } from './pretrainingReuse';
import { applyTrial, continueSweep, deleteSweep, openSweep, openTrialRun, rerunShown, shareSweep, stopSweep } from './sweepController';
import { ServerSweepList } from './ServerSweeps';
import { cancelServerSweep, openServerTrialRun } from './serverSweepController';
import { type ShownSweep, useSweeps } from './sweepStore';
import { OBJECTIVE_AXIS, type TrialRow, axesOf, filterByBrushes, formatObjective, formatParam, sortTrials, topFraction } from './sweepView';

/** The Sweeps tab: build a sweep from marked settings, run it, explore its trials, share it. */
/** Where the trials in progress can be watched: the server's are only here; locally Live shows one. */
function trainingWhere(sweep: ShownSweep): string {
  if (sweep.source !== 'local') return sweep.running.length > 1 ? ' at once' : '';
  return sweep.running.length > 1 ? " at once (Live shows the first worker's trial)" : ' (see Live)';
}

export function SweepsView() {
  const shown = useSweeps((s) => s.shown);
  return (
    <div className="sweeps-view">
      <div className="sweeps-top">
        <SweepBuilder />
        <div className="sweeps-lists">
          <LabelEfficiencyStudyButton />
          <SavedSweeps />
          <ServerSweepList />
        </div>
      </div>
      {shown && <SweepResults sweep={shown} />}
    </div>
  );
}

function SavedSweeps() {
  const saved = useSweeps((s) => s.saved);
  const shownId = useSweeps((s) => s.shown?.id);
  const activeId = useSweeps((s) => s.activeId);
  if (saved.length === 0) return null;
  return (
    <section className="saved-sweeps" aria-labelledby="saved-sweeps-title">
      <h2 id="saved-sweeps-title">Sweeps in this browser</h2>
      <ul>
        {saved.map((s) => (
          <li key={s.id} data-sweep-id={s.id} className={s.id === shownId ? 'current' : ''}>
            <button type="button" className="link-like" onClick={() => void openSweep(s.id)}>
              {s.name}
            </button>{' '}
            <span className="field-help">
              {new Date(s.createdAt).toLocaleString()} · {s.finished}/{s.planned} · {s.id === activeId ? 'running' : s.status}
            </span>{' '}
            {s.id !== activeId && (
              <button type="button" onClick={() => void deleteSweep(s.id)} aria-label={`Delete sweep ${s.name}`}>
                Delete
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

function statusText(sweep: ShownSweep, activeId: string | null): string {
  if (sweep.source === 'shared') return 'from a shared link (not trained here)';
  if (sweep.source === 'server') return `${sweep.status} on the server ${sweep.server?.url ?? ''}`;
  if (sweep.id !== null && sweep.id === activeId) return 'running';
  return sweep.status;
}

/** A trial's run: a stored run of this browser, or a server run fetched into Runs first. */
function openRunOf(sweep: ShownSweep, runId: string): Promise<void> {
  return sweep.source === 'server' ? openServerTrialRun(sweep, runId) : openTrialRun(runId);
}

function SweepResults({ sweep }: { sweep: ShownSweep }) {
  const activeId = useSweeps((s) => s.activeId);
  const liveCurves = useSweeps((s) => s.liveCurves);
  const brushes = useSweeps((s) => s.brushes);
  const topPercent = useSweeps((s) => s.topPercent);
  const setTopPercent = useSweeps((s) => s.setTopPercent);
  const shareLink = useSweeps((s) => s.shareLink);
  const { spec } = sweep;
  const axes = useMemo(() => axesOf(spec), [spec]);
  const goal = spec.objective.goal;
  const metric = spec.objective.metric;
  const running =
    (sweep.source === 'local' && sweep.id !== null && sweep.id === activeId) || (sweep.source === 'server' && sweep.status === 'running');
  const chartTrials = useMemo(
    () => (topPercent === null ? sweep.trials : topFraction(sweep.trials, topPercent / 100, goal)),
    [sweep.trials, topPercent, goal],
  );
  const brushed = useMemo(() => filterByBrushes(chartTrials, axes, brushes), [chartTrials, axes, brushes]);
  const progress = sweepProgress({
    // The trials training now stand for the workers (a GPU backend trains one whatever the spec asks).
    spec: running ? { ...spec, concurrency: Math.max(1, sweep.running.length) } : spec,
    status: running ? 'running' : 'completed',
    trials: sweep.trials as SweepState['trials'],
    running: sweep.running,
    planned: spec.trials,
    best: sweep.best,
  });
  const best = sweep.best;
  const bestRun = best ? sweep.runIds[best.id] : undefined;
  const canContinue = sweep.source === 'local' && !running && activeId === null && sweep.status !== 'completed';

  return (
    <section
      className="sweep-results"
      aria-labelledby="sweep-title"
      data-testid="sweep-results"
      data-source={sweep.source}
      data-status={running ? 'running' : sweep.status}
    >
      <header className="sweep-header">
        <h2 id="sweep-title">{sweep.name}</h2>
        <p data-testid="sweep-progress" data-finished={sweep.trials.length} data-planned={spec.trials}>
          {spec.method} · {sweep.trials.length}/{spec.trials} trials finished ({progress.completed} completed, {progress.stopped} stopped,{' '}
          {progress.failed} failed) · {statusText(sweep, activeId)}
          {running && progress.etaSeconds !== null && ` · about ${formatDuration(progress.etaSeconds)} left`}
          {running && sweep.running.length > 0 && ` · training ${sweep.running.map((r) => r.id).join(', ')}${trainingWhere(sweep)}`}
        </p>
        <div className="run-actions">
          {running && sweep.source === 'local' && (
            <button type="button" onClick={stopSweep}>
              Stop sweep
            </button>
          )}
          {running && sweep.source === 'server' && (
            <button type="button" onClick={() => void cancelServerSweep()}>
              Cancel on server
            </button>
          )}
          {canContinue && (
            <button type="button" onClick={() => sweep.id && void continueSweep(sweep.id)}>
              Continue sweep
            </button>
          )}
          {sweep.source === 'shared' && (
            <button type="button" className="primary" disabled={activeId !== null} onClick={() => void rerunShown()}>
              Re-run sweep
            </button>
          )}
          <button type="button" onClick={() => void shareSweep()} disabled={sweep.trials.length === 0}>
            Share sweep
          </button>
        </div>
        {shareLink && (
          <label className="share-link">
            Sweep link
            <input type="text" readOnly value={shareLink} data-testid="sweep-link" onFocus={(e) => e.currentTarget.select()} />
          </label>
        )}
      </header>

      {best && (
        <div className="best-trial" data-testid="best-trial" data-trial-id={best.id}>
          <strong>Best: {best.id}</strong> · {metric} {formatObjective(metric, best.objective)} ·{' '}
          {Object.entries(best.params)
            .map(([k, v]) => `${k} = ${formatParam(v)}`)
            .join(', ')}{' '}
          <button type="button" onClick={() => applyTrial(spec, best.id, best.params)}>
            Apply to settings
          </button>
          {bestRun && (
            <button type="button" onClick={() => void openRunOf(sweep, bestRun)}>
              Open run
            </button>
          )}
        </div>
      )}

      <div className="sweep-filters">
        <label className="check">
          <input
            type="checkbox"
            checked={topPercent !== null}
            onChange={(e) => setTopPercent(e.target.checked ? 25 : null)}
            data-testid="top-toggle"
          />
          Only the top
        </label>
        <select
          aria-label="Top percentage"
          value={topPercent ?? 25}
          disabled={topPercent === null}
          onChange={(e) => setTopPercent(Number(e.target.value))}
        >
          {[10, 25, 50].map((p) => (
            <option key={p} value={p}>
              {p}%
            </option>
          ))}
        </select>
        <span className="field-help">
          {brushed.length} of {sweep.trials.length} finished trials shown
        </span>
      </div>

      <ParallelCoordinates axes={axes} trials={chartTrials} goal={goal} metric={metric} bestId={best?.id ?? null} />
      <TrialsTable sweep={sweep} rows={brushed} axes={axes} />
      <LearningCurves
        spec={spec}
        trials={sweep.trials}
        live={sweep.source === 'server' ? (sweep.liveCurves ?? {}) : running ? liveCurves : {}}
      />
      <SweepLabelEfficiency sweep={sweep} />
      <div className="chart-grid">
        <ObjectiveScatter axes={axes} trials={sweep.trials} metric={metric} />
        <ImportanceChart axes={axes} trials={sweep.trials} />
      </div>
    </section>
  );
}

function TrialsTable({ sweep, rows, axes }: { sweep: ShownSweep; rows: TrialRow[]; axes: ReturnType<typeof axesOf> }) {
  const sort = useSweeps((s) => s.sort);
  const setSort = useSweeps((s) => s.setSort);
  const hovered = useSweeps((s) => s.hovered);
  const setHovered = useSweeps((s) => s.setHovered);
  const metric = sweep.spec.objective.metric;
  const params = axes.filter((a) => a.key !== OBJECTIVE_AXIS);
  const runningRows: TrialRow[] = sweep.running.map((r) => ({
    id: r.id,
    index: r.index,
    params: r.params,
    status: 'running',
    objective: null,
    seconds: 0,
  }));
  const sorted = sortTrials([...rows, ...runningRows], axes, sort);
  const columns: { key: string; label: string }[] = [
    { key: 'id', label: 'trial' },
    ...params.map((a) => ({ key: a.key, label: a.label })),
    { key: 'status', label: 'status' },
    { key: 'objective', label: metric },
    { key: 'seconds', label: 'time' },
    { key: 'reason', label: 'reason' },
  ];
  return (
    <table className="runs-table sweep-table" data-testid="sweep-trials" data-rows={sorted.length}>
      <caption>Trials (click a column to sort; hover a row to find its line)</caption>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.key} aria-sort={sort.column === c.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
              <button type="button" className="link-like" onClick={() => setSort(c.key)}>
                {c.label}
                {sort.column === c.key ? (sort.descending ? ' ▼' : ' ▲') : ''}
              </button>
            </th>
          ))}
          {sweep.source !== 'shared' && <th>run</th>}
        </tr>
      </thead>
      <tbody>
        {sorted.map((t) => {
          const runId = sweep.runIds[t.id];
          const reusedFrom = sweep.reusedFrom?.[t.id];
          return (
            <tr
              key={t.id}
              data-trial-id={t.id}
              data-reused-from={reusedFrom}
              data-status={t.status}
              className={`${hovered === t.id ? 'hovered' : ''} ${sweep.best?.id === t.id ? 'best' : ''}`}
              onMouseEnter={() => setHovered(t.id)}
              onMouseLeave={() => setHovered(null)}
            >
              <td>
                {t.id}
                {reusedFrom && <div className="field-help">{reusedNote(reusedFrom)}</div>}
              </td>
              {params.map((a) => (
                <td key={a.key}>{a.paths.map((p) => formatParam(t.params[p])).join(', ')}</td>
              ))}
              <td>
                <span className={`status-pill status-${t.status}`}>{t.status}</span>
              </td>
              <td>{formatObjective(metric, t.objective)}</td>
              <td>{t.status === 'running' ? '…' : formatDuration(t.seconds)}</td>
              <td className="reason">{t.reason ?? ''}</td>
              {sweep.source !== 'shared' && (
                <td>
                  {runId && t.status !== 'running' && (
                    <button type="button" onClick={() => void openRunOf(sweep, runId)} aria-label={`Open the run of ${t.id}`}>
                      Open
                    </button>
                  )}
                </td>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
