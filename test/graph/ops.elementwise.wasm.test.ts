// The wasm elementwise kernels (assembly/elementwise.ts) give the same bits as the JavaScript
// loops they stand in for, on tensors in the runtime's memory as a plan holds them: every
// operator with a wasm path, full-size and one-value right-hand sides (and left-hand ones for
// + and ×, which run swapped), lengths around the four-wide blocks, and NaN, ±0, ±∞, subnormals
// and huge values among random ones.

import { describe, expect, it } from 'vitest';
import '../../src/node/index.js';
import { init } from '../../src/runtime/runtime.js';
import { loadGraphKernels } from '../../src/graph/kernels.js';
import { elementwiseOps } from '../../src/graph/ops/elementwise.js';
import { evaluateNode, type ValueInfo } from '../../src/graph/op.js';
import type { OnnxNode } from '../../src/onnx/onnx.js';
import type { Tensor } from '../../src/graph/tensor.js';
import { seededRandom } from '../../src/stream/sample.js';

const SPECIAL = [NaN, 0, -0, Infinity, -Infinity, 1e-40, -1e-40, 3e38, -3e38, 1, -1];
const node = (opType: string, inputs: string[]): OnnxNode => ({ name: opType.toLowerCase(), opType, domain: '', inputs, outputs: ['y'], attributes: new Map() });

function values(n: number, random: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => (random() < 0.15 ? SPECIAL[Math.floor(random() * SPECIAL.length)] : (random() * 2 - 1) * 10 ** (random() * 6 - 3)));
}

describe('elementwise ops in wasm equal the JavaScript loops, bit for bit', async () => {
  const rt = await init();
  await loadGraphKernels(rt);
  /** Float tensors viewing fresh wasm memory (all allocated first: growing memory detaches views). */
  const inWasm = (...tensors: { data: Float32Array; dims: number[] }[]): Tensor[] => {
    const ptrs = tensors.map((t) => rt.alloc(t.data.length * 4 + 4));
    return tensors.map((t, k) => {
      const view = new Float32Array(rt.memory.buffer, ptrs[k], t.data.length);
      view.set(t.data);
      return { type: 'float', dims: t.dims, data: view };
    });
  };
  const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));

  for (const [op, arity] of [['Add', 2], ['Sub', 2], ['Mul', 2], ['Div', 2], ['Relu', 1], ['Sqrt', 1], ['Neg', 1], ['Abs', 1], ['Pow', 2]] as const) {
    it(op, () => {
      const random = seededRandom(op.length * 7919);
      const sides = arity === 1 ? ['full'] : op === 'Add' || op === 'Mul' ? ['full', 'scalar B', 'scalar A'] : ['full', 'scalar B'];
      for (const n of [16, 17, 18, 19, 20, 100, 1001]) {
        for (const side of sides) {
          const scalarB = side === 'scalar B' || op === 'Pow', scalarA = side === 'scalar A';
          const a = values(scalarA ? 1 : n, random);
          const b = op === 'Pow' ? Float32Array.of(2) : values(scalarB ? 1 : n, random);
          const inputs: Tensor[] = [{ type: 'float', dims: scalarA ? [] : [n], data: a }, ...(arity === 2 ? [{ type: 'float' as const, dims: scalarB ? [] : [n], data: b }] : [])];
          const [expected] = evaluateNode(elementwiseOps[op], node(op, arity === 2 ? ['a', 'b'] : ['a']), inputs, { opset: 17 });
          // The plan's view: the full-size inputs in wasm memory, the output too; a one-value side is a constant.
          const infos: ValueInfo[] = inputs.map((t, k) => ({ type: 'float', dims: t.dims, ...((k === 1 && scalarB) || (k === 0 && scalarA) ? { value: t } : {}) }));
          const kernel = elementwiseOps[op](node(op, arity === 2 ? ['a', 'b'] : ['a']), infos, { opset: 17, rt });
          const live = inputs.filter((_, k) => !infos[k].value);
          const [out, ...views] = inWasm({ data: new Float32Array(n), dims: [n] }, ...live.map((t) => ({ data: t.data as Float32Array, dims: t.dims })));
          const ins = inputs.map((t, k) => (infos[k].value ? t : views[live.indexOf(t)]));
          kernel.run(ins, [out]);
          expect(bits(out.data as Float32Array), `${op} n=${n} ${side}`).toEqual(bits(expected.data as Float32Array));
          kernel.dispose?.();
        }
      }
    });
  }
});
