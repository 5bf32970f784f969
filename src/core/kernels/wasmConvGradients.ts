import * as tf from '@tensorflow/tfjs';
import { kernelCaller, withIntermediates, type KernelCaller } from './backendKernelCalls';
import {
  filterGradientAsConv,
  forwardConvGeometry,
  inputGradientAsConv,
  type Conv2DPad,
  type DimRoundingMode,
  type InputGradientAxis,
} from './convGradientGeometry';

type Shape4D = [number, number, number, number];

interface ConvGradientAttrs {
  strides: number | [number, number];
  pad: Conv2DPad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: DimRoundingMode;
}

function explicitPadding(top: number, bottom: number, left: number, right: number):
  tf.backend_util.ExplicitPadding {
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
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
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      // The engine hands kernels an untyped attribute map; these are tfjs's Conv2DBackpropFilterAttrs.
      const a = attrs as unknown as ConvGradientAttrs & { filterShape: Shape4D };
      const g = forwardConvGeometry(x.shape as Shape4D, a.filterShape, a.strides, a.pad,
        a.dimRoundingMode, a.dataFormat);
      const plan = filterGradientAsConv(g);
      const caller = kernelCaller(backendName, backend as tf.KernelBackend);
      return withIntermediates(caller, (keep) => {
        let xUsed = x;
        if (plan.keptRows < g.inHeight || plan.keptCols < g.inWidth) {
          xUsed = keep(caller.run(tf.Slice, { x }, {
            begin: [0, 0, 0, 0], size: [g.batch, plan.keptRows, plan.keptCols, g.inChannels],
          }));
        }
        const xByChannel = keep(caller.run(tf.Transpose, { x: xUsed }, { perm: [3, 1, 2, 0] }));
        const dyAsFilter = keep(caller.run(tf.Transpose, { x: dy }, { perm: [1, 2, 0, 3] }));
        const gradByChannel = keep(caller.run(tf.Conv2D, { x: xByChannel, filter: dyAsFilter }, {
          strides: 1,
          pad: explicitPadding(plan.padTop, plan.padBottom, plan.padLeft, plan.padRight),
          dataFormat: 'NHWC',
          dilations: [plan.dilationHeight, plan.dilationWidth],
        }));
        return caller.run(tf.Transpose, { x: gradByChannel }, { perm: [1, 2, 0, 3] });
      });
    },
  };
}

/**
 * Conv2DBackpropInput as a stride-1 forward conv of the (stride-dilated) dy with the flipped,
 * in/out-swapped filter (see inputGradientAsConv). `fallback` handles geometries outside that
 * rewrite (padding larger than the filter).
 */
export function conv2dBackpropInputViaForwardConv(backendName: string, fallback: tf.KernelFunc):
  tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName,
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      // The engine hands kernels an untyped attribute map; these are tfjs's Conv2DBackpropInputAttrs.
      const a = attrs as unknown as ConvGradientAttrs & { inputShape: Shape4D };
      const g = forwardConvGeometry(a.inputShape, filter.shape as Shape4D, a.strides, a.pad,
        a.dimRoundingMode, a.dataFormat);
      const plan = inputGradientAsConv(g);
      if (plan === null) return fallback(args);
      const caller = kernelCaller(backendName, backend as tf.KernelBackend);
      return withIntermediates(caller, (keep) => {
        const { rows, cols } = plan;
        let dyUsed = dy;
        if (g.strideHeight > 1 || g.strideWidth > 1) {
          dyUsed = keep(spreadSpatially(caller, keep, dy, rows, cols));
        }
        if (rows.kept < dyUsed.shape[1] || cols.kept < dyUsed.shape[2]) {
          dyUsed = keep(caller.run(tf.Slice, { x: dyUsed }, {
            begin: [0, 0, 0, 0], size: [g.batch, rows.kept, cols.kept, g.outChannels],
          }));
        }
        const flipped = keep(caller.run(tf.Reverse, { x: filter }, { dims: [0, 1] }));
        const swapped = keep(caller.run(tf.Transpose, { x: flipped }, { perm: [0, 1, 3, 2] }));
        return caller.run(tf.Conv2D, { x: dyUsed, filter: swapped }, {
          strides: 1,
          pad: explicitPadding(rows.padBefore, rows.padAfter, cols.padBefore, cols.padAfter),
          dataFormat: 'NHWC',
          dilations: 1,
        });
      });
    },
  };
}

/**
 * [B,H,W,C] → [B, H·sh, W·sw, C]: every value surrounded by the zeros the axis plans ask for
 * (reshape to [B,H,1,W,1,C], pad the unit axes, reshape back).
 */
function spreadSpatially(caller: KernelCaller, keep: (info: tf.TensorInfo) => tf.TensorInfo,
  x: tf.TensorInfo, rows: InputGradientAxis, cols: InputGradientAxis): tf.TensorInfo {
  const [b, h, w, c] = x.shape;
  const sh = rows.zerosBefore + 1 + rows.zerosAfter;
  const sw = cols.zerosBefore + 1 + cols.zerosAfter;
  const unit = keep(caller.run(tf.Reshape, { x }, { shape: [b, h, 1, w, 1, c] }));
  const padded = keep(caller.run(tf.PadV2, { x: unit }, {
    paddings: [[0, 0], [0, 0], [rows.zerosBefore, rows.zerosAfter], [0, 0], [cols.zerosBefore, cols.zerosAfter], [0, 0]],
    constantValue: 0,
  }));
  return caller.run(tf.Reshape, { x: padded }, { shape: [b, h * sh, w * sw, c] });
}
