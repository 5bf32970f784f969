import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { registerTrainingKernels } from '../core/kernels';
import type { BackendInfo, BackendName, BackendPreference } from './api';

// The wasm binaries are bundled by vite; tell tfjs where they ended up.
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlainUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
});

/** Fastest first: the order the lab tries when the person has not chosen. */
export const autoOrder: BackendName[] = ['webgpu', 'webgl', 'cpu'];

/** The parts of the WebGPU API this module reads (TypeScript's DOM lib has no WebGPU types yet). */
interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

export async function webgpuAdapterName(): Promise<string | null> {
  const gpu = (self.navigator as Navigator & { gpu?: GpuLike }).gpu;
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter();
  const info = (adapter as GpuAdapterLike | null)?.info;
  if (!info) return null;
  const parts = [info.description, info.vendor, info.architecture, info.device].filter((p): p is string => !!p);
  return parts.length ? [...new Set(parts)].join(' · ') : null;
}

export function webglRendererName(): string | null {
  try {
    const canvas = new OffscreenCanvas(1, 1);
    const gl = canvas.getContext('webgl2') ?? canvas.getContext('webgl');
    if (!gl) return null;
    const debug = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = debug ? gl.getParameter(debug.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    return typeof renderer === 'string' ? renderer : null;
  } catch {
    return null;
  }
}

async function whyWebgpuIsMissing(): Promise<string> {
  const gpu = (self.navigator as Navigator & { gpu?: GpuLike }).gpu;
  if (!gpu) return 'this browser does not expose WebGPU (navigator.gpu is missing)';
  const adapter = await gpu.requestAdapter().catch(() => null);
  return adapter ? 'the WebGPU backend failed to initialise' : 'no WebGPU adapter is available';
}

/** Starts exactly `name` (no fallback) and checks it can run a kernel. */
export async function tryBackend(name: BackendName): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    if (name === 'webgpu') {
      // Ask first: tfjs would otherwise log a stack trace for a browser without WebGPU.
      const gpu = (self.navigator as Navigator & { gpu?: GpuLike }).gpu;
      if (!gpu || !(await gpu.requestAdapter())) return { ok: false, reason: await whyWebgpuIsMissing() };
    }
    const ok = await tf.setBackend(name);
    if (!ok) return { ok: false, reason: name === 'webgpu' ? await whyWebgpuIsMissing() : `the ${name} backend failed to initialise` };
    await tf.ready();
    // A backend can initialise yet fail on first use (lost context, missing kernels): check once.
    tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1))).dataSync();
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Chooses a backend: the person's choice if it works, otherwise webgpu → webgl → cpu, and says
 * plainly when it fell back and why.
 */
export async function selectBackend(preference: BackendPreference): Promise<BackendInfo> {
  const order: BackendName[] = preference === 'auto' ? autoOrder : [preference, ...autoOrder.filter((n) => n !== preference)];
  const tried: BackendInfo['tried'] = [];
  for (const name of order) {
    const result = await tryBackend(name);
    tried.push(result.ok ? { name, ok: true } : { name, ok: false, reason: result.reason });
    if (!result.ok) continue;
    // The project's training kernels (wasm has no Conv2DBackpropFilter; cpu's are slow).
    registerTrainingKernels(name);
    const adapter = name === 'webgpu' ? await webgpuAdapterName() : name === 'webgl' ? webglRendererName() : null;
    const failed = tried.filter((t) => !t.ok);
    const wanted = preference === 'auto' ? 'webgpu' : preference;
    const fallbackNotice = failed.length
      ? `${wanted === 'webgpu' ? 'WebGPU' : wanted} is unavailable (${failed[0].reason}); the lab fell back to ${name}.`
      : null;
    return { name, adapter, fallbackNotice, tried };
  }
  throw new Error(`No TensorFlow.js backend could be initialised: ${tried.map((t) => `${t.name}: ${t.reason}`).join('; ')}`);
}
