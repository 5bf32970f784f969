import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
  dashed?: boolean;
}

const formatNumber = (value: number) => (Math.abs(value) >= 100 || value === 0 ? String(Math.round(value)) : value.toPrecision(3));

/**
 * A small line chart. `data-points` carries how many points are drawn, which the end-to-end tests
 * (and curious readers of the DOM) can check. Animations are off: charts redraw as data streams in.
 */
export function MetricChart(props: { title: string; testId: string; series: Series[]; xLabel?: string; percent?: boolean; logY?: boolean; empty?: string }) {
  const total = props.series.reduce((n, s) => n + s.points.length, 0);
  return (
    <figure className="chart" data-testid={props.testId} data-points={total}>
      <figcaption>{props.title}</figcaption>
      {total === 0 ? (
        <div className="chart-empty">{props.empty ?? 'No data yet.'}</div>
      ) : (
        <ResponsiveContainer width="100%" height={190}>
          <LineChart margin={{ top: 6, right: 12, bottom: 4, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e6e3dc" />
            <XAxis type="number" dataKey="x" domain={['dataMin', 'dataMax']} allowDuplicatedCategory={false} tickFormatter={formatNumber} fontSize={11} label={props.xLabel ? { value: props.xLabel, position: 'insideBottomRight', offset: -2, fontSize: 11 } : undefined} />
            <YAxis
              fontSize={11}
              width={44}
              scale={props.logY ? 'log' : 'auto'}
              domain={props.percent ? [0, 100] : ['auto', 'auto']}
              tickFormatter={formatNumber}
              allowDataOverflow={false}
            />
            <Tooltip formatter={(value) => (typeof value === 'number' ? formatNumber(value) + (props.percent ? '%' : '') : String(value))} labelFormatter={(x) => `step ${x}`} />
            {props.series.length > 1 && <Legend wrapperStyle={{ fontSize: 11 }} />}
            {props.series.map((s) => (
              <Line
                key={s.name}
                name={s.name}
                data={s.points}
                dataKey="y"
                stroke={s.color}
                strokeWidth={1.8}
                strokeDasharray={s.dashed ? '5 4' : undefined}
                dot={s.points.length < 30 ? { r: 2.5 } : false}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
}
