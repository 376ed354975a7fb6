/**
 * What a preset is: the columns of a dataset in the shape people already have (a Hugging
 * Face `datasets` export, a paper's CSV), how they map onto a Sonde dataset, and the prompt
 * templates that go with it. Each family of presets is one small file beside this one;
 * index.ts collects them.
 */
import type { DatasetKind } from '../dataset.ts';
import type { OpinionStyle } from '../template-syntax.ts';

export interface PresetColumn {
  /** The column's name in the source (Hugging Face) export. */
  name: string;
  required: boolean;
  /** Other names the same column has in other exports of the dataset (e.g. GLUE's sentence1 for premise). */
  aliases?: string[];
  /** Type and label convention, e.g. "int: 0 = entailment, 1 = not_entailment, -1 = unlabelled". */
  description: string;
}

export interface PresetTemplateSource {
  /** "<preset>/<name>", stable. */
  id: string;
  text: string;
  /** Where the prompt comes from; "own wording" unless the paper fixes the text. */
  citation: string;
  /** The text is a paper's prompt reproduced verbatim (as far as the paper shows it; see the citation). */
  exact: boolean;
  /** The template's own answer words [label-0 side, label-1 side], when not the preset's. */
  answers?: [string, string];
  /** How {{opinion}} is written under the explicit-opinion control's Farquhar construction. */
  opinion?: OpinionStyle;
}

/** A source row mapped into Sonde's vocabulary; the item's text is then composed by the preset's `text`. */
export interface MappedRow {
  /** The source's own text column, when it has one: {{text}} in the preset's `text` composition. */
  text?: string | null;
  /** statements/binary: 0 | 1, or null when the row has no label; multiclass: the right choice's index. */
  label: number | null;
  choices?: string[];
  fields: Record<string, string>;
}

export interface PresetDefinition {
  name: string;
  description: string;
  /** The dataset this preset reads, its Hugging Face id(s) and the paper that introduced it. */
  source: string;
  kind: DatasetKind;
  /** statements/binary: [answer for label 0, answer for label 1]; null for multiclass. */
  answers: [string, string] | null;
  columns: PresetColumn[];
  /** The fields every mapped item carries (template placeholders). Other scalar columns pass through as fields too. */
  fields: string[];
  /** How an item's text is composed from the mapped row's text and fields, in template syntax without {{answer}}, e.g. "{{passage}}\nQuestion: {{question}}?". */
  text: string;
  templates: PresetTemplateSource[];
  /** One row as the source export has it (own sample text), for docs and tests. */
  example: Record<string, unknown>;
  /**
   * A laboratory dataset (a model trained on its own format, docs/lab.md): its template is
   * the model's training format, the only prompt the model can read.
   */
  lab?: boolean;
  /** Whole-file state drawn before mapping (e.g. which answer each question shows). */
  prepare?(nRows: number): unknown;
  /**
   * One row, keyed by the preset's column names (aliases already resolved), to its label,
   * choices and fields, or a one-line problem for that row.
   */
  map(values: Record<string, unknown>, ctx: { index: number; state: unknown }): MappedRow | string;
}
