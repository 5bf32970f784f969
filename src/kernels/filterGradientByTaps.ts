import * as tf from '@tensorflow/tfjs';
import { kernelCaller, withIntermediates, type KernelCaller } from './backendKernelCalls';
import { filterGradientCall, type ForwardConvGeometry } from './convGradientGeometry';

/**
 * Conv2DBackpropFilter as one batched GEMM per filter tap, for GPU backends whose stock kernel
 * gives each filter element one thread that loops over the whole batch (on an H200 that kernel was
 * 85% of a SimCLR step's GPU time):
 *   dW[kh,kw,:,:] = Σ_{b,oh,ow} x[b, oh·sh + kh − pt, ow·sw + kw − pl, :]ᵀ · dy[b,oh,ow,:]
 * For each tap, the x pixels it reads are cut out of the padded x (one strided slice), and the
 * product over the M = B·OH·OW pixels is split into G groups (split-K): a batched matmul of
 * [G, M/G, Ci]ᵀ × [G, M/G, Co] gives G partial sums that run in parallel on the device; the groups
 * are summed once for all taps at the end. The output is only KH·KW·Ci·Co numbers, so without the
 * split a GEMM would have a handful of output tiles, each looping over millions of pixels.
 */
export interface TapGemmOptions {
  /** Parallel output tiles to aim for across all groups (tile = 32×32 outputs, tfjs's GPU GEMM). */
  targetTiles: number;
  /** Fewest pixels a group sums over, so each tile still has a useful inner loop. */
  minRowsPerGroup: number;
}

export const defaultTapGemmOptions: TapGemmOptions = { targetTiles: 2048, minRowsPerGroup: 256 };

export interface TapPlan {
  padding: { top: number; bottom: number; left: number; right: number };
  taps: { begin: [number, number, number, number]; end: [number, number, number, number] }[];
  groups: number;
}

export function planTapGemms(g: ForwardConvGeometry, options: TapGemmOptions = defaultTapGemmOptions): TapPlan {
  const lastRow = (g.outHeight - 1) * g.strideHeight + g.filterHeight - 1;
  const lastCol = (g.outWidth - 1) * g.strideWidth + g.filterWidth - 1;
  const padding = {
    top: g.padTop,
    bottom: Math.max(0, lastRow + 1 - g.padTop - g.inHeight),
    left: g.padLeft,
    right: Math.max(0, lastCol + 1 - g.padLeft - g.inWidth),
  };
  const taps: TapPlan['taps'] = [];
  for (let kh = 0; kh < g.filterHeight; kh++) {
    for (let kw = 0; kw < g.filterWidth; kw++) {
      taps.push({
        begin: [0, kh, kw, 0],
        end: [g.batch, kh + (g.outHeight - 1) * g.strideHeight + 1, kw + (g.outWidth - 1) * g.strideWidth + 1, g.inChannels],
      });
    }
  }
  const rows = g.batch * g.outHeight * g.outWidth;
  const tilesPerGroup = Math.ceil(g.inChannels / 32) * Math.ceil(g.outChannels / 32);
  return { padding, taps, groups: splitKGroups(rows, tilesPerGroup, options) };
}

/**
 * The number of groups the pixel sum is split into: enough for `targetTiles` parallel tiles, no
 * group shorter than `minRowsPerGroup`, and a divisor of `rows` (so a reshape does the split).
 */
export function splitKGroups(rows: number, tilesPerGroup: number, options: TapGemmOptions): number {
  const wanted = Math.ceil(options.targetTiles / Math.max(1, tilesPerGroup));
  const cap = Math.max(1, Math.min(wanted, Math.floor(rows / options.minRowsPerGroup)));
  for (let groups = cap; groups > 1; groups--) {
    if (rows % groups === 0) return groups;
  }
  return 1;
}

export function conv2dBackpropFilterByTapGemms(backendName: string, options: TapGemmOptions = defaultTapGemmOptions): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropFilter,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy, geometry: g } = filterGradientCall(inputs, attrs);
      const caller = kernelCaller(backendName, backend as tf.KernelBackend);
      return filterGradientByTaps(caller, x, dy, g, planTapGemms(g, options));
    },
  };
}

function filterGradientByTaps(
  caller: KernelCaller,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: ForwardConvGeometry,
  plan: TapPlan,
): tf.TensorInfo {
  const rows = g.batch * g.outHeight * g.outWidth;
  const perGroup = rows / plan.groups;
  const strided = g.strideHeight > 1 || g.strideWidth > 1;
  return withIntermediates(caller, (keep) => {
    const { top, bottom, left, right } = plan.padding;
    const padded =
      top + bottom + left + right === 0
        ? x
        : keep(
            caller.run(
              tf.PadV2,
              { x },
              {
                paddings: [
                  [0, 0],
                  [top, bottom],
                  [left, right],
                  [0, 0],
                ],
                constantValue: 0,
              },
            ),
          );
    const dyGrouped = keep(caller.run(tf.Reshape, { x: dy }, { shape: [plan.groups, perGroup, g.outChannels] }));
    const partials: tf.TensorInfo[] = [];
    for (const tap of plan.taps) {
      const size = tap.end.map((end, axis) => end - tap.begin[axis]);
      const isWholeInput = !strided && size.every((s, axis) => s === padded.shape[axis]);
      const pixels = isWholeInput
        ? padded
        : strided
          ? caller.run(
              tf.StridedSlice,
              { x: padded },
              {
                begin: tap.begin,
                end: tap.end,
                strides: [1, g.strideHeight, g.strideWidth, 1],
                beginMask: 0,
                endMask: 0,
                ellipsisMask: 0,
                newAxisMask: 0,
                shrinkAxisMask: 0,
              },
            )
          : caller.run(tf.Slice, { x: padded }, { begin: tap.begin, size });
      // Each tap's pixels are as large as x: freed at once rather than KH·KW copies held together.
      const transient = pixels === padded ? [] : [pixels];
      try {
        const grouped = caller.run(tf.Reshape, { x: pixels }, { shape: [plan.groups, perGroup, g.inChannels] });
        transient.push(grouped);
        partials.push(keep(caller.run(tf.BatchMatMul, { a: grouped, b: dyGrouped }, { transposeA: true, transposeB: false })));
      } finally {
        caller.release(...transient);
      }
    }
    // [G, taps·Ci, Co]: the tap-major row order is the filter's [KH, KW, Ci] layout.
    const stacked =
      partials.length === 1
        ? partials[0]
        : // Concat takes its inputs as a list, which the kernel-call map type cannot express.
          keep(caller.run(tf.Concat, partials as unknown as tf.NamedTensorInfoMap, { axis: 1 }));
    const summed = plan.groups === 1 ? stacked : keep(caller.run(tf.Sum, { x: stacked }, { axis: [0], keepDims: false }));
    return caller.run(
      tf.Reshape,
      { x: summed },
      {
        shape: [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels],
      },
    );
  });
}
