// Diagnostics of memory on the command line (issue #17): `recur train --diagnostics N` prints
// them every N steps, `recur inspect` prints the spectra of a model's recurrent matrices.

import type { GateSpectrum, MemoryDiagnostics, Sequential, StepDiagnostics } from '../node/index.js';
import { table } from './describe.js';

const sci = (x: number) => (x === 0 ? '0' : x.toExponential(1));
const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);

/** "lstm.l0", "lstm.l1_reverse": a recurrent layer-direction, as freeze names it. */
const direction = (name: string, d: { layer: number; reverse: boolean }) => `${name}.l${d.layer}${d.reverse ? '_reverse' : ''}`;

/** Lines for a training step's diagnostics: per layer-direction, the reach of the gradient, the gates and the spectra. */
export function diagnosticsLines(step: number, report: StepDiagnostics): string[] {
  const lines = [`diagnostics at step ${step}:`];
  for (const [name, dirs] of Object.entries(report.layers)) {
    for (const d of dirs as MemoryDiagnostics[]) {
      const T = d.gradNorms.length, peak = d.gradNorms[d.peakStep];
      const first = d.reverse ? d.gradNorms[T - 1] : d.gradNorms[0];
      const reach = d.lag === null
        ? `stays above ${pct(report.threshold)} of it back to the ${d.reverse ? 'last' : 'first'} step (${sci(first)})`
        : `falls below ${pct(report.threshold)} of it ${d.lag} step${d.lag > 1 ? 's' : ''} back; ${d.reverse ? 'last' : 'first'} step ${sci(first)}`;
      lines.push(`  ${direction(name, d)}  ‖∂L/∂h_t‖ peaks at ${sci(peak)} (t ${d.peakStep} of ${T}), ${reach}`);
      if (d.cell) {
        const c = d.cell, cfirst = d.reverse ? c.gradNorms[T - 1] : c.gradNorms[0];
        lines.push(`  ${' '.repeat(direction(name, d).length)}  ‖∂L/∂c_t‖ peaks at ${sci(c.gradNorms[c.peakStep])} (t ${c.peakStep}), ` +
          (c.lag === null ? `stays above ${pct(report.threshold)} of it back to the ${d.reverse ? 'last' : 'first'} step (${sci(cfirst)})`
            : `falls below ${pct(report.threshold)} of it ${c.lag} step${c.lag > 1 ? 's' : ''} back; ${d.reverse ? 'last' : 'first'} step ${sci(cfirst)}`));
      }
      const g = d.gates;
      lines.push(`  ${' '.repeat(direction(name, d).length)}  gates: sigmoid saturated ${pct(g.sigmoidSaturated)}, tanh saturated ${pct(g.tanhSaturated)}` +
        (g.meanForget === null ? '' : `, mean forget ${g.meanForget.toFixed(3)}`));
      if (d.spectra) lines.push(`  ${' '.repeat(direction(name, d).length)}  W_hh: ${spectraText(d.spectra)}`);
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
