import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { registerTrainingKernels } from '../kernels/index';

/**
 * Backend selection for Node hosts (CLI, server, bench). Tries, in order:
 *   tfjs-node-gpu → tfjs-node → webgpu (Dawn, npm package `webgpu`) → wasm → cpu
 * and reports every candidate it passed over in `notices` (never silently). `--backend NAME` forces
 * one; if it cannot start, the error lists the ones that can. The chosen backend gets the project's
 * training kernels (registerTrainingKernels).
 */
export interface SelectedBackend {
  /** tfjs backend name (tf.getBackend()): 'tensorflow' | 'webgpu' | 'wasm' | 'cpu'. */
  name: string;
  /** Human-readable: which implementation, device and flags, and the project kernels in use. */
  detail: string;
  /** One line per candidate that was tried and passed over, and why. */
  notices: string[];
}

interface Candidate {
  /** Name accepted by --backend. */
  id: string;
  /** tfjs backend name it registers. */
  backendName: string;
  /** Starts it and makes it current, or throws with a one-line reason. Returns the detail. */
  start(): Promise<string>;
  /** null when it could start here, else why not (no side effects on the current backend). */
  unavailableReason(): Promise<string | null>;
}

// Module names in variables: these packages are optional (absent here), and a literal specifier
// would make bundlers and the type-checker try to resolve them.
const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';
const TFJS_NODE = '@tensorflow/tfjs-node';
const DAWN_WEBGPU = 'webgpu';

const requireHere = createRequire(import.meta.url);

function tfjsNodeCandidate(id: string, moduleName: string): Candidate {
  const load = async (): Promise<void> => {
    try {
      await import(/* @vite-ignore */ moduleName);
    } catch (error) {
      throw new Error(`${moduleName}: ${firstLine(error)}`);
    }
  };
  return {
    id,
    backendName: 'tensorflow',
    async start() {
      await load();
      if (!(await trySetBackend('tensorflow'))) {
        throw new Error(
          `${moduleName} loaded but the 'tensorflow' backend did not start ` +
            '(a second @tensorflow/tfjs-core copy? its version must match @tensorflow/tfjs 4.22.0)',
        );
      }
      return `tensorflow (${moduleName}, libtensorflow)`;
    },
    async unavailableReason() {
      try {
        requireHere.resolve(moduleName);
        return null;
      } catch {
        return `${moduleName} is not installed`;
      }
    },
  };
}

interface DawnModule {
  create(flags: string[]): unknown;
  globals: Record<string, unknown>;
}
interface GpuLike {
  requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string; description?: string; device?: string } } | null>;
}

let dawnGpu: GpuLike | null = null;

/** Creates one Dawn instance per process and exposes it as navigator.gpu (what tfjs looks for). */
async function dawnNavigatorGpu(): Promise<GpuLike> {
  if (dawnGpu !== null) return dawnGpu;
  let dawn: DawnModule;
  try {
    dawn = (await import(/* @vite-ignore */ DAWN_WEBGPU)) as DawnModule;
  } catch (error) {
    throw new Error(`optional package '${DAWN_WEBGPU}' (Dawn): ${firstLine(error)}`);
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]) as GpuLike;
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  }
  dawnGpu = gpu;
  return gpu;
}

const webgpuCandidate: Candidate = {
  id: 'webgpu',
  backendName: 'webgpu',
  async start() {
    const gpu = await dawnNavigatorGpu();
    const adapter = await gpu.requestAdapter();
    if (adapter === null) throw new Error('Dawn found no WebGPU adapter (no GPU or no Vulkan driver)');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await trySetBackend('webgpu'))) throw new Error('the tfjs webgpu backend failed to initialise');
    const info = adapter.info ?? {};
    const device = [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ');
    return `webgpu (Dawn; adapter: ${device || 'unknown'})`;
  },
  async unavailableReason() {
    try {
      const adapter = await (await dawnNavigatorGpu()).requestAdapter();
      return adapter === null ? 'Dawn found no WebGPU adapter' : null;
    } catch (error) {
      return firstLine(error);
    }
  },
};

/** Where node_modules/@tensorflow/tfjs-backend-wasm/dist is, for the .wasm binaries. */
function wasmDistDirectory(): string {
  return path.dirname(requireHere.resolve('@tensorflow/tfjs-backend-wasm'));
}

const wasmCandidate: Candidate = {
  id: 'wasm',
  backendName: 'wasm',
  async start() {
    setWasmPaths(`${wasmDistDirectory()}${path.sep}`);
    if (!(await trySetBackend('wasm'))) throw new Error('the tfjs wasm backend failed to initialise');
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    // tfjs forces one thread in Node whatever the flag says (no cross-origin-isolated workers).
    return `wasm (XNNPack, ${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'threads available' : 'single-threaded'})`;
  },
  async unavailableReason() {
    try {
      wasmDistDirectory();
      return null;
    } catch (error) {
      return `@tensorflow/tfjs-backend-wasm not found (${firstLine(error)})`;
    }
  },
};

const cpuCandidate: Candidate = {
  id: 'cpu',
  backendName: 'cpu',
  async start() {
    if (!(await trySetBackend('cpu'))) throw new Error('the tfjs cpu backend failed to initialise');
    return 'cpu (plain JavaScript; slow: small models only)';
  },
  async unavailableReason() {
    return null;
  },
};

const CANDIDATES: Candidate[] = [
  tfjsNodeCandidate('tfjs-node-gpu', TFJS_NODE_GPU),
  tfjsNodeCandidate('tfjs-node', TFJS_NODE),
  webgpuCandidate,
  wasmCandidate,
  cpuCandidate,
];

/** Other spellings --backend accepts. 'tensorflow' means tfjs-node-gpu, else tfjs-node. */
const ALIASES: Record<string, string[]> = {
  tensorflow: ['tfjs-node-gpu', 'tfjs-node'],
  'tensorflow-gpu': ['tfjs-node-gpu'],
};

/** Names --backend accepts. */
export const NODE_BACKEND_NAMES: readonly string[] = ['auto', ...Object.keys(ALIASES), ...CANDIDATES.map((c) => c.id)];

async function trySetBackend(name: string): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

function firstLine(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return 'not installed';
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}

function candidatesFor(requested: string): Candidate[] {
  const ids = ALIASES[requested] ?? [requested];
  const match = CANDIDATES.filter((c) => ids.includes(c.id));
  if (match.length === 0) {
    throw new Error(`Unknown backend '${requested}'. Choose one of: ${NODE_BACKEND_NAMES.join(', ')}.`);
  }
  return match;
}

/** The --backend names that could start on this machine (for error messages and `bench`). */
export async function availableNodeBackends(): Promise<string[]> {
  const available: string[] = [];
  for (const c of CANDIDATES) if ((await c.unavailableReason()) === null) available.push(c.id);
  return available;
}

async function startWithKernels(candidate: Candidate): Promise<string> {
  const detail = await candidate.start();
  const kernels = registerTrainingKernels(candidate.backendName);
  return kernels.length > 0 ? `${detail}; project kernels: ${kernels.join(', ')}` : detail;
}

export async function selectNodeBackend(requested?: string): Promise<SelectedBackend> {
  const notices: string[] = [];
  if (requested !== undefined && requested !== 'auto') {
    const errors: string[] = [];
    for (const candidate of candidatesFor(requested)) {
      try {
        const detail = await startWithKernels(candidate);
        return { name: tf.getBackend(), detail, notices };
      } catch (error) {
        errors.push(`${candidate.id}: ${firstLine(error)}`);
      }
    }
    const available = await availableNodeBackends();
    throw new Error(
      `Backend '${requested}' could not start (${errors.join('; ')}). ` + `Available here: ${available.join(', ') || 'none'}.`,
    );
  }
  for (const candidate of CANDIDATES) {
    try {
      const detail = await startWithKernels(candidate);
      return { name: tf.getBackend(), detail, notices };
    } catch (error) {
      notices.push(`backend ${candidate.id} not used: ${firstLine(error)}`);
    }
  }
  throw new Error(`No tfjs backend could start:\n${notices.join('\n')}`);
}
