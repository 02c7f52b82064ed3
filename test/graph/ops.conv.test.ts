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
