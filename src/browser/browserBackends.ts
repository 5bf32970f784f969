import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { registerTrainingKernels } from '../kernels';
import type { BrowserBackendInfo, BackendName, BackendPreference } from '../protocol/labWorkerApi';
import { isSoftwareAdapter } from './backendRanking';

// The wasm binaries are bundled by vite; tell tfjs where they ended up.
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlainUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
});

/**
 * The XNNPACK threads the wasm backend will start; takes effect only before wasm first starts in
 * this worker (tfjs reads it when it creates the backend).
 */
export function requestWasmThreads(threads: number): void {
  setThreadsCount(Math.max(1, Math.floor(threads)));
}

/**
 * The order tried when the chosen backend cannot start. (Auto measures instead: backendProbe.ts
 * picks the fastest and asks for it by name.)
 */
export const fallbackOrder: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** The parts of the WebGPU API this module reads (TypeScript's DOM lib has no WebGPU types yet). */
interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  /** Older spelling (Chrome < 121); newer Chromes put it on `info`. */
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

export async function webgpuAdapterName(): Promise<string | null> {
  return (await webgpuAdapter()).name;
}

/** The WebGPU adapter's description and whether the browser calls it a fallback (software) adapter. */
export async function webgpuAdapter(): Promise<{ name: string | null; fallback: boolean }> {
  const gpu = (self.navigator as unknown as { gpu?: GpuLike }).gpu;
  if (!gpu) return { name: null, fallback: false };
  const adapter = await gpu.requestAdapter();
  const info = adapter?.info;
  const fallback = adapter?.isFallbackAdapter === true || info?.isFallbackAdapter === true;
  if (!info) return { name: null, fallback };
  const parts = [info.description, info.vendor, info.architecture, info.device].filter((p): p is string => !!p);
  return { name: parts.length ? [...new Set(parts)].join(' · ') : null, fallback };
}

/** The adapter or renderer behind a backend, and whether it is a software rasteriser. */
export async function describeAdapter(name: BackendName): Promise<{ adapter: string | null; software: boolean }> {
  if (name === 'webgpu') {
    const { name: adapter, fallback } = await webgpuAdapter();
    return { adapter, software: isSoftwareAdapter(adapter, fallback) };
  }
  if (name === 'webgl') {
    const adapter = webglRendererName();
    return { adapter, software: isSoftwareAdapter(adapter) };
  }
  return { adapter: null, software: false };
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
 * Starts a backend: the asked-for one if it works, otherwise the next of webgpu → webgl → wasm →
 * cpu, and says plainly when it fell back and why. ('auto' without a measurement: that order.)
 */
export async function selectBrowserBackend(preference: BackendPreference): Promise<BrowserBackendInfo> {
  const order: BackendName[] = preference === 'auto' ? fallbackOrder : [preference, ...fallbackOrder.filter((n) => n !== preference)];
  const tried: BrowserBackendInfo['tried'] = [];
  for (const name of order) {
    const result = await tryBackend(name);
    tried.push(result.ok ? { name, ok: true } : { name, ok: false, reason: result.reason });
    if (!result.ok) continue;
    // The project's training kernels (wasm has no Conv2DBackpropFilter; cpu's are slow).
    registerTrainingKernels(name);
    const { adapter, software } = await describeAdapter(name);
    const failed = tried.filter((t) => !t.ok);
    const wanted = preference === 'auto' ? 'webgpu' : preference;
    const fallbackNotice = failed.length
      ? `${wanted === 'webgpu' ? 'WebGPU' : wanted} is unavailable (${failed[0].reason}); the lab fell back to ${name}.`
      : null;
    return { name, adapter, software, fallbackNotice, tried };
  }
  throw new Error(`No TensorFlow.js backend could be initialised: ${tried.map((t) => `${t.name}: ${t.reason}`).join('; ')}`);
}
