import * as tf from '@tensorflow/tfjs';
import { kernelCaller, withIntermediates, type KernelCaller } from './backendKernelCalls';
import {
  filterGradientAsConv,
  filterGradientCall,
  forwardConvGeometry,
  inputGradientAsConv,
  inputGradientByPhases,
  type ConvGradientAttrs,
  type ForwardConvGeometry,
  type InputGradientAxis,
  type InputGradientPhase,
  type PhasedInputGradient,
  type Shape4D,
} from './convGradientGeometry';

/**
 * A stride-1 NHWC Conv2D padded [top, bottom, left, right] (or 'valid'): every gradient below is
 * one or more of these, differing only in what they feed it.
 */
function stride1Conv(
  caller: KernelCaller,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  pad: readonly [number, number, number, number] | 'valid',
  dilations: number | [number, number] = 1,
): tf.TensorInfo {
  const explicit: tf.backend_util.ExplicitPadding | 'valid' =
    pad === 'valid'
      ? pad
      : [
          [0, 0],
          [pad[0], pad[1]],
          [pad[2], pad[3]],
          [0, 0],
        ];
  return caller.run(tf.Conv2D, { x, filter }, { strides: 1, pad: explicit, dataFormat: 'NHWC', dilations });
}

/** The leading corner of `x` with the given shape (a crop that keeps the first rows and columns). */
function leadingSlice(caller: KernelCaller, x: tf.TensorInfo, size: Shape4D): tf.TensorInfo {
  return caller.run(tf.Slice, { x }, { begin: [0, 0, 0, 0], size });
}

/** Zero-pads the unit axes of a [B,M,1,N,1,C] tensor: `rows` (before, after) on axis 2, `cols` on axis 4. */
function padUnitAxes(caller: KernelCaller, x: tf.TensorInfo, rows: [number, number], cols: [number, number]): tf.TensorInfo {
  return caller.run(
    tf.PadV2,
    { x },
    {
      paddings: [[0, 0], [0, 0], rows, [0, 0], cols, [0, 0]],
      constantValue: 0,
    },
  );
}

/**
 * Conv2DBackpropFilter for a backend whose forward Conv2D supports dilation (wasm/XNNPack):
 * the filter gradient as one stride-1 dilated forward conv (see filterGradientAsConv).
 */
export function conv2dBackpropFilterViaForwardConv(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropFilter,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy, geometry: g } = filterGradientCall(inputs, attrs);
      const plan = filterGradientAsConv(g);
      const caller = kernelCaller(backendName, backend as tf.KernelBackend);
      return withIntermediates(caller, (keep) => {
        let xUsed = x;
        if (plan.keptRows < g.inHeight || plan.keptCols < g.inWidth) {
          xUsed = keep(leadingSlice(caller, x, [g.batch, plan.keptRows, plan.keptCols, g.inChannels]));
        }
        const xByChannel = keep(caller.run(tf.Transpose, { x: xUsed }, { perm: [3, 1, 2, 0] }));
        const dyAsFilter = keep(caller.run(tf.Transpose, { x: dy }, { perm: [1, 2, 0, 3] }));
        const gradByChannel = keep(
          stride1Conv(
            caller,
            xByChannel,
            dyAsFilter,
            [plan.padTop, plan.padBottom, plan.padLeft, plan.padRight],
            [plan.dilationHeight, plan.dilationWidth],
          ),
        );
        return caller.run(tf.Transpose, { x: gradByChannel }, { perm: [1, 2, 0, 3] });
      });
    },
  };
}

/**
 * Conv2DBackpropInput as forward convs with the flipped, in/out-swapped filter:
 * - stride 1: one conv of dy (inputGradientAsConv);
 * - 1x1 strided (shortcuts): a 1x1 conv of dy, then spread to every stride-th pixel;
 * - other strided: one small conv per output phase (inputGradientByPhases), interleaved;
 * - anything else: one conv of a zero-spread dy (inputGradientAsConv).
 * `fallback` (tfjs's own kernel) handles padding larger than the filter.
 */
export function conv2dBackpropInputViaForwardConv(backendName: string, fallback: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName,
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      // The engine hands kernels an untyped attribute map; these are tfjs's Conv2DBackpropInputAttrs.
      const a = attrs as unknown as ConvGradientAttrs & { inputShape: Shape4D };
      const g = forwardConvGeometry(a.inputShape, filter.shape as Shape4D, a.strides, a.pad, a.dimRoundingMode, a.dataFormat);
      const caller = kernelCaller(backendName, backend as tf.KernelBackend);
      if (isStridedPointwise(g)) return pointwiseInputGradient(caller, dy, filter, g);
      if (g.strideHeight > 1 || g.strideWidth > 1) {
        const phased = inputGradientByPhases(g);
        if (phased !== null) return phasedInputGradient(caller, dy, filter, g, phased);
      }
      const plan = inputGradientAsConv(g);
      if (plan === null) return fallback(args);
      return withIntermediates(caller, (keep) => {
        const { rows, cols } = plan;
        let dyUsed = dy;
        if (g.strideHeight > 1 || g.strideWidth > 1) {
          dyUsed = keep(spreadSpatially(caller, keep, dy, rows, cols));
        }
        if (rows.kept < dyUsed.shape[1] || cols.kept < dyUsed.shape[2]) {
          dyUsed = keep(leadingSlice(caller, dyUsed, [g.batch, rows.kept, cols.kept, g.outChannels]));
        }
        const flipped = keep(caller.run(tf.Reverse, { x: filter }, { dims: [0, 1] }));
        const swapped = keep(caller.run(tf.Transpose, { x: flipped }, { perm: [0, 1, 3, 2] }));
        return stride1Conv(caller, dyUsed, swapped, [rows.padBefore, rows.padAfter, cols.padBefore, cols.padAfter]);
      });
    },
  };
}

/**
 * Strided input gradient by output phase (see inputGradientByPhases): one small stride-1 conv per
 * (row phase, column phase) with its sub-filter, each result padded into its interleaved position
 * ([B,M,1,N,1,C] → [B,M,sh,N,sw,C]) and summed; rows/cols past the image are cropped at the end.
 */
function phasedInputGradient(
  caller: KernelCaller,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  g: ForwardConvGeometry,
  plan: PhasedInputGradient,
): tf.TensorInfo {
  const [kh, kw, ci, co] = filter.shape;
  const sh = g.strideHeight;
  const sw = g.strideWidth;
  const m = plan.rowsPerPhase;
  const n = plan.colsPerPhase;
  return withIntermediates(caller, (keep) => {
    const reversed = keep(caller.run(tf.Reverse, { x: filter }, { dims: [0, 1] }));
    // In the reversed filter, taps q + s·(J−1−j') sit at (K−1−q−s·(J−1)) + s·j'.
    const firstReversed = (size: number, stride: number, p: InputGradientPhase) => size - 1 - p.firstTap - stride * (p.taps - 1);
    let sum: tf.TensorInfo | null = null;
    for (const rp of plan.rows) {
      for (const cp of plan.cols) {
        const begin = [firstReversed(kh, sh, rp), firstReversed(kw, sw, cp), 0, 0];
        const subFilter = keep(
          caller.run(
            tf.StridedSlice,
            { x: reversed },
            {
              begin,
              end: [begin[0] + sh * (rp.taps - 1) + 1, begin[1] + sw * (cp.taps - 1) + 1, ci, co],
              strides: [sh, sw, 1, 1],
              beginMask: 0,
              endMask: 0,
              ellipsisMask: 0,
              newAxisMask: 0,
              shrinkAxisMask: 0,
            },
          ),
        );
        const swapped = keep(caller.run(tf.Transpose, { x: subFilter }, { perm: [0, 1, 3, 2] }));
        const phase = keep(stride1Conv(caller, dy, swapped, [rp.padBefore, rp.padAfter, cp.padBefore, cp.padAfter]));
        const unit = keep(caller.run(tf.Reshape, { x: phase }, { shape: [g.batch, m, 1, n, 1, ci] }));
        const placed = keep(padUnitAxes(caller, unit, [rp.phase, sh - 1 - rp.phase], [cp.phase, sw - 1 - cp.phase]));
        sum = sum === null ? placed : keep(caller.run(tf.Add, { a: sum, b: placed }));
      }
    }
    const interleaved = caller.run(tf.Reshape, { x: sum! }, { shape: [g.batch, m * sh, n * sw, ci] });
    if (m * sh === g.inHeight && n * sw === g.inWidth) return interleaved;
    keep(interleaved);
    return leadingSlice(caller, interleaved, [g.batch, g.inHeight, g.inWidth, ci]);
  });
}

/** A 1x1 strided conv without padding (a ResNet projection shortcut). */
function isStridedPointwise(g: ForwardConvGeometry): boolean {
  return g.filterHeight === 1 && g.filterWidth === 1 && g.padTop === 0 && g.padLeft === 0 && (g.strideHeight > 1 || g.strideWidth > 1);
}

/**
 * For a 1x1 strided conv, dx is dy·Wᵀ placed at every stride-th pixel, zeros elsewhere: the 1x1
 * conv runs on the small dy and only its result is spread (spreading dy first, as the general
 * path does, would multiply stride² times as many zeros).
 */
function pointwiseInputGradient(caller: KernelCaller, dy: tf.TensorInfo, filter: tf.TensorInfo, g: ForwardConvGeometry): tf.TensorInfo {
  return withIntermediates(caller, (keep) => {
    const swapped = keep(caller.run(tf.Transpose, { x: filter }, { perm: [0, 1, 3, 2] }));
    const small = keep(stride1Conv(caller, dy, swapped, 'valid'));
    const trailing = (size: number, stride: number) => ({ zerosBefore: 0, zerosAfter: stride - 1, kept: size, padBefore: 0, padAfter: 0 });
    const spread = spreadSpatially(caller, keep, small, trailing(g.inHeight, g.strideHeight), trailing(g.inWidth, g.strideWidth));
    if (spread.shape[1] === g.inHeight && spread.shape[2] === g.inWidth) return spread;
    keep(spread);
    return leadingSlice(caller, spread, [g.batch, g.inHeight, g.inWidth, g.inChannels]);
  });
}

/**
 * [B,H,W,C] → [B, H·sh, W·sw, C]: every value surrounded by the zeros the axis plans ask for
 * (reshape to [B,H,1,W,1,C], pad the unit axes, reshape back).
 */
function spreadSpatially(
  caller: KernelCaller,
  keep: (info: tf.TensorInfo) => tf.TensorInfo,
  x: tf.TensorInfo,
  rows: InputGradientAxis,
  cols: InputGradientAxis,
): tf.TensorInfo {
  const [b, h, w, c] = x.shape;
  const sh = rows.zerosBefore + 1 + rows.zerosAfter;
  const sw = cols.zerosBefore + 1 + cols.zerosAfter;
  const unit = keep(caller.run(tf.Reshape, { x }, { shape: [b, h, 1, w, 1, c] }));
  const padded = keep(padUnitAxes(caller, unit, [rows.zerosBefore, rows.zerosAfter], [cols.zerosBefore, cols.zerosAfter]));
  return caller.run(tf.Reshape, { x: padded }, { shape: [b, h * sh, w * sw, c] });
}
