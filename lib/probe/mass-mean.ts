/**
 * Mass-mean probing (Marks & Tegmark 2023, §4): θ = μ_true − μ_false; with contrast pairs
 * that is the mean over pairs of (2y − 1)·δ. Supervised.
 */
import type { Estimator } from './estimator.ts';
import { directionProbe } from './linear.ts';
import { unit } from './kernels.ts';

export const massMean: Estimator = {
  name: 'mass-mean',
  supervised: true,
  summary: 'supervised: the difference of the true and false class means (Marks & Tegmark 2023)',
  options: {},
  fit(data) {
    const { n, labels } = data;
    // Σ c_i δ_i = Σ c_i x⁺_i − c_i x⁻_i: one weighted row sum over [x⁺; x⁻] with [c; −c].
    const c = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) { c[i] = (labels![i] ? 1 : -1) / n; c[n + i] = -c[i]; }
    const w = unit(data.ws.addRowsT(data.sides, c, new Float64Array(data.d)));
    return directionProbe(data, w);
  },
};
