/**
 * CRC-TPC (Burns et al. 2022, §3.3) and the PCA baseline (Farquhar et al. 2023): the top
 * principal component of the centred differences δ, sign-free. The eigenvector comes from the
 * shared split context (Lanczos on the covariance operator, never the d × d matrix), so the
 * two names cost one computation when both are fitted.
 */
import type { Estimator } from './estimator.ts';
import { directionProbe } from './linear.ts';

export const pca: Estimator = {
  name: 'pca',
  supervised: false,
  summary: 'top principal component of the centred differences (the PCA baseline)',
  options: {},
  fit(data) {
    const eig = data.topComponent();
    return { ...directionProbe(data, Float64Array.from(eig.vector)), extra: { eigenvalue: eig.value, matvecs: eig.matvecs } };
  },
};

export const crc: Estimator = { ...pca, name: 'crc', summary: 'CRC-TPC: top principal component of the centred differences (Burns et al. 2022, §3.3)' };
