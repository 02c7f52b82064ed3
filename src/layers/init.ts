// Initialisations for long memory (issue #17), beside PyTorch's default U(-1/√H, 1/√H):
//
//   recurrentInit 'orthogonal'  each gate block of W_hh a random orthogonal matrix (Saxe et al.
//                               2014; torch.nn.init.orthogonal_): every singular value 1, so
//                               W_hh alone neither shrinks nor grows the state
//   recurrentInit 'identity'    RNN: W_hh = I and zero biases (IRNN, Le et al. 2015, with relu)
//   forgetBias b                LSTM: forget-gate bias b (Jozefowicz et al. 2015 use 1), so the
//                               cell keeps its past, f ≈ σ(b), from the first step
//   chronoMaxLength T           LSTM/GRU chrono initialisation (Tallec & Ollivier 2018) for
//                               dependencies of up to T steps: the forget bias b_f ~ log(U(1, T−1))
//                               and b_i = −b_f (LSTM); for a GRU the bias of z, which in PyTorch's
//                               h' = (1 − z) ⊙ n + z ⊙ h is the share kept (the paper writes the GRU
//                               with z and 1 − z swapped, hence its b_z = −log(U(1, T−1)))
//
// PyTorch has two biases per gate; these set bias_ih's block to the value and bias_hh's to 0, so
// their sum, what the cell sees, is the paper's bias.

import type { Random } from '../runtime/random.js';

/** An n × n orthogonal matrix, row-major: Gram–Schmidt (twice) on a Gaussian matrix, which is
 *  QR with R's diagonal positive, i.e. Haar-distributed as torch.nn.init.orthogonal_'s. */
export function orthogonalMatrix(random: Random, n: number): Float32Array {
  const g = random.normal(n * n);
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = q.subarray(i * n, (i + 1) * n);
    for (let j = 0; j < n; j++) row[j] = g[i * n + j];
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < i; k++) {
        const other = q.subarray(k * n, (k + 1) * n);
        let d = 0;
        for (let j = 0; j < n; j++) d += row[j] * other[j];
        for (let j = 0; j < n; j++) row[j] -= d * other[j];
      }
    }
    let len = 0;
    for (let j = 0; j < n; j++) len += row[j] * row[j];
    len = Math.sqrt(len);
    for (let j = 0; j < n; j++) row[j] /= len;
  }
  return Float32Array.from(q);
}

/** n biases log(U(1, T − 1)): chrono initialisation's forget (keep) gate bias. */
export function chronoBiases(random: Random, n: number, maxLength: number): Float32Array {
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) out[j] = Math.log(1 + random.next() * (maxLength - 2));
  return out;
}
