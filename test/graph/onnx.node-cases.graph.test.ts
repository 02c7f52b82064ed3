// The ONNX operator example cases on recur's graph runtime (src/graph): every case of
// test/fixtures/onnx/graph-nodes (onnx 1.12's backend node tests for the operators the runtime
// runs, and recur's own 1-D Conv / ConvTranspose cases, written by
// test/fixtures/onnx/make_graph_node_cases.py in onnx's backend-test layout) is loaded, run on its
// test_data_set_0 inputs, and each output compared with its output_N.pb: shapes exactly, floats
// within 1e-5 + 1e-5·|expected|, integers and booleans exactly.
//
// cases.json gives each case's operator, opset, the names of its graph inputs that are not
// initializers (input_N.pb feeds inputs[N]) and of its graph outputs (output_N.pb is outputs[N]);
// skipped.json says why the other cases of those operators are left out.

import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/node/index.js';   // where recur-graph.wasm is (build/)
import { loadOnnxGraph } from '../../src/graph/index.js';
import { readTensorProto, type OnnxTensorData } from '../../src/onnx/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { defaultWasmUrl } from '../helpers.js';

let runtime: Runtime;
beforeAll(async () => { runtime = await Runtime.create(readFileSync(defaultWasmUrl())); });

/**
 * runCase: the graph runtime on one case's model and inputs (by the model's graph input names).
 * onnx's cases feed everything at run time, weights, axes, shapes and pads included; recur plans
 * fixed shapes, so inputs an operator needs at planning time must be constants. Where the plan
 * says so, the case runs again with every input but the first fixed at import (fixedInputs), as
 * an exported model would hold them as initializers.
 */
async function runCase(bytes: Uint8Array, inputs: Record<string, { dims: number[]; data: ArrayLike<number> }>) {
  const run = async (fixed: string[]) => {
    const fixedInputs = Object.fromEntries(fixed.map((name) => [name, inputs[name]]));
    const model = await loadOnnxGraph(bytes, { runtime, fixedInputs });
    try {
      return model.run(Object.fromEntries(Object.entries(inputs).filter(([name]) => !fixed.includes(name))));
    } finally { model.dispose(); }
  };
  const names = Object.keys(inputs);
  for (const fixed of [[], names.slice(1)]) {
    try {
      return await run(fixed);
    } catch (err) {
      if (!/must be a constant/.test((err as Error).message)) throw err;
    }
  }
  return run(names);
}

// ---------------------------------------------------------------------------------------------

const DIR = new URL('../fixtures/onnx/graph-nodes/', import.meta.url);
const read = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, DIR)));
const readJson = (path: string): any => JSON.parse(readFileSync(new URL(path, DIR), 'utf8'));

interface CaseInfo {
  /** The operator the case tests (an _expanded case's is the operator its function body replaces). */
  op: string;
  opset: number;
  /** Graph inputs that are not initializers: input_N.pb feeds inputs[N]. */
  inputs: string[];
  /** Graph outputs: output_N.pb is outputs[N]. */
  outputs: string[];
  source: 'onnx 1.12' | 'recur';
  /** Every operator in the graph and its sub-graphs, when more than `op`. */
  ops?: string[];
  expanded?: boolean;
  note?: string;
}

const cases: Record<string, CaseInfo> = readJson('cases.json');
const skipped: Record<string, string> = readJson('skipped.json');

/** The operators the graph runtime is to run; each has at least one case. */
const OPS = [
  'Conv', 'ConvTranspose', 'Pad', 'MatMul', 'Gemm', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Neg', 'Log', 'Exp', 'Abs',
  'Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Softmax', 'LogSoftmax', 'Clip', 'Min', 'Max', 'ReduceMean', 'ReduceSum',
  'ReduceMax', 'Concat', 'Split', 'Slice', 'Gather', 'Squeeze', 'Unsqueeze', 'Reshape', 'Flatten', 'Transpose', 'Expand',
  'Shape', 'Size', 'Constant', 'ConstantOfShape', 'Cast', 'Identity', 'Equal', 'Greater', 'Less', 'Not', 'And', 'Where',
  'If', 'LSTM', 'GRU', 'RNN',
];

const FLOAT_TYPES = new Set(['float', 'double', 'float16', 'bfloat16']);
/** The runtime's kind of a TensorProto data type. */
const kindOf = (dataType: string): 'float' | 'int' | 'bool' => (FLOAT_TYPES.has(dataType) ? 'float' : dataType === 'bool' ? 'bool' : 'int');

/** |a − b| ≤ 1e-5 + 1e-5·|b|; NaN only for NaN, ±∞ only for the same infinity. */
function close(a: number, b: number): boolean {
  if (Number.isNaN(b)) return Number.isNaN(a);
  if (!Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= 1e-5 + 1e-5 * Math.abs(b);
}

function expectTensor(name: string, actual: { type: string; dims: ArrayLike<number>; data: ArrayLike<number> } | undefined, expected: OnnxTensorData): void {
  expect(actual, `output ${name} missing`).toBeDefined();
  const kind = kindOf(expected.dataType);
  expect(actual!.type, `${name}: type of a ${expected.dataType} output`).toBe(kind);
  expect(Array.from(actual!.dims), `${name}: dims`).toEqual(expected.dims);
  expect(actual!.data.length, `${name}: number of values`).toBe(expected.data.length);
  const wrong: string[] = [];
  let count = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const a = Number(actual!.data[i]), b = expected.data[i];
    if (kind === 'float' ? close(a, b) : a === b) continue;
    if (count++ < 8) wrong.push(`[${i}] ${a} (expected ${b})`);
  }
  expect(wrong, `${name}: ${count} of ${expected.data.length} ${expected.dataType} values differ`).toEqual([]);
}

function tensor(path: string): OnnxTensorData {
  return readTensorProto(read(path));
}

describe('ONNX operator example cases (test/fixtures/onnx/graph-nodes)', () => {
  it('has each case of cases.json as a folder with its inputs and outputs, and one case at least per operator', () => {
    const folders = readdirSync(DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(folders).toEqual(Object.keys(cases).sort());
    for (const [name, c] of Object.entries(cases)) {
      const files = readdirSync(new URL(`${name}/test_data_set_0/`, DIR)).sort();
      const want = [...c.inputs.map((_, i) => `input_${i}.pb`), ...c.outputs.map((_, i) => `output_${i}.pb`)].sort();
      expect(files, name).toEqual(want);
      expect(OPS, name).toContain(c.op);
      expect(skipped[name], name).toBeUndefined();
    }
    const covered = new Set(Object.values(cases).map((c) => c.op));
    expect(OPS.filter((op) => !covered.has(op))).toEqual([]);
  });

  const byOp = new Map<string, string[]>();
  for (const name of Object.keys(cases).sort()) byOp.set(cases[name].op, [...(byOp.get(cases[name].op) ?? []), name]);

  for (const op of OPS.filter((o) => byOp.has(o))) {
    describe(op, () => {
      it.each(byOp.get(op)!)('%s', async (name) => {
        const c = cases[name];
        const data = `${name}/test_data_set_0/`;
        const feeds: Record<string, { dims: number[]; data: ArrayLike<number> }> = {};
        c.inputs.forEach((input, i) => {
          const t = tensor(`${data}input_${i}.pb`);
          feeds[input] = { dims: t.dims, data: t.data };
        });
        const expected = c.outputs.map((_, i) => tensor(`${data}output_${i}.pb`));
        const results = await runCase(read(`${name}/model.onnx`), feeds);
        expect(expected.length).toBeGreaterThan(0);
        c.outputs.forEach((output, i) => expectTensor(output, results[output], expected[i]));
      });
    });
  }
});
