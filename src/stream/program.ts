// A stack of layers compiled into the program that assembly/program.ts runs: one wasm call
// steps every layer for every row (stream) for T steps. The program owns, in one allocation,
// its header and op records, the buffers between layers, the gate workspaces and the recurrent
// state of `capacity` rows (h and c of every layer, row-major [capacity, H]).

import { RecurDisposedError, RecurOptionError } from '../errors.js';
import type { Embedding } from '../layers/embedding.js';
import type { GRU } from '../layers/gru.js';
import type { Linear } from '../layers/linear.js';
import type { LSTM } from '../layers/lstm.js';
import type { RNN } from '../layers/rnn.js';
import { padHidden } from '../runtime/pack.js';
import type { Runtime } from '../runtime/runtime.js';
import { Workspace } from '../runtime/workspace.js';

export type StreamLayer = LSTM | GRU | RNN | Linear | Embedding;

// Must match assembly/program.ts.
const HEADER_WORDS = 4;
const OP_WORDS = 28;
const OP = { lstm: 1, gru: 2, rnn: 3, linear: 4, embedding: 5 } as const;

/** One recurrent state tensor: rows of `rowFloats` floats at ptr, one row per stream. A phase
 *  (a dilated layer's ring slot) has `phases` d: its values are integers in [0, d). */
export interface StateTensor { name: string; ptr: number; rowFloats: number; phases?: number }

/** phase: a dilated layer's buffer of ring slots (its key) and the ring's length d. */
interface OpPlan { words: (buffers: Record<string, number>) => number[]; out: number; buffers: Record<string, number>; phase?: { key: string; d: number } }

export class StackProgram {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly inputIsIds: boolean;
  /** numEmbeddings when the input is token ids (ids must be below it), else 0. */
  readonly idLimit: number;
  readonly states: StateTensor[] = [];
  private readonly ws: Workspace<string>;
  private readonly layers: StreamLayer[];

  constructor(private readonly rt: Runtime, layers: { name: string; layer: StreamLayer }[], readonly capacity: number) {
    this.layers = layers.map((l) => l.layer);
    const plans: OpPlan[] = [];
    for (const { name, layer } of layers) plans.push(...planLayer(name, layer, capacity));
    const first = layers[0].layer;
    this.inputIsIds = first.type === 'embedding';
    this.idLimit = first.type === 'embedding' ? first.numEmbeddings : 0;
    this.inFeatures = this.inputIsIds ? 1 : first.type === 'linear' ? (first as Linear).inFeatures : (first as LSTM).inputSize;
    this.outFeatures = plans[plans.length - 1].out;

    // One block: program words, then every op's buffers (prefixed by op index), then states.
    const blocks: Record<string, number> = { program: HEADER_WORDS + plans.length * OP_WORDS };
    plans.forEach((p, i) => {
      for (const [key, floats] of Object.entries(p.buffers)) blocks[`${i}.${key}`] = floats;
      if (i < plans.length - 1) blocks[`${i}.out`] = capacity * p.out;
    });
    this.ws = new Workspace(rt, blocks);
    rt.f32(this.ws.ptr, this.ws.bytes / 4).fill(0);

    const words = rt.i32(this.ws.at('program'), blocks.program);
    words[0] = plans.length;
    words[1] = capacity;
    plans.forEach((p, i) => {
      const at = (key: string) => this.ws.at(`${i}.${key}`);
      const buffers = Object.fromEntries(Object.keys(p.buffers).map((k) => [k, at(k)]));
      const input = i === 0 ? 0 : this.ws.at(`${i - 1}.out`);
      const output = i === plans.length - 1 ? 0 : at('out');
      const record = p.words(buffers);
      record[1] = input;
      record[2] = output;
      words.set(record, HEADER_WORDS + i * OP_WORDS);
      for (const key of Object.keys(p.buffers)) {
        if (!key.startsWith('state:')) continue;
        this.states.push({ name: key.slice(6), ptr: at(key), rowFloats: p.buffers[key] / capacity, ...(key === p.phase?.key ? { phases: p.phase.d } : {}) });
      }
    });
  }

  /** Rows (streams) the next run() steps: the first `rows` rows of every state. */
  set rows(rows: number) { this.rt.i32(this.ws.at('program'), 2)[1] = rows; }

  /** T steps: x [T, rows, inFeatures] at xPtr (i32 ids for an embedding first) → y [T, rows, outFeatures]. */
  run(T: number, xPtr: number, yPtr: number): void {
    for (const layer of this.layers) {
      if (layer.isDisposed) throw new RecurDisposedError('stream: its model was disposed');
    }
    this.rt.kernels.runProgram(this.ws.at('program'), T, xPtr, yPtr);
  }

  dispose(): void { this.ws.free(); }
}

/** An f32 as the i32 word with its bits (the program's words are i32). */
const f32Bits = (x: number) => new Int32Array(Float32Array.of(x).buffer)[0];

/** The op records one layer contributes (one per layer of a stacked recurrent layer). */
function planLayer(name: string, layer: StreamLayer, capacity: number): OpPlan[] {
  const prefix = name ? `${name}.` : '';
  if (layer.type === 'linear') {
    const { weight, bias, scales } = layer.kernelPointers();
    return [{ out: layer.outFeatures, buffers: {}, words: () => [OP.linear, 0, 0, layer.inFeatures, layer.outFeatures, weight, bias, scales] }];
  }
  if (layer.type === 'embedding') {
    const { weight } = layer.kernelPointers();
    return [{ out: layer.embeddingDim, buffers: {}, words: () => [OP.embedding, 0, 0, layer.embeddingDim, weight] }];
  }
  if (layer.bidirectional) {
    throw new RecurOptionError(`stream: ${name || layer.type} is bidirectional, and a step cannot see the future steps its reverse direction needs`);
  }
  const H = layer.hiddenSize, Hp = padHidden(H);
  const clipBits = f32Bits(layer.clip ?? 0), leakBits = f32Bits(layer.fixedLeak);
  const plans: OpPlan[] = [];
  for (let l = 0; l < layer.numLayers; l++) {
    const I = l === 0 ? layer.inputSize : H;
    const p = layer.kernelPointers(l);
    const cell = layer.type === 'lstm';
    // With a dilation d, the state is a ring of d rows per stream and a phase; the kernel steps
    // [B, H] buffers that assembly/program.ts fills from the ring and empties into it.
    const d = layer.dilations[l];
    const h = `state:${prefix}h_l${l}`, c = `state:${prefix}c_l${l}`, phase = `state:${prefix}phase_l${l}`;
    const hs = d > 1 ? 'hstep' : h, cs = d > 1 ? 'cstep' : c;
    const buffers: Record<string, number> = {
      [h]: capacity * d * H, ...(cell ? { [c]: capacity * d * H } : {}),
      ...(d > 1 ? { [phase]: capacity, hstep: capacity * H, ...(cell ? { cstep: capacity * H } : {}) } : {}),
      ...(layer.leaky ? { hprev: capacity * H } : {}),
    };
    const memory = (b: Record<string, number>) => [d, leakBits, p.leak, b.hprev ?? 0, d > 1 ? b[h] : 0, d > 1 && cell ? b[c] : 0, d > 1 ? b[phase] : 0];
    const record = (words: number[], b: Record<string, number>) => [...words, ...new Array(20 - words.length).fill(0), ...memory(b)];
    const ring = d > 1 ? { phase: { key: phase, d } } : {};
    if (cell) {
      plans.push({ out: H, ...ring, buffers: { ...buffers, gates: capacity * 4 * Hp },
        words: (b) => record([OP.lstm, 0, 0, I, H, p.wih, p.whh, p.bih, p.bhh, p.peep, b[hs], b[cs], b.gates, p.sih, p.shh, clipBits], b) });
    } else if (layer.type === 'gru') {
      const lbr = layer.linearBeforeReset;
      plans.push({ out: H, ...ring, buffers: { ...buffers, gates: capacity * 3 * Hp, gh: capacity * 3 * Hp, rh: lbr ? 0 : capacity * H },
        words: (b) => record([OP.gru, 0, 0, I, H, p.wih, p.whh, p.whn, p.bih, p.bhh, lbr ? 1 : 0, b[hs], b.gates, b.gh, b.rh, p.sih, p.shh, p.shn, clipBits], b) });
    } else {
      const relu = layer.nonlinearity === 'relu';
      plans.push({ out: H, ...ring, buffers: { ...buffers, gates: capacity * Hp },
        words: (b) => record([OP.rnn, 0, 0, I, H, p.wih, p.whh, p.bih, p.bhh, relu ? 1 : 0, b[hs], b.gates, p.sih, p.shh, clipBits], b) });
    }
  }
  return plans;
}
