import { useEffect, useRef } from 'react';
import { selectView, useLab } from '../store/labStore';

/** Diverging colour for a cosine similarity in [-1, 1]: blue (dissimilar) → white → dark red (same). */
export function similarityColour(value: number): [number, number, number] {
  const v = Math.max(-1, Math.min(1, value));
  if (v >= 0) return [255 - 80 * v, 255 - 215 * v, 255 - 215 * v];
  return [255 + 200 * v, 255 + 130 * v, 255];
}

export function SimilarityView() {
  const similarity = useLab((s) => selectView(s).similarity);
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const element = canvas.current;
    if (!element || !similarity) return;
    const n = similarity.size;
    element.width = n;
    element.height = n;
    const context = element.getContext('2d');
    if (!context) return;
    const image = context.createImageData(n, n);
    for (let i = 0; i < n * n; i++) {
      const [r, g, b] = similarityColour(similarity.values[i]);
      image.data.set([r, g, b, 255], i * 4);
    }
    context.putImageData(image, 0, 0);
  }, [similarity]);

  const half = similarity ? similarity.size / 2 : 0;
  return (
    <div className="similarity-view">
      <p className="explain">
        Cosine similarities between the projections of all 2N views of the current pretraining batch: rows and columns list view 1 of every image, then view 2. The two
        off-diagonal bands (marked) are the positive pairs — the loss pulls them up and pushes every other cell down, so the bands emerge as pretraining proceeds. The
        main diagonal (a view with itself) is always 1 and is excluded from the loss.
      </p>
      {!similarity ? (
        <div className="chart-empty" data-testid="similarity-empty">
          Start a run with pretraining: the matrix of the current batch appears after a few steps.
        </div>
      ) : (
        <figure className="heatmap" data-testid="similarity-heatmap" data-size={similarity.size} data-step={similarity.step}>
          <div className="heatmap-frame">
            <canvas ref={canvas} aria-label={`${similarity.size} by ${similarity.size} similarity heatmap`} role="img" />
            <svg viewBox={`0 0 ${similarity.size} ${similarity.size}`} preserveAspectRatio="none" className="heatmap-overlay" aria-hidden="true">
              {Array.from({ length: half }, (_, i) => (
                <g key={i}>
                  <rect x={i + half} y={i} width={1} height={1} className="positive-mark" />
                  <rect x={i} y={i + half} width={1} height={1} className="positive-mark" />
                </g>
              ))}
            </svg>
          </div>
          <figcaption>
            Step {similarity.step} · contrastive accuracy <strong data-testid="similarity-accuracy">{(similarity.contrastiveAccuracy * 100).toFixed(1)}%</strong> (how often the
            positive is the most similar of the 2N−1 other views) · <span className="legend-swatch neg" /> −1 <span className="legend-swatch zero" /> 0{' '}
            <span className="legend-swatch pos" /> 1 · outlined cells: positives
          </figcaption>
        </figure>
      )}
    </div>
  );
}
