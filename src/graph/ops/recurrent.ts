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
import { cellAttributes, cellWeights, GATES, type CellType } from '../../onnx/recurrent.js';
import { constantInput, nodeError, required, WORK, type Op } from '../op.js';
import { sizeOf } from '../tensor.js';
import { WasmBlock } from '../wasm-block.js';

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
    const W = tensor(1, 'W'), R = tensor(2, 'R'), B = tensor(3, 'B'), P = type === 'lstm' ? tensor(7, 'P') : undefined;
    if (!W || !R) return fail('inputs W and R are required');
    ctx.reserve?.([W, R, B, P].reduce((n, t) => n + (t ? t.values.length : 0), 0));   // the layer's weights
    const weights = cellWeights(type, attrs, { W, R, B, P }, fail);
    const D = attrs.bidirectional ? 2 : 1, H = weights.hiddenSize, I = weights.inputSize;
    const [T, Bn] = attrs.batchMajor ? [x.dims[1], x.dims[0]] : [x.dims[0], x.dims[1]];
    if (x.dims[2] !== I) fail(`X has ${x.dims[2]} features; W expects ${I}`);
    if (T < 1 || Bn < 1) fail(`X [${x.dims.join(', ')}] has no time steps or no rows`);
    if (inputs[4]) {
      const lens = constantInput(node, inputs, 4, 'sequence_lens');
      if ([...lens.value.data].some((v) => v !== T)) fail(`sequence_lens must equal the sequence length ${T} for every row: recur runs every row to the same length`);
    }
    const stateDims = attrs.batchMajor ? [Bn, D, H] : [D, Bn, H];
    const yDims = attrs.batchMajor ? [Bn, T, D, H] : [T, D, Bn, H];
    try { sizeOf(yDims, 'Y'); } catch (err) { fail((err as Error).message); }   // before the buffers for it are allocated
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

    // Buffers in wasm memory for the layer kernel, time-major: x [T, B, I], y [T, B, D·H], h and c [D, B, H].
    const rt = ctx.rt!, S = D * Bn * H;
    const blocks: WasmBlock[] = [];
    const block = (n: number) => { const b = new WasmBlock(rt, n); blocks.push(b); return b; };
    let xb: WasmBlock, yb: WasmBlock, hb: WasmBlock, cb: WasmBlock | undefined, ws: WasmBlock;
    try {
      ctx.reserve?.(T * Bn * (I + D * H) + 2 * S + layer.layerWorkspaceFloats(T, Bn));
      xb = block(T * Bn * I); yb = block(T * Bn * D * H); hb = block(S);
      cb = type === 'lstm' ? block(S) : undefined;
      ws = block(layer.layerWorkspaceFloats(T, Bn));
    } catch (err) {
      for (const b of blocks) b.free();
      layer.dispose();
      throw err;
    }
    // [B, T, F] ↔ [T, B, F] (layout 1 inputs and outputs), and a state's [B, D, H] ↔ [D, B, H].
    const swap = (src: Float32Array, dst: Float32Array, A: number, Bk: number, F: number) => {
      for (let a = 0; a < A; a++) for (let b = 0; b < Bk; b++) dst.set(src.subarray((a * Bk + b) * F, (a * Bk + b + 1) * F), (b * A + a) * F);
    };
    const stateIn = (src: Float32Array | undefined, dst: Float32Array) => {
      if (!src) dst.fill(0);
      else if (attrs.batchMajor && D > 1) swap(src, dst, Bn, D, H);
      else dst.set(src);
    };
    const stateOut = (src: Float32Array, dst: Float32Array) => {
      if (attrs.batchMajor && D > 1) swap(src, dst, D, Bn, H); else dst.set(src);
    };
    return {
      work: T * Bn * D * H * (GATES[type] * (I + H) * WORK.gemm + 1),
      outputs: [{ type: 'float', dims: yDims }, { type: 'float', dims: stateDims }, ...(type === 'lstm' ? [{ type: 'float' as const, dims: stateDims }] : [])],
      run(ins, outs) {
        const X = ins[0]!.data as Float32Array;
        if (attrs.batchMajor && T > 1 && Bn > 1) swap(X, xb.view, Bn, T, I); else xb.view.set(X);
        stateIn(ins[5]?.data as Float32Array | undefined, hb.view);
        if (cb) stateIn(ins[6]?.data as Float32Array | undefined, cb.view);
        layer.runLayer(T, Bn, xb.ptr, yb.ptr, hb.ptr, cb ? cb.ptr : 0, ws.ptr);
        const Y = outs[0].data as Float32Array, y = yb.view;
        if (attrs.batchMajor) {                      // [T, B, D·H] → [B, T, D, H]
          if (T > 1 && Bn > 1) swap(y, Y, T, Bn, D * H); else Y.set(y);
        } else if (D === 1) Y.set(y);                // [T, B, H] is [T, 1, B, H]
        else {                                       // [T, B, D, H] → [T, D, B, H]
          for (let t = 0; t < T; t++) swap(y.subarray(t * Bn * D * H, (t + 1) * Bn * D * H), Y.subarray(t * D * Bn * H, (t + 1) * D * Bn * H), Bn, D, H);
        }
        if (outs[1]) stateOut(hb.view, outs[1].data as Float32Array);
        if (outs[2] && cb) stateOut(cb.view, outs[2].data as Float32Array);
      },
      dispose() {
        for (const b of blocks) b.free();
        layer.dispose();
      },
    };
  };
}

export const recurrentOps: Record<string, Op> = { LSTM: recurrentOp('lstm'), GRU: recurrentOp('gru'), RNN: recurrentOp('rnn') };
