// Diagnostics of memory on the command line (issue #17): `recur train --diagnostics N` prints
// them every N steps, `recur inspect` prints the spectra of a model's recurrent matrices.

import type { GateSpectrum, Sequential } from '../node/index.js';
import type { MemoryDiagnostics, StepDiagnostics } from '../train/index.js';
import { table } from './describe.js';

const sci = (x: number) => (x === 0 ? '0' : x.toExponential(1));
const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);

/** "lstm.l0", "lstm.l1_reverse": a recurrent layer-direction, as freeze names it. */
const direction = (name: string, d: { layer: number; reverse: boolean }) => `${name}.l${d.layer}${d.reverse ? '_reverse' : ''}`;

/** How far back a norm sequence reaches from its peak, in words: the lag below the threshold, or back to the first step. */
function reachText(norms: number[], lag: number | null, reverse: boolean, threshold: number): string {
  const end = reverse ? 'last' : 'first', first = reverse ? norms[norms.length - 1] : norms[0];
  return lag === null
    ? `stays above ${pct(threshold)} of it back to the ${end} step (${sci(first)})`
    : `falls below ${pct(threshold)} of it ${lag} step${lag > 1 ? 's' : ''} back; ${end} step ${sci(first)}`;
}

/** Lines for a training step's diagnostics: per layer-direction, the reach of the gradient, the gates and the spectra. */
export function diagnosticsLines(step: number, report: StepDiagnostics): string[] {
  // Truncated BPTT: the last chunk's backward pass, over its window of the sequence.
  const w = report.window;
  const lines = [`diagnostics at step ${step}${w ? ` (the last chunk's backward pass: t ${w.from}–${w.to - 1}, of ${report.chunks!.length} chunks)` : ''}:`];
  const at = (t: number) => (w ? t + w.from : t);
  for (const [name, dirs] of Object.entries(report.layers)) {
    for (const d of dirs as MemoryDiagnostics[]) {
      const T = d.gradNorms.length, indent = ' '.repeat(direction(name, d).length);
      lines.push(`  ${direction(name, d)}  ‖∂L/∂h_t‖ peaks at ${sci(d.gradNorms[d.peakStep])} (t ${at(d.peakStep)} of ${w ? w.to : T}), ${reachText(d.gradNorms, d.lag, d.reverse, report.threshold)}`);
      if (d.cell) {
        const c = d.cell;
        lines.push(`  ${indent}  ‖∂L/∂c_t‖ peaks at ${sci(c.gradNorms[c.peakStep])} (t ${at(c.peakStep)}), ${reachText(c.gradNorms, c.lag, d.reverse, report.threshold)}`);
      }
      const g = d.gates;
      lines.push(`  ${indent}  gates: sigmoid saturated ${pct(g.sigmoidSaturated)}, tanh saturated ${pct(g.tanhSaturated)}` +
        (g.meanForget === null ? '' : `, mean forget ${g.meanForget.toFixed(3)}`));
      if (d.spectra) lines.push(`  ${indent}  W_hh: ${spectraText(d.spectra)}`);
    }
  }
  return lines;
}

const spectraText = (gates: GateSpectrum[]) => gates.map((s) => `${gates.length > 1 ? `${s.gate} ` : ''}ρ ${s.spectralRadius.toFixed(3)} σ₁ ${s.largestSingularValue.toFixed(3)}`).join(', ');

export interface MatrixSpectrum { matrix: string; gate: string; spectralRadius: number; largestSingularValue: number; converged: boolean }

/** The spectra of every recurrent matrix of a model: W_hh of each layer-direction, gate by gate. */
export function modelSpectra(model: Sequential): MatrixSpectrum[] {
  const out: MatrixSpectrum[] = [];
  for (const { name, layer } of model.layers) {
    if (!('spectra' in layer)) continue;
    for (const d of layer.spectra()) {
      for (const g of d.gates) {
        out.push({ matrix: `${name}.weight_hh_l${d.layer}${d.reverse ? '_reverse' : ''}`, gate: g.gate, spectralRadius: g.spectralRadius,
                   largestSingularValue: g.largestSingularValue, converged: g.converged });
      }
    }
  }
  return out;
}

export function spectraTable(spectra: MatrixSpectrum[]): string {
  return table([['recurrent matrix', 'gate', 'spectral radius', 'largest singular value'],
    ...spectra.map((s) => [s.matrix, s.gate, `${s.spectralRadius.toFixed(4)}${s.converged ? '' : ' ~'}`, s.largestSingularValue.toFixed(4)])], [2, 3]);
}
