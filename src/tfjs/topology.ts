// The Keras model config inside a TensorFlow.js model.json, reduced to its layers in order from
// input to output. Three spellings occur:
//
//   tf.LayersModel.save()           modelTopology = { class_name, config, keras_version, … }
//   tensorflowjs_converter (Keras)  modelTopology = { model_config: { class_name, config }, training_config, … }
//   Sequential config               { name, layers: [...] }, or a bare list (Keras < 2.2.3)
//
// A functional model ('Model' in tfjs, 'Functional' in Keras ≥ 2.4) is accepted when it is a
// chain: one input, one output, every layer called once on the one output of the layer before.
// Its inbound_nodes are [[["name", node, tensor, {}]]] (Keras 2, tfjs) or
// [{ args: [{ config: { keras_history: ["name", node, tensor] } }] }] (Keras 3).

import { kindOf, RecurFormatError } from '../errors.js';

export interface KerasLayer {
  className: string;
  name: string;
  config: Record<string, any>;
}

/** The parsed model.json (or ModelArtifacts) object. */
export function modelRoot(modelJson: unknown): Record<string, any> {
  let root = modelJson;
  if (typeof root === 'string') {
    try { root = JSON.parse(root); } catch (err) {
      throw new RecurFormatError(`tfjs: model.json is not valid JSON (${(err as Error).message})`);
    }
  }
  if (!isObject(root)) throw new RecurFormatError('tfjs: model.json must be an object (or its JSON text)');
  if (root.format != null && root.format !== 'layers-model') {
    throw new RecurFormatError(`tfjs: model.json has format ${quoted(root.format)}; recur imports 'layers-model' (tf.LayersModel, Keras), not graph models`);
  }
  return root;
}

/** The model's layers from input to output (an InputLayer first, if the config has one). */
export function chainLayers(root: Record<string, any>): KerasLayer[] {
  let topology = root.modelTopology;
  if (isObject(topology) && isObject(topology.model_config)) topology = topology.model_config;
  if (!isObject(topology) || typeof topology.class_name !== 'string') {
    throw new RecurFormatError('tfjs: model.json has no modelTopology with a Keras class_name');
  }
  const cls = topology.class_name;
  if (cls === 'Sequential') {
    const list = Array.isArray(topology.config) ? topology.config : topology.config?.layers;
    if (!Array.isArray(list) || list.length === 0) throw new RecurFormatError('tfjs: the Sequential config has no layers');
    return list.map(layerOf);
  }
  if (cls === 'Model' || cls === 'Functional') return functionalChain(topology.config);
  throw new RecurFormatError(`tfjs: model class '${cls}' is not supported; recur imports Sequential and chain-shaped functional models`);
}

function layerOf(entry: any, index: number): KerasLayer {
  const className = entry?.class_name;
  const config = isObject(entry?.config) ? entry.config : {};
  const name = config.name ?? entry?.name;
  if (typeof className !== 'string' || typeof name !== 'string') {
    throw new RecurFormatError(`tfjs: layer #${index} has no class_name or name`);
  }
  return { className, name, config };
}

type TensorRef = [name: string, node: number, tensor: number];

function functionalChain(config: any): KerasLayer[] {
  const list = config?.layers;
  if (!Array.isArray(list) || list.length === 0) throw new RecurFormatError('tfjs: the functional model config has no layers');
  const byName = new Map<string, { layer: KerasLayer; nodes: TensorRef[][] }>();
  list.forEach((entry, i) => {
    const layer = layerOf(entry, i);
    if (byName.has(layer.name)) throw new RecurFormatError(`tfjs: two layers are named '${layer.name}'`);
    byName.set(layer.name, { layer, nodes: inboundNodes(entry, layer.name) });
  });
  const inputs = endpoints(config.input_layers, 'input_layers');
  const outputs = endpoints(config.output_layers, 'output_layers');
  if (inputs.length !== 1 || outputs.length !== 1) {
    throw new RecurFormatError(`tfjs: the model has ${inputs.length} inputs and ${outputs.length} outputs; recur imports chains with one of each`);
  }
  // Walk back from the output; each step must have exactly one predecessor. Linear in the
  // number of layers: a model.json can hold a chain of 100,000 Dropouts.
  const chain: KerasLayer[] = [];
  const onChain = new Set<string>();
  let name = outputs[0][0];
  for (;;) {
    const entry = byName.get(name);
    if (!entry) throw new RecurFormatError(`tfjs: the model refers to a layer '${name}' it does not define`);
    if (onChain.has(name)) throw new RecurFormatError(`tfjs: the layer graph has a cycle through '${name}'`);
    onChain.add(name);
    chain.push(entry.layer);
    if (name === inputs[0][0]) break;
    if (entry.nodes.length !== 1) {
      throw new RecurFormatError(`tfjs: layer '${name}' is called ${entry.nodes.length} times; recur imports chains (no shared layers)`);
    }
    const refs = entry.nodes[0];
    if (refs.length !== 1) {
      throw new RecurFormatError(`tfjs: layer '${name}' takes ${refs.length} inputs (${refs.map((r) => r[0]).join(', ')}); recur imports chains of one-input layers`);
    }
    name = refs[0][0];
  }
  chain.reverse();                                  // input to output
  const off = [...byName.keys()].filter((n) => !onChain.has(n));
  if (off.length) {
    throw new RecurFormatError(`tfjs: layers ${off.join(', ')} are not on the path from input to output; recur imports chains`);
  }
  return chain;
}

function endpoints(value: unknown, what: string): TensorRef[] {
  if (!Array.isArray(value)) throw new RecurFormatError(`tfjs: the functional model config has no ${what}`);
  // One endpoint may be written bare (Keras 3): ["name", 0, 0].
  const refs = typeof value[0] === 'string' ? [value] : value;
  refs.forEach((ref: unknown, i: number) => {
    if (!Array.isArray(ref) || typeof ref[0] !== 'string') throw new RecurFormatError(`tfjs: ${what}[${i}] must be ["layer", node, tensor], got ${quoted(ref)}`);
  });
  return refs as TensorRef[];
}

/** Deepest nesting of a Keras 3 call's args and kwargs we walk (real files nest a handful). */
const MAX_NESTING = 64;

/** The tensors each call of a layer takes: one list of [layer, node, tensor] per call. */
function inboundNodes(entry: any, name: string): TensorRef[][] {
  const nodes = entry?.inbound_nodes ?? [];
  if (!Array.isArray(nodes)) throw new RecurFormatError(`tfjs: layer '${name}' has malformed inbound_nodes`);
  return nodes.map((node: any) => {
    if (Array.isArray(node)) {
      return node.map((ref: unknown) => {
        if (!Array.isArray(ref)) throw new RecurFormatError(`tfjs: layer '${name}' has malformed inbound_nodes (an input is not ["layer", node, tensor])`);
        return ref.slice(0, 3) as TensorRef;
      });
    }
    // Keras 3: tensors anywhere in args and kwargs, as { config: { keras_history } }. Walked with
    // an explicit stack, depth-bounded: a hostile file can nest arrays 20,000 deep.
    const refs: TensorRef[] = [];
    const stack: [value: unknown, depth: number][] = [[[node?.args, node?.kwargs], 0]];
    while (stack.length) {
      const [v, depth] = stack.pop()!;
      if (depth > MAX_NESTING) throw new RecurFormatError(`tfjs: layer '${name}': its inbound_nodes nest deeper than ${MAX_NESTING} levels`);
      let children: unknown[];
      if (Array.isArray(v)) children = v;
      else if (isObject(v)) {
        if (Array.isArray(v.config?.keras_history)) { refs.push(v.config.keras_history.slice(0, 3)); continue; }
        children = Object.values(v);
      } else continue;
      for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], depth + 1]);   // visited in order
    }
    return refs;
  });
}

/**
 * A model.json value as a message quotes it: its JSON, cut at 80 characters. A value nested too
 * deep for JSON.stringify (a hostile file) is named by its kind instead of overflowing the stack.
 */
export function quoted(value: unknown): string {
  let text: string | undefined;
  try { text = JSON.stringify(value); } catch { return kindOf(value); }
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
