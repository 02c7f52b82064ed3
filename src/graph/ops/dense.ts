// y[rows, N] = x[rows, K]·Wᵀ + b with a constant W [N, K]: the matrix product under Conv, MatMul
// and Gemm, run by recur's Linear kernel (weights packed in panels once, at compile time).
// x and y may live anywhere: what is not in the runtime's memory goes through scratch there.

import { Linear } from '../../layers/linear.js';
import type { OnnxNode } from '../../onnx/onnx.js';
import type { Runtime } from '../../runtime/runtime.js';
import { nodeError } from '../op.js';
import { addressIn, WasmBlock } from '../wasm-block.js';

export class Dense {
  private readonly linear: Linear;
  private readonly ptrs: { weight: number; bias: number; scales: number };
  private readonly x: WasmBlock;
  private readonly y: WasmBlock;

  /** weight [N, K] row-major (PyTorch's Linear layout), bias [N] or none; rows: the most run() is given. */
  constructor(private readonly rt: Runtime, node: OnnxNode, readonly N: number, readonly K: number,
              weight: Float32Array, bias: Float32Array | undefined, readonly rows: number) {
    this.linear = Linear.in(rt, { inFeatures: K, outFeatures: N, bias: bias !== undefined }, false);
    try {
      this.linear.loadStateDict(bias ? { weight, bias } : { weight });
    } catch (err) {
      this.linear.dispose();
      throw nodeError(node, `its weights cannot be used: ${(err as Error).message}`);
    }
    this.x = new WasmBlock(rt, rows * K);
    this.y = new WasmBlock(rt, rows * N);
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
    this.rt.kernels.linearForward(rows, this.K, this.N, xp, this.ptrs.weight, this.ptrs.scales, this.ptrs.bias, yp < 0 ? this.y.ptr : yp);
    if (yp < 0) y.set(this.y.view.subarray(0, rows * this.N));
  }

  /** y = x·Wᵀ + b with x [rows, K] and y [rows, N] at these addresses in wasm memory. */
  runAt(rows: number, x: number, y: number): void {
    this.rt.kernels.linearForward(rows, this.K, this.N, x, this.ptrs.weight, this.ptrs.scales, this.ptrs.bias, y);
  }

  /** Scratch addresses: x [rows, K] and y [rows, N]. */
  get inputAt(): number { return this.x.ptr; }
  get outputAt(): number { return this.y.ptr; }

  dispose(): void {
    this.linear.dispose();
    this.x.free();
    this.y.free();
  }
}
