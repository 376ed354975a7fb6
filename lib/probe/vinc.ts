/**
 * elk's VINC (EigenReporter.fit_streaming, EleutherAI 2023): top eigenvector of
 * A = w_var·(Σ⁺⁺ + Σ⁻⁻) − w_inv·Σ_intra − w_neg·(Σ⁺⁻ + Σ⁻⁺), covariances of the class
 * centroids and their cross-covariance (a truth feature flips sign across the pair). Each row
 * here is its own centroid (no template variants per item), so Σ_intra = 0. Defaults are
 * elk's var_weight 1 and neg_cov_weight 5. A is scaled by ½ (same vector). With
 * w_var = w_neg = 1, A is the covariance of δ, i.e. CRC.
 */
import type { Estimator } from './estimator.ts';
import { directionProbe } from './linear.ts';
import { topEigenvector } from './eigen.ts';

/** Lanczos settings: the SIMD passes accumulate in float32, so ask for a float32-sized residual. */
const EIGEN = { tol: 1e-5, restarts: 10 };

export const vinc: Estimator = {
  name: 'vinc',
  supervised: false,
  summary: "elk's VINC: top eigenvector of the sides' variance minus their cross-covariance",
  options: {
    w_var: { type: 'number', default: 1, minimum: 0, maximum: 1000, description: 'weight of the within-side covariances Σ⁺⁺ + Σ⁻⁻' },
    w_neg: { type: 'number', default: 5, minimum: 0, maximum: 1000, description: 'weight of the cross-covariance Σ⁺⁻ + Σ⁻⁺ (subtracted)' },
  },
  fit(data, o, rng) {
    const { ws, n, d, sides } = data;
    const wVar = o.w_var as number, wNeg = o.w_neg as number;
    const { pos: mp, neg: mn } = data.sideMeans();
    const V = ws.alloc(sides.ld), U = ws.alloc(2 * n), C = ws.alloc(2 * n), G = ws.alloc(sides.ld);
    const alpha = wVar / (2 * n), beta = -wNeg / (2 * n);
    // v ↦ A v in one pass over [x⁺; x⁻] (pair blocks reread from L2): u = x⁺·v − a and
    // w = x⁻·v − b per pair, then Σ x⁺ (α u + β w) + x⁻ (α w + β u), centred by the sums.
    const op = (v: Float64Array, out: Float64Array) => {
      let a = 0, b = 0;
      for (let k = 0; k < d; k++) { a += mp[k] * v[k]; b += mn[k] * v[k]; }
      ws.write(V, v, d);
      ws.zero(G, sides.ld);
      let sp = 0, sn = 0;
      ws.dotsThenSums(sides, true, V, U, C, G, (i0, i1) => {
        const f = ws.f32;
        const u = U >>> 2, c = C >>> 2;
        for (let i = i0; i < i1; i++) {
          const x = f[u + i] - a, y = f[u + n + i] - b;
          const cp = alpha * x + beta * y, cn = alpha * y + beta * x;
          f[c + i] = cp;
          f[c + n + i] = cn;
          sp += cp; sn += cn;
        }
      });
      const f2 = ws.f32;
      for (let k = 0, g = G >>> 2; k < d; k++) out[k] = f2[g + k] - (sp * mp[k] + sn * mn[k]);
    };
    // Warm start from the split's top principal component (VINC with w_var = w_neg = 1 is
    // CRC, and a dominant feature leads both): fewer Lanczos steps, the same eigenvector.
    const eig = topEigenvector(op, d, rng, { ...EIGEN, start: data.topComponent().vector });
    return { ...directionProbe(data, eig.vector), extra: { eigenvalue: eig.value, matvecs: eig.matvecs } };
  },
};
