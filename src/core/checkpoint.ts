import type { Checkpoint, TensorRecord } from './types';

/**
 * The checkpoint encoding: the one byte format every host writes and reads a Checkpoint in —
 * the CLI's `checkpoint.bin` and shared pretrainings, the server's checkpoint files (and what
 * `GET /api/runs/:id/checkpoint` serves), shipped encoders (`public/pretrained/*.ckpt`), the lab's
 * IndexedDB store, its weights download and the checkpoint inside an exported run file.
 *
 *   "SIMCLRCK" (8 bytes) | header length (uint32 LE) | header JSON (UTF-8) | float32 data (LE)
 *
 * The header is the checkpoint without tensor data plus, for every tensor, its shape and byte
 * offset in the data section (`dataBytes` long). Float data is 4-byte aligned so it can be viewed
 * without copying. Outside this project (Python: numpy) a file reads as
 *   n = int.from_bytes(b[8:12], 'little'); h = json.loads(b[12:12 + n])
 *   data = np.frombuffer(b, '<f4', offset=12 + n); tensor = data[off // 4 : off // 4 + prod(shape)]
 */
const MAGIC = 'SIMCLRCK';

interface TensorRef {
  shape: number[];
  offset: number;
}

interface Header extends Omit<Checkpoint, 'models' | 'optimizer'> {
  models: Record<string, Record<string, TensorRef>>;
  optimizer: Record<string, TensorRef>;
  dataBytes: number;
}

export function serializeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const arrays: Float32Array[] = [];
  let offset = 0;
  const refer = (record: TensorRecord): TensorRef => {
    const ref = { shape: record.shape, offset };
    arrays.push(record.data);
    offset += record.data.byteLength;
    return ref;
  };
  const mapRecords = (records: Record<string, TensorRecord>) => Object.fromEntries(Object.entries(records).map(([k, v]) => [k, refer(v)]));
  const header: Header = {
    ...checkpoint,
    models: Object.fromEntries(Object.entries(checkpoint.models).map(([name, records]) => [name, mapRecords(records)])),
    optimizer: mapRecords(checkpoint.optimizer),
    dataBytes: 0,
  };
  header.dataBytes = offset;
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const pad = (4 - ((MAGIC.length + 4 + headerBytes.length) % 4)) % 4;
  if (pad) headerBytes = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(MAGIC.length + 4 + headerBytes.length + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, headerBytes.length, true);
  out.set(headerBytes, MAGIC.length + 4);
  let position = MAGIC.length + 4 + headerBytes.length;
  for (const array of arrays) {
    out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), position);
    position += array.byteLength;
  }
  return out;
}

export function deserializeCheckpoint(bytes: Uint8Array): Checkpoint {
  const fail = (why: string): never => {
    throw new Error(`not a valid SimCLR Lab checkpoint: ${why}`);
  };
  if (bytes.length < MAGIC.length + 4 || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC)
    fail('missing the SIMCLRCK signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  const dataStart = MAGIC.length + 4 + headerLength;
  if (dataStart > bytes.length) fail('truncated header');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, dataStart))) as Header;
  } catch {
    return fail('unreadable header');
  }
  if (header.version !== 1) fail(`unsupported version ${String(header.version)}`);
  if (dataStart + header.dataBytes !== bytes.length)
    fail(`expected ${header.dataBytes} bytes of tensor data, found ${bytes.length - dataStart}`);
  if (!Number.isInteger(header.dataBytes) || header.dataBytes % 4 !== 0) fail('tensor data is not a whole number of float32 values');
  // Copy the data section into a fresh, aligned buffer once; every tensor is then a view into it.
  // Copying (not viewing `bytes.buffer`) matters: a Node Buffer is often a view at a non-zero
  // offset into a shared pool, and a Uint8Array subclass's slice() may return another view.
  const data = new Float32Array(header.dataBytes / 4);
  new Uint8Array(data.buffer).set(bytes.subarray(dataStart, dataStart + header.dataBytes));
  const read = (ref: TensorRef): TensorRecord => {
    const length = ref.shape.reduce((a, b) => a * b, 1);
    if (ref.offset % 4 !== 0 || ref.offset / 4 + length > data.length) fail('tensor outside the data section');
    return { shape: ref.shape, data: data.subarray(ref.offset / 4, ref.offset / 4 + length) };
  };
  const mapRefs = (refs: Record<string, TensorRef>) => Object.fromEntries(Object.entries(refs).map(([k, v]) => [k, read(v)]));
  const { dataBytes: _ignored, ...rest } = header;
  return {
    ...rest,
    models: Object.fromEntries(Object.entries(header.models).map(([name, refs]) => [name, mapRefs(refs)])),
    optimizer: mapRefs(header.optimizer),
  };
}
