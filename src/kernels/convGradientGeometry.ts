import * as tf from '@tensorflow/tfjs';

/**
 * Geometry that rewrites the two gradients of a 2-D convolution (NHWC, dilation 1) as forward
 * convolutions, so that a backend's fast forward conv (XNNPack on wasm) does the heavy lifting.
 *
 * Forward: y[b,oh,ow,co] = Σ_{kh,kw,ci} x[b, oh·sh + kh − padTop, ow·sw + kw − padLeft, ci] · W[kh,kw,ci,co]
 */

export type Conv2DPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
export type DimRoundingMode = 'floor' | 'round' | 'ceil';
export type Shape4D = [number, number, number, number];

/** The attributes tfjs hands both Conv2D gradient kernels (Conv2DBackpropFilter/InputAttrs). */
export interface ConvGradientAttrs {
  strides: number | [number, number];
  pad: Conv2DPad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: DimRoundingMode;
}

export interface ForwardConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

export function forwardConvGeometry(
  xShape: Shape4D,
  filterShape: Shape4D,
  strides: number | [number, number],
  pad: Conv2DPad,
  dimRoundingMode: DimRoundingMode | undefined,
  dataFormat: 'NHWC' | 'NCHW' | undefined,
): ForwardConvGeometry {
  if (dataFormat === 'NCHW') {
    throw new Error('Conv2D gradients registered by SimCLR Lab support only NHWC (channels-last) data.');
  }
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·sh + kh − pt, ow·sw + kw − pl, ci] · dy[b,oh,ow,co]
 * is a stride-1 conv whose batch is ci, whose channels are b and whose dilation is the forward stride:
 *   input  X' = transpose(x[:, :keptRows, :keptCols, :], [3,1,2,0])      shape [ci, H', W', b]
 *   filter F' = transpose(dy, [1,2,0,3])                                  shape [OH, OW, b, co]
 *   out[ci,kh,kw,co] = Σ_{oh,ow,b} X'[ci, kh + oh·sh − pt, kw + ow·sw − pl, b] · F'[oh,ow,b,co]
 * with explicit padding (pt, padBottom) × (pl, padRight) chosen so that the output is exactly KH × KW.
 * Rows of x beyond the last one any output reads are cropped (keptRows), which keeps padBottom ≥ 0.
 */
export interface FilterGradientAsConv {
  keptRows: number;
  keptCols: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
  dilationHeight: number;
  dilationWidth: number;
}

export function filterGradientAsConv(g: ForwardConvGeometry): FilterGradientAsConv {
  const rows = axisForFilterGradient(g.inHeight, g.outHeight, g.filterHeight, g.strideHeight, g.padTop);
  const cols = axisForFilterGradient(g.inWidth, g.outWidth, g.filterWidth, g.strideWidth, g.padLeft);
  return {
    keptRows: rows.kept,
    keptCols: cols.kept,
    padTop: g.padTop,
    padBottom: rows.padAfter,
    padLeft: g.padLeft,
    padRight: cols.padAfter,
    dilationHeight: g.strideHeight,
    dilationWidth: g.strideWidth,
  };
}

function axisForFilterGradient(
  inSize: number,
  outSize: number,
  filterSize: number,
  stride: number,
  padBefore: number,
): { kept: number; padAfter: number } {
  // One past the last input index that any (output, tap) pair reads, in unpadded coordinates.
  const reach = (outSize - 1) * stride + filterSize - padBefore;
  if (reach <= 0) {
    throw new Error(`Conv2D filter gradient: padding ${padBefore} leaves no input under the filter.`);
  }
  const kept = Math.min(inSize, reach);
  return { kept, padAfter: reach - kept };
}

/**
 * dx[b,ih,iw,ci] = Σ_{kh,kw,co} dy[b,oh,ow,co] · W[kh,kw,ci,co] over ih = oh·s + kh − pt.
 * With dy spread out by the stride this is a stride-1 conv with the spatially flipped, in/out-swapped
 * filter W''[kh',kw',co,ci] = W[KH−1−kh', KW−1−kw', ci, co], padded KH−1−pt on top.
 * The spread puts `zerosBefore` zeros before and s−1−zerosBefore zeros after every dy row (so the
 * spread tensor has OH·s rows): shifting the zeros in front lets the conv's own padding absorb them,
 * which avoids cropping the spread tensor (a slow strided copy). Rows no dx row reads are cropped
 * only if no shift avoids it (keptRows < OH·s). Returns null when the forward padding exceeds the
 * filter (never in a ResNet): callers fall back to another kernel.
 */
export interface InputGradientAxis {
  /** Zeros before each dy value in the spread tensor (0 ≤ zerosBefore < stride). */
  zerosBefore: number;
  /** Zeros after each dy value. */
  zerosAfter: number;
  /** Leading rows (columns) of the spread tensor the conv reads. */
  kept: number;
  padBefore: number;
  padAfter: number;
}

export interface InputGradientAsConv {
  rows: InputGradientAxis;
  cols: InputGradientAxis;
}

export function inputGradientAsConv(g: ForwardConvGeometry): InputGradientAsConv | null {
  const rows = axisForInputGradient(g.inHeight, g.outHeight, g.filterHeight, g.strideHeight, g.padTop);
  const cols = axisForInputGradient(g.inWidth, g.outWidth, g.filterWidth, g.strideWidth, g.padLeft);
  if (rows === null || cols === null) return null;
  return { rows, cols };
}

function axisForInputGradient(
  inSize: number,
  outSize: number,
  filterSize: number,
  stride: number,
  forwardPadBefore: number,
): InputGradientAxis | null {
  // Padding of the plainly dilated dy ((outSize−1)·stride + 1 rows) that makes the conv line up.
  const dilatedPadBefore = filterSize - 1 - forwardPadBefore;
  if (dilatedPadBefore < 0) return null;
  const zerosBefore = Math.min(stride - 1, dilatedPadBefore);
  const padBefore = dilatedPadBefore - zerosBefore;
  const spread = outSize * stride;
  // Output length = kept + padBefore + padAfter − filterSize + 1 must equal inSize.
  const uncroppedPadAfter = inSize + filterSize - 1 - spread - padBefore;
  const kept = uncroppedPadAfter >= 0 ? spread : spread + uncroppedPadAfter;
  if (kept <= 0) return null;
  return {
    zerosBefore,
    zerosAfter: stride - 1 - zerosBefore,
    kept,
    padBefore,
    padAfter: Math.max(0, uncroppedPadAfter),
  };
}

/**
 * A strided conv's input gradient split by output phase (sub-pixel decomposition): the dx rows
 * ih = s·m + r (r = 0..s−1) only receive the filter taps kh ≡ r + pt (mod s), so each phase is a
 * stride-1 conv of the un-spread dy with a sub-filter of J = ceil((K − q)/s) taps, q = (r + pt) mod s:
 *   dx_r[m] = Σ_{j'<J} dy[m − padBefore + j'] · W[q + s·(J−1−j')]
 * Every phase yields `perPhase` = ceil(inSize/s) rows (rows past the image are cropped after the
 * phases are interleaved). This does s² times fewer multiply-adds than convolving a zero-spread dy.
 * Returns null when some phase would need dy cropped or has no taps (callers use the spread form).
 */
export interface InputGradientPhase {
  /** r: this phase's dx rows are s·m + r. */
  phase: number;
  /** q: the first filter tap feeding this phase. */
  firstTap: number;
  /** J: number of taps (q, q+s, ...). */
  taps: number;
  padBefore: number;
  padAfter: number;
}

export interface PhasedInputGradient {
  rows: InputGradientPhase[];
  cols: InputGradientPhase[];
  rowsPerPhase: number;
  colsPerPhase: number;
}

export function inputGradientByPhases(g: ForwardConvGeometry): PhasedInputGradient | null {
  const rows = phasesForAxis(g.inHeight, g.outHeight, g.filterHeight, g.strideHeight, g.padTop);
  const cols = phasesForAxis(g.inWidth, g.outWidth, g.filterWidth, g.strideWidth, g.padLeft);
  if (rows === null || cols === null) return null;
  return { rows: rows.phases, cols: cols.phases, rowsPerPhase: rows.perPhase, colsPerPhase: cols.perPhase };
}

function phasesForAxis(
  inSize: number,
  outSize: number,
  filterSize: number,
  stride: number,
  padBefore: number,
): { phases: InputGradientPhase[]; perPhase: number } | null {
  const perPhase = Math.ceil(inSize / stride);
  const phases: InputGradientPhase[] = [];
  for (let r = 0; r < stride; r++) {
    const q = (r + padBefore) % stride;
    const taps = q < filterSize ? Math.ceil((filterSize - q) / stride) : 0;
    if (taps === 0) return null;
    // Tap q + s·j reads dy row m + offset − j.
    const offset = (r + padBefore - q) / stride;
    const before = taps - 1 - offset;
    // Output length = outSize + before + after − taps + 1 must equal perPhase.
    const after = perPhase + taps - 1 - outSize - before;
    if (before < 0 || after < 0) return null;
    phases.push({ phase: r, firstTap: q, taps, padBefore: before, padAfter: after });
  }
  return { phases, perPhase };
}

/** Inputs and forward-conv geometry of a Conv2DBackpropFilter call, as every backend's version needs them. */
export function filterGradientCall(
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap | undefined,
): { x: tf.TensorInfo; dy: tf.TensorInfo; geometry: ForwardConvGeometry } {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  // The engine hands kernels an untyped attribute map; these are tfjs's Conv2DBackpropFilterAttrs.
  const a = attrs as unknown as ConvGradientAttrs & { filterShape: Shape4D };
  return { x, dy, geometry: forwardConvGeometry(x.shape as Shape4D, a.filterShape, a.strides, a.pad, a.dimRoundingMode, a.dataFormat) };
}
