// Running a whole stack of layers for T steps in one call, so streaming costs one JS→wasm
// crossing per step (or per T steps), not one per layer. The host (src/stream/program.ts) writes
// the program once: a header and one fixed-size record of i32 words per layer, naming the
// kernel and its pointers. This file only reads it and calls the layer kernels; each recurrent
// op is the same lstmForward/gruForward/rnnForward a whole sequence uses, with T = 1, so a
// stream's outputs are bit-identical to forward() over the same steps.
//
// Header (words): [0] number of ops, [1] B = rows (streams) per step.
// Op record, OP_WORDS words, at word HEADER_WORDS + i·OP_WORDS:
//   [0] kind  [1] input ptr (0: the program input of step t)  [2] output ptr (0: program output)
//   LSTM:      [3] I [4] H [5] W_ih [6] W_hh [7] b_ih [8] b_hh [9] P [10] h [11] c [12] gates
//              [13] s_ih [14] s_hh
//   GRU:       [3] I [4] H [5] W_ih [6] W_hh(r,z | all) [7] W_hn [8] b_ih [9] b_hh [10] lbr
//              [11] h [12] gates [13] gh [14] rh [15] s_ih  (s_hh, s_hn follow in op word 16, 17)
//   RNN:       [3] I [4] H [5] W_ih [6] W_hh [7] b_ih [8] b_hh [9] relu [10] h [11] gates
//              [12] s_ih [13] s_hh
//   Linear:    [3] K [4] N [5] W [6] b [7] s
//   s_*: the int8 weight's row scales, 0 for f32 weights
//   clip (f32 bits, 0 for none): LSTM [15], GRU [18], RNN [14]
//   Embedding: [3] dim [4] table          (ids checked by the host)

import { lstmForward } from './lstm';
import { gruForward } from './gru';
import { rnnForward } from './rnn';
import { matmul } from './matmul';
import { embeddingForward } from './linear';

export const HEADER_WORDS = 4;
export const OP_WORDS = 20;
export const OP_LSTM = 1;
export const OP_GRU = 2;
export const OP_RNN = 3;
export const OP_LINEAR = 4;
export const OP_EMBEDDING = 5;

// @ts-ignore: decorator
@inline function word(op: usize, i: i32): i32 { return load<i32>(op + (<usize>i << 2)); }

// Features of an op's input and output rows (i32 ids count as one feature).
function inFeatures(op: usize): i32 {
  const kind = word(op, 0);
  return kind == OP_EMBEDDING ? 1 : word(op, 3);
}
function outFeatures(op: usize): i32 {
  const kind = word(op, 0);
  if (kind == OP_LINEAR) return word(op, 4);
  if (kind == OP_EMBEDDING) return word(op, 3);
  return word(op, 4);
}

// x: [T, B, F_in] program input (f32, or i32 ids for an embedding first); y: [T, B, F_out].
export function runProgram(prog: usize, T: i32, x: usize, y: usize): void {
  const ops = word(prog, 0);
  const B = word(prog, 1);
  const first = prog + (HEADER_WORDS << 2);
  const last = first + (<usize>(ops - 1) * OP_WORDS << 2);
  const xStep = <usize>B * inFeatures(first) << 2;
  const yStep = <usize>B * outFeatures(last) << 2;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < ops; i++) {
      const op = first + (<usize>i * OP_WORDS << 2);
      let src = <usize>word(op, 1);
      let dst = <usize>word(op, 2);
      if (!src) src = x + <usize>t * xStep;
      if (!dst) dst = y + <usize>t * yStep;
      const kind = word(op, 0);
      if (kind == OP_LSTM) {
        const H = word(op, 4);
        lstmForward(1, B, word(op, 3), H, src, word(op, 3), word(op, 5), word(op, 6), word(op, 13), word(op, 14),
                    word(op, 7), word(op, 8), word(op, 9), word(op, 10), word(op, 11), dst, H, word(op, 12), 1, 0, 0,
                    reinterpret<f32>(word(op, 15)));
      } else if (kind == OP_GRU) {
        const H = word(op, 4);
        gruForward(1, B, word(op, 3), H, src, word(op, 3), word(op, 5), word(op, 6), word(op, 7),
                   word(op, 15), word(op, 16), word(op, 17),
                   word(op, 8), word(op, 9), word(op, 10), word(op, 11), dst, H,
                   word(op, 12), 1, word(op, 13), word(op, 14), 0, 0, 0, reinterpret<f32>(word(op, 18)));
      } else if (kind == OP_RNN) {
        const H = word(op, 4);
        rnnForward(1, B, word(op, 3), H, src, word(op, 3), word(op, 5), word(op, 6), word(op, 12), word(op, 13),
                   word(op, 7), word(op, 8), word(op, 9), word(op, 10), dst, H, word(op, 11), 1, 0,
                   reinterpret<f32>(word(op, 14)));
      } else if (kind == OP_LINEAR) {
        matmul(B, word(op, 4), word(op, 3), src, word(op, 3), word(op, 5), word(op, 7), word(op, 6), dst, word(op, 4), 0);
      } else if (kind == OP_EMBEDDING) {
        embeddingForward(B, src, word(op, 4), word(op, 3), dst);
      }
    }
  }
}
