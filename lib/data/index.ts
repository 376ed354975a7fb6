/**
 * The data layer's public surface: datasets, templates, contrast pairs, controls,
 * ensembling and splits. Pure functions apart from the built-in dataset loader.
 */
export { DataInputError, DatasetError, TemplateError, ControlError, SplitError } from './errors.ts';
export {
  parseDataset,
  canonicalContent,
  DATASET_KINDS,
  DEFAULT_ANSWERS,
  type Dataset,
  type DatasetItem,
  type DatasetKind,
  type DatasetInput,
  type DatasetLimits,
} from './dataset.ts';
export { builtinDatasets, loadBuiltinDataset, DEFAULT_BUILTIN_DATASET, type DatasetInfo } from './builtin.ts';
export {
  parseTemplate,
  renderTemplate,
  resolveTemplates,
  builtinTemplates,
  defaultTemplate,
  BUILTIN_TEMPLATES,
  PLACEHOLDERS,
  type Template,
  type TemplateSpec,
} from './templates.ts';
export { renderContrastPairs, itemAnswers, rowsOfItems, type ContrastPairs, type RenderOptions } from './contrast-pairs.ts';
export {
  parseControls,
  checkControlsForDataset,
  promptControl,
  templateGroups,
  controlAccuracy,
  CONTROL_NAMES,
  DEFAULT_DISTRACTOR_WORDS,
  DEFAULT_OPINION_Q,
  type ControlName,
  type ControlSpec,
  type DistractorControl,
  type ExplicitOpinionControl,
} from './controls.ts';
export { ensemble, ensembleAccuracy, ENSEMBLING_MODES, type Ensembling, type EnsembleInput, type Ensembled } from './ensemble.ts';
export { trainTestSplit, itemLabels, type SplitOptions } from './split.ts';
export { seededRandom } from './rng.ts';
