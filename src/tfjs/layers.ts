// Keras layers → recur layers: each supported Keras layer's options are checked against what
// recur computes, and its weights are mapped to PyTorch's names and layouts.
//
//   Keras (row-major, x · W)                     recur / PyTorch (W · x)
//   LSTM  kernel [I, 4H] gates i f c o           weight_ih [4H, I] gates i f g o (same order)
//         recurrent_kernel [H, 4H], bias [4H]    weight_hh [4H, H]; bias_ih = bias, bias_hh = 0
//   GRU   kernel [I, 3H] gates z r h             weight_ih [3H, I] gates r z n (z and r swap)
//         reset_after: bias [2, 3H]              bias_ih = bias[0], bias_hh = bias[1]; linearBeforeReset
//         reset_after false: bias [3H]           bias_ih = bias, bias_hh = 0; linearBeforeReset false
//   SimpleRNN kernel [I, H], recurrent [H, H]    weight_ih [H, I], weight_hh [H, H]
//   Dense kernel [in, out], bias [out]           weight [out, in], bias
//   Embedding embeddings [V, D]                  weight [V, D]
//
// Keras's GRU (Cho et al. 2014) computes h' = z ⊙ h + (1 − z) ⊙ ĥ and PyTorch's
// h' = (1 − z) ⊙ n + z ⊙ h: the same update, so only the gate blocks are reordered. With
// reset_after, ĥ = tanh(W_h x + b_ih + r ⊙ (U_h h + b_hh)), PyTorch's n exactly; without it,
// ĥ = tanh(W_h x + b + U_h (r ⊙ h)), recur's linearBeforeReset: false with bias_hh = 0.
// Keras is batch-first ([B, T, F]), so every recurrent layer is created with batchFirst: true.

import { RecurFormatError } from '../errors.js';
import type { LayerDescription } from '../model/sequential.js';
import { isObject, quoted, type KerasLayer } from './topology.js';
import { elementCount, type WeightSpec } from './weights.js';

/** A recur layer made from one Keras layer. */
export interface PlannedLayer {
  kerasName: string;
  description: LayerDescription;
  /** Its tensors under recur's names (`<layer>.weight_ih_l0`), from the decoded Keras weights. */
  stateDict(weights: Map<string, Float32Array>): Record<string, Float32Array>;
}

export interface Plan {
  layers: PlannedLayer[];
  lastStepOnly: boolean;
  droppedSoftmax: boolean;
}

/** Layers that do nothing at inference (Keras skips them when training is false). */
const IDENTITY = ['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout'];
const RECURRENT: Record<string, { type: 'lstm' | 'gru' | 'rnn'; gates: number }> = {
  LSTM: { type: 'lstm', gates: 4 }, GRU: { type: 'gru', gates: 3 }, SimpleRNN: { type: 'rnn', gates: 1 },
};
/** RECURRENT's entry for a class name, looked up as an own property: a class_name such as
 *  'toString' or 'constructor' must not find Object.prototype's members. */
const recurrentClass = (className: string) => (Object.hasOwn(RECURRENT, className) ? RECURRENT[className] : undefined);
const SUPPORTED = 'InputLayer, Embedding, LSTM, GRU, SimpleRNN, Bidirectional(LSTM|GRU|SimpleRNN), Dense, TimeDistributed(Dense), Activation(linear|softmax), Dropout and other inference no-ops';

const label = (l: KerasLayer) => `${l.className} '${l.name}'`;
const fail = (l: KerasLayer, message: string) => new RecurFormatError(`tfjs: ${label(l)}: ${message}`);

/** The wrapped layer of a Bidirectional or TimeDistributed. */
function inner(l: KerasLayer): KerasLayer {
  const w = l.config.layer;
  if (!isObject(w) || typeof w.class_name !== 'string') throw fail(l, 'has no wrapped layer config');
  return { className: w.class_name, name: w.config?.name ?? l.name, config: isObject(w.config) ? w.config : {} };
}

/** Whether recur can import the layer at all (checked for every layer first, to list them all). */
function supported(l: KerasLayer, first: boolean): boolean {
  if (l.className === 'InputLayer') return first;
  if (l.className === 'Bidirectional') return recurrentClass(inner(l).className) !== undefined;
  if (l.className === 'TimeDistributed') return inner(l).className === 'Dense';
  return ['Embedding', 'Dense', 'Activation', ...IDENTITY].includes(l.className) || recurrentClass(l.className) !== undefined;
}

function activationOf(l: KerasLayer): string {
  const a = l.config.activation ?? 'linear';
  return typeof a === 'string' ? a : (typeof a?.class_name === 'string' ? a.class_name : quoted(a)).toLowerCase();
}

export function planLayers(chain: KerasLayer[], specs: WeightSpec[], options: { dropSoftmax?: boolean }): Plan {
  const bad = chain.filter((l, i) => !supported(l, i === 0));
  if (bad.length) {
    const names = bad.map((l) => (['Bidirectional', 'TimeDistributed'].includes(l.className) ? `${l.className}(${inner(l).className}) '${l.name}'` : label(l)));
    throw new RecurFormatError(`tfjs: unsupported layer${bad.length > 1 ? 's' : ''} ${names.join(', ')}; recur imports ${SUPPORTED}`);
  }
  const weights = new WeightIndex(specs);
  const names = new Set<string>();
  const plan: Plan = { layers: [], lastStepOnly: false, droppedSoftmax: false };
  // The last layer that computes something: a softmax may be dropped only there.
  const isIdentity = (l: KerasLayer) => l.className === 'InputLayer' || IDENTITY.includes(l.className)
    || (l.className === 'Activation' && activationOf(l) === 'linear');
  let lastEffective = chain.length - 1;
  while (lastEffective > 0 && isIdentity(chain[lastEffective])) lastEffective--;
  const softmax = (l: KerasLayer, i: number) => {
    if (i === lastEffective && options.dropSoftmax) { plan.droppedSoftmax = true; return; }
    throw fail(l, i === lastEffective
      ? "ends in a softmax, which recur's layers do not compute; pass { dropSoftmax: true } to import the model without it (its outputs are then the logits: argmax is unchanged, apply softmax over the last axis for probabilities)"
      : 'has a softmax inside the model; recur can drop only a final softmax');
  };

  let features: number | undefined;     // features of the current [B, T, F] tensor, once known
  let lastRecurrent: KerasLayer | undefined;
  chain.forEach((l, i) => {
    const shape = l.config.batch_input_shape ?? l.config.batch_shape;
    if (features === undefined && Array.isArray(shape) && Number.isInteger(shape[shape.length - 1])) {
      features = shape[shape.length - 1];
    }
    if (isIdentity(l)) return;
    if (plan.lastStepOnly && (recurrentClass(l.className) || l.className === 'Bidirectional')) {
      throw fail(lastRecurrent!, `has return_sequences: false but recurrent layer '${l.name}' follows it; a recurrent layer inside the model must return sequences`);
    }
    if (l.className === 'Activation') {
      const activation = activationOf(l);
      if (activation !== 'softmax') throw fail(l, `is '${activation}'; recur has no activation layers (supported: linear, and a final softmax with dropSoftmax)`);
      softmax(l, i);
      return;
    }
    const name = uniqueName(l.name, names);
    let planned: PlannedLayer & { outputSize: number };
    if (l.className === 'Embedding') {
      if (plan.layers.length > 0) throw fail(l, 'must be the first layer (it takes token ids)');
      planned = embedding(l, name, weights);
    } else if (l.className === 'Dense' || l.className === 'TimeDistributed') {
      const dense = l.className === 'Dense' ? l : inner(l);
      const activation = activationOf(dense);
      if (activation === 'softmax') softmax(l, i);
      else if (activation !== 'linear') {
        throw fail(l, `has activation '${activation}'; recur's Linear has none (supported: linear, and a final softmax with dropSoftmax)`);
      }
      planned = dense_(l, dense, name, weights, features);
    } else {
      planned = recurrent(l, name, weights, features);
      lastRecurrent = l;
      if ((l.className === 'Bidirectional' ? inner(l) : l).config.return_sequences !== true) plan.lastStepOnly = true;
    }
    weights.checkAllTaken(l.name);
    features = planned.outputSize;
    plan.layers.push(planned);
  });
  if (plan.layers.length === 0) throw new RecurFormatError('tfjs: the model has no layers with weights');
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Layers

function recurrent(l: KerasLayer, name: string, weights: WeightIndex, features: number | undefined) {
  const wrapped = l.className === 'Bidirectional';
  const cell = wrapped ? inner(l) : l;
  const c = cell.config;
  const { type, gates: G } = recurrentClass(cell.className)!;   // supported() checked it
  const where = wrapped ? `Bidirectional(${cell.className}) '${l.name}'` : label(l);
  const reject = (message: string) => new RecurFormatError(`tfjs: ${where}: ${message}`);
  if (wrapped) {
    // merge_mode null makes Keras return the two directions as two outputs: not a chain.
    const merge = l.config.merge_mode === undefined ? 'concat' : l.config.merge_mode;
    if (merge !== 'concat') throw reject(`has merge_mode ${quoted(merge)}; recur's bidirectional layers concatenate (merge_mode 'concat')`);
    const back = l.config.backward_layer;
    if (isObject(back) && (back.class_name !== cell.className || back.config?.units !== c.units
        || ['activation', 'recurrent_activation', 'use_bias', 'reset_after'].some((k) => back.config?.[k] !== c[k]))) {
      throw reject('has a backward_layer that differs from the forward layer; recur runs one cell type and size in both directions');
    }
    if (c.return_sequences !== true) {
      throw reject("has return_sequences: false; Keras then concatenates the backward direction's final state (its step 0), which recur's per-step output does not hold; with return_sequences: true in the config, forward().states[name].h holds both final states ([2, batch, units], what Keras concatenates)");
    }
  }
  if (c.go_backwards === true) throw reject('has go_backwards: true; recur runs it only as the reverse direction of a Bidirectional');
  if (c.return_state === true) throw reject('has return_state: true; recur imports chains of single outputs (the states are in forward().states)');
  if (c.time_major === true) throw reject('has time_major: true; recur imports batch-first Keras layers');
  const activation = c.activation ?? 'tanh';
  if (type === 'rnn') {
    if (activation !== 'tanh' && activation !== 'relu') throw reject(`has activation ${quoted(activation)}; recur's RNN supports 'tanh' and 'relu'`);
  } else {
    if (activation !== 'tanh') throw reject(`has activation ${quoted(activation)}; recur's ${cell.className} uses 'tanh'`);
    // tfjs-layers writes its default (hard_sigmoid) into every config it saves.
    const gate = c.recurrent_activation ?? 'hard_sigmoid';
    if (gate === 'hard_sigmoid') {
      throw reject("has recurrent_activation 'hard_sigmoid' (the default of tfjs-layers and of Keras before 2.3); recur's gates use the logistic sigmoid, so its outputs would differ — build the model with recurrentActivation: 'sigmoid' (Keras 2.3+'s default) and retrain or fine-tune it");
    }
    if (gate !== 'sigmoid') throw reject(`has recurrent_activation ${quoted(gate)}; recur's gates use 'sigmoid'`);
  }
  const H = c.units;
  if (!Number.isInteger(H) || H < 1) throw reject(`units must be a positive integer, got ${quoted(H)}`);
  const bias = c.use_bias ?? true;
  const resetAfter = type === 'gru' && c.reset_after === true;
  // z r h → r z n for the GRU; LSTM and RNN keep their order.
  const order = type === 'gru' ? [1, 0, 2] : [...Array(G).keys()];

  const directions = wrapped ? (['forward', 'backward'] as const) : ([undefined] as const);
  const kernel0 = weights.find(l, 'kernel', directions[0]);
  const I = features ?? kernel0.shape[0];
  const tensors = directions.map((d) => ({
    suffix: d === 'backward' ? '_l0_reverse' : '_l0',
    kernel: weights.take(l, 'kernel', [I, G * H], d),
    recurrent: weights.take(l, 'recurrent_kernel', [H, G * H], d),
    bias: bias ? weights.take(l, 'bias', resetAfter ? [2, G * H] : [G * H], d) : undefined,
  }));
  const description = {
    name, type, inputSize: I, hiddenSize: H, numLayers: 1, bias, batchFirst: true, bidirectional: wrapped,
    ...(type === 'gru' ? { linearBeforeReset: resetAfter } : {}),
    ...(type === 'rnn' ? { nonlinearity: activation } : {}),
  } as LayerDescription;
  return {
    kerasName: l.name, description, outputSize: (wrapped ? 2 : 1) * H,
    stateDict(w: Map<string, Float32Array>) {
      const out: Record<string, Float32Array> = {};
      for (const t of tensors) {
        out[`${name}.weight_ih${t.suffix}`] = gateBlocks(transpose(w.get(t.kernel)!, I, G * H), H * I, order);
        out[`${name}.weight_hh${t.suffix}`] = gateBlocks(transpose(w.get(t.recurrent)!, H, G * H), H * H, order);
        if (t.bias) {
          const b = w.get(t.bias)!;
          out[`${name}.bias_ih${t.suffix}`] = gateBlocks(b.subarray(0, G * H), H, order);
          out[`${name}.bias_hh${t.suffix}`] = resetAfter ? gateBlocks(b.subarray(G * H), H, order) : new Float32Array(G * H);
        }
      }
      return out;
    },
  };
}

function dense_(l: KerasLayer, dense: KerasLayer, name: string, weights: WeightIndex, features: number | undefined) {
  const N = dense.config.units;
  if (!Number.isInteger(N) || N < 1) throw fail(l, `units must be a positive integer, got ${quoted(N)}`);
  const K = features ?? weights.find(l, 'kernel').shape[0];
  const bias = dense.config.use_bias ?? true;
  const kernel = weights.take(l, 'kernel', [K, N]);
  const biasName = bias ? weights.take(l, 'bias', [N]) : undefined;
  return {
    kerasName: l.name, outputSize: N,
    description: { name, type: 'linear', inFeatures: K, outFeatures: N, bias } as LayerDescription,
    stateDict: (w: Map<string, Float32Array>) => ({
      [`${name}.weight`]: transpose(w.get(kernel)!, K, N),
      ...(biasName ? { [`${name}.bias`]: w.get(biasName)! } : {}),
    }),
  };
}

function embedding(l: KerasLayer, name: string, weights: WeightIndex) {
  const { input_dim: V, output_dim: D } = l.config;
  if (!Number.isInteger(V) || V < 1 || !Number.isInteger(D) || D < 1) {
    throw fail(l, `input_dim and output_dim must be positive integers, got ${quoted(V)} and ${quoted(D)}`);
  }
  if (l.config.mask_zero === true) {
    throw fail(l, 'has mask_zero: true; Keras then skips the padded steps in the recurrent layers, which recur does not do');
  }
  const table = weights.take(l, 'embeddings', [V, D]);
  return {
    kerasName: l.name, outputSize: D,
    description: { name, type: 'embedding', numEmbeddings: V, embeddingDim: D } as LayerDescription,
    stateDict: (w: Map<string, Float32Array>) => ({ [`${name}.weight`]: w.get(table)! }),
  };
}

// ---------------------------------------------------------------------------------------------
// Weights by layer

/**
 * Finds a layer's weights in the manifest. tf.LayersModel.save() names them `<layer>/kernel`,
 * tensorflowjs_converter `<layer>/lstm_cell/kernel`; a Bidirectional's are
 * `<layer>/forward_<inner>/…` and `<layer>/backward_<inner>/…`. Names nested deeper under an
 * outer model (`sequential/<layer>/…`) are looked for only when no name starts with the layer's.
 */
class WeightIndex {
  private taken = new Set<string>();

  private readonly specs: WeightSpec[];

  constructor(specs: WeightSpec[]) {
    this.specs = specs.filter((s) => s.group !== 'optimizer');
  }

  /** Every weight stored under the layer, with its key (last name part) and direction. */
  private under(layer: string): { spec: WeightSpec; key: string; direction?: string }[] {
    const parts = this.specs.map((spec) => ({ spec, parts: spec.name.replace(/:\d+$/, '').split('/') }));
    let hits = parts.filter((p) => p.parts.length > 1 && p.parts[0] === layer).map((p) => ({ ...p, at: 0 }));
    if (hits.length === 0) {
      hits = parts.map((p) => ({ ...p, at: p.parts.slice(1, -1).indexOf(layer) + 1 })).filter((p) => p.at > 0);
    }
    return hits.map(({ spec, parts: n, at }) => {
      const sub = n.length > at + 2 ? n[at + 1] : '';
      const direction = sub.startsWith('forward_') ? 'forward' : sub.startsWith('backward_') ? 'backward' : undefined;
      return { spec, key: n[n.length - 1], direction };
    });
  }

  find(l: KerasLayer, key: string, direction?: string): WeightSpec {
    const all = this.under(l.name);
    const hits = all.filter((h) => h.key === key && h.direction === direction);
    const what = `${direction ? `${direction} ` : ''}${key}`;
    if (hits.length === 0) {
      throw fail(l, `the manifest has no ${what} weight (its weights: ${all.map((h) => h.spec.name).join(', ') || 'none'})`);
    }
    if (hits.length > 1) throw fail(l, `the manifest has ${hits.length} ${what} weights: ${hits.map((h) => h.spec.name).join(', ')}`);
    return hits[0].spec;
  }

  /** The manifest name of a weight, after checking its shape; each weight is taken once. */
  take(l: KerasLayer, key: string, shape: number[], direction?: string): string {
    const spec = this.find(l, key, direction);
    if (spec.shape.length !== shape.length || spec.shape.some((d, i) => d !== shape[i])) {
      throw fail(l, `weight '${spec.name}' has shape [${spec.shape}]; expected [${shape}]`
        + (spec.shape[0] !== shape[0] && elementCount(spec.shape) > 0 ? ' (does the layer take the previous layer\'s features?)' : ''));
    }
    if (spec.dtype !== 'float32') throw fail(l, `weight '${spec.name}' has dtype ${spec.dtype}; expected float32`);
    if (this.taken.has(spec.name)) throw fail(l, `weight '${spec.name}' belongs to two layers`);
    this.taken.add(spec.name);
    return spec.name;
  }

  /** A weight under the layer that nothing took means the layer computes more than recur would. */
  checkAllTaken(layer: string): void {
    const left = this.under(layer).filter((h) => !this.taken.has(h.spec.name));
    if (left.length) throw new RecurFormatError(`tfjs: layer '${layer}' has weights recur does not use: ${left.map((h) => h.spec.name).join(', ')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Layout

/** [rows, cols] → [cols, rows]. */
function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}

/** Gate blocks of `size` values in a new order: block k of the result is block order[k] of m. */
function gateBlocks(m: Float32Array, size: number, order: number[]): Float32Array {
  const out = new Float32Array(order.length * size);
  order.forEach((from, k) => out.set(m.subarray(from * size, (from + 1) * size), k * size));
  return out;
}

/** A recur layer name (an identifier, unique in the model) for a Keras layer name. */
function uniqueName(keras: string, taken: Set<string>): string {
  let base = keras.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(base)) base = `_${base}`;
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
  taken.add(name);
  return name;
}
