// A layer's parameters: one block of wasm memory holding every tensor in the layout its kernels
// want, addressed by PyTorch name. get() and set() convert from and to PyTorch's layout, so
// stateDict() gives back exactly what loadStateDict() was given.

import { kindOf, RecurShapeError, RecurStateDictError, RecurValueError } from '../errors.js';
import { ALIGN } from './allocator.js';
import { packedLength, packQ8, padGates, padHidden, q8Layout, unpackQ8, unpackWeight, unpadGates } from './pack.js';
import type { Random } from './random.js';
import type { Runtime } from './runtime.js';

/** How a tensor is stored: see runtime/pack.ts. */
export type ParamLayout =
  // [G·H, K] weight; `groups` splits the gates into separately packed matrices (e.g. [2, 1]
  // for the GRU whose n gate multiplies r ⊙ h), default one group of all G gates.
  | { kind: 'packed'; gates: number; hidden: number; inputs: number; groups?: number[] }
  // the same weight as int8 with per-row scales (read-only for training; see pack.ts packQ8)
  | { kind: 'int8'; gates: number; hidden: number; inputs: number; groups?: number[] }
  | { kind: 'gates'; gates: number; hidden: number }                    // [G·H] vector
  | { kind: 'plain' };                                                  // as is

export interface ParamSpec {
  name: string;
  shape: number[];          // PyTorch's shape
  layout: ParamLayout;
}

interface Slot { spec: ParamSpec; offset: number; length: number }

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A tensor's values: an array or a typed array of numbers (not BigInt64Array, not a DataView). */
const isNumbers = (data: unknown): data is ArrayLike<number> =>
  Array.isArray(data) || (ArrayBuffer.isView(data) && !(data instanceof DataView) &&
                          !(data instanceof BigInt64Array) && !(data instanceof BigUint64Array));

const groupsOf = (l: { gates: number; groups?: number[] }) => l.groups ?? [l.gates];

function storedLength(spec: ParamSpec): number {
  const l = spec.layout;
  if (l.kind === 'packed') {
    return groupsOf(l).reduce((n, g) => n + packedLength(g, l.hidden, l.inputs), 0);
  }
  if (l.kind === 'int8') return Math.ceil(int8Bytes(l) / 4);
  if (l.kind === 'gates') return l.gates * padHidden(l.hidden);
  return product(spec.shape);
}

/** Bytes of an int8 weight: each group's data and scales, each group 64-byte aligned. */
function int8Offsets(l: { gates: number; hidden: number; inputs: number; groups?: number[] }): number[] {
  const offsets = [0];
  for (const g of groupsOf(l)) offsets.push(offsets[offsets.length - 1] + Math.ceil(q8Layout(g, l.hidden, l.inputs).bytes / ALIGN) * ALIGN);
  return offsets;
}
const int8Bytes = (l: { gates: number; hidden: number; inputs: number; groups?: number[] }) => int8Offsets(l).at(-1)!;

export class Parameters {
  readonly ptr: number;
  readonly bytes: number;
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly rt: Runtime, private readonly specs: ParamSpec[]) {
    let offset = 0;
    for (const spec of specs) {
      const length = storedLength(spec);
      this.slots.set(spec.name, { spec, offset, length });
      offset += Math.ceil((length * 4) / ALIGN) * ALIGN;
    }
    this.bytes = offset;
    this.ptr = rt.alloc(offset);
    rt.f32(this.ptr, offset / 4).fill(0);
  }

  get names(): string[] { return [...this.slots.keys()]; }

  /** A zeroed block of the same tensors and layout (for gradients, optimizer moments). */
  twin(): Parameters { return new Parameters(this.rt, this.specs); }

  /** Per-tensor (parameter, gradient) ranges for optimizers, named prefix + PyTorch name. */
  slotsWith(grads: Parameters, prefix = ''): { name: string; param: number; grad: number; floats: number }[] {
    return [...this.slots.values()].map(({ spec, offset, length }) => ({
      name: prefix + spec.name, param: this.ptr + offset, grad: grads.ptr + offset, floats: length,
    }));
  }

  /** Sets every value (padding included) to 0. */
  zero(): void { this.rt.f32(this.ptr, this.bytes / 4).fill(0); }

  has(name: string): boolean { return this.slots.has(name); }

  shape(name: string): number[] { return this.slot(name).spec.shape; }

  /** Byte address of a tensor in its stored layout (for kernel calls); of its group-th packed group. */
  ptrOf(name: string, group = 0): number {
    const { spec, offset } = this.slot(name);
    let at = this.ptr + offset;
    const l = spec.layout;
    if (l.kind === 'packed') {
      for (const g of groupsOf(l).slice(0, group)) at += packedLength(g, l.hidden, l.inputs) * 4;
    }
    if (l.kind === 'int8') at += int8Offsets(l)[group];
    return at;
  }

  /**
   * Byte address of the row scales of an int8 tensor's group-th group, or 0 for f32 tensors;
   * bit 0 set when the group's values are held in 16 bits (pack.ts q8Layout), which is how the
   * kernels (assembly/quant.ts) learn the width.
   */
  scalesOf(name: string, group = 0): number {
    const l = this.slot(name).spec.layout;
    if (l.kind !== 'int8') return 0;
    const { scalesAt, wide } = q8Layout(groupsOf(l)[group], l.hidden, l.inputs);
    return (this.ptrOf(name, group) + scalesAt) | (wide ? 1 : 0);
  }

  /** Whether any tensor is stored as int8 (such parameters cannot be trained in place). */
  get quantized(): boolean { return this.specs.some((s) => s.layout.kind === 'int8'); }

  /** Stores a tensor given in PyTorch's layout, after checking its length and values. */
  set(name: string, data: ArrayLike<number>, label = name): void {
    if (!isNumbers(data)) {
      throw new RecurStateDictError(`${label}: expected a Float32Array (or an array of numbers), got ${kindOf(data)}`);
    }
    const expected = this.checkLength(name, data.length, label);
    const staging = this.rt.alloc(expected * 4);
    try {
      this.rt.f32(staging, expected).set(data);
      this.setFrom(name, staging, label);
    } finally {
      this.rt.free(staging);
    }
  }

  /**
   * Stores a tensor already in wasm memory (at src, PyTorch's layout, product(shape) floats):
   * the finiteness check and the packing run in wasm, which matters at start-up, when every
   * weight passes through here once and JavaScript is still cold.
   */
  setFrom(name: string, src: number, label = name): void {
    const { spec, offset, length } = this.slot(name);
    const n = product(spec.shape);
    const k = this.rt.kernels;
    if (k.countNonFinite(src, n) > 0) {
      const values = this.rt.f32(src, n);
      const i = values.findIndex((v) => !Number.isFinite(v));
      throw new RecurValueError(`${label}: value ${values[i]} at index ${i} is not finite`);
    }
    const at = this.ptr + offset;
    const l = spec.layout;
    if (l.kind === 'packed') {
      let row = 0, bytes = 0;
      for (const g of groupsOf(l)) {
        k.packWeight(src + row * l.inputs * 4, g, l.hidden, l.inputs, at + bytes);
        row += g * l.hidden; bytes += packedLength(g, l.hidden, l.inputs) * 4;
      }
    } else if (l.kind === 'int8') {
      const values = this.rt.f32(src, n);
      const bytes = new Uint8Array(this.rt.memory.buffer, at, length * 4);
      const offsets = int8Offsets(l);
      let row = 0;
      groupsOf(l).forEach((g, i) => {
        packQ8(values.subarray(row * l.inputs, (row + g * l.hidden) * l.inputs), g, l.hidden, l.inputs,
               bytes.subarray(offsets[i], offsets[i + 1]));
        row += g * l.hidden;
      });
    } else if (l.kind === 'gates') {
      padGates(this.rt.f32(src, n), l.gates, l.hidden, this.rt.f32(at, length));
    } else {
      this.rt.f32(at, length).set(this.rt.f32(src, n));
    }
  }

  /** Fills a tensor with U(-bound, bound) values from `random` (as torch.nn.init.uniform_). */
  initUniform(name: string, random: Random, bound: number): void {
    const n = product(this.slot(name).spec.shape);
    const staging = this.rt.alloc(n * 4);
    try {
      random.uniformInto(this.rt, staging, n, bound);
      this.setFrom(name, staging);
    } finally {
      this.rt.free(staging);
    }
  }

  private checkLength(name: string, length: number, label: string): number {
    const { spec } = this.slot(name);
    const expected = product(spec.shape);
    if (length !== expected) {
      throw new RecurShapeError(`${label}: expected ${expected} values (shape [${spec.shape}]), got ${length}`);
    }
    return expected;
  }

  /** A copy of a tensor in PyTorch's layout. */
  get(name: string): Float32Array {
    const { spec, offset, length } = this.slot(name);
    const src = this.rt.f32(this.ptr + offset, length);
    const l = spec.layout;
    if (l.kind === 'packed') {
      const out = new Float32Array(l.gates * l.hidden * l.inputs);
      let row = 0, at = 0;
      for (const g of groupsOf(l)) {
        const n = packedLength(g, l.hidden, l.inputs);
        out.set(unpackWeight(src.subarray(at, at + n), g, l.hidden, l.inputs), row * l.inputs);
        row += g * l.hidden; at += n;
      }
      return out;
    }
    if (l.kind === 'int8') {
      const bytes = new Uint8Array(this.rt.memory.buffer, this.ptr + offset, length * 4);
      const offsets = int8Offsets(l);
      const out = new Float32Array(l.gates * l.hidden * l.inputs);
      let row = 0;
      groupsOf(l).forEach((g, i) => {
        out.set(unpackQ8(bytes.subarray(offsets[i], offsets[i + 1]), g, l.hidden, l.inputs), row * l.inputs);
        row += g * l.hidden;
      });
      return out;
    }
    if (l.kind === 'gates') return unpadGates(src, l.gates, l.hidden);
    return src.slice();
  }

  /** Loads every tensor from a dict keyed by name (plus prefix); missing or extra names throw. */
  load(dict: Record<string, ArrayLike<number>>, prefix = '', atomic = true): void {
    const missing = this.names.filter((n) => dict[prefix + n] === undefined);
    // Keys of other layers (other prefixes) are not ours to judge; Sequential checks those.
    const extra = Object.keys(dict).filter((k) => k.startsWith(prefix) && !this.has(k.slice(prefix.length)));
    if (missing.length || extra.length) {
      const parts = [];
      if (missing.length) parts.push(`missing ${missing.map((n) => prefix + n).join(', ')}`);
      if (extra.length) parts.push(`unexpected ${extra.join(', ')}`);
      throw new RecurStateDictError(`state dict does not fit: ${parts.join('; ')}`);
    }
    if (!atomic) {                                // a fresh block (loadModel): no undo needed
      for (const name of this.names) this.set(name, dict[prefix + name], prefix + name);
      return;
    }
    // Validate everything before writing anything, so a bad dict leaves the layer unchanged.
    const staged = this.twin();
    try {
      for (const name of this.names) staged.set(name, dict[prefix + name], prefix + name);
      this.rt.f32(this.ptr, this.bytes / 4).set(this.rt.f32(staged.ptr, staged.bytes / 4));
    } finally {
      staged.dispose();
    }
  }

  /** A copy of the whole block as stored (for undo: no unpacking, one memory copy). */
  raw(): Float32Array { return this.rt.f32(this.ptr, this.bytes / 4).slice(); }

  /** Puts back a block copied by raw(). */
  restoreRaw(copy: Float32Array): void { this.rt.f32(this.ptr, this.bytes / 4).set(copy); }

  /** Every tensor in PyTorch's layout, keyed by prefix + name. */
  dump(prefix = ''): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const name of this.names) out[prefix + name] = this.get(name);
    return out;
  }

  /** Number of scalar parameters (PyTorch's count, without padding). */
  get count(): number {
    let n = 0;
    for (const { spec } of this.slots.values()) n += product(spec.shape);
    return n;
  }

  dispose(): void { this.rt.free(this.ptr); }

  private slot(name: string): Slot {
    const s = this.slots.get(name);
    if (!s) throw new RecurStateDictError(`no parameter named ${name}; have ${this.names.join(', ')}`);
    return s;
  }
}
