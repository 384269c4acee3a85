import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A vector store's in-memory index as written to disk when its task closes, so the next open
 * of the task need not rebuild it (`docs/vectors.md`, "The vector store"). The file holds:
 * `RSVS`, a little-endian u32 length and that many bytes of JSON (the fields below but the
 * arrays and `faiss`), then `count` ids, `count` labels (8 bytes each, little-endian), `count`
 * hashes (float64), and FAISS's own serialization of the index to the end.
 */
export interface VectorSnapshot {
  /** The store's checkpointed changelog offset when it was written; `none` without one. */
  readonly tag: string;
  readonly index: string;
  readonly dimension: number;
  readonly metric: string;
  /** Whether the FAISS index is of the declared type (IVF: trained), not the Flat stand-in. */
  readonly trained: boolean;
  readonly version: string | undefined;
  readonly nextLabel: bigint;
  /** Per stored vector: its id, its label in the FAISS index and the hash of its stored bytes. */
  readonly ids: BigInt64Array;
  readonly labels: BigInt64Array;
  readonly hashes: Float64Array;
  readonly faiss: Uint8Array;
}

const magic = Buffer.from('RSVS');

interface Meta {
  readonly format: 1;
  readonly tag: string;
  readonly index: string;
  readonly dimension: number;
  readonly metric: string;
  readonly trained: boolean;
  readonly version: string | null;
  readonly nextLabel: string;
  readonly count: number;
}

export function encodeSnapshot(snapshot: VectorSnapshot): Buffer {
  const meta: Meta = {
    format: 1,
    tag: snapshot.tag,
    index: snapshot.index,
    dimension: snapshot.dimension,
    metric: snapshot.metric,
    trained: snapshot.trained,
    version: snapshot.version ?? null,
    nextLabel: String(snapshot.nextLabel),
    count: snapshot.ids.length,
  };
  const metaBytes = Buffer.from(JSON.stringify(meta), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(metaBytes.length);
  const view = (array: BigInt64Array | Float64Array): Buffer =>
    Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  return Buffer.concat([
    magic,
    length,
    metaBytes,
    view(snapshot.ids),
    view(snapshot.labels),
    view(snapshot.hashes),
    snapshot.faiss,
  ]);
}

/** The snapshot in `bytes`; undefined when they are not one (torn, foreign, other format). */
export function decodeSnapshot(bytes: Buffer): VectorSnapshot | undefined {
  try {
    if (bytes.length < 8 || !bytes.subarray(0, 4).equals(magic)) {
      return undefined;
    }
    const metaEnd = 8 + bytes.readUInt32LE(4);
    const meta = JSON.parse(bytes.toString('utf8', 8, metaEnd)) as Meta;
    if (meta.format !== 1 || !Number.isInteger(meta.count) || meta.count < 0) {
      return undefined;
    }
    const size = 8 * meta.count;
    const arraysEnd = metaEnd + 3 * size;
    if (bytes.length <= arraysEnd) {
      return undefined;
    }
    // Copies: the arrays need aligned buffers of their own.
    const copy = (from: number): ArrayBuffer =>
      bytes.buffer.slice(bytes.byteOffset + from, bytes.byteOffset + from + size) as ArrayBuffer;
    return {
      tag: meta.tag,
      index: meta.index,
      dimension: meta.dimension,
      metric: meta.metric,
      trained: meta.trained,
      version: meta.version ?? undefined,
      nextLabel: BigInt(meta.nextLabel),
      ids: new BigInt64Array(copy(metaEnd)),
      labels: new BigInt64Array(copy(metaEnd + size)),
      hashes: new Float64Array(copy(metaEnd + 2 * size)),
      faiss: bytes.subarray(arraysEnd),
    };
  } catch {
    return undefined;
  }
}

/** Writes the snapshot to `file` (write, then rename: a crash leaves the old file or the new). */
export function writeSnapshotFile(file: string, snapshot: VectorSnapshot): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, encodeSnapshot(snapshot));
  renameSync(`${file}.tmp`, file);
}

/** The snapshot in `file`, if there is a readable one. */
export function readSnapshotFile(file: string): VectorSnapshot | undefined {
  return existsSync(file) ? decodeSnapshot(readFileSync(file)) : undefined;
}

export function removeSnapshotFile(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.tmp`, { force: true });
}
