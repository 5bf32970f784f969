import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useLab } from '../store/labStore';
import { curveXAxisProps } from './axes';
import { emaSmooth } from './smoothing';

export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
  dashed?: boolean;
  /** Noisy per-step values: drawn smoothed (the chart's smoothing), the raw points kept faint. */
  smooth?: boolean;
}

export interface ReferenceMark {
  y: number;
  label: string;
}

const formatNumber = (value: number) => (Math.abs(value) >= 100 || value === 0 ? String(Math.round(value)) : value.toPrecision(3));

/**
 * A small line chart with labelled axes and values on hover. Series marked `smooth` are drawn as
 * TensorBoard does: the exponential moving average (the Smoothing slider) over the faint raw curve.
 * `data-points` carries how many raw points are drawn, which the end-to-end tests (and curious
 * readers of the DOM) can check. Animations are off: charts redraw as data streams in.
 */
export function MetricChart(props: {
  title: string;
  testId: string;
  series: Series[];
  xLabel?: string;
  /** The y axis's quantity and unit, e.g. "loss (nats)"; "%" charts get "%" by default. */
  yLabel?: string;
  percent?: boolean;
  logY?: boolean;
  empty?: string;
  reference?: ReferenceMark;
}) {
  const smoothing = useLab((s) => s.chartSmoothing);
  const total = props.series.reduce((n, s) => n + s.points.length, 0);
  const smoothed = smoothing > 0 && props.series.some((s) => s.smooth && s.points.length > 1);
  const unit = props.percent ? '%' : '';
  const yLabel = props.yLabel ?? (props.percent ? 'accuracy (%)' : undefined);
  const lines = props.series.flatMap((s) => {
    const common = { dataKey: 'y', strokeDasharray: s.dashed ? '5 4' : undefined, isAnimationActive: false };
    if (!(smoothed && s.smooth && s.points.length > 1)) {
      return [
        <Line
          key={s.name}
          name={s.name}
          data={s.points}
          stroke={s.color}
          strokeWidth={1.8}
          dot={s.points.length < 30 ? { r: 2.5 } : false}
          {...common}
        />,
      ];
    }
    const values = emaSmooth(
      s.points.map((p) => p.y),
      smoothing,
    );
    const smoothPoints = s.points.map((p, i) => ({ x: p.x, y: values[i] }));
    return [
      <Line
        key={`${s.name}-raw`}
        name={`${s.name} (raw)`}
        legendType="none"
        data={s.points}
        stroke={s.color}
        strokeOpacity={0.25}
        strokeWidth={1}
        dot={false}
        {...common}
      />,
      <Line key={s.name} name={s.name} data={smoothPoints} stroke={s.color} strokeWidth={1.8} dot={false} {...common} />,
    ];
  });
  return (
    <figure
      className="chart"
      data-testid={props.testId}
      data-points={total}
      data-smoothed={smoothed}
      data-reference={props.reference ? props.reference.y.toFixed(4) : undefined}
    >
      <figcaption>{props.title}</figcaption>
      {total === 0 ? (
        <div className="chart-empty">{props.empty ?? 'No data yet.'}</div>
      ) : (
        <ResponsiveContainer width="100%" height={200}>
          <LineChart margin={{ top: 6, right: 12, bottom: 14, left: 8 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e6e3dc" />
            <XAxis {...curveXAxisProps(props.xLabel ?? 'step', formatNumber)} />
            <YAxis
              fontSize={11}
              width={52}
              scale={props.logY ? 'log' : 'auto'}
              domain={props.percent ? [0, 100] : ['auto', 'auto']}
              tickFormatter={formatNumber}
              allowDataOverflow={false}
              label={
                yLabel
                  ? { value: yLabel, angle: -90, position: 'insideLeft', offset: 4, fontSize: 11, style: { textAnchor: 'middle' } }
                  : undefined
              }
            />
            <Tooltip
              formatter={(value) => (typeof value === 'number' ? formatNumber(value) + unit : String(value))}
              labelFormatter={(x) => `step ${x}`}
            />
            {props.series.length > 1 && <Legend wrapperStyle={{ fontSize: 11 }} />}
            {props.reference && (
              <ReferenceLine
                y={props.reference.y}
                stroke="#b5483f"
                strokeDasharray="6 3"
                ifOverflow="extendDomain"
                label={{ value: props.reference.label, position: 'insideTopRight', fontSize: 11, fill: '#8a3730' }}
              />
            )}
            {lines}
          </LineChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
}

/** The Smoothing slider every smoothed chart follows (0 = raw values only). */
export function SmoothingControl() {
  const smoothing = useLab((s) => s.chartSmoothing);
  const setSmoothing = useLab((s) => s.setChartSmoothing);
  return (
    <label className="smoothing-control">
      Smoothing
      <input
        type="range"
        min={0}
        max={0.99}
        step={0.01}
        value={smoothing}
        aria-label="Smoothing"
        data-testid="smoothing"
        onChange={(e) => setSmoothing(Number(e.target.value))}
      />
      <output>{smoothing.toFixed(2)}</output>
    </label>
  );
}
