/**
 * The zero-shot baseline's reading of the model (Burns et al. 2022, Table 1, "calibrated
 * zero-shot"): for each contrast pair, the model's own log-odds between the two answers'
 * first tokens at the position where it would say them,
 *     log p(a₁ | prompt) − log p(a₀ | prompt) = (W_U[a₁] − W_U[a₀]) · h,
 * where h is the final hidden state of the prompt up to the answer (the last layer of the
 * manifest, which for Hugging Face exports and the lab model is the input of the LM head,
 * after the final norm) and W_U the unembedding the manifest names. lib/fit thresholds it
 * at the median (the calibration). Models without an unembedding (encoders such as
 * use-lite) get a reason instead, and the method is listed as skipped.
 */
import { loadModelTokenizer } from '../lib/models/tokenizer.ts';
import { loadUnembedding, type Unembedding } from '../lib/models/logit-lens.ts';
import type { ExtractionClient } from '../lib/extract/index.ts';
import type { ContrastPairs } from '../lib/data/index.ts';
import type { ActivationStore } from '../infra/store/activation-store.ts';
import type { ResolvedModel } from './models.ts';
import { extractCached } from './extraction.ts';

/** Why zero-shot cannot read this model, or null when it can. */
export function zeroShotUnavailable(model: ResolvedModel): string | null {
  if (model.manifest.kind !== 'decoder') return `zero-shot needs a decoder's next-token prediction; ${model.name} is an ${model.manifest.kind}`;
  if (!model.manifest.unembedding) return `zero-shot needs the model's unembedding; ${model.name}'s sonde.json names none`;
  return null;
}

/** Length of the longest common prefix of two strings. */
function lcp(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * The prompt up to the answer, and the text between it and the answer, of one pair:
 * pos = P + a₁ + …, neg = P + a₀ + …, so P ends where pos and neg part, less the answers'
 * own common beginning. Trailing whitespace goes into the separator, because BPE
 * tokenizers attach it to the answer's token (" True").
 */
export function promptPrefix(pos: string, neg: string, answers: [string, string]): { prefix: string; sep: string } | null {
  const [a0, a1] = answers;
  const own = lcp(a0, a1);
  if (own === a0.length || own === a1.length) return null; // one answer begins the other: no position to read
  const end = lcp(pos, neg) - own;
  if (end < 0 || pos.slice(end, end + a1.length) !== a1 || neg.slice(end, end + a0.length) !== a0) return null;
  const raw = pos.slice(0, end);
  const prefix = raw.trimEnd();
  return { prefix, sep: raw.slice(prefix.length) };
}

const unembeddings = new Map<string, Promise<Unembedding>>();

/**
 * Log-odds per pair row, or the reason they cannot be had. `answers[row]` are the row's
 * two answers, label-0 first (lib/data itemAnswers).
 */
export async function zeroShotLogOdds(
  client: ExtractionClient,
  store: ActivationStore,
  model: ResolvedModel,
  pairs: Pick<ContrastPairs, 'pos' | 'neg'>,
  answers: [string, string][],
  opts: { signal?: AbortSignal } = {},
): Promise<{ logOdds: number[] } | { unavailable: string }> {
  const why = zeroShotUnavailable(model);
  if (why) return { unavailable: why };
  const tokenizer = await loadModelTokenizer(model.dir, model.manifest);
  const firstToken = (prefix: string, sep: string, answer: string): number | null => {
    const p = tokenizer.encode(prefix);
    const f = tokenizer.encode(prefix + sep + answer);
    let i = 0;
    while (i < p.length && i < f.length && p[i] === f[i]) i++;
    return i < f.length ? f[i] : null;
  };
  const rows: { prefix: string; t0: number; t1: number }[] = [];
  for (let r = 0; r < pairs.pos.length; r++) {
    const cut = promptPrefix(pairs.pos[r], pairs.neg[r], answers[r]);
    if (!cut) return { unavailable: `zero-shot cannot find where the answer goes in "${pairs.pos[r].slice(0, 60)}…"` };
    const t0 = firstToken(cut.prefix, cut.sep, answers[r][0]);
    const t1 = firstToken(cut.prefix, cut.sep, answers[r][1]);
    if (t0 === null || t1 === null || t0 === t1) return { unavailable: `the answers "${answers[r][0]}" and "${answers[r][1]}" begin with the same token: zero-shot cannot tell them apart` };
    rows.push({ prefix: cut.prefix, t0, t1 });
  }
  const texts = [...new Set(rows.map((r) => r.prefix))];
  const index = new Map(texts.map((t, i) => [t, i]));
  const last = model.manifest.layers[model.manifest.layers.length - 1].index;
  const { layers } = await extractCached(client, store, { modelDir: model.dir, texts, layers: [last], pooling: 'last', batchSize: 32 }, { template: 'zero-shot-prefix', signal: opts.signal });
  const h = layers.get(last)!;
  if (!unembeddings.has(model.dir)) unembeddings.set(model.dir, loadUnembedding(model.dir).catch((e) => { unembeddings.delete(model.dir); throw e; }));
  const u = await unembeddings.get(model.dir)!;
  if (u.dim !== h.cols) return { unavailable: `the unembedding is ${u.vocab}×${u.dim} but the last layer has width ${h.cols}` };
  const logOdds = rows.map((r) => {
    const o = index.get(r.prefix)! * h.cols;
    let s = 0;
    for (let k = 0; k < h.cols; k++) s += (u.weights[r.t1 * u.dim + k] - u.weights[r.t0 * u.dim + k]) * h.data[o + k];
    return s;
  });
  return { logOdds };
}
