// Recurrent nodes grouped into multi-layer modules by data flow (src/onnx/grouping.ts), not by
// node names: torch.onnx.export files (test/fixtures/onnx/make_onnx_fixtures.py, torch 1.13,
// some post-processed with python onnx) whose names do not say which nodes belong together —
// a module exported as the root ('/RNN', '/RNN_1'), torch ≤ 1.12's unscoped 'LSTM_245' — and
// states read out of one input with Gather, and a one-step model whose input [batch, features]
// is unsqueezed to [1, batch, features]. Each imports as a Sequential ({ as: 'layers' }) with the
// expected layers, matches torch within 1e-5, and the graph runtime and onnxruntime agree with
// torch on the same (post-processed) file.

import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { convertOnnx, importOnnx, type OnnxSequential } from '../../src/onnx/index.js';
import '../../src/node/index.js';
import { relativeError } from '../helpers.js';
import { encodeModel, fixture, fixtureJson, jsonTensor, runAsGraph, type Feed, type NodeSpec, type TensorSpec } from './helpers.js';

const TOLERANCE = 1e-5;

interface Case {
  layers: object[];
  /** model.onnx.initialStates */
  states?: object[];
  /** model.onnx.outputs, as 'output' or 'layer.state[from,to]' */
  outputs: string[];
  /** The module's state_dict() name → recur's ('lstm.weight_ih_l0' → 'rnn0.weight_ih_l0'). */
  rename?: (key: string) => string;
  input?: object;
}

const lstm = (name: string, inputSize: number, hiddenSize: number, numLayers: number) =>
  ({ name, type: 'lstm', inputSize, hiddenSize, numLayers, bias: true, batchFirst: false, bidirectional: false, peephole: false });
const rnnRelu = { name: 'rnn0', type: 'rnn', inputSize: 4, hiddenSize: 5, numLayers: 2, bias: false, batchFirst: false, bidirectional: false, nonlinearity: 'relu' };

const CASES: Record<string, Case> = {
  // Root-module export: '/RNN', '/RNN_1'; h0 sliced per layer and h_n concatenated.
  rnn_root_relu_nobias: {
    layers: [rnnRelu],
    states: [{ input: 'h0', layer: 'rnn0', state: 'h' }],
    outputs: ['output', 'rnn0.h[0,2]'],
    rename: (k) => `rnn0.${k}`,
  },
  // The same without initial states: only the Concat of h_n links the two nodes.
  rnn_root_hn_concat: {
    layers: [rnnRelu],
    outputs: ['output', 'rnn0.h[0,2]'],
    rename: (k) => `rnn0.${k}`,
  },
  // torch ≤ 1.12 names: 'LSTM_286', 'LSTM_310', 'onnx::LSTM_245'; only the zeros both layers'
  // states are sliced from (one ConstantOfShape [2, B, 6]) link them.
  lstm2_unscoped: {
    layers: [lstm('rnn0', 4, 6, 2), { name: 'head', type: 'linear', inFeatures: 6, outFeatures: 3, bias: true }],
    outputs: ['output'],
    rename: (k) => k.replace(/^lstm\./, 'rnn0.'),
  },
  // Two single-layer modules of the same kind, unscoped: each has its own zeros, so two layers.
  two_lstms_unscoped: {
    layers: [lstm('rnn0', 4, 6, 1), lstm('rnn1', 6, 6, 1)],
    outputs: ['output'],
    rename: (k) => k.replace(/^first\./, 'rnn0.').replace(/^second\./, 'rnn1.'),
  },
  // Each layer's h0 is Unsqueeze(Gather(state, l, axis 0)) of one input state [2, B, 6].
  gru_packed_state_gather: {
    layers: [{ name: 'rnn0', type: 'gru', inputSize: 4, hiddenSize: 6, numLayers: 2, bias: true, batchFirst: false, bidirectional: false, linearBeforeReset: true }],
    states: [{ input: 'state', layer: 'rnn0', state: 'h' }],
    outputs: ['output', 'rnn0.h[0,2]'],
    rename: (k) => `rnn0.${k}`,
  },
  // h0 = state[0], c0 = state[1] of one input [2, B, 5] (Silero-style): rows of the input.
  lstm_packed_hc_gather: {
    layers: [lstm('lstm', 4, 5, 1)],
    states: [{ input: 'state', layer: 'lstm', state: 'h', rows: [0, 1] }, { input: 'state', layer: 'lstm', state: 'c', rows: [1, 2] }],
    outputs: ['output', 'lstm.h[0,1]', 'lstm.c[0,1]'],
  },
  // x [B, 4] unsqueezed to [1, B, 4]: one time step, then a head on y.squeeze(0).
  lstm_step_unsqueeze: {
    layers: [lstm('lstm', 4, 6, 1), { name: 'head', type: 'linear', inFeatures: 6, outFeatures: 3, bias: true }],
    states: [{ input: 'h0', layer: 'lstm', state: 'h' }, { input: 'c0', layer: 'lstm', state: 'c' }],
    outputs: ['output', 'lstm.h[0,1]', 'lstm.c[0,1]'],
    input: { name: 'x', ids: false, axes: ['batch', 'features'] },
  },
};

function feedsOf(json: any): Record<string, Feed> {
  return Object.fromEntries(Object.entries<any>(json.inputs).map(([name, t]) => [name, jsonTensor(t)]));
}

describe('recurrent nodes grouped by data flow', () => {
  it.each(Object.keys(CASES))('%s imports as the expected layers and matches torch', async (name) => {
    const c = CASES[name];
    const json = fixtureJson(`torch/${name}.json`);
    const model: OnnxSequential = await importOnnx(fixture(`torch/${name}.onnx`), { as: 'layers' });
    try {
      expect(model.toJSON().layers).toEqual(c.layers);
      expect(model.onnx.initialStates).toEqual(c.states ?? []);
      expect(model.onnx.outputs.map((o) => (o.from === 'state' ? `${o.layer}.${o.state}[${o.rows}]` : 'output'))).toEqual(c.outputs);
      if (c.input) expect(model.onnx.input).toEqual(c.input);
      expect(Object.keys(model.stateDict())).toEqual(json.state_dict.map(c.rename ?? ((k: string) => k)));
      const results = runAsGraph(model, feedsOf(json));
      for (const [output, t] of Object.entries<any>(json.outputs)) {
        expect(relativeError(results[output], jsonTensor(t).data), `${name} output ${output}`).toBeLessThanOrEqual(TOLERANCE);
      }
    } finally {
      model.dispose();
    }
  });

  it.each(Object.keys(CASES))('%s: the graph runtime agrees with torch on the same file', async (name) => {
    const json = fixtureJson(`torch/${name}.json`);
    const model = await importOnnx(fixture(`torch/${name}.onnx`), { as: 'graph' });
    try {
      const results = model.run(feedsOf(json));
      for (const [output, t] of Object.entries<any>(json.outputs)) {
        expect(relativeError(results[output].data as Float32Array, jsonTensor(t).data), `${name} output ${output}`).toBeLessThanOrEqual(TOLERANCE);
      }
    } finally {
      model.dispose();
    }
  });

  it.each(Object.keys(CASES))('%s: onnxruntime agrees with torch on the same (post-processed) file', async (name) => {
    const json = fixtureJson(`torch/${name}.json`);
    const session = await ort.InferenceSession.create(fixture(`torch/${name}.onnx`));
    const feeds = Object.fromEntries(Object.entries(feedsOf(json)).map(([k, t]) => [k, new ort.Tensor('float32', t.data as Float32Array, t.dims)]));
    const results = await session.run(feeds);
    for (const [output, t] of Object.entries<any>(json.outputs)) {
      expect(relativeError(results[output].data as Float32Array, jsonTensor(t).data), `${name} output ${output}`).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('imports them as a Sequential by default too (not the graph runtime)', async () => {
    for (const name of Object.keys(CASES)) {
      const model = await importOnnx(fixture(`torch/${name}.onnx`));
      expect('onnx' in model && 'forward' in model, name).toBe(true);
      model.dispose();
    }
  });

  it('streams the one-step model: each step() is one run of the graph, its state carried over', async () => {
    const json = fixtureJson('torch/lstm_step_unsqueeze.json');
    const model = await importOnnx(fixture('torch/lstm_step_unsqueeze.onnx'), { as: 'layers' });
    const graph = await importOnnx(fixture('torch/lstm_step_unsqueeze.onnx'), { as: 'graph' });
    try {
      const x0 = feedsOf(json).x, B = x0.dims[0], H = 6;
      const stream = model.stream({ batch: B });
      let h = new Float32Array(B * H), c = new Float32Array(B * H);
      for (let t = 0; t < 4; t++) {
        const x = (x0.data as Float32Array).map((v, i) => v * (t + 1) - 0.1 * (i % 3));
        const ours = stream.step(x);
        const theirs = graph.run({ x: { dims: [B, 4], data: x }, h0: { dims: [1, B, H], data: h }, c0: { dims: [1, B, H], data: c } });
        expect(relativeError(ours, theirs.logits.data as Float32Array), `step ${t}`).toBeLessThanOrEqual(TOLERANCE);
        [h, c] = [theirs.hn.data as Float32Array, theirs.cn.data as Float32Array];
      }
    } finally {
      model.dispose();
      graph.dispose();
    }
  });
});

// Hand-made graphs of two RNN nodes (x [T, B, 3] → RNN(3→2) → Squeeze → RNN(2→2) → Squeeze),
// varying only what links the two nodes: names, initial states, a Concat of their final states.
describe('grouping decisions on hand-made graphs', () => {
  const H = 2;
  const values = (n: number, k: number) => Array.from({ length: n }, (_, i) => 0.1 * ((i * 7 + k) % 9) - 0.4);
  const initializers: TensorSpec[] = [
    { name: 'W0', dims: [1, H, 3], data: values(H * 3, 1) }, { name: 'R0', dims: [1, H, H], data: values(H * H, 2) },
    { name: 'W1', dims: [1, H, H], data: values(H * H, 3) }, { name: 'R1', dims: [1, H, H], data: values(H * H, 4) },
    { name: 'axes1', dims: [1], data: [1], int64: true }, { name: 'axes0', dims: [1], data: [0], int64: true },
    { name: 'zero', dims: [], data: [0], int64: true }, { name: 'one', dims: [], data: [1], int64: true },
  ];
  /** The two RNN nodes with initial states h0 / h1 ('' for none) and optional extra nodes, outputs. */
  function graph(o: { h0?: string; h1?: string; names?: [string, string]; extra?: NodeSpec[]; inputs?: [string, (number | string)[]][]; outputs?: string[] }) {
    return encodeModel({
      nodes: [
        ...(o.extra ?? []),
        { op: 'RNN', name: o.names?.[0], inputs: ['x', 'W0', 'R0', '', '', o.h0 ?? ''], outputs: ['y0', 'hn0'], attrs: { hidden_size: H } },
        { op: 'Squeeze', inputs: ['y0', 'axes1'], outputs: ['x1'] },
        { op: 'RNN', name: o.names?.[1], inputs: ['x1', 'W1', 'R1', '', '', o.h1 ?? ''], outputs: ['y1', 'hn1'], attrs: { hidden_size: H } },
        { op: 'Squeeze', inputs: ['y1', 'axes1'], outputs: ['out'] },
        { op: 'Concat', inputs: ['hn0', 'hn1'], outputs: ['hn'], attrs: { axis: 0 } },
        { op: 'Squeeze', inputs: ['y0', 'axes1'], outputs: ['inner'] },
      ],
      initializers,
      inputs: [['x', ['T', 'B', 3]], ...(o.inputs ?? [])],
      outputs: o.outputs ?? ['out'],
    });
  }
  const layers = (bytes: Uint8Array) => convertOnnx(bytes).architecture.layers.map((l) => `${l.name}×${(l as { numLayers: number }).numLayers}`);
  /** Unsqueeze(Gather(input, row)) as `${input}_${row}`. */
  const row = (input: string, index: 'zero' | 'one'): NodeSpec[] => [
    { op: 'Gather', inputs: [input, index], outputs: [`${input}_${index}_2d`], attrs: { axis: 0 } },
    { op: 'Unsqueeze', inputs: [`${input}_${index}_2d`, 'axes0'], outputs: [`${input}_${index}`] },
  ];

  it('keeps two unnamed nodes with nothing linking them as two layers', () => {
    expect(layers(graph({}))).toEqual(['rnn0×1', 'rnn1×1']);
  });

  it('joins them when their final states are concatenated (h_n)', () => {
    const c = convertOnnx(graph({ outputs: ['out', 'hn'] }));
    expect(c.architecture.layers.map((l) => `${l.name}×${(l as { numLayers: number }).numLayers}`)).toEqual(['rnn0×2']);
    expect(c.outputs).toEqual([{ name: 'out', from: 'output' }, { name: 'hn', from: 'state', layer: 'rnn0', state: 'h', rows: [0, 2] }]);
  });

  it('joins them when they share a node-name scope, and keeps different scopes apart', () => {
    expect(layers(graph({ names: ['/enc/RNN', '/enc/RNN_1'] }))).toEqual(['enc×2']);
    expect(layers(graph({ names: ['/a/RNN', '/b/RNN'] }))).toEqual(['a×1', 'b×1']);
    expect(() => convertOnnx(graph({ names: ['/a/RNN', '/b/RNN'], outputs: ['out', 'hn'] }))).toThrow(/only final states of consecutive layers/);
  });

  it('joins them when their initial states are consecutive rows of one input, read with Gather and Unsqueeze', () => {
    const c = convertOnnx(graph({ h0: 'h_zero', h1: 'h_one', extra: [...row('h', 'zero'), ...row('h', 'one')], inputs: [['h', [2, 'B', H]]] }));
    expect(c.architecture.layers.map((l) => (l as { numLayers: number }).numLayers)).toEqual([2]);
    expect(c.initialStates).toEqual([{ input: 'h', layer: 'rnn0', state: 'h' }]);
  });

  it('keeps them apart when their initial states are not consecutive rows of one source', () => {
    const reversed = convertOnnx(graph({ h0: 'h_one', h1: 'h_zero', extra: [...row('h', 'zero'), ...row('h', 'one')], inputs: [['h', [2, 'B', H]]] }));
    expect(reversed.architecture.layers.map((l) => l.name)).toEqual(['rnn0', 'rnn1']);
    expect(reversed.initialStates).toEqual([{ input: 'h', layer: 'rnn0', state: 'h', rows: [1, 2] }, { input: 'h', layer: 'rnn1', state: 'h', rows: [0, 1] }]);
    const two = convertOnnx(graph({ h0: 'ha', h1: 'hb', inputs: [['ha', [1, 'B', H]], ['hb', [1, 'B', H]]] }));
    expect(two.initialStates).toEqual([{ input: 'ha', layer: 'rnn0', state: 'h' }, { input: 'hb', layer: 'rnn1', state: 'h' }]);
    // Evidence against (two inputs) outweighs the Concat: then h_n spans two layers, which recur cannot return.
    expect(() => convertOnnx(graph({ h0: 'ha', h1: 'hb', inputs: [['ha', [1, 'B', H]], ['hb', [1, 'B', H]]], outputs: ['out', 'hn'] })))
      .toThrow(/only final states of consecutive layers/);
  });

  it("refuses the first node's output once the nodes are one layer", () => {
    expect(() => convertOnnx(graph({ outputs: ['inner', 'hn'] }))).toThrow(/'inner' is the output of an inner layer \(layer 0 of 'rnn0'\)/);
  });

  it('refuses a row read with Gather but not unsqueezed back to [1, batch, hidden]', () => {
    const bytes = graph({ h0: 'h_zero_2d', h1: 'h_one', extra: [...row('h', 'zero'), ...row('h', 'one')], inputs: [['h', [2, 'B', H]]] });
    expect(() => convertOnnx(bytes)).toThrow(/initial_h is a row of graph input 'h' without its leading axis/);
  });

  it('takes a [batch, hidden] state input unsqueezed to [1, batch, hidden]', () => {
    const c = convertOnnx(graph({ h0: 'h_1bh', extra: [{ op: 'Unsqueeze', inputs: ['h', 'axes0'], outputs: ['h_1bh'] }], inputs: [['h', ['B', H]]] }));
    expect(c.architecture.layers.map((l) => l.name)).toEqual(['rnn0', 'rnn1']);   // the second starts from zeros
    expect(c.initialStates).toEqual([{ input: 'h', layer: 'rnn0', state: 'h' }]);
  });

  it.each([
    ['rows of one input, in reverse', { h0: 'h_one', h1: 'h_zero', extra: [...row('h', 'zero'), ...row('h', 'one')], inputs: [['h', [2, 'B', H]]] }, [2, 3, H]],
    ['a [batch, hidden] input, unsqueezed', { h0: 'h_1bh', extra: [{ op: 'Unsqueeze', inputs: ['h', 'axes0'], outputs: ['h_1bh'] }], inputs: [['h', ['B', H]]] }, [3, H]],
  ] as const)('runs layers whose states are %s as the graph runtime does', async (_, spec, hDims) => {
    const bytes = graph(spec as Parameters<typeof graph>[0]);
    const model = await importOnnx(bytes, { as: 'layers' });
    const runtime = await importOnnx(bytes, { as: 'graph' });
    try {
      const count = hDims.reduce((a: number, b: number) => a * b, 1);
      const x = { dims: [4, 3, 3], data: Float32Array.from(values(36, 5)) }, h = { dims: [...hDims], data: Float32Array.from(values(count, 6)) };
      const ours = runAsGraph(model, { x, h });
      expect(relativeError(ours.out, runtime.run({ x, h }).out.data as Float32Array)).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      model.dispose();
      runtime.dispose();
    }
  });
});
