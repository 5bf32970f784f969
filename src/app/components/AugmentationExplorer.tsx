import { useEffect, useRef, useState } from 'react';
import { configValue } from '../../core';
import type { AugmentationSample } from '../../protocol/labWorkerApi';
import { fieldLabel } from '../config/fieldControls';
import { sampleAugmentations } from '../labController';
import { useLab } from '../store/labStore';

const sliderPaths = [
  'pretrain.cropMinArea',
  'pretrain.colorJitterStrength',
  'pretrain.grayscaleProbability',
  'pretrain.blurProbability',
] as const;
type SliderPath = (typeof sliderPaths)[number];
const sliderRange: Record<SliderPath, [number, number, number]> = {
  'pretrain.cropMinArea': [0.01, 1, 0.01],
  'pretrain.colorJitterStrength': [0, 2, 0.05],
  'pretrain.grayscaleProbability': [0, 1, 0.05],
  'pretrain.blurProbability': [0, 1, 0.05],
};
/** Checkboxes that switch an augmentation off (probability 0) or back on at a typical probability. */
const toggles = [
  { path: 'pretrain.grayscaleProbability', name: 'grayscale', ariaLabel: 'Grayscale on', on: 0.2 },
  { path: 'pretrain.blurProbability', name: 'blur', ariaLabel: 'Blur on', on: 0.5 },
] as const;
const imageCount = 8;

/** Cheap fingerprint of pixels, exposed so tests can tell that the views changed. */
export function pixelSignature(images: Uint8ClampedArray[]): string {
  let hash = 2166136261;
  for (const image of images) for (let i = 0; i < image.length; i += 7) hash = Math.imul(hash ^ image[i], 16777619);
  return (hash >>> 0).toString(36);
}

function RgbaCanvas({ rgba, size, label }: { rgba: Uint8ClampedArray; size: number; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = ref.current?.getContext('2d');
    if (context) context.putImageData(new ImageData(new Uint8ClampedArray(rgba), size, size), 0, 0);
  }, [rgba, size]);
  return <canvas ref={ref} width={size} height={size} className="pixel-image" role="img" aria-label={label} />;
}

/**
 * The engine's own pretraining augmentation on real images: each row is an image and its two
 * independently augmented views. The sliders edit the pretraining config itself.
 */
export function AugmentationExplorer() {
  const config = useLab((s) => s.config);
  const folder = useLab((s) => s.folder);
  const setField = useLab((s) => s.setField);
  const backendReady = useLab((s) => s.backend !== null);
  const [seed, setSeed] = useState(1);
  const [sample, setSample] = useState<AugmentationSample | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const request = useRef(0);

  const p = config.pretrain;
  const d = config.dataset;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the worker reads these fields from the config it was sent; listing them redraws when a slider moves.
  useEffect(() => {
    if (!backendReady) return;
    const token = ++request.current;
    setBusy(true);
    // Debounced: dragging a slider asks for one redraw when it settles, not one per pixel.
    const timer = setTimeout(() => {
      sampleAugmentations(imageCount, seed)
        .then((result) => {
          if (token !== request.current) return;
          setSample(result);
          setError(null);
        })
        .catch((e: unknown) => token === request.current && setError(e instanceof Error ? e.message : String(e)))
        .finally(() => token === request.current && setBusy(false));
    }, 120);
    return () => clearTimeout(timer);
  }, [
    backendReady,
    seed,
    p.cropMinArea,
    p.colorJitterStrength,
    p.grayscaleProbability,
    p.blurProbability,
    d.name,
    d.imageSize,
    d.trainSize,
    config.seed,
    folder,
  ]);

  return (
    <div className="augmentation-explorer">
      <p className="explain">
        Every image is augmented twice, independently: random crop (then resized back), flip, colour jitter, grayscale and blur. The network
        must recognise the two views as the same image, so whatever the augmentations change is what it learns to ignore. These sliders are
        the pretraining settings.
      </p>
      <div className="explorer-controls">
        {sliderPaths.map((path) => {
          const [min, max, step] = sliderRange[path];
          const value = configValue(config, path) as number;
          return (
            <label key={path} className="slider">
              <span>
                {fieldLabel(path)}: <output>{value}</output>
              </span>
              <input
                type="range"
                data-config-path={path}
                aria-label={fieldLabel(path)}
                min={min}
                max={max}
                step={step}
                value={value}
                onChange={(e) => setField(path, Number(e.target.value))}
              />
            </label>
          );
        })}
        {toggles.map(({ path, name, ariaLabel, on }) => (
          <label key={path} className="inline-check">
            <input
              type="checkbox"
              aria-label={ariaLabel}
              checked={(configValue(config, path) as number) > 0}
              onChange={(e) => setField(path, e.target.checked ? on : 0)}
            />{' '}
            {name}
          </label>
        ))}
        <button type="button" onClick={() => setSeed((s) => s + 1)}>
          Resample
        </button>
        {busy && <span className="busy">drawing…</span>}
      </div>
      {error && (
        <p className="notice notice-error" role="alert">
          {error}
        </p>
      )}
      {sample && (
        <div
          className="augmentation-grid"
          data-testid="augmentation-grid"
          data-seed={seed}
          data-signature={pixelSignature(sample.view1) + pixelSignature(sample.view2)}
        >
          {sample.originals.map((original, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are positions in one immutable sample, redrawn whole.
            <div className="augmentation-row" key={`${seed}-${i}`}>
              <RgbaCanvas rgba={original} size={sample.size} label={`original ${sample.labels[i]}`} />
              <RgbaCanvas rgba={sample.view1[i]} size={sample.size} label={`view 1 of ${sample.labels[i]}`} />
              <RgbaCanvas rgba={sample.view2[i]} size={sample.size} label={`view 2 of ${sample.labels[i]}`} />
              <span className="augmentation-label">{sample.labels[i]}</span>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
