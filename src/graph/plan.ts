// An ONNX graph specialised to one set of input shapes: a static plan.
//
// Planning walks the nodes in order (ONNX files list them topologically) with every value either
// a constant — an initializer, an input fixed at import, or anything computed only from those and
// from shapes — or a slot: a buffer the plan owns, whose type and shape are known now. Then:
//   - a node whose inputs are all constants is run once, now (constant folding), and its outputs
//     become constants: Silero's hundreds of Shape/Gather/Concat/Slice nodes and the Slices and
//     Concats that assemble its LSTM weights vanish here;
//   - Shape and Size of a slot are constants too, since shapes are fixed;
//   - If on a constant condition is replaced by its branch (recursively); on a condition that
//     depends on the inputs' values, both branches are planned and one runs per call;
//   - Reshape, Squeeze, Unsqueeze, Flatten, Identity and Dropout of a slot, and a Slice that is
//     one contiguous run of it, are a new shape over the same buffer (no step);
//   - every other node becomes a step: a kernel compiled once (weights packed in wasm memory)
//     and buffers allocated once, so run() allocates nothing and only computes.
// Steps whose outputs nothing needs are dropped. Float buffers live in the runtime's wasm
// memory, so wasm kernels read and write them in place.

import { RecurFormatError } from '../errors.js';
import type { OnnxGraph, OnnxNode } from '../onnx/onnx.js';
import type { Runtime } from '../runtime/runtime.js';
import { tensorFromOnnx } from './constant.js';
import { nodeError, nodeName, type Kernel, type OpContext, type ValueInfo } from './op.js';
import { OPS } from './ops/index.js';
import { alloc, sizeOf, type ElemType, type Tensor } from './tensor.js';

/** Most elements the buffers and folded constants of one plan may hold (256 MiB of f32). */
export const MAX_PLAN_ELEMENTS = 2 ** 26;

/**
 * Most work (Kernel.work: elements of a JavaScript loop, a few ns each) constant folding may do
 * while a plan is made: a second or so. Folding is all the file's doing, so a small file cannot
 * make loading last long (a [1] constant expanded to [4096, 4096] and multiplied by itself would
 * take minutes). recur's wasm GEMM does 2^34 multiply-adds in it, its LSTM kernel as many.
 */
export const MAX_FOLD_WORK = 2 ** 28;

/**
 * Most work one run of a plan's steps may take by default: a few seconds, 4 times the folding
 * budget (an LSTM 512 → 512 over 30,000 steps fits; so does a 1024³ MatMul in JavaScript). A run's
 * cost also grows with the inputs the caller gives, so loadOnnxGraph's `maxRunWork` raises it;
 * the default stops a tiny file from turning a tiny input into minutes of work.
 */
export const MAX_RUN_WORK = 2 ** 30;

/** A value while planning: known now, or computed by the plan into slot `slot`. */
type Ref = { kind: 'const'; tensor: Tensor } | { kind: 'slot'; slot: number };

interface Slot {
  type: ElemType;
  dims: number[];
  /** The slot whose buffer this one shares (itself unless an alias). */
  root: number;
  /** The tensor kernels see; its data is replaced when wasm memory grows. */
  tensor: Tensor;
  /** Float slots: byte offset in wasm memory (from the plan's block). */
  offset: number;
  /** Where the slot starts in its root's buffer, in elements (0 but for contiguous Slices). */
  view: number;
}

type Step =
  | { kind: 'kernel'; node: OnnxNode; kernel: Kernel; inputs: (Tensor | undefined)[]; outputs: Tensor[]; reads: number[]; writes: number[] }
  | { kind: 'if'; node: OnnxNode; cond: number; branches: [Branch, Branch]; writes: number[]; reads: number[] };

/** A planned branch of an If, or the reason it cannot run with these shapes (raised if it is taken). */
interface Branch { steps: Step[]; results: Ref[]; error?: RecurFormatError }

/** Names visible in a graph: its own values, then the enclosing graphs' (If branches read outer values). */
class Scope {
  private readonly values = new Map<string, Ref>();
  constructor(private readonly parent?: Scope) {}
  get(name: string): Ref | undefined { return this.values.get(name) ?? this.parent?.get(name); }
  set(name: string, ref: Ref): void { this.values.set(name, ref); }
}

export interface PlanInput { name: string; type: ElemType; dims: number[] }

/** Every operator of the graph and its sub-graphs that recur cannot run, all at once. */
export function unsupportedOperators(graph: OnnxGraph): string[] {
  const found: string[] = [];
  const walk = (g: OnnxGraph) => {
    for (const n of g.nodes) {
      if (n.domain !== '' && n.domain !== 'ai.onnx') found.push(`${n.opType} (domain '${n.domain}', node '${n.name}')`);
      else if (n.opType !== 'If' && !Object.prototype.hasOwnProperty.call(OPS, n.opType)) found.push(`${n.opType} (node '${n.name}')`);
      for (const a of n.attributes.values()) if (a.g) walk(a.g);
    }
  };
  walk(graph);
  return found;
}

export class Plan {
  private readonly slots: Slot[] = [];
  private readonly steps: Step[] = [];
  private readonly kernels: Kernel[] = [];
  private held = 0;
  private foldWork = 0;
  private runWork = 0;
  private block = 0;
  private buffer?: ArrayBufferLike;
  /** Slots of the graph inputs that are not fixed, in the order given. */
  readonly inputSlots: number[] = [];
  /** Each graph output: a slot or a constant. */
  private readonly results: Ref[] = [];
  private disposed = false;
  /** How many times each value name is read (node inputs and graph outputs, sub-graphs too). */
  private readonly uses = new Map<string, number>();
  /** The node that computes each value name (the latest, for names a sub-graph reuses). */
  private readonly producers = new Map<string, OnnxNode>();

  /**
   * Plans `graph` for inputs of these types and shapes; `fixed` are inputs whose values are
   * known at import (Silero's sample rate): they fold like initializers.
   */
  constructor(graph: OnnxGraph, inputs: PlanInput[], fixed: Map<string, Tensor>, private readonly ctx: OpContext & { rt: Runtime },
              private readonly maxRunWork = MAX_RUN_WORK) {
    try {
      this.countUses(graph);
      const scope = new Scope();
      for (const [name, t] of fixed) scope.set(name, { kind: 'const', tensor: t });
      for (const input of inputs) {
        const slot = this.newSlot(input.type, input.dims, `graph input '${input.name}'`);
        this.inputSlots.push(slot);
        scope.set(input.name, { kind: 'slot', slot });
      }
      this.planGraph(graph, scope, this.steps);
      for (const out of graph.outputs) {
        const ref = scope.get(out.name);
        if (!ref) throw new RecurFormatError(`ONNX graph: output '${out.name}' is not computed by any node`);
        this.results.push(ref);
      }
      this.prune(this.steps, new Set(this.results.flatMap((r) => (r.kind === 'slot' ? [this.slots[r.slot].root] : []))));
      this.allocate();
    } catch (err) {
      this.dispose();
      throw err;
    }
  }

  /** Elements of buffers, folded constants and kernels' wasm memory the plan holds. */
  get elements(): number { return this.held; }

  /** Whether the plan can still run (models drop plans for newer shapes, and dispose them). */
  get live(): boolean { return !this.disposed; }

  /** Type and shape of each graph output. */
  get outputInfo(): { type: ElemType; dims: number[] }[] {
    return this.results.map((r) => (r.kind === 'const' ? r.tensor : this.slots[r.slot]));
  }

  /** The tensor an input is copied into before run(). */
  input(k: number): Tensor { this.refresh(); return this.slots[this.inputSlots[k]].tensor; }

  /** Output k after run(): the plan's own buffer (overwritten by the next run) or a constant. */
  output(k: number): Tensor {
    const r = this.results[k];
    return r.kind === 'const' ? r.tensor : this.slots[r.slot].tensor;
  }

  /** Runs every step on what input() holds. */
  run(): void {
    if (this.disposed) throw new RecurFormatError('the graph plan was disposed');
    this.refresh();
    this.execute(this.steps);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const k of this.kernels) k.dispose?.();
    if (this.block) this.ctx.rt.free(this.block);
    this.block = 0;
  }

  // -------------------------------------------------------------------------------------------
  // Planning

  private newSlot(type: ElemType, dims: number[], what: string): number {
    this.count(sizeOf(dims, what), what);
    const slot = this.slots.length;
    this.slots.push({ type, dims, root: slot, tensor: { type, dims, data: new Float32Array(0) }, offset: -1, view: 0 });
    return slot;
  }

  private count(n: number, what: string): void {
    this.held += n;
    if (this.held > MAX_PLAN_ELEMENTS) throw new RecurFormatError(`ONNX graph: ${what} takes the plan past 2^26 elements of buffers and constants`);
  }

  private planGraph(graph: OnnxGraph, scope: Scope, steps: Step[]): void {
    for (const [name, t] of graph.initializers) {
      this.count(sizeOf(t.dims, `ONNX initializer '${name}'`), `initializer '${name}'`);   // before decoding it
      const tensor = tensorFromOnnx(t, `ONNX initializer '${name}'`);
      scope.set(name, { kind: 'const', tensor });
    }
    for (const node of graph.nodes) this.planNode(node, scope, steps);
  }

  private lookup(node: OnnxNode, name: string, scope: Scope): Ref | undefined {
    if (name === '') return undefined;
    const ref = scope.get(name);
    if (!ref) throw nodeError(node, `its input '${name}' is not a graph input, an initializer or the output of an earlier node`);
    return ref;
  }

  private info(ref: Ref | undefined): ValueInfo | undefined {
    if (!ref) return undefined;
    if (ref.kind === 'const') return { type: ref.tensor.type, dims: ref.tensor.dims, value: ref.tensor };
    const s = this.slots[ref.slot];
    return { type: s.type, dims: s.dims };
  }

  /** Counts reads by name over the graph and its sub-graphs (a name shadowed in one counts for both: fewer fusions, never a wrong one). */
  private countUses(graph: OnnxGraph): void {
    const use = (name: string) => { if (name) this.uses.set(name, (this.uses.get(name) ?? 0) + 1); };
    for (const out of graph.outputs) use(out.name);
    for (const n of graph.nodes) {
      for (const name of n.inputs) use(name);
      for (const a of n.attributes.values()) if (a.g) this.countUses(a.g);
    }
  }

  /**
   * A Relu whose input is output 0 of a step of this list that can take it (Kernel.fuseRelu),
   * and read by nothing else: that step applies it, and the Relu's output is its slot.
   */
  private fuseRelu(node: OnnxNode, ref: Ref | undefined, scope: Scope, steps: Step[]): boolean {
    if (ref?.kind !== 'slot' || node.inputs.length !== 1 || node.outputs.length !== 1 || !node.outputs[0]) return false;
    if (this.uses.get(node.inputs[0]) !== 1 || this.slots[ref.slot].root !== ref.slot || this.slots[ref.slot].type !== 'float') return false;
    const step = steps.find((s) => s.kind === 'kernel' && s.writes[0] === ref.slot);
    if (step?.kind !== 'kernel' || !step.kernel.fuseRelu) return false;
    step.kernel.fuseRelu();
    scope.set(node.outputs[0], ref);
    return true;
  }

  /**
   * Sqrt(Pow(re, 2) + Pow(im, 2)) where re and im are the two halves of an STFT's output [1, 2F, L']
   * (contiguous Slices: aliases) and nothing else reads any of them: the STFT writes the
   * magnitude itself (Kernel.fuseMagnitude) into re's rows, which become the Sqrt's output, and
   * the Pow and Add steps are dropped.
   */
  private fuseMagnitude(node: OnnxNode, scope: Scope, steps: Step[]): boolean {
    const once = (name: string) => this.uses.get(name) === 1;
    const standard = (n: OnnxNode | undefined) => n && (n.domain === '' || n.domain === 'ai.onnx');
    if (node.inputs.length !== 1 || node.outputs.length !== 1 || !node.outputs[0] || !once(node.inputs[0])) return false;
    const add = this.producers.get(node.inputs[0]);
    if (!standard(add) || add!.opType !== 'Add' || add!.inputs.length !== 2 || !add!.inputs.every(once)) return false;
    const pows = add!.inputs.map((name) => this.producers.get(name));
    const halves: number[] = [];
    for (const pow of pows) {
      if (!standard(pow) || pow!.opType !== 'Pow' || pow!.inputs.length !== 2 || pow!.outputs.length !== 1) return false;
      const y = scope.get(pow!.inputs[1]), x = scope.get(pow!.inputs[0]);
      if (y?.kind !== 'const' || y.tensor.type !== 'float' || y.tensor.data.length !== 1 || y.tensor.data[0] !== 2) return false;
      if (x?.kind !== 'slot') return false;
      halves.push(x.slot);
    }
    // re is rows [0, F) of the STFT's buffer and im rows [F, 2F), each [1, F, L'] (either order in the Add).
    const [a, b] = halves.map((h) => this.slots[h]), root = this.slots[a.root];
    if (b.root !== a.root || root.type !== 'float' || root.dims.length !== 3 || root.dims[0] !== 1) return false;
    const [, F2, Lo] = root.dims, F = F2 / 2, half = F * Lo;
    const isHalf = (sl: Slot) => sl.dims.length === 3 && sl.dims[0] === 1 && sl.dims[1] === F && sl.dims[2] === Lo;
    if (!isHalf(a) || !isHalf(b) || new Set([a.view, b.view]).size !== 2 || ![a.view, b.view].every((v) => v === 0 || v === half)) return false;
    const stftStep = steps.find((st) => st.kind === 'kernel' && st.writes[0] === a.root);
    if (stftStep?.kind !== 'kernel' || !stftStep.kernel.fuseMagnitude || !stftStep.node.outputs[0]) return false;
    // Nothing else reads the STFT's output: each half comes from it through aliases (Slices,
    // Casts to float…: input 0 under a new shape) and every value on the way is read only by
    // the next one on these two paths.
    const [p1, p2] = pows.map((pow) => this.aliasPath(pow!.inputs[0], stftStep.node.outputs[0], a.root, scope));
    if (!p1 || !p2) return false;
    // Reads along the two paths: each name on the first once, on the second up to where it joins the first.
    const reads = new Map<string, number>(), read = (name: string) => reads.set(name, (reads.get(name) ?? 0) + 1);
    p1.forEach(read);
    for (const name of p2) { read(name); if (p1.includes(name)) break; }
    for (const [name, n] of reads) if (this.uses.get(name) !== n) return false;
    const drop = [...pows, add].map((n) => steps.findIndex((st) => st.kind === 'kernel' && st.node === n));
    if (drop.some((i) => i < 0)) return false;
    stftStep.kernel.fuseMagnitude();
    for (const i of drop.sort((x, y) => y - x)) {
      const [st] = steps.splice(i, 1);
      if (st.kind === 'kernel') this.dropKernel(st.kernel);
    }
    scope.set(node.outputs[0], { kind: 'slot', slot: halves[a.view === 0 ? 0 : 1] });
    return true;
  }

  private planNode(node: OnnxNode, scope: Scope, steps: Step[]): void {
    for (const name of node.outputs) if (name) this.producers.set(name, node);
    const refs = node.inputs.map((name) => this.lookup(node, name, scope));
    if (node.opType === 'If') return this.planIf(node, refs, scope, steps);
    const standard = node.domain === '' || node.domain === 'ai.onnx';
    if (standard && node.opType === 'Relu' && this.fuseRelu(node, refs[0], scope, steps)) return;
    if (standard && node.opType === 'Sqrt' && this.fuseMagnitude(node, scope, steps)) return;
    const op = OPS[node.opType];
    if (!op || (node.domain !== '' && node.domain !== 'ai.onnx')) throw nodeError(node, 'recur has no such operator');

    // Shape and Size need only shapes, which are all known: give them a stand-in with no data.
    const shapeOnly = node.opType === 'Shape' || node.opType === 'Size';
    const infos = refs.map((r, k) => (shapeOnly && k === 0 && r?.kind === 'slot' ? this.constShape(r.slot) : this.info(r)));
    let reserved = 0;                                      // floats of wasm memory the kernel keeps
    const kernel = op(node, infos, { ...this.ctx, reserve: (n) => { this.count(n, `the weights and scratch of node '${nodeName(node)}'`); reserved += n; } });
    // Outputs are positional: a name past the operator's last output (an empty name before it
    // does not count) names nothing.
    const extra = node.outputs.findIndex((name, k) => name && k >= kernel.outputs.length);
    if (extra >= 0) {
      kernel.dispose?.();
      throw nodeError(node, `its output ${extra} ('${node.outputs[extra]}') is not one the operator makes (it makes ${kernel.outputs.length})`);
    }

    if (infos.every((v) => !v || v.value)) {               // constant folding
      try {
        this.spend(node, kernel, infos, true);
        const outs = kernel.outputs.map((o, k) => {
          this.count(sizeOf(o.dims), `the output of node '${nodeName(node)}'`);
          return alloc(o.type, o.dims, `ONNX node '${nodeName(node)}' output ${k}`);
        });
        kernel.run(infos.map((v) => v?.value), outs);
        node.outputs.forEach((name, k) => { if (name) scope.set(name, { kind: 'const', tensor: outs[k] }); });
      } finally {
        kernel.dispose?.();
        this.held -= reserved;                               // its wasm memory is freed
      }
      return;
    }

    const source = refs[0];
    if (kernel.alias === 0 && source?.kind === 'slot' && node.outputs.filter(Boolean).length === 1 && node.outputs[0]) {
      kernel.dispose?.();                                   // a new shape over the same buffer
      this.held -= reserved;
      const from = this.slots[source.slot], o = kernel.outputs[0];
      sizeOf(o.dims, `the output of node '${nodeName(node)}'`);
      const slot = this.slots.length;
      this.slots.push({ type: o.type, dims: o.dims, root: from.root, tensor: { type: o.type, dims: o.dims, data: new Float32Array(0) },
        offset: -1, view: from.view + (kernel.aliasOffset ?? 0) });
      scope.set(node.outputs[0], { kind: 'slot', slot });
      return;
    }

    this.kernels.push(kernel);
    this.spend(node, kernel, infos, false);
    const writes = kernel.outputs.map((o, k) => this.newSlot(o.type, o.dims, `the output ${k} of node '${nodeName(node)}'`));
    node.outputs.forEach((name, k) => { if (name) scope.set(name, { kind: 'slot', slot: writes[k] }); });
    const reads = refs.flatMap((r) => (r?.kind === 'slot' ? [r.slot] : []));
    const step: Step = {
      kind: 'kernel', node, kernel, reads, writes,
      inputs: refs.map((r) => (r ? (r.kind === 'const' ? r.tensor : this.slots[r.slot].tensor) : undefined)),
      outputs: writes.map((s) => this.slots[s].tensor),
    };
    steps.push(step);
    if (kernel.fusePad) this.fusePad(step, refs[0], scope, steps);
  }

  /**
   * A kernel that can read a reflect Pad's input itself (Kernel.fusePad), given the Pad's output
   * (through aliases: Unsqueeze, Reshape…) and nothing else reading it: the Pad step goes.
   */
  private fusePad(step: Step & { kind: 'kernel' }, ref: Ref | undefined, scope: Scope, steps: Step[]): void {
    if (ref?.kind !== 'slot' || step.node.inputs.slice(1).some((name) => name && scope.get(name)?.kind === 'slot')) return;
    const slot = this.slots[ref.slot], root = slot.root;
    if (slot.view !== 0 || sizeOf(slot.dims) !== sizeOf(this.slots[root].dims)) return;
    const padStep = steps.find((st) => st.kind === 'kernel' && st.writes[0] === root);
    if (padStep?.kind !== 'kernel' || !padStep.kernel.reflectRow || padStep.reads.length !== 1) return;
    // Every value from the Pad's output to this input is read once, by the next on the way.
    const path = this.aliasPath(step.node.inputs[0], padStep.node.outputs[0], root, scope);
    if (!path || path.some((name) => this.uses.get(name) !== 1)) return;
    if (!step.kernel.fusePad!(padStep.kernel.reflectRow)) return;
    step.inputs[0] = padStep.inputs[0];
    step.reads = [...padStep.reads, ...step.reads.filter((s) => s !== ref.slot)];
    steps.splice(steps.indexOf(padStep), 1);
    this.dropKernel(padStep.kernel);
  }

  /**
   * The value names from `name` back to `to` through aliases (nodes whose one output is their
   * input 0 under another shape or type — Slices, Reshapes, Casts — in the buffer of slot `root`),
   * `name` first and `to` last; undefined where the way leaves that buffer or passes 16 nodes.
   */
  private aliasPath(name: string, to: string, root: number, scope: Scope): string[] | undefined {
    const path: string[] = [];
    for (let depth = 0; ; depth++) {
      path.push(name);
      if (name === to) return path;
      const ref = scope.get(name), from = this.producers.get(name);
      if (depth > 16 || ref?.kind !== 'slot' || this.slots[ref.slot].root !== root || !from || from.outputs.length !== 1) return undefined;
      name = from.inputs[0];
    }
  }

  /** Counts what one run of the kernel costs: against MAX_FOLD_WORK when folding, else MAX_RUN_WORK. */
  private spend(node: OnnxNode, kernel: Kernel, infos: (ValueInfo | undefined)[], folding: boolean): void {
    const size = (dims: number[]) => dims.reduce((n, d) => n * d, 1);
    const work = kernel.work ?? [...infos, ...kernel.outputs].reduce((n, v) => n + (v ? size(v.dims) : 0), 0);
    if (folding) {
      this.foldWork += work;
      if (!(this.foldWork <= MAX_FOLD_WORK)) throw nodeError(node, 'with the constants folded before it, folding it takes planning past 2^28 units of work (a second or so); recur refuses graphs this heavy');
    } else {
      this.runWork += work;
      if (!(this.runWork <= this.maxRunWork)) throw nodeError(node, `with the nodes before it, it takes one run past ${this.maxRunWork} units of work (MAX_RUN_WORK is 2^30, a few seconds); pass a larger maxRunWork to loadOnnxGraph to allow it`);
    }
  }

  /** A constant that has a slot's shape but no data (only Shape and Size see it). */
  private constShape(slot: number): ValueInfo {
    const s = this.slots[slot];
    return { type: s.type, dims: s.dims, value: { type: s.type, dims: s.dims, data: s.type === 'float' ? new Float32Array(0) : s.type === 'int' ? new Float64Array(0) : new Uint8Array(0) } };
  }

  private planIf(node: OnnxNode, refs: (Ref | undefined)[], scope: Scope, steps: Step[]): void {
    const cond = refs[0];
    const then = node.attributes.get('then_branch')?.g, otherwise = node.attributes.get('else_branch')?.g;
    if (!cond) throw nodeError(node, 'its condition (input 0) is missing');
    if (!then || !otherwise) throw nodeError(node, 'it needs both then_branch and else_branch graphs');
    const c = this.info(cond)!;
    if (c.type !== 'bool' && c.type !== 'int') throw nodeError(node, `its condition is ${c.type}, expected bool`);
    if (sizeOf(c.dims) !== 1) throw nodeError(node, `its condition has shape [${c.dims.join(', ')}]; it must hold one value`);
    for (const g of [then, otherwise]) {
      if (g.outputs.length !== node.outputs.length) throw nodeError(node, `a branch has ${g.outputs.length} outputs; the node has ${node.outputs.length}`);
    }

    if (c.value) {                                          // a constant condition: keep one branch
      const branch = c.value.data[0] ? then : otherwise;
      const inner = new Scope(scope);
      this.planGraph(branch, inner, steps);
      branch.outputs.forEach((o, k) => {
        const ref = inner.get(o.name);
        if (!ref) throw nodeError(node, `its branch's output '${o.name}' is not computed`);
        if (node.outputs[k]) scope.set(node.outputs[k], ref);
      });
      return;
    }

    // A branch that cannot be planned for these shapes (Silero's 8 kHz branch given a 16 kHz
    // frame) is an error only if the condition takes it, as it would be for onnxruntime.
    const branches = [then, otherwise].map((g): Branch => {
      const inner = new Scope(scope), branchSteps: Step[] = [];
      try {
        this.planGraph(g, inner, branchSteps);
      } catch (err) {
        if (!(err instanceof RecurFormatError)) throw err;
        for (const step of branchSteps) if (step.kind === 'kernel') this.dropKernel(step.kernel);
        return { steps: [], results: [], error: err };
      }
      const results = g.outputs.map((o) => {
        const ref = inner.get(o.name);
        if (!ref) throw nodeError(node, `its branch's output '${o.name}' is not computed`);
        return ref;
      });
      return { steps: branchSteps, results };
    }) as [Branch, Branch];
    if (branches[0].error && branches[1].error) throw branches[0].error;
    const writes = node.outputs.map((name, k) => {
      const [a, b] = branches.map((br) => this.info(br.results[k] ?? branches[br === branches[0] ? 1 : 0].results[k])!);
      if (a.type !== b.type || a.dims.join() !== b.dims.join()) {
        throw nodeError(node, `output ${k} is ${a.type} [${a.dims.join(', ')}] in then_branch but ${b.type} [${b.dims.join(', ')}] in else_branch; recur plans fixed shapes`);
      }
      const slot = this.newSlot(a.type, a.dims, `the output ${k} of node '${nodeName(node)}'`);
      if (name) scope.set(name, { kind: 'slot', slot });
      return slot;
    });
    const reads = [(cond as { slot: number }).slot, ...branches.flatMap((br) => br.results.flatMap((r) => (r.kind === 'slot' ? [r.slot] : [])))];
    steps.push({ kind: 'if', node, cond: (cond as { slot: number }).slot, branches, writes, reads });
  }

  /** Drops the steps whose outputs nothing needs; `needed` holds root slots. */
  private prune(steps: Step[], needed: Set<number>): void {
    for (let i = steps.length - 1; i >= 0; i--) {
      const step = steps[i];
      if (!step.writes.some((s) => needed.has(this.slots[s].root))) {
        steps.splice(i, 1);
        if (step.kind === 'kernel') this.dropKernel(step.kernel);
        continue;
      }
      if (step.kind === 'if') {
        for (const br of step.branches) {
          const inner = new Set(needed);
          for (const r of br.results) if (r.kind === 'slot') inner.add(this.slots[r.slot].root);
          this.prune(br.steps, inner);
          for (const s of inner) needed.add(s);
        }
      }
      for (const s of step.reads) needed.add(this.slots[s].root);
    }
  }

  private dropKernel(kernel: Kernel): void {
    kernel.dispose?.();
    const k = this.kernels.indexOf(kernel);
    if (k >= 0) this.kernels.splice(k, 1);
  }

  /** One block of wasm memory for every float slot; JS arrays for the others. */
  private allocate(): void {
    let bytes = 0;
    for (const [i, s] of this.slots.entries()) {
      if (s.root !== i || s.type !== 'float') continue;
      s.offset = bytes;
      bytes += Math.ceil((sizeOf(s.dims) * 4) / 64) * 64;
    }
    this.block = this.ctx.rt.alloc(Math.max(bytes, 64));
    this.slots.forEach((s, i) => {
      if (s.root === i && s.type !== 'float') s.tensor.data = alloc(s.type, s.dims).data;
    });
    this.buffer = undefined;
    this.refresh();
  }

  /** Float views over the current wasm memory (growing it detaches the old ones). */
  private refresh(): void {
    const buffer = this.ctx.rt.memory.buffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    for (const s of this.slots) {
      const root = this.slots[s.root], n = sizeOf(s.dims);
      if (root.type === 'float') s.tensor.data = new Float32Array(buffer, this.block + root.offset + 4 * s.view, n);
      else if (s !== root) s.tensor.data = root.tensor.data.subarray(s.view, s.view + n);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Running

  private execute(steps: Step[]): void {
    for (const step of steps) {
      if (step.kind === 'kernel') { step.kernel.run(step.inputs, step.outputs); continue; }
      const branch = step.branches[this.slots[step.cond].tensor.data[0] ? 0 : 1];
      if (branch.error) throw branch.error;
      this.execute(branch.steps);
      branch.results.forEach((r, k) => {
        const from = r.kind === 'const' ? r.tensor : this.slots[r.slot].tensor;
        (this.slots[step.writes[k]].tensor.data as Float32Array).set(from.data as Float32Array);
      });
    }
  }
}
