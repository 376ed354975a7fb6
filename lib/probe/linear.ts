/**
 * Linear probes score each side as p(x^±) = σ(scale · w·x^± + bias_±) (Burns et al. 2022,
 * §2.2, with a per-side bias so difference-based methods can carry a threshold). Direction-only
 * methods (crc/pca, random, k-means, mass-mean, VINC) become such probes by
 * p(x^±) = σ(a(w·x^± − m ∓ t/2)): the pair is "yes" iff w·δ > t, with t their decision
 * threshold on the differences (0 except k-means), m the train mid-point, and a = 1/std(w·δ)
 * so every method's p̃ has comparable spread for ECE and the CCS loss.
 */
import type { FitData, Fitted, Sides } from './estimator.ts';
import type { SerializedProbe } from './types.ts';
import type { Block, Workspace } from './workspace.ts';
import { mean, sigmoid, std } from './kernels.ts';

/** A direction used only through w·δ, calibrated as described at the top of the file. */
export function directionProbe(data: FitData, w: Float64Array, threshold = 0): Fitted {
  const { up, un } = data.project(w);
  const diff = up.map((u, i) => u - un[i] - threshold);
  const a = 1 / (std(diff) || 1);
  const m = 0.5 * (mean(up) + mean(un));
  const biasPos = -a * (m + threshold / 2), biasNeg = -a * (m - threshold / 2);
  return {
    kind: 'linear', direction: Array.from(w), scale: a, bias_pos: biasPos, bias_neg: biasNeg,
    trainSides: { pPos: up.map((u) => sigmoid(a * u + biasPos)), pNeg: un.map((u) => sigmoid(a * u + biasNeg)) },
  };
}

/** p(x⁺), p(x⁻) of a linear probe on pairs resident as a stacked block [x⁺; x⁻] (n pairs). */
export function linearSides(ws: Workspace, stacked: Block, n: number, p: Pick<SerializedProbe, 'direction' | 'scale' | 'bias_pos' | 'bias_neg'>): Sides {
  const u = ws.dots(stacked, p.direction, new Float64Array(2 * n));
  const pPos = new Float64Array(n), pNeg = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    pPos[i] = sigmoid(p.scale * u[i] + p.bias_pos);
    pNeg[i] = sigmoid(p.scale * u[n + i] + p.bias_neg);
  }
  return { pPos, pNeg };
}
