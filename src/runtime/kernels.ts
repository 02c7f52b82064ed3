// The kernel exports of build/recur.wasm (assembly/index.ts), as the host sees them (the graph
// runtime's, in recur-graph.wasm: src/graph/kernels.ts; the training ones, in recur-train.wasm:
// src/train/kernels.ts).
// Every pointer is a byte offset into `memory`; every size is an element count.

type Ptr = number;
/** Skip connections and leaky units (assembly/lstm.ts): dilation, fixed α (0: none), learned α's
 *  logits, [B, H] scratch, [T, B, H] h̃ kept for training (or 0). */
type LongMemory = [dilation: number, alpha: number, logits: Ptr, hprev: Ptr, hcseq: Ptr];
/** The backward's: dilation, α, logits, their gradient (or 0), the forward's h̃ (or 0). */
type LongMemoryGrad = [dilation: number, alpha: number, logits: Ptr, dlogits: Ptr, hcseq: Ptr];

export interface Kernels {
  memory: WebAssembly.Memory;
  heapBase(): Ptr;
  relaxedSimd(): number;
  gemm(M: number, N: number, K: number, a: Ptr, lda: number, bp: Ptr, bias: Ptr,
       c: Ptr, ldc: number, accumulate: number): void;
  gemvPair(N: number, K1: number, a1: Ptr, w1: Ptr, bias1: Ptr, K2: number, a2: Ptr, w2: Ptr, bias2: Ptr, c: Ptr): void;
  sigmoidArray(x: Ptr, y: Ptr, n: number): void;
  tanhArray(x: Ptr, y: Ptr, n: number): void;
  lstmForward(T: number, B: number, I: number, H: number, x: Ptr, ldx: number,
              wih: Ptr, whh: Ptr, sih: Ptr, shh: Ptr, bih: Ptr, bhh: Ptr, peep: Ptr,
              h: Ptr, c: Ptr, y: Ptr, ldy: number,
              gates: Ptr, chunk: number, cseq: Ptr, reverse: number, clip: number, ...memory: LongMemory): void;
  gruForward(T: number, B: number, I: number, H: number, x: Ptr, ldx: number,
             wih: Ptr, whh: Ptr, whn: Ptr, sih: Ptr, shh: Ptr, shn: Ptr, bih: Ptr, bhh: Ptr, lbr: number,
             h: Ptr, y: Ptr, ldy: number, gates: Ptr, chunk: number, gh: Ptr, rh: Ptr,
             hnseq: Ptr, rhseq: Ptr, reverse: number, clip: number, ...memory: LongMemory): void;
  rnnForward(T: number, B: number, I: number, H: number, x: Ptr, ldx: number,
             wih: Ptr, whh: Ptr, sih: Ptr, shh: Ptr, bih: Ptr, bhh: Ptr, relu: number,
             h: Ptr, y: Ptr, ldy: number, gates: Ptr, chunk: number, reverse: number, clip: number, ...memory: LongMemory): void;
  linearForward(M: number, K: number, N: number, x: Ptr, w: Ptr, scales: Ptr, bias: Ptr, y: Ptr): void;
  gemmQ8(M: number, N: number, K: number, a: Ptr, lda: number, wq: Ptr, scales: Ptr, bias: Ptr, c: Ptr, ldc: number, accumulate: number): void;
  embeddingForward(n: number, ids: Ptr, table: Ptr, dim: number, y: Ptr): void;
  swapAxes01(src: Ptr, A: number, B: number, F: number, dst: Ptr): void;
  runProgram(prog: Ptr, T: number, x: Ptr, y: Ptr): void;
  // Training
  gemmWeightGrad(R: number, N: number, K: number, xT: Ptr, dy: Ptr, lddy: number, dwp: Ptr): void;
  transpose(src: Ptr, R: number, C: number, ld: number, dst: Ptr): void;
  addColumnSums(R: number, N: number, dy: Ptr, lddy: number, db: Ptr): void;
  transposePacked(src: Ptr, N: number, K: number, dst: Ptr): void;
  packWeight(src: Ptr, G: number, H: number, K: number, dst: Ptr): void;
  fillUniform(dst: Ptr, n: number, state: number, bound: number): number;
  previousRows(T: number, B: number, F: number, y: Ptr, ldy: number, h0: Ptr, reverse: number, dst: Ptr, dilation: number): void;
  lstmBackward(T: number, B: number, H: number, gates: Ptr, cseq: Ptr, c0: Ptr, peep: Ptr, dpeep: Ptr,
               dy: Ptr, lddy: number, whhT: Ptr, dh: Ptr, dc: Ptr, reverse: number, dhseq: Ptr, dcseq: Ptr,
               ...memory: [...LongMemoryGrad, hprev: Ptr, lg: Ptr]): void;
  gruBackward(T: number, B: number, H: number, gates: Ptr, dgh: Ptr, hnseq: Ptr, hprev: Ptr, dy: Ptr, lddy: number,
              whhT: Ptr, whnT: Ptr, drh: Ptr, dh: Ptr, lbr: number, reverse: number, dhseq: Ptr, ...memory: [...LongMemoryGrad, lg: Ptr]): void;
  rnnBackward(T: number, B: number, H: number, gates: Ptr, relu: number, dy: Ptr, lddy: number,
              whhT: Ptr, dh: Ptr, reverse: number, dhseq: Ptr, ...memory: [...LongMemoryGrad, hprev: Ptr, lg: Ptr]): void;
  embeddingBackward(n: number, ids: Ptr, dy: Ptr, dim: number, dtable: Ptr): void;
  // Diagnostics of memory (assembly/diagnostics.ts); f64 results and work space.
  stateGradRows(B: number, H: number, dh: Ptr, dy: Ptr, lddy: number, out: Ptr): void;
  largestSingularValue(m: number, n: number, w: Ptr, maxIter: number, tol: number, work: Ptr): number;
  spectralRadius(n: number, w: Ptr, maxIter: number, tol: number, work: Ptr, out: Ptr): void;
  recurrentSpectra(G: number, H: number, w: Ptr, maxIter: number, tol: number, work: Ptr, out: Ptr): void;
  // The parameters' check (assembly/optim.ts): how many of n floats are NaN or ±Infinity. The
  // optimizers, clipping and losses are recur-train.wasm's: src/train/kernels.ts.
  countNonFinite(x: Ptr, n: number): number;
}
