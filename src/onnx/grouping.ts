// Which consecutive recurrent nodes of an ONNX graph are the layers of one multi-layer module.
//
// torch.onnx.export writes nn.LSTM(num_layers=L) as L LSTM nodes (one per layer); recur folds
// them back into one layer with numLayers = L, so the Sequential keeps the module's shape and
// its state dict keeps the module's names (weight_ih_l0, weight_ih_l1, …). Node names cannot
// decide this on their own: torch ≥ 1.13 scopes them ('/lstm/LSTM', '/lstm/LSTM_1'), but a
// module exported as the root gives '/RNN', '/RNN_1', and torch ≤ 1.12 wrote 'LSTM_245',
// 'LSTM_301'. So the grouping goes by data flow. A recurrent node B continues the layer whose
// last node is A when
//
//   - B's X is A's Y (the converter checks this: B takes the activations A produced, through
//     the Squeeze / Transpose / Reshape bookkeeping, and no layer comes in between),
//   - B has A's type and options (hidden size, directions, layout, bias, peepholes, GRU
//     linear_before_reset, RNN activation, clip),
//   - nothing says they are two modules: B's initial h (and c) are not from another graph
//     input, or other rows of the same one, or another zeros tensor than A's; and when both
//     nodes have a scope (the node name's, or else the module their W initializer is named
//     after, 'lstm' from 'lstm.weight_ih_l0'), it is the same one,
//   - and something says they are one: their initial states are consecutive rows of one
//     source (a graph input sliced with Slice, or read with Gather and Unsqueeze, as in
//     Silero-style packed states; or the one zeros tensor torch makes for all layers and
//     slices), their final states are concatenated next to each other by a Concat (PyTorch's
//     h_n), or they share a scope.
//
// Two separate single-layer modules in a row thus stay two layers (each has its own zeros
// tensor, or its own state input), and a multi-layer module is one layer however its nodes
// are named. Layer names are decided elsewhere (import.ts): the scope, else the initializer
// names, else rnn0, rnn1, ….

import type { OnnxNode } from './onnx.js';

/** Where one recurrent node's initial h or c comes from. */
export type StateSource =
  /** Zeros: rows [from, to) of the zeros tensor `origin` makes, when it is known (else no evidence). */
  | { kind: 'zeros'; origin?: string; from?: number; to?: number; node: string }
  /** Rows [from, to) of a graph input (to undefined: to its end). */
  | { kind: 'input'; input: string; from: number; to?: number; transposed: boolean; node: string };

/** One recurrent node, as the grouping sees it. */
export interface RecurrentNode {
  node: OnnxNode;
  /** torch.onnx.export's node-name scope ('lstm' from '/lstm/LSTM_1'), else W's module name, else ''. */
  scope: string;
  /** The type and every option that must match for two nodes to be one layer. */
  options: string;
  h: StateSource;
  c: StateSource;
}

const RECURRENT = new Set(['LSTM', 'GRU', 'RNN']);
/** Ops a final state may pass through on its way to the Concat that stacks it (same memory). */
const STATE_PASS = new Set(['Identity', 'Squeeze', 'Unsqueeze', 'Cast']);

/**
 * Pairs of recurrent nodes whose final states (Y_h with Y_h, or Y_c with Y_c) are next to each
 * other, in that order, in one Concat along axis 0: evidence that they are layers of one module
 * (PyTorch's h_n). Found before the converter runs, since the Concat comes after both nodes.
 */
export function stackedFinalStates(nodes: OnnxNode[]): (a: OnnxNode, b: OnnxNode) => boolean {
  const producer = new Map<string, { node: OnnxNode; index: number }>();
  for (const node of nodes) node.outputs.forEach((name, index) => { if (name !== '') producer.set(name, { node, index }); });
  const finalState = (name: string) => {
    let p = producer.get(name);
    for (let hops = 0; p && STATE_PASS.has(p.node.opType) && p.index === 0 && hops < nodes.length; hops++) p = producer.get(p.node.inputs[0]);
    return p && RECURRENT.has(p.node.opType) && (p.index === 1 || p.index === 2) ? p : undefined;
  };
  const pairs = new Map<OnnxNode, Set<OnnxNode>>();
  for (const node of nodes) {
    const axis = node.attributes.get('axis')?.i ?? 0;
    if (node.opType !== 'Concat' || (axis !== 0 && axis !== -3)) continue;
    const parts = node.inputs.filter((name) => name !== '').map(finalState);
    for (let i = 0; i + 1 < parts.length; i++) {
      const [a, b] = [parts[i], parts[i + 1]];
      if (!a || !b || a.index !== b.index || a.node === b.node) continue;
      if (!pairs.has(a.node)) pairs.set(a.node, new Set());
      pairs.get(a.node)!.add(b.node);
    }
  }
  return (a, b) => pairs.get(a)?.has(b) ?? false;
}

type Evidence = 'same' | 'different' | 'none';

/** Do `next`'s initial states continue those of the nodes so far (consecutive rows of one source)? */
function stateEvidence(sofar: StateSource[], next: StateSource): Evidence {
  const last = sofar[sofar.length - 1];
  const follows = last.to !== undefined && next.from === last.to;
  if (next.kind === 'input') {
    const one = sofar.every((s) => s.kind === 'input' && s.input === next.input && s.transposed === next.transposed);
    return one && follows ? 'same' : 'different';
  }
  if (sofar.some((s) => s.kind === 'input')) return 'different';
  if (next.origin === undefined || sofar.some((s) => s.kind === 'zeros' && s.origin === undefined)) return 'none';
  return sofar.every((s) => s.kind === 'zeros' && s.origin === next.origin) && follows ? 'same' : 'different';
}

/**
 * Whether `next` is the next layer of the multi-layer module whose nodes so far are `group`
 * (the caller has checked that next's X is the output of group's last node).
 */
export function continuesGroup(group: RecurrentNode[], next: RecurrentNode, stacked: (a: OnnxNode, b: OnnxNode) => boolean): boolean {
  const last = group[group.length - 1];
  if (last.options !== next.options) return false;
  if (last.scope !== '' && next.scope !== '' && last.scope !== next.scope) return false;
  const evidence = [stateEvidence(group.map((g) => g.h), next.h), stateEvidence(group.map((g) => g.c), next.c)];
  if (evidence.includes('different')) return false;
  return evidence.includes('same') || stacked(last.node, next.node) || (last.scope !== '' && last.scope === next.scope);
}
