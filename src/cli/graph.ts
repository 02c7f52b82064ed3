// What `recur inspect` says about an ONNX file that is not a chain of recur's layers but runs on
// the graph runtime (Silero VAD): producer and opset, nodes and operators (sub-graphs included),
// inputs and outputs as the runtime sees them, the state pairs it recognised, and each If with
// what decides it. It works on the graph the runtime decoded (OnnxGraphModel keeps it) and reads
// the producer and IR version from the file's first fields itself: importing the ONNX decoder
// here would split it into a chunk of its own in every recur/onnx and recur/vad bundle.

import type { OnnxGraph, OnnxNode } from '../onnx/onnx.js';

export interface GraphValueReport {
  name: string;
  /** ONNX's element type name: float, int64, bool, … */
  type: string;
  /** Declared dims: sizes, symbolic names, or null where the file does not say; null when the rank is unknown. */
  shape: (number | string | null)[] | null;
}

export interface IfReport {
  name: string;
  /** Where the If sits: '' at the top of the graph, else the branches around it ('If_0 else'). */
  in: string;
  /** The condition's value name. */
  condition: string;
  /** Graph inputs whose values decide the condition; empty when only shapes and constants do
   *  (then planning picks the branch). */
  on: string[];
  /** Nodes in each branch, nested sub-graphs included. */
  thenNodes: number;
  elseNodes: number;
}

export interface GraphReport {
  producer: string;
  opset: number;
  irVersion: number;
  /** Nodes, sub-graphs included. */
  nodes: number;
  /** Nodes of each operator, sub-graphs included, most frequent first. */
  operators: Record<string, number>;
  inputs: GraphValueReport[];
  outputs: GraphValueReport[];
  /** State input → the output that carries its next value. */
  states: Record<string, string>;
  ifs: IfReport[];
}

/** The runtime's view of the graph: which inputs it takes and which states it paired. */
export interface RuntimeView {
  inputs: { name: string; dims?: (number | string | undefined)[] }[];
  outputs: { name: string; dims?: (number | string | undefined)[] }[];
  states: Record<string, string>;
}

/** The file's header fields, and the graph as the runtime decoded it. */
export interface DecodedModel { irVersion: number; producer: string; opset: number; graph: OnnxGraph }

export function describeGraph(model: DecodedModel, runtime: RuntimeView): GraphReport {
  const g = model.graph;
  const counts = new Map<string, number>();
  const producers = new Map<string, OnnxNode>();
  const initializers = new Set<string>();
  const ifs: { node: OnnxNode; in: string }[] = [];
  const walk = (graph: OnnxGraph, where: string) => {
    for (const name of graph.initializers.keys()) initializers.add(name);
    for (const node of graph.nodes) {
      counts.set(node.opType, (counts.get(node.opType) ?? 0) + 1);
      for (const o of node.outputs) if (o) producers.set(o, node);
      if (node.opType === 'If') ifs.push({ node, in: where });
      for (const [attr, a] of node.attributes) {
        if (a.g) walk(a.g, `${where ? `${where} › ` : ''}${node.name || node.opType} ${attr.replace(/_branch$/, '')}`);
      }
    }
  };
  walk(g, '');

  const graphInputs = new Set(runtime.inputs.map((i) => i.name));
  // The graph inputs whose values a value depends on. Shape and Size read only shapes, which are
  // fixed when a plan is made, so the trace stops there. A node with sub-graphs depends on
  // everything its sub-graphs read.
  const memo = new Map<string, Set<string>>();
  const dependsOn = (value: string, visiting = new Set<string>()): Set<string> => {
    const known = memo.get(value);
    if (known) return known;
    const out = new Set<string>();
    if (graphInputs.has(value)) out.add(value);
    const node = producers.get(value);
    if (node && !initializers.has(value) && !visiting.has(value) && node.opType !== 'Shape' && node.opType !== 'Size') {
      visiting.add(value);
      for (const v of [...node.inputs, ...subgraphReads(node)]) if (v) for (const d of dependsOn(v, visiting)) out.add(d);
      visiting.delete(value);
    }
    memo.set(value, out);
    return out;
  };

  const value = (v: { name: string; dims?: (number | string | undefined)[] }, declared: OnnxGraph['inputs']): GraphValueReport => {
    const info = declared.find((d) => d.name === v.name);
    return {
      name: v.name,
      type: info?.elemType === undefined ? 'unknown' : typeName(info.elemType),
      shape: v.dims ? v.dims.map((d) => d ?? null) : null,
    };
  };
  const operators = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
  return {
    producer: model.producer, opset: model.opset, irVersion: model.irVersion,
    nodes: [...counts.values()].reduce((a, b) => a + b, 0), operators,
    inputs: runtime.inputs.map((i) => value(i, g.inputs)),
    outputs: runtime.outputs.map((o) => value(o, g.outputs)),
    states: { ...runtime.states },
    ifs: ifs.map(({ node, in: where }) => {
      const condition = node.inputs[0] ?? '';
      return {
        name: node.name || '(unnamed)', in: where, condition,
        on: condition ? [...dependsOn(condition)].sort() : [],
        thenNodes: countNodes(node.attributes.get('then_branch')?.g),
        elseNodes: countNodes(node.attributes.get('else_branch')?.g),
      };
    }),
  };
}

/** Every value the nodes of a node's sub-graphs read (their own outputs included; tracing them is harmless). */
function subgraphReads(node: OnnxNode): string[] {
  const out: string[] = [];
  const walk = (g: OnnxGraph) => {
    for (const n of g.nodes) {
      out.push(...n.inputs);
      for (const a of n.attributes.values()) if (a.g) walk(a.g);
    }
    out.push(...g.outputs.map((o) => o.name));
  };
  for (const a of node.attributes.values()) if (a.g) walk(a.g);
  return out;
}

/** TensorProto.DataType names (onnx.proto). */
const TYPES: Record<number, string> = {
  1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
};
const typeName = (t: number) => TYPES[t] ?? `data type ${t}`;

/**
 * ModelProto's ir_version (field 1) and producer_name (field 2), read from the top-level fields of
 * the file (the runtime has decoded it already, so it is a well-formed protobuf); other fields are
 * skipped by their wire type.
 */
export function modelHeader(bytes: Uint8Array): { irVersion: number; producer: string } {
  let at = 0, irVersion = 0, producer = '';
  const varint = (): number => {
    let v = 0, scale = 1;
    for (let i = 0; i < 10 && at < bytes.length; i++) {
      const b = bytes[at++];
      v += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return v;
    }
    at = bytes.length;                          // malformed: stop
    return v;
  };
  while (at < bytes.length) {
    const tag = varint(), field = Math.floor(tag / 8), wire = tag % 8;
    if (wire === 0) { const v = varint(); if (field === 1) irVersion = v; }
    else if (wire === 2) {
      const n = varint();
      if (field === 2) producer = new TextDecoder().decode(bytes.subarray(at, Math.min(bytes.length, at + n)));
      at += n;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else break;
  }
  return { irVersion, producer };
}

function countNodes(g: OnnxGraph | undefined): number {
  if (!g) return 0;
  let n = 0;
  for (const node of g.nodes) {
    n++;
    for (const a of node.attributes.values()) n += countNodes(a.g);
  }
  return n;
}

/** `[2, batch, 128]`, with ? for a size the file does not declare; `?` for an unknown rank. */
export function shapeText(shape: (number | string | null)[] | null): string {
  return shape ? `[${shape.map((d) => d ?? '?').join(', ')}]` : '?';
}

/** Silero VAD's inputs (as SileroVad.load recognises them): input, and state or h and c. */
export function looksLikeSilero(inputs: { name: string }[]): boolean {
  const names = new Set(inputs.map((i) => i.name));
  return names.has('input') && (names.has('state') || (names.has('h') && names.has('c')));
}
