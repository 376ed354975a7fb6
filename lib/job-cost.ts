/**
 * What a job will cost, estimated at submission from its normalised spec and the sizes of
 * what it names (items, templates, the model's layers and hidden size): texts through the
 * model, bytes of activations, fits, CPU seconds, and the peak memory and duration of one
 * fit unit (one layer in a fit child). services/admission.ts compares the estimate with the
 * tenant's budgets and the fit child's limits.
 *
 * The constants are calibrated against measured runs (bench/admission.ts prints estimate
 * and measurement side by side; docs/limits.md records the figures). Fitting time is
 * modelled per method as seconds per (pair · dimension) at the method's default options,
 * scaled by the options that multiply the work (CCS restarts × epochs, k-means n_init); the
 * bootstrap as seconds per (resample · pair).
 */
import { ZERO_SHOT, type JobSpec } from './job-spec.ts';
import type { MethodName } from './probe/types.ts';
import { optionValue } from './probe/options.ts';

/** The sizes the estimate needs besides the spec. */
export interface CostInput {
  /** Items of the job's dataset after `max_items`. */
  items: number;
  /** Templates the job renders (1 for the default). */
  templates: number;
  /** Layers the job fits and the model's hidden size (activation width). */
  layers: number;
  hiddenSize: number;
  /** Items of each eval dataset after `max_items`. */
  transferItems: number[];
  /** Whether evaluation has labels (the bootstrap runs only with them). */
  labelled: boolean;
  /** Bring-your-own activations: the set's pairs (no texts, no extraction). */
  uploadedPairs?: number;
}

export interface JobEstimate {
  /** Contrast pairs over every condition (clean, text-changing controls, transfers). */
  pairs: number;
  /** Texts through the model (two per pair; an upper bound, repeats are extracted once). */
  texts: number;
  layers: number;
  hidden_size: number;
  /** Activation bytes the extraction writes to the store (float32, every layer). */
  activation_bytes: number;
  /** Fits (method × seed × condition × layer, template-sensitivity and transfers included). */
  fits: number;
  fits_per_layer: number;
  /** CPU seconds of the fit stage over all layers (one core). */
  cpu_seconds: number;
  /** One fit unit (a layer): seconds on one core, and peak resident memory of its child. */
  fit_unit_seconds: number;
  fit_unit_memory_bytes: number;
}

/**
 * Seconds per (training pair · dimension) of one fit at default options, measured on the
 * 2-core development machine (bench/admission.ts; docs/limits.md has the runs). CCS has a
 * part that does not grow with the pairs (the optimiser's own steps in d dimensions),
 * counted as CCS_FIXED_PAIRS more pairs.
 */
export const SECONDS_PER_PAIR_DIM: Record<MethodName, number> = {
  ccs: 1.7e-6, // 10 restarts × 100 L-BFGS epochs
  crc: 3e-7,
  pca: 3e-7,
  vinc: 2.2e-7,
  kmeans: 5e-7, // n_init 10, converged well before max_iter
  nmf: 3.7e-7,
  lr: 5e-8,
  random: 1e-9,
  'mass-mean': 1e-9,
};
export const CCS_FIXED_PAIRS = 300;
/** Every fit: normalising train and test, both sides' probabilities, ensembling, metrics; per (evaluated pair · dimension), plus a constant. */
export const FIT_OVERHEAD_PER_PAIR_DIM = 6e-8;
export const FIT_OVERHEAD_SECONDS = 0.01;
/** One bootstrap resample of one evaluated pair (accuracy and AUROC over counts), train and test. */
export const SECONDS_PER_RESAMPLE_PAIR = 4.4e-8;
/** A fit unit's fixed cost: reading its rows from the store, compiling the kernels. */
export const UNIT_OVERHEAD_SECONDS = 0.5;
/** A fit child before it loads anything (Node, tsx, the probe library), resident. */
export const FIT_CHILD_BASE_BYTES = 160 * 2 ** 20;
/** Transient copies during one fit (train/test rows, normalised rows, differences) per activation byte of the largest condition. */
export const FIT_TRANSIENT_FACTOR = 3.5;
/** What one fit's result keeps until the unit ends (direction, normaliser state, metrics), per dimension. */
export const RESULT_BYTES_PER_DIM = 96;

/** How much more work the options ask for than the defaults the constants were measured at. */
function optionFactor(method: MethodName, options: Record<string, unknown> | undefined): number {
  const n = (name: string) => Number(optionValue(method, options, name));
  switch (method) {
    case 'ccs': {
      const epochs = n('epochs');
      // Adam's epoch is one gradient; an L-BFGS epoch is a line search of a few evaluations.
      const perEpoch = optionValue(method, options, 'optimizer') === 'adam' ? 0.35 : 1;
      return (n('restarts') / 10) * (epochs / 100) * perEpoch;
    }
    case 'kmeans':
      return (n('n_init') / 10) * Math.min(1, n('max_iter') / 300);
    case 'nmf':
      return n('max_iter') / 200;
    case 'lr':
      return Math.min(1, n('max_iter') / 100);
    default:
      return 1;
  }
}

const controlNames = (spec: JobSpec) => new Set(spec.controls.map((c) => (typeof c === 'string' ? c : (c as { name?: string })?.name)));

export function estimateJob(spec: JobSpec, input: CostInput): JobEstimate {
  const d = input.hiddenSize;
  const L = input.layers;
  const controls = controlNames(spec);
  const T = input.uploadedPairs !== undefined ? 1 : input.templates;
  const cleanPairs = input.uploadedPairs ?? input.items * T;
  const promptControls = ['distractor', 'explicit-opinion'].filter((c) => controls.has(c)).length;
  const fitConditions = 1 + promptControls;
  const transferPairs = input.transferItems.map((n) => n * T);
  const pairs = cleanPairs * fitConditions + transferPairs.reduce((a, b) => a + b, 0);
  const texts = input.uploadedPairs !== undefined ? 0 : 2 * pairs;

  const templateFits = controls.has('template-sensitivity') && T > 1 ? T : 0;
  const M = spec.methods.length;
  const fitsPerLayer = spec.seeds * M * (fitConditions + transferPairs.length + templateFits);

  // Seconds of one layer: every fit of every seed.
  const nTrain = Math.round(spec.split.train * cleanPairs);
  const nTest = Math.round(spec.split.test * cleanPairs);
  const B = input.labelled ? spec.bootstrap : 0;
  const fitSeconds = (train: number, evaluated: number) => {
    let s = 0;
    for (const m of spec.methods) {
      if (m === ZERO_SHOT) continue; // reads the model's output: no fit
      const n = m === 'ccs' ? train + CCS_FIXED_PAIRS : train;
      s += SECONDS_PER_PAIR_DIM[m] * optionFactor(m, spec.method_options[m]) * n * d;
    }
    return s + M * (FIT_OVERHEAD_SECONDS + FIT_OVERHEAD_PER_PAIR_DIM * evaluated * d + SECONDS_PER_RESAMPLE_PAIR * B * evaluated);
  };
  let unitSeconds = fitConditions * fitSeconds(nTrain, nTrain + nTest);
  for (const tp of transferPairs) unitSeconds += fitSeconds(nTrain, nTrain + tp);
  if (templateFits) unitSeconds += templateFits * fitSeconds(nTrain / T, (nTrain + nTest) / T);
  unitSeconds = unitSeconds * spec.seeds + UNIT_OVERHEAD_SECONDS;

  // A fit child holds every condition's rows of its layer, plus one fit's working copies and every result so far.
  const loaded = pairs * 2 * d * 4;
  const largest = Math.max(cleanPairs, ...transferPairs) * 2 * d * 4;
  const unitMemory = FIT_CHILD_BASE_BYTES + loaded + FIT_TRANSIENT_FACTOR * largest + fitsPerLayer * d * RESULT_BYTES_PER_DIM;

  return {
    pairs,
    texts,
    layers: L,
    hidden_size: d,
    activation_bytes: input.uploadedPairs !== undefined ? 0 : texts * d * 4 * L,
    fits: fitsPerLayer * L,
    fits_per_layer: fitsPerLayer,
    cpu_seconds: round(unitSeconds * L),
    fit_unit_seconds: round(unitSeconds),
    fit_unit_memory_bytes: Math.round(unitMemory),
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
