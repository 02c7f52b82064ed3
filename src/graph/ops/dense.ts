// y[rows, N] = x[rows, K]·Wᵀ + b with a constant W [N, K]: the matrix product under Conv, MatMul
// and Gemm, run by recur's Linear kernel (weights packed in panels once, at compile time).
// x and y may live anywhere: what is not in the runtime's memory goes through scratch there.
// Each sum runs over k in order from 0 and the bias is added after it, as onnxruntime's MLAS
// does: the same operations in the same order, so the same float32 bits but for FMA (a bias
// added first rounds each sum differently: Silero's encoder convolutions were a few ulps off).

import { Linear } from '../../layers/linear.js';
import type { OnnxNode } from '../../onnx/onnx.js';
import type { Runtime } from '../../runtime/runtime.js';
import { nodeError } from '../op.js';
import { graphKernels, type GraphKernels } from '../kernels.js';
import { addressIn, WasmBlock } from '../wasm-block.js';

export class Dense {
  private readonly linear: Linear;
  private readonly ptrs: { weight: number; bias: number; scales: number };
  private readonly x: WasmBlock;
  private readonly y: WasmBlock;
  private readonly bias?: WasmBlock;
  private readonly graph: GraphKernels;

  /** weight [N, K] row-major (PyTorch's Linear layout), bias [N] or none; rows: the most run() is given. */
  constructor(private readonly rt: Runtime, node: OnnxNode, readonly N: number, readonly K: number,
              weight: Float32Array, bias: Float32Array | undefined, readonly rows: number) {
    this.graph = graphKernels(rt);
    this.linear = Linear.in(rt, { inFeatures: K, outFeatures: N, bias: false }, false);
    const blocks: WasmBlock[] = [];
    try {
      this.linear.loadStateDict({ weight });
      if (bias) {
        if (bias.length !== N) throw new Error(`bias has ${bias.length} values, expected ${N}`);
        this.bias = new WasmBlock(rt, N);
        blocks.push(this.bias);
        this.bias.view.set(bias);
      }
      this.x = new WasmBlock(rt, rows * K);
      blocks.push(this.x);
      this.y = new WasmBlock(rt, rows * N);
    } catch (err) {
      this.linear.dispose();
      for (const b of blocks) b.free();
      throw nodeError(node, `its weights cannot be used: ${(err as Error).message}`);
    }
    this.ptrs = this.linear.kernelPointers();
  }

  /** Scratch for x that run() reads without a copy: fill it, then run(rows, xBlock.view, y). */
  get input(): Float32Array { return this.x.view; }
  /** Scratch that holds y after run() when y was not in wasm memory. */
  get output(): Float32Array { return this.y.view; }

  /** y = x·Wᵀ + b for `rows` rows; x [rows, K] and y [rows, N], each anywhere. */
  run(rows: number, x: Float32Array, y: Float32Array): void {
    let xp = addressIn(this.rt, x);
    if (xp < 0) { this.x.view.set(x.subarray(0, rows * this.K)); xp = this.x.ptr; }
    const yp = addressIn(this.rt, y);
    this.runAt(rows, xp, yp < 0 ? this.y.ptr : yp);
    if (yp < 0) y.set(this.y.view.subarray(0, rows * this.N));
  }

  /** y = x·Wᵀ + b with x [rows, K] and y [rows, N] at these addresses in wasm memory. */
  runAt(rows: number, x: number, y: number): void {
    const k = this.rt.kernels;
    k.linearForward(rows, this.K, this.N, x, this.ptrs.weight, this.ptrs.scales, 0, y);
    if (this.bias) this.graph.addRowBias(y, this.bias.ptr, rows, this.N);
  }

  /** Scratch addresses: x [rows, K] and y [rows, N]. */
  get inputAt(): number { return this.x.ptr; }
  get outputAt(): number { return this.y.ptr; }

  dispose(): void {
    this.linear.dispose();
    this.bias?.free();
    this.x.free();
    this.y.free();
  }
}
