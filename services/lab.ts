/**
 * The planted-feature lab as use cases: write a planted activation set (lib/lab/planted.ts)
 * into the tenant's uploads, submit the built-in phase-diagram job on one, and read a job's
 * results back as the phase diagram (truth accuracy and distractor agreement against the
 * swept setting, per method, over seeds). HTTP and the CLI both call these.
 */
import type { Queryable } from '../infra/db/pool.ts';
import { getActivationSet } from '../infra/db/activations.ts';
import { evaluations } from '../infra/db/views.ts';
import { plantedSet, type PlantedRequest } from '../lib/lab/planted.ts';
import { DEFAULT_PHASE_METHODS, flipPoint, phaseSetRequest, type PhaseRequest } from '../lib/lab/phase.ts';
import { stats } from '../lib/report/table.ts';
import type { JobRequest } from '../lib/job-spec.ts';
import type { ServiceDeps } from './context.ts';
import type { Principal } from './keys.ts';
import { storeActivationSet } from './activations.ts';
import { getJob, submitJob } from './jobs.ts';

/** Generates a planted set and stores it like an upload: a job `{activations: id}` then probes every layer. */
export async function createPlantedSet(deps: ServiceDeps, tenantId: string, req: PlantedRequest & { name?: string }) {
  const set = plantedSet(req);
  return storeActivationSet(deps, tenantId, {
    name: req.name ?? `planted ${set.meta.layers.length}×${set.meta.n}×${set.meta.d} seed ${set.meta.seed}`,
    layers: set.layers, labels: set.labels, label_sets: set.label_sets, meta: set.meta,
  });
}

export interface PhaseSubmission extends PhaseRequest {
  name?: string;
  methods?: string[];
  /** Job seeds (split and method randomness), the bands of the diagram. */
  seeds?: number;
  method_options?: Record<string, Record<string, unknown>>;
}

/** The built-in phase-diagram job: a planted set sweeping distractor / truth strength over its layers, and a normal job on it. */
export async function submitPhaseJob(deps: ServiceDeps, principal: Principal, body: PhaseSubmission) {
  const { name, methods, seeds, method_options, ...phase } = body;
  const request = phaseSetRequest(phase);
  const set = await createPlantedSet(deps, principal.tenantId, { ...request, name: name ?? `phase diagram seed ${request.seed ?? 0}` });
  const job: JobRequest = {
    activations: set.id,
    methods: methods ?? DEFAULT_PHASE_METHODS,
    seeds: seeds ?? 5,
    // The diagram's bands are over seeds; bootstrap intervals would only slow it down.
    bootstrap: 0,
    ...(method_options ? { method_options } : {}),
  };
  const { job: row } = await submitJob(deps, principal, job, null);
  return { activation_set: set, job: row };
}

type Axis = { name: string; values: number[] };

function axisOf(meta: Record<string, unknown> | null, layers: number): Axis | null {
  const a = meta?.axis as Partial<Axis> | undefined;
  if (!a || typeof a.name !== 'string' || !Array.isArray(a.values) || a.values.length !== layers || !a.values.every((v) => typeof v === 'number')) return null;
  return { name: a.name, values: a.values };
}

const overSeeds = (xs: (number | null)[]) => {
  const s = stats(xs.filter((x): x is number => x !== null));
  return s.n ? { n_seeds: s.n, mean: s.mean, std: s.std, min: s.min, max: s.max } : { n_seeds: 0, mean: null, std: null, min: null, max: null };
};

/**
 * A job's phase diagram: for a job on an activation set whose meta has an `axis` (one value
 * per layer), per method and layer the test split's oracle-sign accuracy against the truth
 * labels and against the distractor label column (metrics.evaluations, view `evaluations`),
 * over seeds, and where the method flips from one to the other. `axis: null` otherwise.
 */
export async function phaseDiagram(db: Queryable, tenantId: string, jobId: string) {
  const job = await getJob(db, tenantId, jobId);
  const setId = (job.spec as { activations?: string | null }).activations ?? null;
  const set = setId ? await getActivationSet(db, tenantId, setId) : null;
  const axis = set ? axisOf(set.meta, set.n_layers) : null;
  const distractors = (set?.meta?.distractors as { name: string }[] | undefined) ?? [];
  const distractorLabel = distractors[0]?.name ?? null;
  const empty = { job_id: jobId, status: job.status, activation_set: setId, axis, truth_label: 'label', distractor_label: distractorLabel, methods: [] };
  if (!axis || !distractorLabel) return { ...empty, axis: null };

  const rows = (await evaluations(db, jobId)).filter((e) => e.control === 'clean' && e.subset === 'test' && (e.label_set === 'label' || e.label_set === distractorLabel));
  const order = ((job.spec as { methods?: string[] }).methods ?? []).filter((m) => rows.some((r) => r.method === m));
  const seeds = [...new Set(rows.map((r) => r.seed))].sort((a, b) => a - b);
  const cell = (method: string, layer: number, seed: number, labelSet: string) => `${method}\u0000${layer}\u0000${seed}\u0000${labelSet}`;
  const byCell = new Map(rows.map((r) => [cell(r.method, r.layer, r.seed, r.label_set), r.accuracy]));
  const value = (method: string, layer: number, seed: number, labelSet: string) => byCell.get(cell(method, layer, seed, labelSet)) ?? null;

  const methods = order.map((method) => {
    const points = axis.values.map((x, layer) => {
      const truth = seeds.map((s) => value(method, layer, s, 'label'));
      const distractor = seeds.map((s) => value(method, layer, s, distractorLabel));
      return { layer, x, truth: overSeeds(truth), distractor: overSeeds(distractor), per_seed: seeds.map((seed, i) => ({ seed, truth: truth[i], distractor: distractor[i] })) };
    });
    const flip = flipPoint(axis.values, points.map((p) => p.truth.mean), points.map((p) => p.distractor.mean));
    const seedFlips = seeds.map((seed, i) => ({ seed, ...flipPoint(axis.values, points.map((p) => p.per_seed[i].truth), points.map((p) => p.per_seed[i].distractor)) }));
    return { method, flip: { ...flip, per_seed: seedFlips }, points };
  });
  return { ...empty, axis, methods };
}
