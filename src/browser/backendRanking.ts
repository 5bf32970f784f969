import type { RunConfig } from '../core';
import type { BackendName } from '../protocol/labWorkerApi';

/**
 * How "auto" picks a backend, as pure functions: which backends are measured, which one wins and
 * the sentence that says why, and how a choice is remembered per browser. The measuring itself
 * (workers, timers) is in backendProbe.ts.
 */

/** What one backend did when auto measured it. */
export interface BackendMeasurement {
  name: BackendName;
  /** started: could run a kernel; measured: finished the timed step; timeout: too slow; failed: error. */
  outcome: 'measured' | 'timeout' | 'failed' | 'skipped';
  /** GPU adapter (webgpu) / renderer (webgl) / wasm build, when known. */
  adapter: string | null;
  /** A software GPU (SwiftShader, llvmpipe, a WebGPU fallback adapter): measured only as a last resort. */
  software: boolean;
  imagesPerSecond: number | null;
  /** Why it has no figure (failed, timed out, skipped). */
  reason: string | null;
}

export interface BackendReport {
  /** The model the step was measured on (see modelSignature). */
  signature: string;
  measuredAt: number;
  /** Images per step of the measurement (2N views). */
  views: number;
  measurements: BackendMeasurement[];
  chosen: BackendName;
  why: string;
}

const softwarePatterns = [/swiftshader/i, /llvmpipe/i, /softpipe/i, /software/i, /microsoft basic render/i, /\blavapipe\b/i];

/** A GPU adapter or renderer string that names a software rasteriser. */
export function isSoftwareAdapter(adapter: string | null, isFallbackAdapter = false): boolean {
  if (isFallbackAdapter) return true;
  return adapter !== null && softwarePatterns.some((pattern) => pattern.test(adapter));
}

/**
 * The order auto measures in: hardware GPUs first (their first step compiles shaders, so they set
 * no tight time bar for the others), then wasm, then plain-JS cpu.
 */
export const measureOrder: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/**
 * How long the next backend may take (start, warm-up and timed step together): a backend needing
 * more than `factor` times the best so far cannot win, so it is stopped there and called too slow.
 */
export function timeBudgetMs(bestTotalMs: number | null, limits: { capMs: number; floorMs: number; factor: number }): number {
  if (bestTotalMs === null) return limits.capMs;
  return Math.min(limits.capMs, Math.max(limits.floorMs, limits.factor * bestTotalMs));
}

function rate(m: BackendMeasurement): string {
  return m.imagesPerSecond === null ? '?' : `${formatRate(m.imagesPerSecond)} images/s`;
}

export function formatRate(imagesPerSecond: number): string {
  return imagesPerSecond >= 100 ? imagesPerSecond.toFixed(0) : imagesPerSecond.toPrecision(2);
}

/**
 * The fastest measured backend, preferring anything over a software GPU adapter: software adapters
 * win only when nothing else finished a step. Throws when nothing was measured at all.
 */
export function chooseFastest(measurements: BackendMeasurement[]): { chosen: BackendName; why: string } {
  const measured = measurements.filter((m) => m.outcome === 'measured' && m.imagesPerSecond !== null);
  if (measured.length === 0) {
    const reasons = measurements.map((m) => `${m.name}: ${m.reason ?? m.outcome}`).join('; ');
    throw new Error(`No backend could take a training step (${reasons}).`);
  }
  const hardware = measured.filter((m) => !m.software);
  const pool = hardware.length > 0 ? hardware : measured;
  const best = pool.reduce((a, b) => ((b.imagesPerSecond ?? 0) > (a.imagesPerSecond ?? 0) ? b : a));
  const others = measured.filter((m) => m !== best).sort((a, b) => (b.imagesPerSecond ?? 0) - (a.imagesPerSecond ?? 0));
  const parts = [`${best.name} measured fastest (${rate(best)})`];
  if (others.length) parts.push(`vs ${others.map((m) => `${m.name} ${rate(m)}${m.software ? ' (software GPU)' : ''}`).join(', ')}`);
  const slow = measurements.filter((m) => m.outcome === 'timeout').map((m) => m.name);
  if (slow.length) parts.push(`${slow.join(', ')} too slow to finish a step in time`);
  const skipped = measurements.filter((m) => m.outcome === 'skipped').map((m) => m.name);
  if (skipped.length) parts.push(`${skipped.join(', ')} skipped: software GPU, last resort`);
  if (best.software) parts.push('only a software GPU could train here');
  return { chosen: best.name, why: `${parts.join('; ')}.` };
}

/** Whether the software adapters still need measuring: only when no other backend finished a step. */
export function needsSoftwareFallback(measurements: BackendMeasurement[]): boolean {
  return !measurements.some((m) => m.outcome === 'measured' && !m.software);
}

/** What the measured step depends on: the network's shape and the input size. */
export function modelSignature(config: RunConfig): string {
  const m = config.model;
  return `r${m.depth}-w${m.widthMultiplier}-sk${m.skRatio}-p${m.projectionLayers}x${m.projectionDim}-i${config.dataset.imageSize}`;
}

/** The measuring batch: 16 images (32 views) or the pretraining batch if smaller. */
export function measuringBatch(config: RunConfig): number {
  return Math.max(2, Math.min(16, config.pretrain.batchSize));
}

const storageKey = 'simclr-lab.backend-choice.v1';

/** The minimal part of `Storage` used here (a Map-backed fake in tests). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

function cacheKey(signature: string, userAgent: string): string {
  return `${signature}|${userAgent}`;
}

/** The remembered report for this model in this browser, if any (a corrupt entry reads as none). */
export function recallChoice(storage: KeyValueStorage | null, signature: string, userAgent: string): BackendReport | null {
  try {
    const all = JSON.parse(storage?.getItem(storageKey) ?? '{}') as Record<string, BackendReport>;
    const report = all[cacheKey(signature, userAgent)];
    if (!report || typeof report.chosen !== 'string' || !Array.isArray(report.measurements) || typeof report.why !== 'string') return null;
    return report;
  } catch {
    return null;
  }
}

/** Remembers a report (at most `keep` models per browser, the newest kept). */
export function rememberChoice(storage: KeyValueStorage | null, report: BackendReport, userAgent: string, keep = 8): void {
  try {
    let all: Record<string, BackendReport> = {};
    try {
      all = JSON.parse(storage?.getItem(storageKey) ?? '{}') as Record<string, BackendReport>;
    } catch {
      // Corrupt: start over.
    }
    all[cacheKey(report.signature, userAgent)] = report;
    const newest = Object.entries(all)
      .sort(([, a], [, b]) => b.measuredAt - a.measuredAt)
      .slice(0, keep);
    storage?.setItem(storageKey, JSON.stringify(Object.fromEntries(newest)));
  } catch {
    // Private mode or a full quota: the choice holds for this page's lifetime.
  }
}
