// The kernel exports of build/recur.wasm (assembly/index.ts), as the host sees them.
// Every pointer is a byte offset into `memory`; every size is an element count.

type Ptr = number;

export interface Kernels {
  memory: WebAssembly.Memory;
  heapBase(): Ptr;
  gemm(M: number, N: number, K: number, a: Ptr, lda: number, bp: Ptr, bias: Ptr,
       c: Ptr, ldc: number, accumulate: number): void;
  sigmoidArray(x: Ptr, y: Ptr, n: number): void;
  tanhArray(x: Ptr, y: Ptr, n: number): void;
  lstmForward(T: number, B: number, I: number, H: number, x: Ptr, ldx: number,
              wih: Ptr, whh: Ptr, bih: Ptr, bhh: Ptr, peep: Ptr,
              h: Ptr, c: Ptr, y: Ptr, ldy: number,
              gates: Ptr, chunk: number, cseq: Ptr, reverse: number): void;
  gruForward(T: number, B: number, I: number, H: number, x: Ptr, ldx: number,
             wih: Ptr, whh: Ptr, whn: Ptr, bih: Ptr, bhh: Ptr, lbr: number,
             h: Ptr, y: Ptr, ldy: number, gates: Ptr, chunk: number, gh: Ptr, rh: Ptr,
             hnseq: Ptr, rhseq: Ptr, reverse: number): void;
  rnnForward(T: number, B: number, I: number, H: number, x: Ptr, ldx: number,
             wih: Ptr, whh: Ptr, bih: Ptr, bhh: Ptr, relu: number,
             h: Ptr, y: Ptr, ldy: number, gates: Ptr, chunk: number, reverse: number): void;
  linearForward(M: number, K: number, N: number, x: Ptr, w: Ptr, bias: Ptr, y: Ptr): void;
  embeddingForward(n: number, ids: Ptr, table: Ptr, dim: number, y: Ptr): void;
  swapAxes01(src: Ptr, A: number, B: number, F: number, dst: Ptr): void;
  runProgram(prog: Ptr, T: number, x: Ptr, y: Ptr): void;
}
