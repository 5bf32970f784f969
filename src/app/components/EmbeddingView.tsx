import { useEffect, useRef } from 'react';
import { CIFAR10_CLASS_NAMES } from '../../core/data/cifar10';
import { MNIST_CLASS_NAMES } from '../../core/data/mnist';
import { SHAPE_CLASS_NAMES } from '../../core/data/shapes';
import { selectView, useLab } from '../store/labStore';

export const classColours = ['#3f6fb5', '#d9822b', '#4a9460', '#b5483f', '#7a5ab5', '#8c6a4f', '#d46fa8', '#6f6f6f', '#a8a63b', '#3fa8b5', '#1f3f75', '#f2b36b'];

/** Test-image embeddings (encoder features) projected to 2-D with PCA, coloured by class. */
export function EmbeddingView() {
  const embedding = useLab((s) => selectView(s).embedding);
  const config = useLab((s) => selectView(s).config);
  const canvas = useRef<HTMLCanvasElement>(null);
  const size = 420;

  useEffect(() => {
    const element = canvas.current;
    const context = element?.getContext('2d');
    if (!element || !context || !embedding) return;
    const ratio = window.devicePixelRatio || 1;
    element.width = size * ratio;
    element.height = size * ratio;
    context.scale(ratio, ratio);
    context.clearRect(0, 0, size, size);
    const xs = embedding.points.map((p) => p[0]);
    const ys = embedding.points.map((p) => p[1]);
    const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const pad = 12;
    const sx = (x: number) => pad + ((x - minX) / (maxX - minX || 1)) * (size - 2 * pad);
    const sy = (y: number) => size - pad - ((y - minY) / (maxY - minY || 1)) * (size - 2 * pad);
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
        Encoder features of test images, projected onto their first two principal components and coloured by their (unused) labels. No label was used to train the
        encoder, yet classes drift apart as pretraining proceeds.
      </p>
      {!embedding ? (
        <div className="chart-empty" data-testid="embedding-empty">
          Start a run with pretraining: the projection refreshes as training proceeds.
        </div>
      ) : (
        <figure data-testid="embedding-plot" data-points={embedding.points.length}>
          <canvas ref={canvas} style={{ width: size, height: size }} role="img" aria-label={`PCA projection of ${embedding.points.length} test embeddings`} />
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
