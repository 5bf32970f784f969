import * as tf from '@tensorflow/tfjs';
import { filterGradientCall, type ForwardConvGeometry } from './convGradientGeometry';

/** What these kernels need from tfjs's cpu backend (MathBackendCPU). */
interface CpuBackendLike {
  readSync(dataId: object): tf.backend_util.BackendValues;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
}

function asCpuBackend(backend: unknown): CpuBackendLike {
  const b = backend as Partial<CpuBackendLike>;
  if (typeof b.readSync !== 'function' || typeof b.makeTensorInfo !== 'function') {
    throw new Error('cpu conv-gradient kernels need a backend with readSync and makeTensorInfo.');
  }
  return b as CpuBackendLike;
}

function floatValues(backend: CpuBackendLike, info: tf.TensorInfo): Float32Array {
  const values = backend.readSync(info.dataId);
  if (!(values instanceof Float32Array)) {
    throw new Error(`cpu conv-gradient kernels expect float32 tensors, got ${info.dtype}.`);
  }
  return values;
}

/**
 * Visits every (output pixel, filter tap) pair of the forward conv whose input pixel lies inside
 * the image, handing the flat offsets of dy's, x's and W's channel rows. The filter gradient is a
 * sum over exactly these pairs; its inner channel loops then run over contiguous memory, which is
 * what makes it 35-65x faster than tfjs's stock cpu kernel (an index-heavy loop per filter value).
 * (tfjs's stock cpu input gradient already loops over contiguous channels; a version written like
 * this one measured no faster, so it stays.)
 */
function forEachTap(g: ForwardConvGeometry, visit: (dyOffset: number, xOffset: number, filterOffset: number) => void): void {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = g;
  const filterTapStride = inChannels * outChannels;
  for (let b = 0; b < batch; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyOffset = ((b * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < g.filterHeight; kh++) {
          const ih = oh * g.strideHeight + kh - g.padTop;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < g.filterWidth; kw++) {
            const iw = ow * g.strideWidth + kw - g.padLeft;
            if (iw < 0 || iw >= inWidth) continue;
            visit(dyOffset, ((b * inHeight + ih) * inWidth + iw) * inChannels, (kh * g.filterWidth + kw) * filterTapStride);
          }
        }
      }
    }
  }
}

/** dW[kh,kw,ci,co] = Σ x·dy as an outer-product accumulation (float64 accumulators). */
export function cpuConv2dBackpropFilter(backendName = 'cpu'): tf.KernelConfig {
  return {
    kernelName: tf.Conv2DBackpropFilter,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy, geometry: g } = filterGradientCall(inputs, attrs);
      const cpu = asCpuBackend(backend);
      const xs = floatValues(cpu, x);
      const dys = floatValues(cpu, dy);
      const co = g.outChannels;
      const ci = g.inChannels;
      const acc = new Float64Array(g.filterHeight * g.filterWidth * ci * co);
      forEachTap(g, (dyOffset, xOffset, filterOffset) => {
        for (let c = 0; c < ci; c++) {
          const xv = xs[xOffset + c];
          if (xv === 0) continue; // post-ReLU activations are about half zeros
          const row = filterOffset + c * co;
          for (let o = 0; o < co; o++) acc[row + o] += xv * dys[dyOffset + o];
        }
      });
      return cpu.makeTensorInfo([g.filterHeight, g.filterWidth, ci, co], 'float32', Float32Array.from(acc));
    },
  };
}
