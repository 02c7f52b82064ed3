// ONNX's LSTM, GRU and RNN operators (onnx/docs/Operators.md, opsets 7–14) as PyTorch tensors.
//
//   ONNX                                         PyTorch / recur
//   W [D, G·H, I], gates LSTM i,o,f,c; GRU z,r,h  weight_ih_l{k}[_reverse] [G·H, I], LSTM i,f,g,o; GRU r,z,n
//   R [D, G·H, H]                                 weight_hh_l{k}[_reverse] [G·H, H]
//   B [D, 2·G·H] = [Wb | Rb]                      bias_ih = Wb, bias_hh = Rb (same gate reordering)
//   P [D, 3·H], LSTM peepholes i,o,f              weight_peephole_l{k} [3·H], order i,f,o
//   direction forward | bidirectional             D = 1 | 2 (direction 1 is PyTorch's _reverse)
//   linear_before_reset (GRU)                     linearBeforeReset (1 = PyTorch's GRU)
//   activations Relu (RNN)                        nonlinearity 'relu'
//   clip                                          clip (gate pre-activations clamped, inference only)
//
// What recur cannot do is refused with the attribute's name: direction 'reverse' alone (recur's
// layers run forward, or both ways), input_forget (coupled gates),
// activations other than the defaults (the kernels fuse σ and tanh).

export type CellType = 'lstm' | 'gru' | 'rnn';

export const GATES: Record<CellType, number> = { lstm: 4, gru: 3, rnn: 1 };

/** For each PyTorch gate block, the ONNX block it comes from. */
const GATE_ORDER: Record<CellType, number[]> = { lstm: [0, 2, 3, 1], gru: [1, 0, 2], rnn: [0] };
const PEEPHOLE_ORDER = [0, 2, 1];   // ONNX P is i, o, f; recur's weight_peephole is i, f, o

const DEFAULT_ACTIVATIONS: Record<CellType, string[]> = { lstm: ['sigmoid', 'tanh', 'tanh'], gru: ['sigmoid', 'tanh'], rnn: ['tanh'] };

const ATTRIBUTES: Record<CellType, string[]> = {
  lstm: ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'input_forget', 'layout'],
  gru: ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'layout', 'linear_before_reset'],
  rnn: ['activation_alpha', 'activation_beta', 'activations', 'clip', 'direction', 'hidden_size', 'layout'],
};

/** The attributes of one recurrent node, as recur options. */
export interface CellAttributes {
  hiddenSize?: number;
  bidirectional: boolean;
  /** ONNX layout 1: X is [batch, seq, input], Y [batch, seq, D, H], Y_h [batch, D, H]. */
  batchMajor: boolean;
  linearBeforeReset?: boolean;
  nonlinearity?: 'tanh' | 'relu';
  /** Cell clip: gate pre-activations clamped to [-clip, clip] (recur's clip option). */
  clip?: number;
}

interface Attr { i?: number; f?: number; s?: string; strings: string[]; floats: number[] }

/** Reads and checks a recurrent node's attributes; `fail` throws with the node named. */
export function cellAttributes(type: CellType, attributes: Map<string, Attr>, fail: (m: string) => never): CellAttributes {
  const unknown = [...attributes.keys()].filter((k) => !ATTRIBUTES[type].includes(k));
  if (unknown.length) fail(`unknown attribute${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
  const int = (name: string, fallback: number) => attributes.get(name)?.i ?? fallback;

  const direction = attributes.get('direction')?.s ?? 'forward';
  if (direction === 'reverse') {
    fail("direction 'reverse' (a backward-only layer) has no recur equivalent: recur's layers run forward or bidirectional");
  }
  if (direction !== 'forward' && direction !== 'bidirectional') fail(`direction must be forward, reverse or bidirectional, got '${direction}'`);
  const D = direction === 'bidirectional' ? 2 : 1;

  // Cell clip bounds the inputs of the gate activations (as onnxruntime does; not the cell state).
  // An infinite clip clamps nothing; NaN is a broken file (it used to be ignored silently).
  const clipValue = attributes.get('clip')?.f;
  if (clipValue !== undefined && Number.isNaN(clipValue)) fail('clip = NaN: the cell clip must be a positive number');
  const clip = clipValue !== undefined && Number.isFinite(clipValue) ? clipValue : undefined;
  if (clip !== undefined && !(clip > 0)) fail(`clip = ${clip}: the cell clip must be positive`);
  if (type === 'lstm' && int('input_forget', 0) !== 0) fail('input_forget = 1 (coupled input and forget gates) has no recur equivalent');
  const layout = int('layout', 0);
  if (layout !== 0 && layout !== 1) fail(`layout must be 0 or 1, got ${layout}`);

  const given = attributes.get('activations')?.strings;
  let nonlinearity: 'tanh' | 'relu' | undefined;
  if (given && given.length) {
    const per = DEFAULT_ACTIVATIONS[type].length;
    if (given.length !== per * D) fail(`activations lists ${given.length} functions; ${type.toUpperCase()} with ${D} direction${D > 1 ? 's' : ''} needs ${per * D}`);
    const lower = given.map((a) => a.toLowerCase());
    if (type === 'rnn') {
      if (lower.some((a) => a !== lower[0]) || (lower[0] !== 'tanh' && lower[0] !== 'relu')) {
        fail(`activations [${given.join(', ')}]: recur's RNN supports Tanh or Relu, the same in both directions`);
      }
      nonlinearity = lower[0] as 'tanh' | 'relu';
    } else {
      const wrong = lower.map((a, i) => (a === DEFAULT_ACTIVATIONS[type][i % per] ? '' : given[i])).filter(Boolean);
      if (wrong.length) {
        fail(`activations [${given.join(', ')}]: recur's ${type.toUpperCase()} supports only the defaults (${DEFAULT_ACTIVATIONS[type].join(', ')}); ${wrong.join(', ')} cannot be imported`);
      }
    }
  }
  const hidden = attributes.get('hidden_size')?.i;
  return {
    hiddenSize: hidden, bidirectional: D === 2, batchMajor: layout === 1,
    ...(type === 'gru' ? { linearBeforeReset: int('linear_before_reset', 0) !== 0 } : {}),
    ...(type === 'rnn' ? { nonlinearity: nonlinearity ?? 'tanh' } : {}),
    ...(clip !== undefined ? { clip } : {}),
  };
}

/** The PyTorch tensors of one ONNX node (one layer of a recur layer), by name without the layer suffix. */
export interface CellWeights {
  inputSize: number;
  hiddenSize: number;
  /** [direction][name] with name weight_ih, weight_hh, bias_ih?, bias_hh?, weight_peephole? */
  directions: Record<string, Float32Array>[];
}

export interface CellTensors {
  W: { dims: number[]; values: Float32Array };
  R: { dims: number[]; values: Float32Array };
  B?: { dims: number[]; values: Float32Array };
  P?: { dims: number[]; values: Float32Array };
}

/** Checks W, R, B, P against each other and the attributes, and reorders them into PyTorch's layout. */
export function cellWeights(type: CellType, attrs: CellAttributes, t: CellTensors, fail: (m: string) => never): CellWeights {
  const G = GATES[type], D = attrs.bidirectional ? 2 : 1;
  const shape = (name: string, dims: number[], want: number[]) => {
    if (dims.length !== want.length || dims.some((d, i) => d !== want[i])) {
      fail(`input ${name} is [${dims.join(', ')}], expected [${want.join(', ')}] (directions, ${G} gates × hidden, …)`);
    }
  };
  if (t.R.dims.length !== 3) fail(`input R must have 3 dimensions, got [${t.R.dims.join(', ')}]`);
  const H = attrs.hiddenSize ?? t.R.dims[2];
  if (!(H >= 1)) fail(`hidden_size must be positive, got ${H}`);
  if (t.W.dims.length !== 3) fail(`input W must have 3 dimensions, got [${t.W.dims.join(', ')}]`);
  const I = t.W.dims[2];
  if (!(I >= 1)) fail(`input W [${t.W.dims.join(', ')}] has no input features`);
  shape('W', t.W.dims, [D, G * H, I]);
  shape('R', t.R.dims, [D, G * H, H]);
  if (t.B) shape('B', t.B.dims, [D, 2 * G * H]);
  if (t.P) shape('P', t.P.dims, [D, 3 * H]);
  for (const [name, tensor] of Object.entries(t)) {
    if (!tensor) continue;
    const bad = tensor.values.findIndex((v: number) => !Number.isFinite(v));
    if (bad >= 0) fail(`input ${name} has a non-finite value (${tensor.values[bad]}) at index ${bad}`);
  }

  const order = GATE_ORDER[type];
  const directions: Record<string, Float32Array>[] = [];
  for (let d = 0; d < D; d++) {
    const w: Record<string, Float32Array> = {
      weight_ih: reorder(t.W.values, d * G * H * I, order, H * I),
      weight_hh: reorder(t.R.values, d * G * H * H, order, H * H),
    };
    if (t.B) {
      w.bias_ih = reorder(t.B.values, d * 2 * G * H, order, H);
      w.bias_hh = reorder(t.B.values, d * 2 * G * H + G * H, order, H);
    }
    if (t.P) w.weight_peephole = reorder(t.P.values, d * 3 * H, PEEPHOLE_ORDER, H);
    directions.push(w);
  }
  return { inputSize: I, hiddenSize: H, directions };
}

/** Blocks of `block` values starting at `offset`, taken in `order`. */
function reorder(src: Float32Array, offset: number, order: number[], block: number): Float32Array {
  const out = new Float32Array(order.length * block);
  order.forEach((from, k) => out.set(src.subarray(offset + from * block, offset + (from + 1) * block), k * block));
  return out;
}
