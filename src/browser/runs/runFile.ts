import { gunzipSync, gzipSync, strFromU8, strToU8 } from 'fflate';
import { type Checkpoint, type TensorRecord, safeParseRunConfig } from '../../core';
import type { StoredRun } from './runRecord';

/**
 * The export format: gzipped JSON `{format, version, run, checkpoint?}` where tensors are
 * `{shape, data: base64 of little-endian float32}`. Importing validates the config with the
 * engine's schema, so a file from a different version says what is wrong.
 */
const format = 'simclr-lab-run';

interface EncodedTensor {
  shape: number[];
  data: string;
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function encodeTensor(tensor: TensorRecord): EncodedTensor {
  const data = tensor.data;
  return { shape: tensor.shape, data: bytesToBase64(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) };
}

function decodeTensor(encoded: EncodedTensor, where: string): TensorRecord {
  if (!Array.isArray(encoded?.shape) || typeof encoded.data !== 'string') throw new Error(`${where}: not a tensor`);
  const bytes = base64ToBytes(encoded.data);
  const size = encoded.shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== size * 4) throw new Error(`${where}: ${bytes.length} bytes for shape [${encoded.shape}]`);
  return { shape: encoded.shape, data: new Float32Array(bytes.buffer, bytes.byteOffset, size) };
}

function mapTensors<A, B>(group: Record<string, A>, map: (value: A, name: string) => B): Record<string, B> {
  return Object.fromEntries(Object.entries(group).map(([name, value]) => [name, map(value, name)]));
}

export function encodeCheckpoint(checkpoint: Checkpoint): unknown {
  return {
    ...checkpoint,
    models: mapTensors(checkpoint.models, (vars) => mapTensors(vars, encodeTensor)),
    optimizer: mapTensors(checkpoint.optimizer, encodeTensor),
  };
}

export function decodeCheckpoint(value: unknown): Checkpoint {
  const raw = value as Checkpoint & { models: Record<string, Record<string, EncodedTensor>>; optimizer: Record<string, EncodedTensor> };
  if (raw?.version !== 1 || typeof raw.models !== 'object' || typeof raw.optimizer !== 'object') throw new Error('checkpoint: unsupported format');
  return {
    ...raw,
    models: mapTensors(raw.models, (vars, model) => mapTensors(vars, (t, name) => decodeTensor(t, `checkpoint ${model}/${name}`))),
    optimizer: mapTensors(raw.optimizer, (t, name) => decodeTensor(t, `optimizer ${name}`)),
  };
}

export function exportRunFile(run: StoredRun, checkpoint?: Checkpoint): Uint8Array {
  const body = { format, version: 1, run, ...(checkpoint ? { checkpoint: encodeCheckpoint(checkpoint) } : {}) };
  return gzipSync(strToU8(JSON.stringify(body)));
}

/** Reads an exported run (gzipped or plain JSON). Throws an Error that says what is wrong. */
export function importRunFile(bytes: Uint8Array): { run: StoredRun; checkpoint?: Checkpoint } {
  let text: string;
  try {
    text = strFromU8(bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes);
  } catch {
    throw new Error('Not a SimCLR Lab run file (could not decompress it).');
  }
  let body: { format?: unknown; version?: unknown; run?: StoredRun; checkpoint?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error('Not a SimCLR Lab run file (not JSON).');
  }
  if (body.format !== format) throw new Error('Not a SimCLR Lab run file (missing format marker).');
  if (body.version !== 1) throw new Error(`Unsupported run file version ${String(body.version)}.`);
  const run = body.run;
  if (!run || typeof run.id !== 'string' || !Array.isArray(run.metrics)) throw new Error('The run file has no valid run record.');
  const parsed = safeParseRunConfig(run.config);
  if (!parsed.ok) throw new Error(`The run's config is invalid: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  const status = run.status === 'running' || run.status === 'paused' ? 'interrupted' : run.status;
  return {
    run: { ...run, config: parsed.config, status },
    ...(body.checkpoint ? { checkpoint: decodeCheckpoint(body.checkpoint) } : {}),
  };
}

/** Only the trained weights (no optimiser state), as a JSON download. */
export function exportWeightsFile(run: StoredRun, checkpoint: Checkpoint): Uint8Array {
  const body = {
    format: 'simclr-lab-weights',
    version: 1,
    runId: run.id,
    config: run.config,
    stage: checkpoint.stage,
    step: checkpoint.step,
    models: mapTensors(checkpoint.models, (vars) => mapTensors(vars, encodeTensor)),
  };
  return strToU8(JSON.stringify(body));
}

/**
 * Reads a weights download (exportWeightsFile) back as a checkpoint of its models, with the
 * architecture of the run it came from. Throws an Error that says what is wrong.
 */
export function importWeightsFile(bytes: Uint8Array): Checkpoint {
  let body: { format?: unknown; version?: unknown; config?: unknown; stage?: unknown; step?: unknown; models?: Record<string, Record<string, EncodedTensor>> };
  try {
    body = JSON.parse(strFromU8(bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes));
  } catch {
    throw new Error('Not a SimCLR Lab weights file (not JSON).');
  }
  if (body.format !== 'simclr-lab-weights') throw new Error('Not a SimCLR Lab weights file (missing format marker).');
  if (body.version !== 1 || typeof body.models !== 'object' || body.models === null) throw new Error(`Unsupported weights file version ${String(body.version)}.`);
  const parsed = safeParseRunConfig(body.config);
  if (!parsed.ok) throw new Error(`The weights file's config is invalid: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  const { depth, widthMultiplier, skRatio, projectionLayers, projectionDim } = parsed.config.model;
  return {
    version: 1,
    stage: 'finetune',
    step: 0,
    completed: {},
    models: mapTensors(body.models, (vars, model) => mapTensors(vars, (t, name) => decodeTensor(t, `weights ${model}/${name}`))),
    optimizer: {},
    architecture: { depth, widthMultiplier, skRatio, projectionLayers, projectionDim, imageSize: parsed.config.dataset.imageSize },
  };
}
