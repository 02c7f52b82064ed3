// MatMul (numpy's matmul: batch axes broadcast, 1-D operands promoted) and Gemm
// (Y = α·A'·B' + β·C, A' = A or Aᵀ, B' = B or Bᵀ, C broadcast to [M, N]).
//
// With a constant 2-D right operand (the weights of a linear layer) both run on recur's GEMM
// (ops/dense.ts, weights packed once at compile time); anything else runs as plain loops.

import type { OnnxNode } from '../../onnx/onnx.js';
import { attrFloat, attrInt, nodeError, required, WORK, type Kernel, type Op, type ValueInfo } from '../op.js';
import { broadcastDims, broadcastStrides, sizeOf, stridesOf } from '../tensor.js';
import { Dense } from './dense.js';
import { checkedSize } from './shape.js';

function floatOperand(node: OnnxNode, inputs: (ValueInfo | undefined)[], k: number, role: string): ValueInfo {
  const v = required(node, inputs, k, role);
  if (v.type !== 'float') throw nodeError(node, `${role} is ${v.type}; recur multiplies float matrices only`);
  return v;
}

/** W [N, K] (Linear's layout) from a constant B [K, N]. */
function transposed(b: Float32Array, K: number, N: number): Float32Array {
  const w = new Float32Array(K * N);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) w[n * K + k] = b[k * N + n];
  return w;
}

// ---------------------------------------------------------------------------------------------
// MatMul

const matmul: Op = (node, inputs, ctx) => {
  const a = floatOperand(node, inputs, 0, 'A'), b = floatOperand(node, inputs, 1, 'B');
  if (!a.dims.length || !b.dims.length) throw nodeError(node, 'MatMul operands must have at least one dimension');
  // numpy: a 1-D A is a row [1, K] and a 1-D B a column [K, 1]; the added axes are dropped after.
  const aDims = a.dims.length === 1 ? [1, a.dims[0]] : a.dims, bDims = b.dims.length === 1 ? [b.dims[0], 1] : b.dims;
  const M = aDims[aDims.length - 2], K = aDims[aDims.length - 1], N = bDims[bDims.length - 1];
  if (bDims[bDims.length - 2] !== K) throw nodeError(node, `A [${a.dims.join(', ')}] and B [${b.dims.join(', ')}] do not multiply: ${K} ≠ ${bDims[bDims.length - 2]}`);
  const batch = broadcastDims(aDims.slice(0, -2), bDims.slice(0, -2));
  if (!batch) throw nodeError(node, `the batch axes of A [${a.dims.join(', ')}] and B [${b.dims.join(', ')}] do not broadcast`);
  const outDims = [...batch, ...(a.dims.length === 1 ? [] : [M]), ...(b.dims.length === 1 ? [] : [N])];
  const total = checkedSize(node, [...batch, M, N]);

  // A constant 2-D B shared by every row of A: one product over all of A's rows.
  if (b.value && b.dims.length === 2 && ctx.rt && K > 0 && N > 0) {
    const rows = sizeOf(aDims.slice(0, -1));
    ctx.reserve?.(N * K + rows * (K + N));
    const dense = new Dense(ctx.rt, node, N, K, transposed(b.value.data as Float32Array, K, N), undefined, rows);
    return {
      outputs: [{ type: 'float', dims: outDims }],
      work: rows * N * (K * WORK.gemm + 1),
      run(ins, outs) { dense.run(rows, ins[0]!.data as Float32Array, outs[0].data as Float32Array); },
      dispose() { dense.dispose(); },
    };
  }
  const count = total === 0 ? 0 : sizeOf(batch);          // an empty result may have a batch of any size
  const aStride = broadcastStrides(aDims.slice(0, -2), batch), bStride = broadcastStrides(bDims.slice(0, -2), batch);
  const batchStrides = stridesOf(batch);
  // Offsets of each batch's A and B matrices, in matrices.
  const aAt = new Int32Array(count), bAt = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let rest = i, ao = 0, bo = 0;
    for (let d = 0; d < batch.length; d++) {
      const idx = Math.floor(rest / batchStrides[d]);
      rest -= idx * batchStrides[d];
      ao += idx * aStride[d];
      bo += idx * bStride[d];
    }
    aAt[i] = ao * M * K;
    bAt[i] = bo * K * N;
  }
  return {
    outputs: [{ type: 'float', dims: outDims }],
    work: count * M * N * (K * WORK.loop + 1),
    run(ins, outs) {
      const A = ins[0]!.data as Float32Array, B = ins[1]!.data as Float32Array, Y = outs[0].data as Float32Array;
      for (let i = 0; i < count; i++) {
        const ao = aAt[i], bo = bAt[i], yo = i * M * N;
        for (let m = 0; m < M; m++) {
          for (let n = 0; n < N; n++) {
            let s = 0;
            for (let k = 0; k < K; k++) s += A[ao + m * K + k] * B[bo + k * N + n];
            Y[yo + m * N + n] = s;
          }
        }
      }
    },
  };
};

// ---------------------------------------------------------------------------------------------
// Gemm

const gemm: Op = (node, inputs, ctx) => {
  const a = floatOperand(node, inputs, 0, 'A'), b = floatOperand(node, inputs, 1, 'B');
  if (a.dims.length !== 2 || b.dims.length !== 2) throw nodeError(node, `A [${a.dims.join(', ')}] and B [${b.dims.join(', ')}] must be matrices`);
  const alpha = attrFloat(node, 'alpha', 1), beta = attrFloat(node, 'beta', 1);
  const transA = attrInt(node, 'transA', 0) !== 0, transB = attrInt(node, 'transB', 0) !== 0;
  const [M, K] = transA ? [a.dims[1], a.dims[0]] : a.dims;
  const [Kb, N] = transB ? [b.dims[1], b.dims[0]] : b.dims;
  if (K !== Kb) throw nodeError(node, `A' [${M}, ${K}] and B' [${Kb}, ${N}] do not multiply`);
  const c = inputs[2];
  if (c && c.type !== 'float') throw nodeError(node, `C is ${c.type}, expected float`);
  const cDims = c && broadcastDims(c.dims, [M, N]);
  if (c && (c.dims.length > 2 || !cDims || cDims[0] !== M || cDims[1] !== N)) {
    throw nodeError(node, `C [${c.dims.join(', ')}] does not broadcast to [${M}, ${N}]`);
  }
  checkedSize(node, [M, N]);
  const cStrides = c ? broadcastStrides(c.dims, [M, N]) : [0, 0];

  // A linear layer: constant B, α = 1, and a constant C that is one row (or absent) is its bias.
  const rowBias = c?.value && cStrides[0] === 0;
  if (ctx.rt && b.value && !transA && alpha === 1 && (!c || rowBias) && K > 0 && N > 0) {
    const Bv = b.value.data as Float32Array;
    const weight = transB ? Bv : transposed(Bv, K, N);
    let bias: Float32Array | undefined;
    if (c) {
      const C = c.value!.data as Float32Array;
      bias = new Float32Array(N);
      for (let n = 0; n < N; n++) bias[n] = beta * C[n * cStrides[1]];
    }
    ctx.reserve?.(N * (K + 1) + M * (K + N));
    const dense = new Dense(ctx.rt, node, N, K, weight, bias, M);
    return {
      outputs: [{ type: 'float', dims: [M, N] }],
      work: M * N * (K * WORK.gemm + 1),
      run(ins, outs) { dense.run(M, ins[0]!.data as Float32Array, outs[0].data as Float32Array); },
      dispose() { dense.dispose(); },
    };
  }
  return gemmLoops(M, N, K, transA, transB, alpha, beta, cStrides, c !== undefined);
};

function gemmLoops(M: number, N: number, K: number, transA: boolean, transB: boolean, alpha: number, beta: number,
                   cStrides: number[], hasC: boolean): Kernel {
  const [am, ak] = transA ? [1, M] : [K, 1], [bk, bn] = transB ? [1, K] : [N, 1];
  return {
    outputs: [{ type: 'float', dims: [M, N] }],
    work: M * N * (K * WORK.loop + 1),
    run(ins, outs) {
      const A = ins[0]!.data as Float32Array, B = ins[1]!.data as Float32Array, Y = outs[0].data as Float32Array;
      const C = hasC ? (ins[2]!.data as Float32Array) : undefined;
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += A[m * am + k * ak] * B[k * bk + n * bn];
          Y[m * N + n] = alpha * s + (C ? beta * C[m * cStrides[0] + n * cStrides[1]] : 0);
        }
      }
    },
  };
}

export const matmulOps: Record<string, Op> = { MatMul: matmul, Gemm: gemm };
