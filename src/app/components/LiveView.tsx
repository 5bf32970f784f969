import { useMemo } from 'react';
import type { StageName } from '../../core';
import { LabelEfficiencyChart } from '../charts/LabelEfficiencyChart';
import { MetricChart, type Series, SmoothingControl } from '../charts/MetricChart';
import { ntXentChance } from '../charts/smoothing';
import { startRun } from '../labController';
import type { MetricPoint } from '../../browser/runs/runRecord';
import { type RunLike, labelEfficiencyRows } from '../store/labelEfficiency';
import { selectView, useLab } from '../store/labStore';
import { seriesOf } from '../store/liveRun';
import { LabelEfficiencyStudyButton } from '../sweeps/LabelEfficiencyStudy';

const colors = { blue: '#3f6fb5', orange: '#d9822b', green: '#4a9460', grey: '#8d877b', red: '#b5483f', purple: '#7a5ab5' };

function series(
  metrics: MetricPoint[],
  stage: StageName,
  field: keyof MetricPoint,
  name: string,
  color: string,
  scale = 1,
  dashed = false,
): Series {
  // Per-step training values are noisy; evaluation results (test, k-NN) and the schedule are not.
  const smooth = field === 'loss' || field === 'contrastiveAccuracy' || field === 'trainAccuracy';
  return { name, color, dashed, smooth, points: seriesOf(metrics, stage, field).map((p) => ({ x: p.step, y: p.value * scale })) };
}

export function LiveView() {
  const view = useLab(selectView);
  const viewSource = useLab((s) => s.viewSource);
  const runs = useLab((s) => s.runs);
  const showLive = useLab((s) => s.showLive);
  const labConfig = useLab((s) => s.config);
  const m = view.metrics;
  const config = view.config ?? labConfig;
  const pretrainBatch = Math.min(config.pretrain.batchSize, config.dataset.trainSize ?? config.pretrain.batchSize);
  const chance = ntXentChance(pretrainBatch);
  // A run that starts from the shipped encoder (or has pretraining off) never fills these charts.
  const skippedBecause =
    config.pretrain.init !== null
      ? `it starts from the shipped encoder "${config.pretrain.init}" (its features are in Similarity and Embeddings)`
      : !config.pretrain.enabled
        ? 'pretraining is off in the settings'
        : null;

  const efficiency = useMemo(() => {
    const candidates: RunLike[] = [...runs];
    // A shared run is not stored, but belongs in the comparison while it is on screen.
    if (viewSource === 'shared' && view.config)
      candidates.push({
        id: 'shared',
        createdAt: Number.MAX_SAFE_INTEGER,
        config: view.config,
        stages: view.stages,
        metrics: view.metrics,
      });
    return labelEfficiencyRows(candidates);
  }, [runs, viewSource, view]);

  return (
    <div className="live-view">
      {viewSource !== 'live' && (
        <div className={`view-banner ${viewSource}`} data-testid={`${viewSource}-banner`}>
          {viewSource === 'shared' ? 'Showing results from a shared link — nothing was trained here.' : 'Showing a stored run.'}
          <button type="button" className="primary" onClick={() => void startRun()}>
            Re-run
          </button>
          <button type="button" onClick={showLive}>
            Back to live
          </button>
        </div>
      )}
      <div className="view-title-row">
        <h2 className="view-title">Pretraining</h2>
        <SmoothingControl />
      </div>
      {skippedBecause && (
        <p className="hint" data-testid="pretrain-skipped">
          No pretraining in this run: {skippedBecause}.
        </p>
      )}
      <div className="chart-grid">
        <MetricChart
          title="NT-Xent loss"
          testId="chart-pretrain-loss"
          yLabel="loss (nats)"
          reference={{ y: chance, label: `chance ln(2N−1) = ${chance.toFixed(2)}, N = ${pretrainBatch}` }}
          series={[series(m, 'pretrain', 'loss', 'loss', colors.blue)]}
          empty={skippedBecause ? 'Pretraining skipped.' : 'Press Start: the loss appears after the first step.'}
        />
        <MetricChart
          title="Contrastive accuracy (%)"
          testId="chart-pretrain-contrastive"
          percent
          series={[series(m, 'pretrain', 'contrastiveAccuracy', 'contrastive accuracy', colors.green, 100)]}
        />
        <MetricChart
          title="k-NN and linear-probe test accuracy (%)"
          testId="chart-pretrain-knn"
          percent
          series={[
            series(m, 'pretrain', 'knnAccuracy', 'k-NN accuracy', colors.orange, 100),
            series(m, 'pretrain', 'linearProbeAccuracy', 'linear probe', colors.blue, 100, true),
          ]}
          empty="Measured at the end of each epoch."
        />
        <MetricChart
          title="Learning rate"
          testId="chart-pretrain-lr"
          yLabel="learning rate"
          series={[series(m, 'pretrain', 'learningRate', 'learning rate', colors.grey)]}
        />
        <MetricChart
          title="Training speed (images/s; views/s while pretraining)"
          testId="chart-speed"
          yLabel="images/s"
          series={[
            series(m, 'pretrain', 'imagesPerSecond', 'pretrain', colors.blue),
            series(m, 'finetune', 'imagesPerSecond', 'fine-tune', colors.green),
            series(m, 'baseline', 'imagesPerSecond', 'supervised only', colors.grey),
            series(m, 'distill', 'imagesPerSecond', 'distill', colors.orange),
          ].filter((s) => s.points.length > 0)}
        />
      </div>
      <h2 className="view-title">Fine-tuning vs. supervised only</h2>
      <div className="chart-grid">
        <MetricChart
          title="Accuracy (%) on the same labels"
          testId="chart-finetune"
          percent
          series={[
            series(m, 'finetune', 'trainAccuracy', 'fine-tuned train', colors.blue, 100, true),
            series(m, 'finetune', 'testAccuracy', 'fine-tuned test', colors.blue, 100),
            series(m, 'baseline', 'trainAccuracy', 'supervised-only train', colors.grey, 100, true),
            series(m, 'baseline', 'testAccuracy', 'supervised-only test', colors.grey, 100),
          ]}
        />
        <MetricChart
          title="Distillation: student vs. teacher test accuracy (%)"
          testId="chart-distill"
          percent
          series={[
            series(m, 'distill', 'testAccuracy', 'student', colors.orange, 100),
            series(m, 'distill', 'teacherAccuracy', 'teacher', colors.blue, 100, true),
          ]}
        />
        <MetricChart
          title="Loss (fine-tune, baseline, distill)"
          testId="chart-supervised-loss"
          yLabel="loss (nats)"
          series={[
            series(m, 'finetune', 'loss', 'fine-tune', colors.blue),
            series(m, 'baseline', 'loss', 'supervised only', colors.grey),
            series(m, 'distill', 'loss', 'distill', colors.orange),
          ]}
        />
      </div>
      <StageSummaries />
      <LabelEfficiencyChart rows={efficiency} />
      <LabelEfficiencyStudyButton compact />
      <LogList />
    </div>
  );
}

const stageLabels: Record<StageName, string> = {
  pretrain: 'Pretrain (k-NN)',
  finetune: 'Fine-tuned',
  baseline: 'Supervised only',
  distill: 'Distilled student',
};

function StageSummaries() {
  const view = useLab(selectView);
  const stages = (Object.keys(stageLabels) as StageName[]).filter((s) => view.stages[s]);
  if (stages.length === 0) return null;
  return (
    <table className="summary-table" data-testid="stage-summaries">
      <caption>Stage results{view.backend ? ` · ${view.backend}` : ''}</caption>
      <thead>
        <tr>
          <th>stage</th>
          <th>status</th>
          <th>test accuracy</th>
          <th>steps</th>
          <th>images/s</th>
          <th>seconds</th>
        </tr>
      </thead>
      <tbody>
        {stages.map((stage) => {
          const s = view.stages[stage]!;
          return (
            <tr key={stage} data-stage={stage}>
              <td>{stageLabels[stage]}</td>
              <td>{s.status}</td>
              <td>{s.testAccuracy === null ? '—' : `${(s.testAccuracy * 100).toFixed(1)}%`}</td>
              <td>{s.steps}</td>
              <td>{s.imagesPerSecond ? s.imagesPerSecond.toFixed(0) : '—'}</td>
              <td>{s.seconds ? s.seconds.toFixed(1) : '—'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function LogList() {
  const logs = useLab((s) => s.live.logs);
  if (logs.length === 0) return null;
  return (
    <details className="log-list">
      <summary>Log ({logs.length})</summary>
      <ul>
        {logs.map((line, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the log only grows at its end, so an index names one line for good.
          <li key={i} className={`log-${line.level}`}>
            {new Date(line.time).toLocaleTimeString()} {line.message}
          </li>
        ))}
      </ul>
    </details>
  );
}
