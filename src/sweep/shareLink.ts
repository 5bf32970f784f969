import { z } from 'zod';
import { ConfigError } from '../core/config';
import { compressResults, decompressResults } from '../protocol/shareUrl';
import type { TrialRecord } from './runner';
import { parseSweepSpec, type SweepSpec } from './spec';

/**
 * A sweep as a link: `#sweep=<deflated, base64url JSON>` holding the spec, every finished trial's
 * parameters, status, objective and reason, and optionally each trial's curve thinned to a few
 * points. Opening it shows the sweep without training; the spec alone re-runs it. Decoding validates
 * everything (the spec against the sweep and RunConfig schemas) and never throws.
 */

export const SWEEP_HASH_KEY = 'sweep';
const FORMAT_VERSION = 1;

export type SharedTrial = Pick<TrialRecord, 'id' | 'params' | 'status' | 'objective' | 'stoppedAt' | 'reason' | 'seconds' | 'curve'>;

export interface SharedSweep {
  spec: SweepSpec;
  trials: SharedTrial[];
}

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const sharedTrialSchema = z
  .object({
    id: z.string().min(1).max(32),
    params: z.record(z.string(), scalar),
    status: z.enum(['completed', 'stopped', 'failed']),
    objective: z.number().nullable(),
    stoppedAt: z.number().optional(),
    reason: z.string().max(500).optional(),
    seconds: z.number().min(0),
    curve: z.array(z.tuple([z.number(), z.number()])).optional(),
  })
  .strict();
const payloadSchema = z.object({ v: z.literal(FORMAT_VERSION), spec: z.unknown(), trials: z.array(sharedTrialSchema).max(10000) }).strict();

function round(value: number, digits: number): number {
  return Number.isFinite(value) && value !== 0 ? Number(value.toPrecision(digits)) : value;
}

/** At most `max` points, evenly spread, always keeping the first and the last. */
export function thinCurve(curve: [number, number][], max: number): [number, number][] {
  if (curve.length <= max) return curve;
  if (max < 2) return curve.slice(-1);
  return Array.from({ length: max }, (_, i) => curve[Math.round((i * (curve.length - 1)) / (max - 1))]);
}

export interface EncodeOptions {
  /** Include curves (thinned); default true. */
  curves?: boolean;
  /** Points kept per curve; default 12. */
  maxCurvePoints?: number;
}

/** The value of `sweep=` (without the key). */
export function encodeSweep(sweep: SharedSweep, options: EncodeOptions = {}): string {
  const withCurves = options.curves ?? true;
  const maxPoints = options.maxCurvePoints ?? 12;
  const trials = sweep.trials.map((t) => ({
    id: t.id,
    params: t.params,
    status: t.status,
    objective: t.objective === null ? null : round(t.objective, 5),
    ...(t.stoppedAt !== undefined ? { stoppedAt: t.stoppedAt } : {}),
    ...(t.reason !== undefined ? { reason: t.reason } : {}),
    seconds: Math.round(t.seconds * 10) / 10,
    ...(withCurves && t.curve?.length
      ? { curve: thinCurve(t.curve, maxPoints).map(([e, v]) => [round(e, 4), round(v, 4)] as [number, number]) }
      : {}),
  }));
  return compressResults({ v: FORMAT_VERSION, spec: sweep.spec, trials });
}

/** `sweep=<value>`, to put after `#`. */
export function sweepToHash(sweep: SharedSweep, options?: EncodeOptions): string {
  return `${SWEEP_HASH_KEY}=${encodeSweep(sweep, options)}`;
}

/** Links longer than this drop their curves (chat apps and some browsers cut long URLs). */
export const MAX_LINK_WITH_CURVES = 8000;

/**
 * The link to hand out for `sweep` on the lab at `base` (its address up to and including `#`): with
 * thinned curves when the whole link stays within MAX_LINK_WITH_CURVES, else without them.
 */
export function sweepShareLink(sweep: SharedSweep, base: string): string {
  const withCurves = base + sweepToHash(sweep);
  return withCurves.length <= MAX_LINK_WITH_CURVES ? withCurves : base + sweepToHash(sweep, { curves: false });
}

export type DecodedSweep = { ok: true; sweep: SharedSweep } | { ok: false; error: string };

/** Reads `#sweep=…`, `sweep=…` or the bare value. Bad input gives a message, never an exception. */
export function decodeSweepHash(hash: string): DecodedSweep {
  let text = hash.startsWith('#') ? hash.slice(1) : hash;
  const pair = text.split('&').find((part) => part.startsWith(`${SWEEP_HASH_KEY}=`));
  if (pair) text = pair.slice(SWEEP_HASH_KEY.length + 1);
  else if (text.includes('=')) return { ok: false, error: 'the link holds no sweep= value' };
  let raw: unknown;
  try {
    raw = decompressResults(decodeURIComponent(text));
  } catch {
    return { ok: false, error: 'the sweep link is damaged (it does not decompress to JSON); was it cut short?' };
  }
  const payload = payloadSchema.safeParse(raw);
  if (!payload.success) {
    const issue = payload.error.issues[0];
    return { ok: false, error: `the sweep link is not a sweep: ${issue.path.join('.') || '(root)'}: ${issue.message}` };
  }
  let spec: SweepSpec;
  try {
    spec = parseSweepSpec(payload.data.spec);
  } catch (error) {
    if (error instanceof ConfigError)
      return {
        ok: false,
        error: `the sweep link's spec is invalid: ${error.issues.map((i) => `spec.${i.path}: ${i.message}`).join('; ')}`,
      };
    throw error;
  }
  return { ok: true, sweep: { spec, trials: payload.data.trials } };
}
