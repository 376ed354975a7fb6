/**
 * The data layer's public surface: datasets (JSONL, CSV, Parquet; presets for Hugging Face
 * exports), templates, contrast pairs, controls, ensembling and splits. Pure functions apart
 * from the built-in dataset loader.
 */
export { DataInputError, DatasetError, PresetError, TemplateError, ControlError, SplitError, type DatasetProblem } from './errors.ts';
export {
  parseDataset,
  readDataset,
  datasetFromTable,
  makeDataset,
  datasetJsonl,
  canonicalContent,
  fieldNames,
  labelSetNames,
  DATASET_KINDS,
  DEFAULT_ANSWERS,
  FIELD_NAME_RE,
  type Dataset,
  type DatasetItem,
  type DatasetKind,
  type DatasetInput,
  type DatasetOptions,
  type DatasetLimits,
} from './dataset.ts';
export { readTable, readTableSync, tableFromObjects, TABLE_FORMATS, type Table, type TableFormat, type TableInput, type RawRow } from './table.ts';
export { parseUpload, type UploadInput, type ParsedUpload } from './upload.ts';
export {
  listPresets,
  getPreset,
  applyPreset,
  presetTemplates,
  PRESET_NAMES,
  type PresetInfo,
  type AppliedPreset,
  type PresetColumn,
} from './presets/index.ts';
export { builtinDatasets, loadBuiltinDataset, DEFAULT_BUILTIN_DATASET, type DatasetInfo } from './builtin.ts';
export {
  parseTemplate,
  renderTemplate,
  resolveTemplates,
  builtinTemplates,
  defaultTemplate,
  hasPlaceholder,
  BUILTIN_TEMPLATES,
  PLACEHOLDERS,
  type Template,
  type TemplateSpec,
  type TemplateScope,
  type OpinionStyle,
} from './templates.ts';
export {
  renderContrastPairs,
  itemAnswers,
  rowsOfItems,
  FARQUHAR_OPINION_SENTENCES,
  type ContrastPairs,
  type RenderOptions,
} from './contrast-pairs.ts';
export {
  parseControls,
  checkControlsForDataset,
  checkControlsForTemplates,
  promptControl,
  templateGroups,
  controlAccuracy,
  CONTROL_NAMES,
  DEFAULT_DISTRACTOR_WORDS,
  FARQUHAR_DISTRACTOR_WORDS,
  DEFAULT_OPINION_Q,
  type ControlName,
  type ControlSpec,
  type DistractorControl,
  type ExplicitOpinionControl,
} from './controls.ts';
export { ensemble, ensembleAccuracy, ENSEMBLING_MODES, type Ensembling, type EnsembleInput, type Ensembled } from './ensemble.ts';
export { trainTestSplit, splitCounts, itemLabels, labelledItems, type SplitOptions } from './split.ts';
export { seededRandom } from './rng.ts';
