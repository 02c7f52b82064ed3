// Conv's three paths agree: the matrix product on recur's GEMM (wide groups), the direct wasm
// kernel (depthwise and thin groups, four outputs at a time where no tap reads padding) and the
// plain JavaScript loops that fold constants without a runtime — on random 1-D geometries.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import '../../src/node/index.js';
import { init } from '../../src/runtime/runtime.js';
import { loadGraphKernels } from '../../src/graph/kernels.js';
import { convOps } from '../../src/graph/ops/conv.js';
import { evaluateNode } from '../../src/graph/op.js';
import type { OnnxAttribute, OnnxNode } from '../../src/onnx/onnx.js';
import { seededRandom } from '../../src/stream/sample.js';
import type { Tensor } from '../../src/graph/tensor.js';

const ints = (name: string, ints: number[]): [string, OnnxAttribute] => [name, { name, ints, floats: [], strings: [], other: false }];
const int = (name: string, i: number): [string, OnnxAttribute] => [name, { name, i, ints: [], floats: [], strings: [], other: false }];

function randomTensor(dims: number[], random: () => number): Tensor {
  return { type: 'float', dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1) };
}

describe('Conv 1-D: wasm paths equal the JavaScript loops', () => {
  it('on random geometries (groups, depthwise, stride, dilation, pads, bias)', async () => {
    const rt = await init();
    await loadGraphKernels(rt);
    const geometry = fc.record({
      N: fc.integer({ min: 1, max: 2 }), groups: fc.integer({ min: 1, max: 4 }), cg: fc.integer({ min: 1, max: 12 }),
      mg: fc.integer({ min: 1, max: 9 }), L: fc.integer({ min: 1, max: 40 }), K: fc.integer({ min: 1, max: 7 }),
      stride: fc.integer({ min: 1, max: 3 }), dilation: fc.integer({ min: 1, max: 3 }),
      pad0: fc.integer({ min: 0, max: 4 }), pad1: fc.integer({ min: 0, max: 4 }), bias: fc.boolean(), seed: fc.integer(),
    }).filter((g) => g.L + g.pad0 + g.pad1 >= g.dilation * (g.K - 1) + 1);
    let paths = { gemm: 0, direct: 0 };
    fc.assert(fc.property(geometry, (g) => {
      const C = g.groups * g.cg, M = g.groups * g.mg, random = seededRandom(g.seed);
      const node: OnnxNode = {
        name: 'conv', opType: 'Conv', domain: '', inputs: ['x', 'w', ...(g.bias ? ['b'] : [])], outputs: ['y'],
        attributes: new Map([int('group', g.groups), ints('strides', [g.stride]), ints('dilations', [g.dilation]), ints('pads', [g.pad0, g.pad1])]),
      };
      const x = randomTensor([g.N, C, g.L], random), w = randomTensor([M, g.cg, g.K], random);
      const inputs = [x, w, ...(g.bias ? [randomTensor([M], random)] : [])];
      const [wasm] = evaluateNode(convOps.Conv, node, inputs, { opset: 17, rt });
      const [js] = evaluateNode(convOps.Conv, node, inputs, { opset: 17 });
      expect(wasm.dims).toEqual(js.dims);
      const a = wasm.data as Float32Array, b = js.data as Float32Array;
      for (let i = 0; i < b.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(b[i])));
      if (g.mg >= 4 && g.cg * g.K >= 8) paths.gemm++; else paths.direct++;
    }), { numRuns: 400, seed: 14 });
    expect(paths.gemm).toBeGreaterThan(50);
    expect(paths.direct).toBeGreaterThan(50);
  });
});

/** Conv then Relu in MLAS's order, each step rounded to float32: Σ over c, k from 0, then the bias. */
function mlasConv(x: Float32Array, w: Float32Array, b: Float32Array | undefined, C: number, L: number, M: number, K: number,
                  stride: number, dilation: number, pad0: number, Lo: number, relu: boolean): Float32Array {
  const y = new Float32Array(M * Lo), f = Math.fround;
  for (let m = 0; m < M; m++) {
    for (let t = 0; t < Lo; t++) {
      let s = 0;
      for (let c = 0; c < C; c++) {
        for (let k = 0; k < K; k++) {
          const p = t * stride + k * dilation - pad0;
          s = f(s + f(w[(m * C + c) * K + k] * (p >= 0 && p < L ? x[c * L + p] : 0)));
        }
      }
      if (b) s = f(s + b[m]);
      y[m * Lo + t] = relu && s < 0 ? 0 : s;
    }
  }
  return y;
}

describe('Conv 1-D: one pass over the padded input (convPanels1d), in both builds', () => {
  it('equals the float32 sums in MLAS\'s order, multiplies and adds apart (+ bias, + Relu fused), bit for bit, padded taps skipped or not', async () => {
    const rt = await init();
    await loadGraphKernels(rt);
    const geometry = fc.record({
      C: fc.integer({ min: 1, max: 40 }), M: fc.integer({ min: 4, max: 70 }), L: fc.integer({ min: 1, max: 12 }),
      K: fc.integer({ min: 1, max: 5 }), stride: fc.integer({ min: 1, max: 3 }), dilation: fc.integer({ min: 1, max: 2 }),
      pad0: fc.integer({ min: 0, max: 3 }), pad1: fc.integer({ min: 0, max: 3 }), bias: fc.boolean(), relu: fc.boolean(),
      infinite: fc.boolean(), seed: fc.integer(),
    }).filter((g) => g.C * g.K >= 8 && g.L + g.pad0 + g.pad1 >= g.dilation * (g.K - 1) + 1);
    // Silero's shape of kernel (3 taps, 1 apart), whose frame pairs skip padded taps their own way.
    const three = geometry.map((g) => ({ ...g, K: 3, dilation: 1, C: Math.max(3, g.C) }))
      .filter((g) => g.L + g.pad0 + g.pad1 >= 3);
    type Geometry = typeof geometry extends fc.Arbitrary<infer G> ? G : never;
    const check = (g: Geometry) => {
      const random = seededRandom(g.seed);
      const node: OnnxNode = {
        name: 'conv', opType: 'Conv', domain: '', inputs: ['x', 'w', ...(g.bias ? ['b'] : [])], outputs: ['y'],
        attributes: new Map([ints('strides', [g.stride]), ints('dilations', [g.dilation]), ints('pads', [g.pad0, g.pad1])]),
      };
      const x = randomTensor([1, g.C, g.L], random), w = randomTensor([g.M, g.C, g.K], random);
      if (g.infinite) (w.data as Float32Array)[0] = Infinity;      // 0·∞ is NaN: padded taps then count
      const b = g.bias ? randomTensor([g.M], random) : undefined;
      const inputs = [x, w, ...(b ? [b] : [])];
      const kernel = convOps.Conv(node, inputs.map((t) => ({ type: t.type, dims: t.dims, value: t })), { opset: 17, rt });
      try {
        expect(kernel.fuseRelu).toBeDefined();
        if (g.relu) kernel.fuseRelu!();
        const Lo = kernel.outputs[0].dims[2];
        const out: Tensor = { type: 'float', dims: kernel.outputs[0].dims, data: new Float32Array(g.M * Lo) };
        kernel.run(inputs, [out]);
        const want = mlasConv(x.data as Float32Array, w.data as Float32Array, b?.data as Float32Array | undefined,
          g.C, g.L, g.M, g.K, g.stride, g.dilation, g.pad0, Lo, g.relu);
        expect(Array.from(out.data as Float32Array)).toEqual(Array.from(want));
      } finally {
        kernel.dispose?.();
      }
    };
    fc.assert(fc.property(geometry, check), { numRuns: 300, seed: 5 });
    fc.assert(fc.property(three, check), { numRuns: 300, seed: 6 });
  });
});

describe('Conv → Relu fused by the plan', () => {
  it('gives the bits of the Relu run apart (the Conv also an output: not fused), on both builds', async () => {
    const { encodeModel, node, attr, tensor, valueInfo, FLOAT } = await import('./onnx-builder.js');
    const { loadOnnxGraph } = await import('../../src/graph/index.js');
    const random = seededRandom(7);
    const C = 9, M = 20, K = 3, L = 6;
    const w = Float32Array.from({ length: M * C * K }, () => random() * 2 - 1), b = Float32Array.from({ length: M }, () => random() - 0.5);
    const model = (alsoConv: boolean) => encodeModel({ opset: 17, graph: {
      nodes: [node('Conv', ['x', 'w', 'b'], ['c'], [attr.ints('pads', [1, 1])]), node('Relu', ['c'], ['y'])],
      initializers: [tensor('w', FLOAT, [M, C, K], w), tensor('b', FLOAT, [M], b)],
      inputs: [valueInfo('x', FLOAT, [1, C, L])],
      outputs: [valueInfo('y', FLOAT), ...(alsoConv ? [valueInfo('c', FLOAT)] : [])],
    } });
    const fused = await loadOnnxGraph(model(false)), apart = await loadOnnxGraph(model(true));
    for (let i = 0; i < 5; i++) {
      const x = Float32Array.from({ length: C * L }, () => random() * 2 - 1);
      const a = fused.run({ x: { dims: [1, C, L], data: x } }).y.data, c = apart.run({ x: { dims: [1, C, L], data: x } });
      expect(Array.from(a)).toEqual(Array.from(c.y.data));
      expect(Array.from(c.c.data).some((v) => (v as number) < 0)).toBe(true);   // the Relu had work to do
    }
    fused.dispose();
    apart.dispose();
  });
});
