import { MetricChart, type Series } from '../charts/MetricChart';
import { continueRun, deleteRun, downloadWeights, exportRun, importRun, isRunning, showRun } from '../labController';
import { type StoredRun, stageAccuracy } from '../../browser/runs/runRecord';
import { useLab } from '../store/labStore';
import { seriesOf } from '../store/liveRun';
import { useStartPoint } from '../store/startPoint';

const palette = ['#3f6fb5', '#d9822b', '#4a9460', '#b5483f', '#7a5ab5', '#8c6a4f', '#d46fa8', '#6f6f6f'];

function percent(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)}%`;
}

export function RunsView() {
  const runs = useLab((s) => s.runs);
  const compareIds = useLab((s) => s.compareIds);
  const toggleCompare = useLab((s) => s.toggleCompare);
  const liveId = useLab((s) => s.live.runId);
  const busy = useLab((s) => s.live.controller !== 'idle');
  const compared = runs.filter((r) => compareIds.includes(r.id));

  const overlay = (stage: 'pretrain' | 'finetune', field: 'loss' | 'testAccuracy', scale = 1): Series[] =>
    compared.map((run, i) => ({
      name: run.name,
      color: palette[i % palette.length],
      points: seriesOf(run.metrics, stage, field).map((p) => ({ x: p.step, y: p.value * scale })),
    }));

  return (
    <div className="runs-view">
      <div className="runs-toolbar">
        <label className="button-like">
          Import run file…
          <input
            type="file"
            accept=".gz,.json,application/json,application/gzip"
            aria-label="Import a run file"
            hidden
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void importRun(file);
              e.target.value = '';
            }}
          />
        </label>
        <span className="field-help">
          Runs are kept in this browser (IndexedDB) and survive reloads. Tick runs to overlay their curves.
        </span>
      </div>
      {runs.length === 0 ? (
        <div className="chart-empty">No runs yet.</div>
      ) : (
        <table className="runs-table" data-testid="runs-table">
          <thead>
            <tr>
              <th>compare</th>
              <th>run</th>
              <th>status</th>
              <th>k-NN</th>
              <th>fine-tuned</th>
              <th>supervised</th>
              <th>distilled</th>
              <th>actions</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <RunRow
                key={run.id}
                run={run}
                compared={compareIds.includes(run.id)}
                live={run.id === liveId && busy}
                onCompare={() => toggleCompare(run.id)}
              />
            ))}
          </tbody>
        </table>
      )}
      {compared.length > 0 && (
        <div className="chart-grid">
          <MetricChart title="Compare: NT-Xent loss" testId="compare-loss" series={overlay('pretrain', 'loss')} />
          <MetricChart
            title="Compare: fine-tuned test accuracy (%)"
            testId="compare-finetune"
            percent
            series={overlay('finetune', 'testAccuracy', 100)}
          />
        </div>
      )}
    </div>
  );
}

function RunRow({ run, compared, live, onCompare }: { run: StoredRun; compared: boolean; live: boolean; onCompare(): void }) {
  const canContinue = run.status === 'interrupted' && run.checkpoint !== null && !isRunning();
  return (
    <tr data-run-id={run.id} data-status={run.status} data-stages={Object.keys(run.stages).join(' ')}>
      <td>
        <input type="checkbox" aria-label={`Compare ${run.name}`} checked={compared} onChange={onCompare} />
      </td>
      <td>
        <div className="run-name">{run.name}</div>
        <div className="run-meta">
          {new Date(run.createdAt).toLocaleString()} · {run.backend ?? 'not started'}
          {run.checkpoint && ` · checkpoint ${run.checkpoint.stage} step ${run.checkpoint.step}`}
        </div>
        {run.startedFrom && (
          <div className="run-meta" data-testid="started-from">
            started from {run.startedFrom.kind === 'run' ? `run “${run.startedFrom.label}”` : `file “${run.startedFrom.name}”`}, no
            pretraining
          </div>
        )}
      </td>
      <td>
        <span className={`status-pill status-${run.status}`}>{live ? 'live' : run.status}</span>
        {run.error && <div className="run-error">{run.error}</div>}
      </td>
      <td>{percent(stageAccuracy(run, 'pretrain'))}</td>
      <td>{percent(stageAccuracy(run, 'finetune'))}</td>
      <td>{percent(stageAccuracy(run, 'baseline'))}</td>
      <td>{percent(stageAccuracy(run, 'distill'))}</td>
      <td>
        <div className="run-actions">
          <button type="button" onClick={() => void showRun(run.id)} aria-label={`Open ${run.name}`}>
            Open
          </button>
          {canContinue && (
            <button type="button" onClick={() => void continueRun(run.id)} aria-label={`Continue ${run.name} from its checkpoint`}>
              Continue
            </button>
          )}
          <button
            type="button"
            disabled={!run.checkpoint}
            onClick={() => {
              useStartPoint.getState().setStart({ kind: 'run', runId: run.id, label: run.name });
              if (useLab.getState().config.pretrain.init !== null) useLab.getState().setField('pretrain.init', null);
            }}
            aria-label={`Use ${run.name} as the starting point`}
          >
            Use as starting point
          </button>
          <button type="button" onClick={() => void exportRun(run.id)} aria-label={`Export ${run.name}`}>
            Export
          </button>
          <button
            type="button"
            disabled={!run.checkpoint}
            onClick={() => void downloadWeights(run.id)}
            aria-label={`Download weights of ${run.name}`}
          >
            Weights
          </button>
          <button type="button" disabled={live} onClick={() => void deleteRun(run.id)} aria-label={`Delete ${run.name}`}>
            Delete
          </button>
        </div>
      </td>
    </tr>
  );
}
