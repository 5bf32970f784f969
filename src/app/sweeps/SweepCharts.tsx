import { useMemo, useState } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Line,
  LineChart,
  ReferenceDot,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { curveXAxisProps } from '../charts/axes';
import { metricLabel, replayCurves, rungCutoffs } from '../../sweep/asha';
import { curveMetric } from '../../sweep/runner';
import type { SweepSpec } from '../../sweep/spec';
import { parameterImportance, MIN_TRIALS_FOR_IMPORTANCE } from './importance';
import { useSweeps } from './sweepStore';
import { type Axis, OBJECTIVE_AXIS, type TrialRow, axisValue } from './sweepView';

const palette = ['#3f6fb5', '#d9822b', '#4a9460', '#7a5ab5', '#8c6a4f', '#d46fa8', '#6f6f6f', '#2a9d8f'];
const fmt = (v: number) => (Math.abs(v) >= 100 || v === 0 ? String(Math.round(v)) : Number(v.toPrecision(3)).toString());

/**
 * Every trial's curve of the metric early stopping watches (else the objective's per-epoch metric)
 * against epochs, overlaid, with the ASHA rungs: a dashed line at each rung's epoch and a dot at
 * its current cut-off (a trial below the dot at that epoch was stopped there).
 */
export function LearningCurves({ spec, trials, live }: { spec: SweepSpec; trials: TrialRow[]; live: Record<string, [number, number][]> }) {
  const metric = curveMetric(spec);
  const hovered = useSweeps((s) => s.hovered);
  const setHovered = useSweeps((s) => s.setHovered);
  const curves = useMemo(() => {
    const finished = trials
      .filter((t) => t.curve?.length)
      .map((t) => ({ trialId: t.id, curve: t.curve as [number, number][], stopped: t.status === 'stopped' }));
    const running = Object.entries(live)
      .filter(([id, c]) => c.length && !finished.some((f) => f.trialId === id))
      .map(([trialId, curve]) => ({ trialId, curve, stopped: false }));
    return [...finished, ...running];
  }, [trials, live]);
  const rungs = useMemo(
    () => (spec.earlyStopping?.type === 'asha' ? rungCutoffs(spec.earlyStopping, replayCurves(spec.earlyStopping, curves)) : []),
    [spec, curves],
  );
  const points = curves.reduce((n, c) => n + c.curve.length, 0);
  if (!metric) return <p className="chart-empty">This objective has no per-epoch curve (and no early stopping metric is set).</p>;
  const percent = metric.endsWith('Accuracy');
  const scale = percent ? 100 : 1;
  return (
    <figure className="chart" data-testid="sweep-curves" data-points={points} data-curves={curves.length} data-rungs={rungs.length}>
      <figcaption>
        Learning curves: {metricLabel(metric)} ({metric}) of every trial
        {rungs.length > 0 && '; dashed lines are ASHA rungs, dots their current cut-offs'}
      </figcaption>
      {points === 0 ? (
        <div className="chart-empty">No curves yet.</div>
      ) : (
        <ResponsiveContainer width="100%" height={220}>
          <LineChart margin={{ top: 6, right: 36, bottom: 14, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e6e3dc" />
            <XAxis {...curveXAxisProps('epoch', fmt)} />
            <YAxis fontSize={11} width={52} domain={['auto', 'auto']} tickFormatter={fmt} />
            <Tooltip
              formatter={(v) => (typeof v === 'number' ? fmt(v) + (percent ? '%' : '') : String(v))}
              labelFormatter={(x) => `epoch ${x}`}
            />
            {rungs.map((r) => (
              <ReferenceLine
                key={`rung-${r.epoch}`}
                x={r.epoch}
                stroke="#b5483f"
                strokeDasharray="4 3"
                label={{ value: `rung ${fmt(r.epoch)}`, position: 'insideTopLeft', fontSize: 10, fill: '#8a3730' }}
              />
            ))}
            {rungs.map((r) => (
              <ReferenceDot
                key={`cut-${r.epoch}`}
                x={r.epoch}
                y={r.cutoff * scale}
                r={5}
                fill="#b5483f"
                stroke="#fff"
                ifOverflow="extendDomain"
              />
            ))}
            {curves.map((c, i) => (
              <Line
                key={c.trialId}
                name={c.trialId}
                data={c.curve.map(([x, y]) => ({ x, y: y * scale }))}
                dataKey="y"
                stroke={palette[i % palette.length]}
                strokeWidth={hovered === c.trialId ? 3.5 : 1.6}
                strokeOpacity={hovered && hovered !== c.trialId ? 0.35 : 1}
                strokeDasharray={c.stopped ? '5 4' : undefined}
                dot={c.curve.length < 20 ? { r: 2 } : false}
                isAnimationActive={false}
                onMouseEnter={() => setHovered(c.trialId)}
                onMouseLeave={() => setHovered(null)}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
}

/** The objective against one parameter (chosen), one dot per finished trial with an objective. */
export function ObjectiveScatter({ axes, trials, metric }: { axes: Axis[]; trials: TrialRow[]; metric: string }) {
  const params = axes.filter((a) => a.key !== OBJECTIVE_AXIS);
  const [chosen, setChosen] = useState(params[0]?.key ?? '');
  const axis = params.find((a) => a.key === chosen) ?? params[0];
  if (!axis) return null;
  const percent = metric.endsWith('Accuracy');
  const data = trials
    .filter((t) => t.objective !== null)
    .map((t) => ({ x: axisValue(t, axis), y: (t.objective as number) * (percent ? 100 : 1), id: t.id }))
    .filter((p) => p.x !== null);
  return (
    <figure className="chart" data-testid="sweep-scatter" data-points={data.length}>
      <figcaption>
        Objective vs{' '}
        <select aria-label="Parameter on the x axis" value={axis.key} onChange={(e) => setChosen(e.target.value)}>
          {params.map((a) => (
            <option key={a.key} value={a.key}>
              {a.label}
            </option>
          ))}
        </select>
      </figcaption>
      {data.length === 0 ? (
        <div className="chart-empty">No trial has an objective yet.</div>
      ) : (
        <ResponsiveContainer width="100%" height={220}>
          <ScatterChart margin={{ top: 6, right: 12, bottom: 14, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e6e3dc" />
            {axis.kind === 'category' ? (
              <XAxis type="category" dataKey="x" allowDuplicatedCategory={false} fontSize={11} name={axis.label} />
            ) : (
              <XAxis
                type="number"
                dataKey="x"
                scale={axis.log ? 'log' : 'auto'}
                domain={['auto', 'auto']}
                tickFormatter={fmt}
                fontSize={11}
                name={axis.label}
              />
            )}
            <YAxis type="number" dataKey="y" domain={['auto', 'auto']} tickFormatter={fmt} fontSize={11} width={52} name={metric} />
            <Tooltip formatter={(v, name) => [typeof v === 'number' ? fmt(v) : String(v), String(name)]} labelFormatter={() => ''} />
            <Scatter data={data} fill="#3f6fb5" isAnimationActive={false} />
          </ScatterChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
}

/** Parameter importance bars; the caption states the method (see importance.ts). */
export function ImportanceChart({ axes, trials }: { axes: Axis[]; trials: TrialRow[] }) {
  const importance = useMemo(() => parameterImportance(trials, axes, OBJECTIVE_AXIS), [trials, axes]);
  const data = importance.map((i) => ({
    name: i.key,
    value: Number(i.importance.toFixed(3)),
    rho: i.rho === null ? '—' : i.rho.toFixed(2),
  }));
  return (
    <figure className="chart" data-testid="sweep-importance" data-bars={data.length} data-order={data.map((d) => d.name).join(',')}>
      <figcaption>
        Parameter importance: η², the share of the objective's rank variance explained by the parameter's bins (choices, or 4 quantile bins
        of a number; a fANOVA-lite), with Spearman ρ for numbers in the tooltip
      </figcaption>
      {data.length === 0 ? (
        <div className="chart-empty">Needs at least {MIN_TRIALS_FOR_IMPORTANCE} trials with an objective.</div>
      ) : (
        <ResponsiveContainer width="100%" height={40 + 28 * data.length}>
          <BarChart data={data} layout="vertical" margin={{ top: 6, right: 24, bottom: 6, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e6e3dc" />
            <XAxis type="number" domain={[0, 1]} fontSize={11} />
            <YAxis type="category" dataKey="name" width={170} fontSize={11} />
            <Tooltip formatter={(v, _name, item) => [`η² ${v} · ρ ${(item.payload as { rho: string }).rho}`, 'importance']} />
            <Bar dataKey="value" fill="#3f6fb5" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
}
