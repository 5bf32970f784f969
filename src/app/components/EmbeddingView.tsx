import { useEffect, useRef, useState } from 'react';
import { CIFAR10_CLASS_NAMES } from '../../core/data/cifar10';
import { MNIST_CLASS_NAMES } from '../../core/data/mnist';
import { SHAPE_CLASS_NAMES } from '../../core/data/shapes';
import { selectView, useLab } from '../store/labStore';

export const classColours = [
  '#3f6fb5',
  '#d9822b',
  '#4a9460',
  '#b5483f',
  '#7a5ab5',
  '#8c6a4f',
  '#d46fa8',
  '#6f6f6f',
  '#a8a63b',
  '#3fa8b5',
  '#1f3f75',
  '#f2b36b',
];

/** Test-image embeddings (encoder features) projected to 2-D with PCA, coloured by class. */
export function EmbeddingView() {
  const embedding = useLab((s) => selectView(s).embedding);
  const config = useLab((s) => selectView(s).config);
  const canvas = useRef<HTMLCanvasElement>(null);
  const size = 420;
  const [hover, setHover] = useState<string | null>(null);

  useEffect(() => {
    const element = canvas.current;
    const context = element?.getContext('2d');
    if (!element || !context || !embedding) return;
    const ratio = window.devicePixelRatio || 1;
    element.width = size * ratio;
    element.height = size * ratio;
    context.scale(ratio, ratio);
    context.clearRect(0, 0, size, size);
    const { sx, sy } = plotScales(embedding.points, size);
    context.globalAlpha = 0.75;
    embedding.points.forEach(([x, y], i) => {
      context.fillStyle = classColours[embedding.labels[i] % classColours.length];
      context.beginPath();
      context.arc(sx(x), sy(y), 3, 0, Math.PI * 2);
      context.fill();
    });
  }, [embedding]);

  const classes = [...new Set(embedding?.labels ?? [])].sort((a, b) => a - b);
  const names = classNamesOf(config?.dataset.name);
  return (
    <div className="embedding-view">
      <p className="explain">
        Encoder features of test images, projected onto their first two principal components and coloured by their (unused) labels. No label
        was used to train the encoder, yet classes drift apart as pretraining proceeds.
      </p>
      {!embedding ? (
        <div className="chart-empty" data-testid="embedding-empty">
          Start a run with pretraining: the projection refreshes as training proceeds.
        </div>
      ) : (
        <figure data-testid="embedding-plot" data-points={embedding.points.length}>
          <canvas
            ref={canvas}
            style={{ width: size, height: size }}
            role="img"
            aria-label={`PCA projection of ${embedding.points.length} test embeddings`}
            onMouseLeave={() => setHover(null)}
            onMouseMove={(event) => {
              const box = event.currentTarget.getBoundingClientRect();
              const { sx, sy } = plotScales(embedding.points, size);
              const [px, py] = [event.clientX - box.left, event.clientY - box.top];
              let nearest = -1;
              let best = 64; // within 8 px
              embedding.points.forEach(([x, y], i) => {
                const d = (sx(x) - px) ** 2 + (sy(y) - py) ** 2;
                if (d < best) [best, nearest] = [d, i];
              });
              if (nearest < 0) return setHover(null);
              const [x, y] = embedding.points[nearest];
              const label = embedding.labels[nearest];
              setHover(`test image ${nearest + 1}: ${names[label] ?? label} · PC1 ${x.toFixed(2)}, PC2 ${y.toFixed(2)}`);
            }}
          />
          <p className="hover-readout" data-testid="embedding-hover">
            {hover ?? 'Point at a dot to see its class.'}
          </p>
          <figcaption>
            Step {embedding.step} ({embedding.stage}) ·{' '}
            {classes.map((c) => (
              <span key={c} className="legend-item">
                <span className="legend-dot" style={{ background: classColours[c % classColours.length] }} />
                {names[c] ?? c}
              </span>
            ))}
          </figcaption>
        </figure>
      )}
    </div>
  );
}

function classNamesOf(dataset: string | undefined): string[] {
  if (dataset === 'cifar10') return CIFAR10_CLASS_NAMES;
  if (dataset === 'mnist') return MNIST_CLASS_NAMES;
  if (dataset === 'shapes') return SHAPE_CLASS_NAMES;
  return [];
}

/** Canvas coordinates of the projected points (12 px padding, y up). */
function plotScales(points: [number, number][], size: number): { sx: (x: number) => number; sy: (y: number) => number } {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pad = 12;
  return {
    sx: (x) => pad + ((x - minX) / (maxX - minX || 1)) * (size - 2 * pad),
    sy: (y) => size - pad - ((y - minY) / (maxY - minY || 1)) * (size - 2 * pad),
  };
}
