// Softmax and LogSoftmax (ONNX default domain, opsets 1–18).
//
// Opsets 1–12 coerce the input to 2D, [∏ dims[0..axis), ∏ dims[axis..rank)], and normalise each
// row (axis defaults to 1). Opset 13 normalises along the one axis (default −1) and leaves the
// others alone. Both are one loop here: `outer` blocks of `n` values `inner` apart, where the old
// semantics is simply inner = 1 and n = the product of the trailing dims.
//
// Each group is computed in double: the maximum is subtracted before exp, so large logits neither
// overflow nor lose the small ones.

import { attrInt, nodeError, normalizeAxis, required, type Op } from '../op.js';

function product(dims: readonly number[], from: number, to: number): number {
  let p = 1;
  for (let i = from; i < to; i++) p *= dims[i];
  return p;
}

/** Softmax (log = false) or LogSoftmax (log = true) of a float tensor; the output has its shape. */
function softmaxOp(log: boolean): Op {
  return (node, inputs, ctx) => {
    if (inputs.length !== 1) throw nodeError(node, `takes 1 input, got ${inputs.length}`);
    const x = required(node, inputs, 0, 'input');
    if (x.type !== 'float') throw nodeError(node, `input is ${x.type}, expected float`);
    const dims = x.dims, rank = dims.length;
    let outer: number, n: number, inner: number;
    if (ctx.opset >= 13) {
      const axis = normalizeAxis(node, attrInt(node, 'axis', -1), rank);
      outer = product(dims, 0, axis); n = dims[axis]; inner = product(dims, axis + 1, rank);
    } else {
      // The 2D coercion allows axis = rank (rows of one element) as well as the usual [−r, r).
      const raw = attrInt(node, 'axis', 1);
      const axis = raw === rank ? rank : normalizeAxis(node, raw, rank);
      outer = product(dims, 0, axis); n = product(dims, axis, rank); inner = 1;
    }
    return {
      outputs: [{ type: 'float', dims: [...dims] }],
      work: 4 * outer * n * inner,                     // three passes and an exp an element
      run(ins, outs) {
        const xs = ins[0]!.data, os = outs[0].data;
        if (n === 0) return;
        for (let o = 0; o < outer; o++) {
          for (let j = 0; j < inner; j++) {
            const start = o * n * inner + j, end = start + n * inner;
            let max = -Infinity;
            for (let k = start; k < end; k += inner) if (xs[k] > max) max = xs[k];
            let sum = 0;
            if (log) {
              for (let k = start; k < end; k += inner) sum += Math.exp(xs[k] - max);
              const shift = max + Math.log(sum);
              for (let k = start; k < end; k += inner) os[k] = xs[k] - shift;
            } else {
              for (let k = start; k < end; k += inner) { const e = Math.exp(xs[k] - max); os[k] = e; sum += e; }
              for (let k = start; k < end; k += inner) os[k] = os[k] / sum;
            }
          }
        }
      },
    };
  };
}

export const softmaxOps: Record<string, Op> = {
  Softmax: softmaxOp(false),
  LogSoftmax: softmaxOp(true),
};
