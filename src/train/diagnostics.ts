// Diagnostics of memory for a training step (issue #17): Trainer.step(…, { diagnostics: true })
// returns, for each recurrent layer and layer-direction, ‖∂L/∂h_t‖ for every t, how far back
// from its peak it stays above a threshold, gate saturation, and the spectra of W_hh. The step
// itself is unchanged (the same loss, gradients and update); without the option none of it runs.

import { RecurOptionError } from '../errors.js';
import { gradientReach, type DirectionDiagnostics, type GateSpectrum, type GateStatistics } from '../layers/diagnostics.js';
import { Recurrent } from '../layers/recurrent.js';
import { noUnknown } from '../layers/options.js';
import type { Sequential } from '../model/sequential.js';

export interface DiagnosticsOptions {
  /** The lag is where ‖∂L/∂h_t‖ falls below threshold · its peak; default 0.01. */
  threshold?: number;
  /** Also the spectra of every W_hh (power iteration; default true). */
  spectra?: boolean;
  /** Power iterations at most for the spectra (default 300). */
  maxIterations?: number;
}

/** One layer-direction of a recurrent layer. */
export interface MemoryDiagnostics {
  layer: number;
  reverse: boolean;
  /** ‖∂L/∂h_t‖ over the batch, t = 0 … T−1. */
  gradNorms: number[];
  /** Where the norm peaks, and the lag (steps against the flow of time) at which it first falls below threshold · peak; null: never within the sequence. */
  peakStep: number;
  lag: number | null;
  /** LSTM: the same for ‖∂L/∂c_t‖, the cell state (through which a forget gate near 1 carries the gradient). */
  cell?: { gradNorms: number[]; peakStep: number; lag: number | null };
  gates: GateStatistics;
  /** Per gate block of W_hh, before this step's update. */
  spectra?: GateSpectrum[];
}

export interface StepDiagnostics {
  threshold: number;
  /** Per recurrent layer name, per layer-direction (index l·D + d). */
  layers: Record<string, MemoryDiagnostics[]>;
  /** Truncated BPTT: the steps [from, to) of the sequence this backward pass covered; gradNorms[i] is step from + i. */
  window?: { from: number; to: number };
  /** Truncated BPTT: every chunk's report, in order (the fields above are the last chunk's). */
  chunks?: StepDiagnostics[];
}

export function diagnosticsOptions(value: boolean | DiagnosticsOptions | undefined): Required<DiagnosticsOptions> | undefined {
  if (value === undefined || value === false) return undefined;
  const o = value === true ? {} : value;
  if (typeof o !== 'object' || o === null) throw new RecurOptionError(`Trainer.step: diagnostics must be true, false or an object, got ${String(value)}`);
  noUnknown('Trainer.step diagnostics', o, ['threshold', 'spectra', 'maxIterations']);
  const threshold = o.threshold ?? 0.01;
  if (!(typeof threshold === 'number' && threshold > 0 && threshold < 1)) throw new RecurOptionError(`Trainer.step: diagnostics.threshold must be in (0, 1), got ${String(threshold)}`);
  return { threshold, spectra: o.spectra ?? true, maxIterations: o.maxIterations ?? 300 };
}

/**
 * Joins the diagnostics of consecutive windows of one sequence (checkpointed BPTT), given in
 * time order: norms concatenated, gate statistics averaged weighted by each window's steps.
 */
export function joinWindows(windows: Record<string, DirectionDiagnostics[]>[]): Record<string, DirectionDiagnostics[]> {
  if (windows.length === 1) return windows[0];
  const out: Record<string, DirectionDiagnostics[]> = {};
  for (const name of Object.keys(windows[0])) {
    out[name] = windows[0][name].map((first, i) => {
      const parts = windows.map((w) => w[name][i]);
      const steps = parts.map((p) => p.hiddenGradNorms.length);
      const total = steps.reduce((a, b) => a + b, 0);
      const mean = (pick: (g: GateStatistics) => number | null) => {
        if (pick(first.gates) === null) return null;
        return parts.reduce((s, p, k) => s + (pick(p.gates) as number) * steps[k], 0) / total;
      };
      const perGate: GateStatistics['perGate'] = {};
      for (const gate of Object.keys(first.gates.perGate)) {
        perGate[gate] = { mean: mean((g) => g.perGate[gate].mean)!, saturated: mean((g) => g.perGate[gate].saturated) };
      }
      const join = (pick: (p: DirectionDiagnostics) => Float32Array) => {
        const out = new Float32Array(parts.reduce((n, p) => n + pick(p).length, 0));
        let at = 0;
        for (const p of parts) { out.set(pick(p), at); at += pick(p).length; }
        return out;
      };
      return {
        layer: first.layer, reverse: first.reverse, hiddenGrads: join((p) => p.hiddenGrads),
        hiddenGradNorms: parts.flatMap((p) => p.hiddenGradNorms),
        ...(first.cellGrads ? { cellGrads: join((p) => p.cellGrads!), cellGradNorms: parts.flatMap((p) => p.cellGradNorms!) } : {}),
        gates: { sigmoidSaturated: mean((g) => g.sigmoidSaturated), tanhSaturated: mean((g) => g.tanhSaturated), meanForget: mean((g) => g.meanForget), perGate },
      };
    });
  }
  return out;
}

/** The step's diagnostics from what the backward pass recorded, plus the spectra of net's weights. */
export function stepDiagnostics(net: Sequential, recorded: Record<string, DirectionDiagnostics[]>, options: Required<DiagnosticsOptions>): StepDiagnostics {
  const layers: Record<string, MemoryDiagnostics[]> = {};
  for (const { name, layer } of net.layers) {
    if (!(layer instanceof Recurrent) || !recorded[name]) continue;
    const spectra = options.spectra ? layer.spectra({ maxIterations: options.maxIterations }) : undefined;
    layers[name] = recorded[name].map((r, i) => ({
      layer: r.layer, reverse: r.reverse, gradNorms: r.hiddenGradNorms,
      ...gradientReach(r.hiddenGradNorms, options.threshold, r.reverse),
      ...(r.cellGradNorms ? { cell: { gradNorms: r.cellGradNorms, ...gradientReach(r.cellGradNorms, options.threshold, r.reverse) } } : {}),
      gates: r.gates,
      ...(spectra ? { spectra: spectra[i].gates } : {}),
    }));
  }
  return { threshold: options.threshold, layers };
}
