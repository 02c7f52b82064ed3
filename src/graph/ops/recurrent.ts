// ONNX's LSTM, GRU and RNN operators on recur's own layers (src/layers): the attributes and
// weights are read and reordered exactly as the Sequential importer does (src/onnx/recurrent.ts),
// so what that importer refuses (direction 'reverse' alone, input_forget, other activations) is
// refused here too, with the same messages.
//
//   X [T, B, I] (layout 0) or [B, T, I] (layout 1); initial_h / initial_c [D, B, H] or [B, D, H]
//   Y [T, D, B, H] or [B, T, D, H];                Y_h / Y_c [D, B, H] or [B, D, H]

import { GRU } from '../../layers/gru.js';
import { LSTM } from '../../layers/lstm.js';
import type { Recurrent } from '../../layers/recurrent.js';
import { RNN } from '../../layers/rnn.js';
import { cellAttributes, cellWeights, type CellType } from '../../onnx/recurrent.js';
import { constantInput, nodeError, required, type Op } from '../op.js';

function recurrentOp(type: CellType): Op {
  return (node, inputs, ctx) => {
    const fail = (m: string): never => { throw nodeError(node, m); };
    if (!ctx.rt) fail('a recurrent operator needs the wasm runtime');
    const attrs = cellAttributes(type, node.attributes, fail);
    const x = required(node, inputs, 0, 'X');
    if (x.type !== 'float' || x.dims.length !== 3) fail(`X is ${x.type} [${x.dims.join(', ')}], expected float [seq, batch, input]`);
    const tensor = (k: number, role: string) => {
      if (!inputs[k]) return undefined;
      const v = constantInput(node, inputs, k, role);
      if (v.type !== 'float') fail(`${role} is ${v.type}, expected float`);
      return { dims: v.dims, values: v.value.data as Float32Array };
    };
    const W = tensor(1, 'W'), R = tensor(2, 'R');
    if (!W || !R) return fail('inputs W and R are required');
    const weights = cellWeights(type, attrs, { W, R, B: tensor(3, 'B'), P: type === 'lstm' ? tensor(7, 'P') : undefined }, fail);
    const D = attrs.bidirectional ? 2 : 1, H = weights.hiddenSize, I = weights.inputSize;
    const [T, Bn] = attrs.batchMajor ? [x.dims[1], x.dims[0]] : [x.dims[0], x.dims[1]];
    if (x.dims[2] !== I) fail(`X has ${x.dims[2]} features; W expects ${I}`);
    if (T < 1 || Bn < 1) fail(`X [${x.dims.join(', ')}] has no time steps or no rows`);
    if (inputs[4]) {
      const lens = constantInput(node, inputs, 4, 'sequence_lens');
      if ([...lens.value.data].some((v) => v !== T)) fail(`sequence_lens must equal the sequence length ${T} for every row: recur runs every row to the same length`);
    }
    const stateDims = attrs.batchMajor ? [Bn, D, H] : [D, Bn, H];
    for (const [k, role] of [[5, 'initial_h'], [6, 'initial_c']] as const) {
      const s = inputs[k];
      if (s && (s.type !== 'float' || s.dims.join() !== stateDims.join())) fail(`${role} is [${s.dims.join(', ')}], expected [${stateDims.join(', ')}]`);
    }

    const options = { inputSize: I, hiddenSize: H, bidirectional: D === 2, batchFirst: attrs.batchMajor, bias: !!inputs[3], ...(attrs.clip ? { clip: attrs.clip } : {}) };
    const layer: Recurrent = type === 'lstm' ? LSTM.in(ctx.rt!, { ...options, peephole: !!inputs[7] }, false)
      : type === 'gru' ? GRU.in(ctx.rt!, { ...options, linearBeforeReset: attrs.linearBeforeReset }, false)
        : RNN.in(ctx.rt!, { ...options, nonlinearity: attrs.nonlinearity }, false);
    const dict: Record<string, Float32Array> = {};
    weights.directions.forEach((w, d) => { for (const [name, v] of Object.entries(w)) dict[`${name}_l0${d ? '_reverse' : ''}`] = v; });
    try {
      layer.loadStateDict(dict);
    } catch (err) {
      layer.dispose();
      throw nodeError(node, `its weights cannot be used: ${(err as Error).message}`);
    }

    const yDims = attrs.batchMajor ? [Bn, T, D, H] : [T, D, Bn, H];
    // State [D, B, H] ↔ the node's layout ([B, D, H] when batch-major).
    const h0 = new Float32Array(D * Bn * H), c0 = new Float32Array(D * Bn * H);
    const toLayer = (src: Float32Array, dst: Float32Array) => {
      if (!attrs.batchMajor || D === 1) { dst.set(src); return; }
      for (let b = 0; b < Bn; b++) for (let d = 0; d < D; d++) dst.set(src.subarray((b * D + d) * H, (b * D + d + 1) * H), (d * Bn + b) * H);
    };
    const fromLayer = (src: Float32Array, dst: Float32Array) => {
      if (!attrs.batchMajor || D === 1) { dst.set(src); return; }
      for (let d = 0; d < D; d++) for (let b = 0; b < Bn; b++) dst.set(src.subarray((d * Bn + b) * H, (d * Bn + b + 1) * H), (b * D + d) * H);
    };
    return {
      outputs: [{ type: 'float', dims: yDims }, { type: 'float', dims: stateDims }, ...(type === 'lstm' ? [{ type: 'float' as const, dims: stateDims }] : [])],
      run(ins, outs) {
        if (ins[5]) toLayer(ins[5].data as Float32Array, h0); else h0.fill(0);
        if (ins[6]) toLayer(ins[6].data as Float32Array, c0); else c0.fill(0);
        const r = layer.forward(ins[0]!.data as Float32Array, { seqLen: T, batch: Bn, h0, ...(type === 'lstm' ? { c0 } : {}) });
        const Y = outs[0].data as Float32Array;
        if (attrs.batchMajor || D === 1) Y.set(r.output);   // [B, T, D·H] is [B, T, D, H]; [T, B, H] is [T, 1, B, H]
        else {
          for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) for (let b = 0; b < Bn; b++) {
            Y.set(r.output.subarray((t * Bn + b) * D * H + d * H, (t * Bn + b) * D * H + (d + 1) * H), ((t * D + d) * Bn + b) * H);
          }
        }
        if (outs[1]) fromLayer(r.h, outs[1].data as Float32Array);
        if (outs[2] && r.c) fromLayer(r.c, outs[2].data as Float32Array);
      },
      dispose() { layer.dispose(); },
    };
  };
}

export const recurrentOps: Record<string, Op> = { LSTM: recurrentOp('lstm'), GRU: recurrentOp('gru'), RNN: recurrentOp('rnn') };
