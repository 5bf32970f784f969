import { useEffect, useRef, useState } from 'react';
import { selectView, useLab } from '../store/labStore';

/** Sequential colour for t in [0, 1]: white (least similar in this batch) → dark red (most). */
export function similarityColour(t: number): [number, number, number] {
  const v = Math.max(0, Math.min(1, t));
  return [255 - 120 * v, 255 - 225 * v, 255 - 215 * v];
}

/**
 * Range of the off-diagonal similarities: early in training they all sit close together, so the
 * colours stretch over this batch's own range to make the structure visible.
 */
export function offDiagonalRange(values: number[], n: number): [number, number] {
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const v = values[i * n + j];
      if (v < low) low = v;
      if (v > high) high = v;
    }
  }
  return Number.isFinite(low) ? [low, high] : [-1, 1];
}

export function SimilarityView() {
  const similarity = useLab((s) => selectView(s).similarity);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<{ row: number; column: number } | null>(null);

  useEffect(() => {
    const element = canvas.current;
    if (!element || !similarity) return;
    const n = similarity.size;
    element.width = n;
    element.height = n;
    const context = element.getContext('2d');
    if (!context) return;
    const image = context.createImageData(n, n);
    const [low, high] = offDiagonalRange(similarity.values, n);
    for (let i = 0; i < n * n; i++) {
      const [r, g, b] = similarityColour((similarity.values[i] - low) / (high - low || 1));
      image.data.set([r, g, b, 255], i * 4);
    }
    context.putImageData(image, 0, 0);
  }, [similarity]);

  const half = similarity ? similarity.size / 2 : 0;
  const [low, high] = similarity ? offDiagonalRange(similarity.values, similarity.size) : [0, 0];
  return (
    <div className="similarity-view">
      <p className="explain">
        Cosine similarities between the projections of all 2N views of the current pretraining batch: rows and columns list view 1 of every
        image, then view 2. The two off-diagonal bands (marked) are the positive pairs — the loss pulls them up and pushes every other cell
        down, so the bands emerge as pretraining proceeds. The main diagonal (a view with itself) is always 1 and is excluded from the loss.
        Colours span this batch’s range of similarities.
      </p>
      {!similarity ? (
        <div className="chart-empty" data-testid="similarity-empty">
          Start a run with pretraining: the matrix of the current batch appears after a few steps.
        </div>
      ) : (
        <figure className="heatmap" data-testid="similarity-heatmap" data-size={similarity.size} data-step={similarity.step}>
          {/* biome-ignore lint/a11y/noStaticElementInteractions: hover only shows a tooltip; the matrix is described by the canvas's label for assistive tech. */}
          <div
            className="heatmap-frame"
            onMouseLeave={() => setHover(null)}
            onMouseMove={(event) => {
              const box = event.currentTarget.getBoundingClientRect();
              const n = similarity.size;
              const row = Math.min(n - 1, Math.floor(((event.clientY - box.top) / box.height) * n));
              const column = Math.min(n - 1, Math.floor(((event.clientX - box.left) / box.width) * n));
              setHover(row >= 0 && column >= 0 ? { row, column } : null);
            }}
          >
            <canvas ref={canvas} aria-label={`${similarity.size} by ${similarity.size} similarity heatmap`} role="img" />
            <svg
              viewBox={`0 0 ${similarity.size} ${similarity.size}`}
              preserveAspectRatio="none"
              className="heatmap-overlay"
              aria-hidden="true"
            >
              {Array.from({ length: half }, (_, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the i-th positive pair's mark; the index is its identity.
                <g key={i}>
                  <rect x={i + half} y={i} width={1} height={1} className="positive-mark" />
                  <rect x={i} y={i + half} width={1} height={1} className="positive-mark" />
                </g>
              ))}
            </svg>
          </div>
          <p className="hover-readout" data-testid="similarity-hover">
            {hover
              ? `${viewName(hover.row, half)} × ${viewName(hover.column, half)}: similarity ${similarity.values[hover.row * similarity.size + hover.column].toFixed(3)}${
                  Math.abs(hover.row - hover.column) === half ? ' (positive pair)' : hover.row === hover.column ? ' (itself)' : ''
                }`
              : 'Point at a cell to read its similarity.'}
          </p>
          <figcaption>
            Step {similarity.step} · contrastive accuracy{' '}
            <strong data-testid="similarity-accuracy">{(similarity.contrastiveAccuracy * 100).toFixed(1)}%</strong> (how often the positive
            is the most similar of the 2N−1 other views) · colour scale <span className="legend-swatch zero" /> {low.toFixed(2)} →{' '}
            <span className="legend-swatch pos" /> {high.toFixed(2)} (this batch’s range; the diagonal is 1) · outlined cells: positives
          </figcaption>
        </figure>
      )}
    </div>
  );
}

/** "image 3, view 2" for row/column `index` of the 2N×2N matrix (view 1 of every image first). */
function viewName(index: number, half: number): string {
  return `image ${(index % half) + 1}, view ${index < half ? 1 : 2}`;
}
