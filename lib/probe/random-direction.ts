/** The chance-level control (Farquhar et al. 2023): a Gaussian random unit direction, seeded. */
import type { Estimator } from './estimator.ts';
import { directionProbe } from './linear.ts';
import { unit } from './kernels.ts';

export const random: Estimator = {
  name: 'random',
  supervised: false,
  summary: 'a seeded Gaussian random unit direction (the chance-level control)',
  options: {},
  fit(data, _o, rng) {
    return directionProbe(data, unit(Float64Array.from({ length: data.d }, () => rng.normal())));
  },
};
