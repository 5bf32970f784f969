import * as tf from '@tensorflow/tfjs';

/**
 * Geometry that rewrites the two gradients of a 2-D convolution (NHWC, dilation 1) as forward
 * convolutions, so that a backend's fast forward conv (XNNPack on wasm) does the heavy lifting.
 *
 * Forward: y[b,oh,ow,co] = Σ_{kh,kw,ci} x[b, oh·sh + kh − padTop, ow·sw + kw − padLeft, ci] · W[kh,kw,ci,co]
 */

export type Conv2DPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
export type DimRoundingMode = 'floor' | 'round' | 'ceil';
type Shape4D = [number, number, number, number];

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
  const info = tf.backend_util.computeConv2DInfo(
    xShape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
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

function axisForFilterGradient(inSize: number, outSize: number, filterSize: number, stride: number,
  padBefore: number): { kept: number; padAfter: number } {
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
 * With dy dilated by the stride (zeros between rows/cols, dilatedRows = (OH−1)·sh + 1) this is a
 * stride-1 conv of the dilated dy with the spatially flipped, in/out-swapped filter
 *   W''[kh',kw',co,ci] = W[KH−1−kh', KW−1−kw', ci, co]
 * padded (KH−1−pt) on top; dy rows that no dx row reads are cropped (keptRows of the dilated dy).
 * Returns null when the forward padding exceeds the filter (never in a ResNet): callers fall back.
 */
export interface InputGradientAsConv {
  dilatedRows: number;
  dilatedCols: number;
  keptRows: number;
  keptCols: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
}

export function inputGradientAsConv(g: ForwardConvGeometry): InputGradientAsConv | null {
  const rows = axisForInputGradient(g.inHeight, g.outHeight, g.filterHeight, g.strideHeight, g.padTop);
  const cols = axisForInputGradient(g.inWidth, g.outWidth, g.filterWidth, g.strideWidth, g.padLeft);
  if (rows === null || cols === null) return null;
  return {
    dilatedRows: rows.dilated,
    dilatedCols: cols.dilated,
    keptRows: rows.kept,
    keptCols: cols.kept,
    padTop: rows.padBefore,
    padBottom: rows.padAfter,
    padLeft: cols.padBefore,
    padRight: cols.padAfter,
  };
}

function axisForInputGradient(inSize: number, outSize: number, filterSize: number, stride: number,
  forwardPadBefore: number): { dilated: number; kept: number; padBefore: number; padAfter: number } | null {
  const padBefore = filterSize - 1 - forwardPadBefore;
  if (padBefore < 0) return null;
  const dilated = (outSize - 1) * stride + 1;
  // dx index i reads dilated-dy indices i − padBefore + k' for k' < filterSize.
  const kept = Math.min(dilated, inSize - 1 + filterSize - padBefore);
  const padAfter = inSize + filterSize - 1 - kept - padBefore;
  if (kept <= 0 || padAfter < 0) return null;
  return { dilated, kept, padBefore, padAfter };
}
