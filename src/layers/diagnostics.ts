// Diagnostics of memory (issue #17): how far back a recurrent layer's gradient reaches, how
// saturated its gates are, and the spectra of its recurrent matrices. Opt-in: a backward pass
// records them only when asked (tape.backward({ …, diagnostics: true })), and spectra are
// computed only when called for; nothing here runs otherwise.
//
// Why these: the gradient reaching h_t from a loss k steps later is a product of k Jacobians
// ∂h_{s+1}/∂h_s = diag(f'(·)) W_hh (Bengio et al. 1994; Pascanu et al. 2013), so it vanishes
// when W_hh's largest singular value times the activations' slopes stays below 1, and may
// explode when the spectral radius is above 1. Saturated gates (σ near 0 or 1, tanh near ±1)
// have slopes near 0; an LSTM's forget gate f (a GRU's update gate z) is the factor by which
// the cell (the state) keeps its past (Gers et al. 2000).

import { RecurOptionError } from '../errors.js';
import type { Runtime } from '../runtime/runtime.js';
import { Workspace } from '../runtime/workspace.js';

/** Saturation thresholds: a sigmoid gate below 0.01 or above 0.99, a tanh unit beyond ±0.99. */
export const SIGMOID_SATURATION = 0.01;
export const TANH_SATURATION = 0.99;

export interface GateStatistics {
  /** Fraction of sigmoid gate values < 0.01 or > 0.99 (LSTM i, f, o; GRU r, z); null if none. */
  sigmoidSaturated: number | null;
  /** Fraction of tanh units with |value| > 0.99 (LSTM g, GRU n, tanh RNN h); null if none. */
  tanhSaturated: number | null;
  /** Mean forget gate: LSTM f; GRU z (h' = (1 − z) ⊙ n + z ⊙ h: the share of h kept); null for RNN. */
  meanForget: number | null;
  /** Per gate (LSTM i, f, g, o; GRU r, z, n; RNN h): mean value and saturated fraction (null for relu). */
  perGate: Record<string, { mean: number; saturated: number | null }>;
}

/** What one backward pass recorded for one layer-direction of a recurrent layer. */
export interface DirectionDiagnostics {
  layer: number;
  reverse: boolean;
  /** ∂L/∂h_t [T, B, H] time-major (batchFirst too), t in the order of the input, as PyTorch's h_t.retain_grad() gives. */
  hiddenGrads: Float32Array;
  /** ‖∂L/∂h_t‖ over the batch (Frobenius norm of the [B, H] slice), t = 0 … T−1. */
  hiddenGradNorms: number[];
  /** LSTM: ∂L/∂c_t [T, B, H] and its norms, the memory path (c_{t−1} → c_t is ⊙ f_t). */
  cellGrads?: Float32Array;
  cellGradNorms?: number[];
  /** Gate activations of the forward pass this backward ran for. */
  gates: GateStatistics;
}

/** Gate names and activations per cell type, in PyTorch's gate order. */
const GATES: Record<string, { name: string; kind: 'sigmoid' | 'tanh' | 'relu' }[]> = {
  lstm: [{ name: 'i', kind: 'sigmoid' }, { name: 'f', kind: 'sigmoid' }, { name: 'g', kind: 'tanh' }, { name: 'o', kind: 'sigmoid' }],
  gru: [{ name: 'r', kind: 'sigmoid' }, { name: 'z', kind: 'sigmoid' }, { name: 'n', kind: 'tanh' }],
  rnn: [{ name: 'h', kind: 'tanh' }],
  'rnn-relu': [{ name: 'h', kind: 'relu' }],
};

/** Gate block names of a cell type: LSTM i, f, g, o; GRU r, z, n; RNN h. */
export function gateNames(type: string): string[] { return GATES[type === 'rnn-relu' ? 'rnn' : type].map((g) => g.name); }

/**
 * Statistics of the saved gate activations of a training forward, gates [T·B, G·Hp] (each row
 * G blocks of Hp floats, the first H of each used). cell: 'lstm', 'gru', 'rnn' or 'rnn-relu'.
 */
export function gateStatistics(cell: string, gates: Float32Array, rows: number, H: number, Hp: number): GateStatistics {
  const spec = GATES[cell];
  const N = spec.length * Hp;
  const perGate: GateStatistics['perGate'] = {};
  let sigmoidCount = 0, sigmoidSaturated = 0, tanhCount = 0, tanhSaturated = 0;
  spec.forEach(({ name, kind }, k) => {
    let sum = 0, saturated = 0;
    for (let r = 0; r < rows; r++) {
      const base = r * N + k * Hp;
      for (let j = 0; j < H; j++) {
        const v = gates[base + j];
        sum += v;
        if (kind === 'sigmoid' ? v < SIGMOID_SATURATION || v > 1 - SIGMOID_SATURATION : kind === 'tanh' && Math.abs(v) > TANH_SATURATION) saturated++;
      }
    }
    const n = rows * H;
    perGate[name] = { mean: sum / n, saturated: kind === 'relu' ? null : saturated / n };
    if (kind === 'sigmoid') { sigmoidCount += n; sigmoidSaturated += saturated; }
    if (kind === 'tanh') { tanhCount += n; tanhSaturated += saturated; }
  });
  const forget = cell === 'lstm' ? 'f' : cell === 'gru' ? 'z' : undefined;
  return {
    sigmoidSaturated: sigmoidCount ? sigmoidSaturated / sigmoidCount : null,
    tanhSaturated: tanhCount ? tanhSaturated / tanhCount : null,
    meanForget: forget ? perGate[forget].mean : null,
    perGate,
  };
}

/** ‖∂L/∂h_t‖ for each t of hiddenGrads [T, B, H] (summed in double precision). */
export function stepNorms(hiddenGrads: Float32Array, T: number): number[] {
  const n = hiddenGrads.length / T;
  const norms: number[] = [];
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let i = t * n; i < (t + 1) * n; i++) s += hiddenGrads[i] * hiddenGrads[i];
    norms.push(Math.sqrt(s));
  }
  return norms;
}

/** How far back ‖∂L/∂h_t‖ reaches from its peak. */
export interface GradientReach {
  /** The step t where ‖∂L/∂h_t‖ is largest. */
  peakStep: number;
  /**
   * The smallest lag k ≥ 1 at which ‖∂L/∂h‖, k steps before the peak (after it, for a reverse
   * direction: the direction the gradient flows), is below threshold · peak; null if it stays
   * at or above that back to the start of the sequence.
   */
  lag: number | null;
}

export function gradientReach(norms: number[], threshold: number, reverse: boolean): GradientReach {
  let peakStep = 0;
  for (let t = 1; t < norms.length; t++) if (norms[t] > norms[peakStep]) peakStep = t;
  const limit = threshold * norms[peakStep];
  const step = reverse ? 1 : -1;
  for (let k = 1, t = peakStep + step; t >= 0 && t < norms.length; k++, t += step) {
    if (norms[t] < limit) return { peakStep, lag: k };
  }
  return { peakStep, lag: null };
}

/** Spectral radius and largest singular value of one gate block of W_hh. */
export interface GateSpectrum {
  gate: string;
  /** max |λ| of the block [H, H]. */
  spectralRadius: number;
  /** true if found as converged Ritz values; false if estimated by Gelfand's formula (see assembly/diagnostics.ts). */
  converged: boolean;
  /** Largest singular value σ₁ (the spectral norm) of the block. */
  largestSingularValue: number;
}

export interface SpectrumOptions {
  /** Power iterations at most (default 300). */
  maxIterations?: number;
  /** Relative tolerance at which an iteration stops (default 1e-6). */
  tolerance?: number;
}

/**
 * ρ and σ₁ of each gate block of W_hh [G·H, H] (PyTorch layout), power iteration in wasm
 * (assembly/diagnostics.ts, one call per matrix).
 */
export function matrixSpectra(rt: Runtime, cell: string, whh: Float32Array, H: number, options: SpectrumOptions = {}): GateSpectrum[] {
  const names = gateNames(cell);
  const G = names.length;
  if (whh.length !== G * H * H) throw new RecurOptionError(`spectra: W_hh of a ${cell} should have ${G}·${H}·${H} values, got ${whh.length}`);
  const maxIterations = options.maxIterations ?? 300, tolerance = options.tolerance ?? 1e-6;
  if (!(Number.isInteger(maxIterations) && maxIterations >= 1 && maxIterations <= 1e6)) {
    throw new RecurOptionError(`spectra: maxIterations must be an integer in [1, 1e6], got ${maxIterations}`);
  }
  if (!(tolerance > 0 && tolerance < 1)) throw new RecurOptionError(`spectra: tolerance must be in (0, 1), got ${tolerance}`);
  const ws = new Workspace(rt, { w: whh.length, work: 8 * H, out: 8 * G });
  try {
    rt.f32(ws.at('w'), whh.length).set(whh);
    rt.kernels.recurrentSpectra(G, H, ws.at('w'), maxIterations, tolerance, ws.at('work'), ws.at('out'));
    const out = new Float64Array(rt.kernels.memory.buffer, ws.at('out'), 4 * G).slice();
    return names.map((gate, k) => {
      const [a, b, c, sigma] = out.subarray(4 * k, 4 * k + 4);
      const converged = b === 1 && c === 0;
      // Not converged: the product of c growths is a · 2^b (see spectralRadius).
      const rho = converged ? a : c > 0 && a > 0 ? Math.exp((Math.log(a) + b * Math.LN2) / c) : 0;
      return { gate, spectralRadius: rho, converged, largestSingularValue: sigma };
    });
  } finally {
    ws.free();
  }
}
