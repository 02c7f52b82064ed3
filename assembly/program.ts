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
//   Recurrent ops also: [20] dilation d [21] leak α (f32 bits, 0 for none) [22] leak logits
//   (learned α) or 0 [23] hprev scratch [B, H] (leaky units) [24] h ring [B, d·H] [25] c ring
//   (LSTM) [26] phase [B] (f32: the ring slot each row reads next). With d > 1 the op's h (and c)
//   words point at [B, H] step buffers: each row's slot is copied in before the step and out after
//   it, so the kernel runs as for d = 1 and every row keeps its own phase (streams of a group
//   start at different times). assembly/lstm.ts documents dilation and leak.

import { lstmForward } from './lstm';
import { gruForward } from './gru';
import { rnnForward } from './rnn';
import { matmul } from './matmul';
import { embeddingForward } from './linear';

export const HEADER_WORDS = 4;
export const OP_WORDS = 28;
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

// A row's ring slot from its phase; a phase that is not an integer in [0, d) (only a corrupt
// state could hold one, and the host refuses those) still lands inside the ring.
// @ts-ignore: decorator
@inline function slotOf(phase: usize, b: i32, dil: i32): usize {
  const p = <i32>load<f32>(phase + (<usize>b << 2)) % dil;
  return <usize>(p < 0 ? p + dil : p);
}

// Copies each row's slot of a ring [B, dil·H] into state [B, H] (out = 0) or back (out = 1).
function ringRows(B: i32, H: i32, dil: i32, ring: usize, phase: usize, state: usize, out: i32): void {
  const bytes = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const slot = ring + (<usize>b * dil + slotOf(phase, b, dil)) * bytes;
    const row = state + <usize>b * bytes;
    if (out) memory.copy(slot, row, bytes); else memory.copy(row, slot, bytes);
  }
}

// Before (after = 0) or after (after = 1) a recurrent op's step: with a dilation, move the rows'
// slots in or out of the step buffers, and advance each row's phase after the step.
function ring(op: usize, B: i32, H: i32, hWord: i32, cWord: i32, after: i32): void {
  const dil = word(op, 20);
  if (dil <= 1) return;
  const phase = <usize>word(op, 26);
  ringRows(B, H, dil, word(op, 24), phase, word(op, hWord), after);
  if (cWord) ringRows(B, H, dil, word(op, 25), phase, word(op, cWord), after);
  if (after) {
    for (let b = 0; b < B; b++) store<f32>(phase + (<usize>b << 2), <f32>((slotOf(phase, b, dil) + 1) % dil));
  }
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
        ring(op, B, H, 10, 11, 0);
        lstmForward(1, B, word(op, 3), H, src, word(op, 3), word(op, 5), word(op, 6), word(op, 13), word(op, 14),
                    word(op, 7), word(op, 8), word(op, 9), word(op, 10), word(op, 11), dst, H, word(op, 12), 1, 0, 0,
                    reinterpret<f32>(word(op, 15)), 1, reinterpret<f32>(word(op, 21)), word(op, 22), word(op, 23), 0);
        ring(op, B, H, 10, 11, 1);
      } else if (kind == OP_GRU) {
        const H = word(op, 4);
        ring(op, B, H, 11, 0, 0);
        gruForward(1, B, word(op, 3), H, src, word(op, 3), word(op, 5), word(op, 6), word(op, 7),
                   word(op, 15), word(op, 16), word(op, 17),
                   word(op, 8), word(op, 9), word(op, 10), word(op, 11), dst, H,
                   word(op, 12), 1, word(op, 13), word(op, 14), 0, 0, 0, reinterpret<f32>(word(op, 18)),
                   1, reinterpret<f32>(word(op, 21)), word(op, 22), word(op, 23), 0);
        ring(op, B, H, 11, 0, 1);
      } else if (kind == OP_RNN) {
        const H = word(op, 4);
        ring(op, B, H, 10, 0, 0);
        rnnForward(1, B, word(op, 3), H, src, word(op, 3), word(op, 5), word(op, 6), word(op, 12), word(op, 13),
                   word(op, 7), word(op, 8), word(op, 9), word(op, 10), dst, H, word(op, 11), 1, 0,
                   reinterpret<f32>(word(op, 14)), 1, reinterpret<f32>(word(op, 21)), word(op, 22), word(op, 23), 0);
        ring(op, B, H, 10, 0, 1);
      } else if (kind == OP_LINEAR) {
        matmul(B, word(op, 4), word(op, 3), src, word(op, 3), word(op, 5), word(op, 7), word(op, 6), dst, word(op, 4), 0);
      } else if (kind == OP_EMBEDDING) {
        embeddingForward(B, src, word(op, 4), word(op, 3), dst);
      }
    }
  }
}
