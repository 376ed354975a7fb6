/**
 * One call for a dataset upload, whatever its shape: bytes in a format (JSONL, CSV, Parquet),
 * either with a declared kind (Sonde's own columns) or with a preset (a Hugging Face export's
 * columns). What POST /v1/datasets needs: the validated dataset and the templates that fit it.
 */
import { datasetFromTable, type Dataset, type DatasetKind, type DatasetLimits } from './dataset.ts';
import { DatasetError } from './errors.ts';
import { applyPreset, getPreset } from './presets/index.ts';
import { readTable, type TableFormat } from './table.ts';
import { builtinTemplates, type Template } from './templates.ts';

export interface UploadInput {
  filename: string;
  /** Text for JSONL and CSV; bytes for Parquet (base64-decoded or a multipart file). */
  content: string | Uint8Array;
  /** Default: from the file name, else from the content (Parquet's "PAR1" magic, a leading "{"). */
  format?: TableFormat;
  /** Required without a preset; with one it may be omitted, or must be the preset's. */
  kind?: DatasetKind;
  /** Without a preset only (a preset fixes its answers). */
  answers?: [string, string];
  name?: string;
  preset?: string;
}

export interface ParsedUpload {
  dataset: Dataset;
  /** The preset's templates (first = default), or the kind's built-in templates. */
  templates: Template[];
}

export async function parseUpload(input: UploadInput, limits: DatasetLimits = {}): Promise<ParsedUpload> {
  if (input.preset !== undefined) {
    const preset = getPreset(input.preset);
    if (input.kind !== undefined && input.kind !== preset.kind) {
      throw new DatasetError(`preset "${preset.name}" makes a ${preset.kind} dataset; kind "${input.kind}" does not fit it (omit kind)`);
    }
    if (input.answers !== undefined) throw new DatasetError(`preset "${preset.name}" fixes the answers (${JSON.stringify(preset.answers)}); omit answers`);
    const table = await readTable(input, limits);
    const { dataset, templates } = applyPreset(preset.name, table, { name: input.name, filename: input.filename, limits });
    return { dataset, templates };
  }
  if (input.kind === undefined) throw new DatasetError('a dataset upload needs a "kind" (statements, binary, multiclass) or a "preset"');
  const table = await readTable(input, limits);
  const dataset = datasetFromTable(table, { kind: input.kind, filename: input.filename, name: input.name, answers: input.answers }, limits);
  return { dataset, templates: builtinTemplates(dataset.kind) };
}
