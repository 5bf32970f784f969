import { useEffect, useRef, useState } from 'react';
import { ParallelChart } from 'echarts/charts';
import { ParallelComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useSweeps } from './sweepStore';
import { type Axis, OBJECTIVE_AXIS, type TrialRow, axisValue, brushOfIntervals, formatObjective } from './sweepView';

// Only the parallel chart and what it needs are bundled (recharts has no parallel coordinates).
echarts.use([ParallelChart, ParallelComponent, TooltipComponent, CanvasRenderer]);

const MARGIN = { left: 60, right: 110, top: 56, bottom: 36 };

/** Low objective → pale blue, high → dark blue (reversed when minimizing: dark is always better). */
function colourOf(objective: number | null, lo: number, hi: number, goal: 'maximize' | 'minimize'): string {
  if (objective === null) return '#b9b4aa';
  const span = hi - lo || 1;
  let t = (objective - lo) / span;
  if (goal === 'minimize') t = 1 - t;
  const mix = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${mix(176, 24)}, ${mix(200, 64)}, ${mix(232, 140)})`;
}

interface AxisPosition {
  key: string;
  x: number;
  top: number;
  bottom: number;
}

/**
 * The sweep's parallel coordinates (echarts): one vertical axis per swept parameter (log axes for
 * log ranges, category axes for choices) and the objective last; one line per finished trial,
 * darker when better, the best one red. Dragging along an axis brushes it: the brush becomes a
 * filter of the trials table (through the sweep store), and hovering a line highlights its row
 * (and the other way round). `data-axes` gives each axis's pixel position, for tests and tools.
 */
export function ParallelCoordinates(props: {
  axes: Axis[];
  trials: TrialRow[];
  goal: 'maximize' | 'minimize';
  metric: string;
  bestId: string | null;
}) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const [positions, setPositions] = useState<AxisPosition[]>([]);
  const hovered = useSweeps((s) => s.hovered);
  const brushes = useSweeps((s) => s.brushes);
  const axesRef = useRef(props.axes);
  axesRef.current = props.axes;
  const idsRef = useRef<string[]>([]);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const instance = echarts.init(element, undefined, { renderer: 'canvas' });
    chart.current = instance;
    const place = () => {
      const width = element.clientWidth;
      const height = element.clientHeight;
      const n = axesRef.current.length;
      const span = width - MARGIN.left - MARGIN.right;
      setPositions(
        axesRef.current.map((axis, i) => ({
          key: axis.key,
          x: Math.round(MARGIN.left + (n > 1 ? (i * span) / (n - 1) : 0)),
          top: MARGIN.top,
          bottom: height - MARGIN.bottom,
        })),
      );
    };
    const observer = new ResizeObserver(() => {
      instance.resize();
      place();
    });
    observer.observe(element);
    instance.on('axisareaselected', (event: unknown) => {
      const { parallelAxisId, intervals } = event as { parallelAxisId?: string; intervals?: [number, number][] };
      const axis = axesRef.current.find((a) => a.key === parallelAxisId);
      if (axis) useSweeps.getState().setBrush(axis.key, brushOfIntervals(axis, intervals ?? []));
    });
    instance.on('mouseover', (event: unknown) => {
      const { name } = event as { name?: string };
      if (name) useSweeps.getState().setHovered(name);
    });
    instance.on('mouseout', () => useSweeps.getState().setHovered(null));
    place();
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const instance = chart.current;
    if (!instance) return;
    const objectives = props.trials.map((t) => t.objective).filter((v): v is number => v !== null);
    const lo = Math.min(...objectives);
    const hi = Math.max(...objectives);
    idsRef.current = props.trials.map((t) => t.id);
    instance.setOption(
      {
        animation: false,
        parallel: { ...MARGIN, parallelAxisDefault: { nameLocation: 'start', nameGap: 18, nameTextStyle: { fontSize: 11 } } },
        tooltip: { trigger: 'item', confine: true },
        parallelAxis: props.axes.map((axis, dim) => ({
          id: axis.key,
          dim,
          name: axis.key === OBJECTIVE_AXIS ? props.metric : axis.label,
          nameLocation: 'end',
          nameRotate: 0,
          nameTextStyle: { fontSize: 11, width: 140, overflow: 'truncate' },
          realtime: false,
          areaSelectStyle: { width: 24, opacity: 0.35 },
          ...(axis.kind === 'category' ? { type: 'category', data: axis.categories } : { type: axis.log ? 'log' : 'value', scale: true }),
        })),
        series: [
          {
            id: 'trials',
            type: 'parallel',
            smooth: false,
            emphasis: { lineStyle: { width: 4, color: '#1f2328', opacity: 1 } },
            tooltip: {
              formatter: (params: unknown) => {
                const { name } = params as { name: string };
                const trial = props.trials.find((t) => t.id === name);
                return trial ? `${trial.id}: ${formatObjective(props.metric, trial.objective)} (${trial.status})` : name;
              },
            },
            data: props.trials.map((trial) => ({
              name: trial.id,
              value: props.axes.map((axis) => axisValue(trial, axis) ?? '-'),
              lineStyle: {
                color: trial.id === props.bestId ? '#b5483f' : colourOf(trial.objective, lo, hi, props.goal),
                width: trial.id === props.bestId ? 3 : 1.6,
                opacity: 0.9,
                type: trial.objective === null ? 'dashed' : 'solid',
              },
            })),
          },
        ],
      },
      { replaceMerge: ['series', 'parallelAxis'] },
    );
    // Replacing the axes forgets their brushes: put the store's back (the store is the truth).
    for (const axis of props.axes) {
      const brush = useSweeps.getState().brushes[axis.key];
      if (!brush) continue;
      const intervals =
        brush.kind === 'range'
          ? [[brush.min, brush.max]]
          : axis.kind === 'category'
            ? brush.keep.map((c) => axis.categories.indexOf(c)).map((i) => [i, i])
            : [];
      instance.dispatchAction({ type: 'axisAreaSelect', parallelAxisId: axis.key, intervals });
    }
  }, [props.axes, props.trials, props.goal, props.metric, props.bestId]);

  // Table hover → the line.
  useEffect(() => {
    const instance = chart.current;
    if (!instance) return;
    instance.dispatchAction({ type: 'downplay', seriesIndex: 0 });
    const index = hovered ? idsRef.current.indexOf(hovered) : -1;
    if (index >= 0) instance.dispatchAction({ type: 'highlight', seriesIndex: 0, dataIndex: index });
  }, [hovered]);

  const brushed = Object.keys(brushes);
  return (
    <figure
      className="chart parallel-chart"
      data-testid="sweep-parallel"
      data-lines={props.trials.length}
      data-axes={JSON.stringify(positions)}
      data-brushed={brushed.join(',')}
    >
      <figcaption>
        Parallel coordinates: one line per trial (darker = better, red = best). Drag along an axis to brush it; the table shows only the
        trials inside every brush.
      </figcaption>
      <div
        ref={host}
        className="parallel-host"
        role="img"
        aria-label={`Parallel coordinates of ${props.trials.length} trials over ${props.axes.length} axes; the trials table below lists the same data.`}
      />
      {brushed.length > 0 && (
        <div className="brush-summary">
          Brushed: {brushed.map((key) => (key === OBJECTIVE_AXIS ? props.metric : key)).join(', ')}{' '}
          <button
            type="button"
            onClick={() => {
              for (const key of brushed) chart.current?.dispatchAction({ type: 'axisAreaSelect', parallelAxisId: key, intervals: [] });
              useSweeps.getState().clearBrushes();
            }}
          >
            Clear brushes
          </button>
        </div>
      )}
    </figure>
  );
}
