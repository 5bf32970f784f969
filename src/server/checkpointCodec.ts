import type { Checkpoint, TensorRecord } from '../core/types';

/**
 * One-file binary form of a Checkpoint (what `GET /api/runs/:id/checkpoint` returns):
 *
 *   bytes 0-7   ASCII "SCLRCKP1"
 *   bytes 8-11  header length H (uint32, little-endian)
 *   12..12+H    header, UTF-8 JSON: the checkpoint with every tensor replaced by {shape, offset, length}
 *   then        zero padding to a multiple of 4, then all tensor data as float32 little-endian;
 *               `offset`/`length` count float32 elements from the start of that data block.
 *
 * No Node APIs: the browser decodes downloaded checkpoints with the same code.
 */

const magic = 'SCLRCKP1';

interface TensorSlot {
  shape: number[];
  offset: number;
  length: number;
}

type SlotGroup = Record<string, TensorSlot>;

interface CheckpointHeader extends Omit<Checkpoint, 'models' | 'optimizer'> {
  models: Record<string, SlotGroup>;
  optimizer: SlotGroup;
}

export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const chunks: Float32Array[] = [];
  let elements = 0;
  const place = (group: Record<string, TensorRecord>): SlotGroup => {
    const slots: SlotGroup = {};
    for (const [name, tensor] of Object.entries(group)) {
      const expected = tensor.shape.reduce((a, b) => a * b, 1);
      if (expected !== tensor.data.length) {
        throw new Error(`checkpoint tensor ${name}: shape [${tensor.shape.join(',')}] needs ${expected} values, has ${tensor.data.length}`);
      }
      slots[name] = { shape: [...tensor.shape], offset: elements, length: tensor.data.length };
      chunks.push(tensor.data);
      elements += tensor.data.length;
    }
    return slots;
  };
  const models: Record<string, SlotGroup> = {};
  for (const [model, group] of Object.entries(checkpoint.models)) models[model] = place(group);
  const header: CheckpointHeader = { ...checkpoint, models, optimizer: place(checkpoint.optimizer) };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align4(12 + headerBytes.length);
  const out = new Uint8Array(dataStart + elements * 4);
  out.set(new TextEncoder().encode(magic), 0);
  new DataView(out.buffer).setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  const data = new Float32Array(out.buffer, dataStart, elements);
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.length;
  }
  if (!littleEndianHost) swapFloat32(out, dataStart);
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== magic) {
    throw new Error('not a SimCLR Lab checkpoint (bad magic bytes)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.length) throw new Error('truncated checkpoint (header)');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as CheckpointHeader;
  const dataStart = align4(12 + headerLength);
  const elements = (bytes.length - dataStart) / 4;
  // Copy into a fresh, aligned buffer: the input may sit at any byte offset.
  const raw = bytes.slice(dataStart, dataStart + elements * 4);
  if (!littleEndianHost) swapFloat32(raw, 0);
  const data = new Float32Array(raw.buffer, 0, Math.floor(elements));
  const read = (group: SlotGroup): Record<string, TensorRecord> => {
    const tensors: Record<string, TensorRecord> = {};
    for (const [name, slot] of Object.entries(group)) {
      if (slot.offset + slot.length > data.length) throw new Error(`truncated checkpoint (tensor ${name})`);
      tensors[name] = { shape: slot.shape, data: data.subarray(slot.offset, slot.offset + slot.length) };
    }
    return tensors;
  };
  const models: Checkpoint['models'] = {};
  for (const [model, group] of Object.entries(header.models)) models[model] = read(group);
  return { ...header, models, optimizer: read(header.optimizer) };
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

const littleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function swapFloat32(bytes: Uint8Array, start: number): void {
  for (let i = start; i + 3 < bytes.length; i += 4) {
    const a = bytes[i];
    const b = bytes[i + 1];
    bytes[i] = bytes[i + 3];
    bytes[i + 1] = bytes[i + 2];
    bytes[i + 2] = b;
    bytes[i + 3] = a;
  }
}
