/**
 * Parquet files (as Hugging Face `datasets` writes them with `to_parquet`, and as the Hub's
 * parquet converter publishes them) read into the same rows as JSONL and CSV, with the
 * maintained `hyparquet` decoder and `hyparquet-compressors` for codecs beyond snappy.
 *
 * Values are normalised to what JSON.parse would give for the same row, so that a file
 * and its JSONL export validate and hash alike: INT64 (bigint) becomes a number, nested
 * structs and lists become plain objects and arrays, nulls stay null.
 */
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { DatasetError } from './errors.ts';
import type { Table } from './table.ts';

const MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1", at both ends of every Parquet file

export function isParquet(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && MAGIC.every((b, i) => bytes[i] === b && bytes[bytes.length - 4 + i] === b);
}

export async function parquetTable(bytes: Uint8Array, maxRows: number): Promise<Table> {
  if (!isParquet(bytes)) throw new DatasetError('not a Parquet file (it must start and end with "PAR1")');
  // A tight copy: hyparquet wants an ArrayBuffer, and a Node Buffer may be a view into a larger pool.
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let columns: string[];
  try {
    const meta = parquetMetadata(buffer);
    // Refuse an over-long file from its footer, before decoding any page.
    const nRows = Number(meta.num_rows);
    if (nRows > maxRows) throw new DatasetError(`dataset has ${nRows} rows, over the limit of ${maxRows}`);
    columns = parquetSchema(meta).children.map((c) => c.element.name);
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(`Parquet metadata cannot be read (${firstLine(e)})`);
  }
  let objects: Record<string, unknown>[];
  try {
    objects = await parquetReadObjects({ file: buffer, compressors });
  } catch (e) {
    throw new DatasetError(`Parquet data cannot be decoded (${firstLine(e)})`);
  }
  const rows = objects.map((o, i) => ({ line: i + 1, values: plain(o) as Record<string, unknown> }));
  return { format: 'parquet', columns, rows, unit: 'row' };
}

/** JSON-like values: bigint → number (exact below 2⁵³, which labels and ids are), typed arrays → arrays. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Date) return v.toISOString();
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>, plain);
  if (Array.isArray(v)) return v.map(plain);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = plain(x);
  return out;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 200);
}
