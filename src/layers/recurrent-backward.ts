// Backpropagation through time for LSTM, GRU and RNN layers (all layers, both directions).
//
// A training forward() keeps, in one workspace: the time-major input, every layer's output
// y_l [T, B, D·H], every layer-direction's gate activations [T, B, G·Hp] and whatever else its
// cell needs (LSTM c_t, GRU U_n h + b_hn or r ⊙ h), and the initial states. backward() walks the
// layers top-down; for each layer-direction the cell's kernel runs the time loop once, turning
// the saved activations into pre-activation gradients dP in place, and then whole-sequence
// products give the rest:  dW_ih += dPᵀ·x,  dW_hh += dPᵀ·h_prev,  db += Σ dP,  dx (+)= dP·W_ih.
// Gradients accumulate into the layer's gradient block, as PyTorch accumulates into .grad.
//
// Memory: the saved activations are O(T·B·(L·D·(G·Hp + H) + I)) floats; see README (Training).
//
// With diagnostics (src/layers/diagnostics.ts), each layer-direction's gate activations are
// summarised before its kernel overwrites them, and the kernel writes ∂L/∂h_t of every step.

import { RecurShapeError } from '../errors.js';
import { gateStatistics, stepNorms, type DirectionDiagnostics } from './diagnostics.js';
import type { KernelPointers, Recurrent } from './recurrent.js';
import { padHidden } from '../runtime/pack.js';
import type { Parameters } from '../runtime/params.js';
import type { Runtime } from '../runtime/runtime.js';
import { Workspace } from '../runtime/workspace.js';
import type { Tape } from './tape.js';

export interface BackwardInput {
  output?: Float32Array;    // dL/d output, same shape as output; default zeros
  h?: Float32Array;         // dL/d final h [L·D, B, H]; default zeros
  c?: Float32Array;         // dL/d final c (LSTM); default zeros
  /** Record diagnostics of memory (∂L/∂h_t for every t, gate statistics) in Gradients.diagnostics. */
  diagnostics?: boolean;
}

export interface Gradients {
  params: Record<string, Float32Array>;   // accumulated parameter gradients, PyTorch names
  input: Float32Array;                    // dL/d input, same shape as input
  h0: Float32Array;                       // dL/d h0 [L·D, B, H]
  c0?: Float32Array;                      // dL/d c0 (LSTM)
  diagnostics?: DirectionDiagnostics[];   // with diagnostics: true; one per layer-direction, index l·D + d
}

/** One layer-direction's backward: pointers into the forward workspace and the backward scratch. */
export interface DirectionBackward {
  layer: number; reverse: boolean;
  T: number; B: number; inputs: number;
  x: number;                    // layer input rows [T, B, inputs]
  y: number; ldy: number;       // this direction's saved outputs (h_t)
  gates: number;                // saved activations → dP
  saved: Record<string, number>;
  h0: number; c0: number;       // [B, H] initial state
  dy: number; lddy: number;     // upstream gradient of y, or 0
  dh: number; dc: number;       // [d, B, H] rings (d the layer's dilation): final-state gradient in
                                //   slot (T − 1) mod d → each slot's initial-state gradient out
  dx: number; accumulate: boolean;   // dx [T, B, inputs]: overwrite (first direction) or add
  dhseq: number; dcseq: number; // [T, B, H] receive ∂L/∂h_t and (LSTM) ∂L/∂c_t (diagnostics), or 0
  params: KernelPointers; grads: KernelPointers;
  scratch: Record<'whhT' | 'whnT' | 'wihT' | 'hprev' | 'dgh' | 'drh' | 'xT' | 'hT' | 'lg', number>;
}

/** What a training forward() of a recurrent layer returns: backward() once, or dispose(). */
export type RecurrentTape = Tape<BackwardInput, Gradients>;

export function recurrentBackward(layer: Recurrent, rt: Runtime, grads: Parameters,
                                  ws: Workspace<string>, shape: { T: number; B: number; transpose: boolean },
                                  upstream: BackwardInput): Gradients {
  const { T, B, transpose } = shape;
  const I = layer.inputSize, H = layer.hiddenSize, L = layer.numLayers, D = layer.numDirections;
  const G = layer.gateCount, Hp = padHidden(H), N = G * Hp;
  const rows = T * B, stateLength = L * D * B * H;
  const check = (name: string, a: Float32Array | undefined, n: number) => {
    if (a === undefined) return;
    if (!(a instanceof Float32Array) || a.length !== n) {
      throw new RecurShapeError(`tape.backward: ${name} should be a Float32Array of ${n} values, got ${a instanceof Float32Array ? a.length : typeof a}`);
    }
  };
  check('output', upstream.output, rows * D * H);
  check('h', upstream.h, stateLength);
  if (upstream.c !== undefined && !layer.hasCellState) throw new RecurShapeError('tape.backward: c is only for LSTM');
  check('c', upstream.c, stateLength);

  const widest = Math.max(I, D * H);
  const ring = Math.max(...layer.dilations) * B * H;
  const k = rt.kernels;
  const bw = new Workspace(rt, {
    dy: rows * D * H, dyT: transpose ? rows * D * H : 0,
    dxA: rows * widest, dxB: L > 1 ? rows * widest : 0, dxT: transpose ? rows * I : 0,
    dh: ring, dc: ring, lg: layer.leaky ? B * H : 0, dh0: stateLength, dc0: layer.hasCellState ? stateLength : 0,
    whhT: Math.ceil(H / 16) * 16 * N, whnT: Math.ceil(H / 16) * 16 * Hp,
    wihT: Math.ceil(widest / 16) * 16 * N, hprev: rows * H, dgh: G === 3 ? rows * N : 0, drh: B * H,
    xT: rows * widest, hT: rows * H, dhseq: upstream.diagnostics ? rows * H : 0,
    dcseq: upstream.diagnostics && layer.hasCellState ? rows * H : 0,
  });
  const diagnostics: DirectionDiagnostics[] = [];
  const cell = layer.type === 'rnn' && (layer as { nonlinearity?: string }).nonlinearity === 'relu' ? 'rnn-relu' : layer.type;
  try {
    let dy = 0;
    if (upstream.output) {
      if (transpose) {
        rt.f32(bw.at('dyT'), upstream.output.length).set(upstream.output);
        k.swapAxes01(bw.at('dyT'), B, T, D * H, bw.at('dy'));
      } else {
        rt.f32(bw.at('dy'), upstream.output.length).set(upstream.output);
      }
      dy = bw.at('dy');
    }
    const inputPtr = transpose ? ws.at('inputT') : ws.at('input');
    let dx = 0;
    for (let l = L - 1; l >= 0; l--) {
      const inputs = l === 0 ? I : D * H;
      dx = l % 2 === 0 ? bw.at('dxA') : bw.at('dxB');
      for (let d = 0; d < D; d++) {
        const s = (l * D + d) * B * H;
        // With a dilation d, the state gradient is a ring of d rows [B, H], as the forward's state.
        const dilation = layer.dilations[l], last = ((T - 1) % dilation) * B * H;
        const dh = rt.f32(bw.at('dh'), dilation * B * H).fill(0), dc = rt.f32(bw.at('dc'), dilation * B * H).fill(0);
        if (upstream.h) dh.set(upstream.h.subarray(s, s + B * H), last);
        if (upstream.c) dc.set(upstream.c.subarray(s, s + B * H), last);
        const y = ws.at(`y${l}`) + d * H * 4;
        k.previousRows(T, B, H, y, D * H, ws.at('h0') + s * 4, d, bw.at('hprev'), dilation);
        const saved: Record<string, number> = {};
        for (const key of Object.keys(layer.savedFloatsFor(T, B))) saved[key] = ws.at(`${key}.${l}.${d}`);
        // The saved gate activations, before the backward kernel turns them into gradients.
        const gates = upstream.diagnostics ? gateStatistics(cell, rt.f32(ws.at(`gates.${l}.${d}`), rows * N), rows, H, Hp) : undefined;
        layer.runDirectionBackward({
          layer: l, reverse: d === 1, T, B, inputs,
          x: l === 0 ? inputPtr : ws.at(`y${l - 1}`),
          y, ldy: D * H,
          gates: ws.at(`gates.${l}.${d}`), saved,
          h0: ws.at('h0') + s * 4, c0: layer.hasCellState ? ws.at('c0') + s * 4 : 0,
          dy: dy ? dy + d * H * 4 : 0, lddy: D * H,
          dh: bw.at('dh'), dc: bw.at('dc'), dx, accumulate: d > 0, dhseq: bw.at('dhseq'), dcseq: bw.at('dcseq'),
          params: layer.kernelPointers(l, d === 1),
          grads: layer.kernelPointers(l, d === 1, grads),
          scratch: {
            whhT: bw.at('whhT'), whnT: bw.at('whnT'), wihT: bw.at('wihT'), hprev: bw.at('hprev'),
            dgh: bw.at('dgh'), drh: bw.at('drh'), xT: bw.at('xT'), hT: bw.at('hT'), lg: bw.at('lg'),
          },
        });
        // Every chain through time starts from h0 (c0): its gradient is the sum over the ring.
        rt.f32(bw.at('dh0') + s * 4, B * H).set(ringSum(rt.f32(bw.at('dh'), dilation * B * H), B * H));
        if (layer.hasCellState) rt.f32(bw.at('dc0') + s * 4, B * H).set(ringSum(rt.f32(bw.at('dc'), dilation * B * H), B * H));
        if (gates) {
          const hiddenGrads = rt.read(bw.at('dhseq'), rows * H);
          const cellGrads = layer.hasCellState ? rt.read(bw.at('dcseq'), rows * H) : undefined;
          diagnostics[l * D + d] = {
            layer: l, reverse: d === 1, hiddenGrads, hiddenGradNorms: stepNorms(hiddenGrads, T), gates,
            ...(cellGrads ? { cellGrads, cellGradNorms: stepNorms(cellGrads, T) } : {}),
          };
        }
      }
      dy = dx;   // the gradient of this layer's input is the gradient of the layer below's output
    }
    let input = dx;
    if (transpose) { k.swapAxes01(dx, T, B, I, bw.at('dxT')); input = bw.at('dxT'); }
    return {
      get params() { return grads.dump(); },
      input: rt.read(input, rows * I),
      h0: rt.read(bw.at('dh0'), stateLength),
      ...(layer.hasCellState ? { c0: rt.read(bw.at('dc0'), stateLength) } : {}),
      ...(upstream.diagnostics ? { diagnostics } : {}),
    };
  } finally {
    bw.free();
  }
}

/** Σ over the rows [n] of a ring [d, n]: the ring itself for d = 1. */
function ringSum(ring: Float32Array, n: number): Float32Array {
  if (ring.length === n) return ring;
  const sum = new Float32Array(n);
  for (let at = 0; at < ring.length; at += n) for (let j = 0; j < n; j++) sum[j] += ring[at + j];
  return sum;
}

/**
 * The whole-sequence products after a cell's time loop: weight, bias and input gradients.
 *   dIn: input-side pre-activation gradients [T·B, N]; dRec: recurrent-side (LSTM/RNN: the same;
 *   GRU: its own), both with row stride N. withHidden: false when the cell does W_hh itself.
 */
export function sequenceGrads(rt: Runtime, r: DirectionBackward, H: number, N: number, dIn: number, dRec: number, withHidden = true): void {
  const k = rt.kernels;
  const rows = r.T * r.B;
  k.transpose(r.x, rows, r.inputs, r.inputs, r.scratch.xT);
  k.gemmWeightGrad(rows, N, r.inputs, r.scratch.xT, dIn, N, r.grads.wih);
  if (withHidden) {
    k.transpose(r.scratch.hprev, rows, H, H, r.scratch.hT);
    k.gemmWeightGrad(rows, N, H, r.scratch.hT, dRec, N, r.grads.whh);
  }
  if (r.grads.bih) k.addColumnSums(rows, N, dIn, N, r.grads.bih);
  if (r.grads.bhh) k.addColumnSums(rows, N, dRec, N, r.grads.bhh);
  k.transposePacked(r.params.wih, N, r.inputs, r.scratch.wihT);
  k.gemm(rows, r.inputs, N, dIn, N, r.scratch.wihT, 0, r.dx, r.inputs, r.accumulate ? 1 : 0);
}
