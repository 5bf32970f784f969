import { gunzipSync, gzipSync, strFromU8, strToU8 } from 'fflate';
import {
  type Checkpoint,
  type TensorRecord,
  architectureOf,
  deserializeCheckpoint,
  safeParseRunConfig,
  serializeCheckpoint,
} from '../../core';
import { base64ToBytes, bytesToBase64 } from '../../protocol/base64';
import type { StoredRun } from './runRecord';

/**
 * The lab's files. Every checkpoint in them is in the one checkpoint encoding (core/checkpoint.ts):
 * - a run export (`.simclr-run.json.gz`): gzipped JSON `{format: 'simclr-lab-run', version: 2,
 *   run, checkpoint?}`, `checkpoint` being the encoded checkpoint in base64. Importing validates
 *   the config with the engine's schema, so a file from a different version says what is wrong.
 *   Version 1 files (tensors as `{shape, data: base64 float32}` JSON) are still read.
 * - a weights download (`.weights.ckpt`): the encoded checkpoint without optimiser state, which the
 *   CLI (`--init-from`), the server and "Start from a file…" read like any checkpoint.
 * Weights downloads made before were JSON (`format: 'simclr-lab-weights'`); `importLegacyWeightsFile`
 * still reads them.
 */
const format = 'simclr-lab-run';
const runFileVersion = 2;

export function exportRunFile(run: StoredRun, checkpoint?: Uint8Array): Uint8Array {
  const body = { format, version: runFileVersion, run, ...(checkpoint ? { checkpoint: bytesToBase64(checkpoint) } : {}) };
  return gzipSync(strToU8(JSON.stringify(body)));
}

/**
 * Reads an exported run (gzipped or plain JSON); its checkpoint comes back encoded, checked to
 * decode. Throws an Error that says what is wrong.
 */
export function importRunFile(bytes: Uint8Array): { run: StoredRun; checkpoint?: Uint8Array } {
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
  if (body.version !== 1 && body.version !== runFileVersion)
    throw new Error(`Unsupported run file version ${String(body.version)} (this lab reads versions 1 and ${runFileVersion}).`);
  const run = body.run;
  if (!run || typeof run.id !== 'string' || !Array.isArray(run.metrics)) throw new Error('The run file has no valid run record.');
  const parsed = safeParseRunConfig(run.config);
  if (!parsed.ok) throw new Error(`The run's config is invalid: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  const status = run.status === 'running' || run.status === 'paused' ? 'interrupted' : run.status;
  const checkpoint =
    body.checkpoint === undefined ? undefined : body.version === 1 ? legacyCheckpoint(body.checkpoint) : encodedCheckpoint(body.checkpoint);
  return { run: { ...run, config: parsed.config, status }, ...(checkpoint ? { checkpoint } : {}) };
}

function encodedCheckpoint(value: unknown): Uint8Array {
  let bytes: Uint8Array;
  try {
    if (typeof value !== 'string') throw new Error();
    bytes = base64ToBytes(value);
  } catch {
    throw new Error("The run file's checkpoint is not base64 text.");
  }
  try {
    deserializeCheckpoint(bytes);
  } catch (error) {
    throw new Error(`The run file's checkpoint is damaged: ${(error as Error).message}`);
  }
  return bytes;
}

/** Only the trained weights (no optimiser state), as a checkpoint file; records the architecture. */
export function exportWeightsFile(run: StoredRun, checkpoint: Uint8Array): Uint8Array {
  const { optimizer: _optimizer, ...rest } = deserializeCheckpoint(checkpoint);
  return serializeCheckpoint({ ...rest, optimizer: {}, architecture: rest.architecture ?? architectureOf(run.config) });
}

/* Version 1 run files and JSON weights downloads: tensors as {shape, data: base64 of float32}. */

interface LegacyTensor {
  shape: number[];
  data: string;
}

function legacyTensor(encoded: LegacyTensor, where: string): TensorRecord {
  if (!Array.isArray(encoded?.shape) || typeof encoded.data !== 'string') throw new Error(`${where}: not a tensor`);
  const bytes = base64ToBytes(encoded.data);
  const size = encoded.shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== size * 4) throw new Error(`${where}: ${bytes.length} bytes for shape [${encoded.shape}]`);
  return { shape: encoded.shape, data: new Float32Array(bytes.buffer, bytes.byteOffset, size) };
}

function mapTensors<A, B>(group: Record<string, A>, map: (value: A, name: string) => B): Record<string, B> {
  return Object.fromEntries(Object.entries(group).map(([name, value]) => [name, map(value, name)]));
}

/** A version 1 run file's checkpoint, re-encoded in the one format. */
function legacyCheckpoint(value: unknown): Uint8Array {
  const raw = value as Checkpoint & { models: Record<string, Record<string, LegacyTensor>>; optimizer: Record<string, LegacyTensor> };
  if (raw?.version !== 1 || typeof raw.models !== 'object' || typeof raw.optimizer !== 'object')
    throw new Error('checkpoint: unsupported format');
  return serializeCheckpoint({
    ...raw,
    models: mapTensors(raw.models, (vars, model) => mapTensors(vars, (t, name) => legacyTensor(t, `checkpoint ${model}/${name}`))),
    optimizer: mapTensors(raw.optimizer, (t, name) => legacyTensor(t, `optimizer ${name}`)),
  });
}

/**
 * Reads a JSON weights download of earlier versions back as a checkpoint of its models, with the
 * architecture of the run it came from. Throws an Error that says what is wrong.
 */
export function importLegacyWeightsFile(bytes: Uint8Array): Checkpoint {
  let body: { format?: unknown; version?: unknown; config?: unknown; models?: Record<string, Record<string, LegacyTensor>> };
  try {
    body = JSON.parse(strFromU8(bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes));
  } catch {
    throw new Error('Not a SimCLR Lab weights file (not JSON).');
  }
  if (body.format !== 'simclr-lab-weights') throw new Error('Not a SimCLR Lab weights file (missing format marker).');
  if (body.version !== 1 || typeof body.models !== 'object' || body.models === null)
    throw new Error(`Unsupported weights file version ${String(body.version)}.`);
  const parsed = safeParseRunConfig(body.config);
  if (!parsed.ok)
    throw new Error(`The weights file's config is invalid: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return {
    version: 1,
    stage: 'finetune',
    step: 0,
    completed: {},
    models: mapTensors(body.models, (vars, model) => mapTensors(vars, (t, name) => legacyTensor(t, `weights ${model}/${name}`))),
    optimizer: {},
    architecture: architectureOf(parsed.config),
  };
}
