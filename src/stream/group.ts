// Many independent streams on one model, stepped together: one kernel call computes every
// member's step as a matrix-matrix product (rows = members) instead of one matrix-vector product
// per member. Members join and leave between steps; the active members always occupy rows
// 0 … size-1 (a leaving member's row is refilled by the last one), so a step costs what the
// current members need, not the capacity.

import { RecurDisposedError, RecurOptionError, RecurShapeError } from '../errors.js';
import { noUnknown, positiveInt } from '../layers/options.js';
import { OwnedBlocks } from '../runtime/reclaim.js';
import type { Runtime } from '../runtime/runtime.js';
import { Workspace } from '../runtime/workspace.js';
import { StackProgram, type StreamLayer } from './program.js';
import { checkPhases, decodeSnapshot, encodeSnapshot, fingerprint } from './snapshot.js';
import type { StreamInput } from './stream.js';

export interface StreamGroupOptions {
  /** Most members at once; memory for their state is reserved up front. */
  capacity: number;
}

export class StreamGroup {
  readonly capacity: number;
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly program: StackProgram;
  private readonly fingerprint: () => number;   // of the architecture, for snapshots
  private readonly idLimit: number;
  private readonly io: Workspace<'x' | 'y'>;
  private readonly list: GroupMember[] = [];
  private nextId = 1;
  /** The program and io blocks: freed by dispose(), or when the group is garbage-collected. */
  private readonly owned = new OwnedBlocks(this);
  private disposed = false;

  /** @internal Use model.streamGroup(). */
  constructor(private readonly rt: Runtime, layers: { name: string; layer: StreamLayer }[], options: StreamGroupOptions) {
    noUnknown('streamGroup', options ?? {}, ['capacity']);
    this.capacity = positiveInt('streamGroup', 'capacity', options?.capacity);
    this.program = this.owned.add(new StackProgram(rt, layers, this.capacity));
    this.inputSize = this.program.inFeatures;
    this.outputSize = this.program.outFeatures;
    let print: number | undefined;             // computed on first use: only snapshots need it
    this.fingerprint = () => (print ??= fingerprint(layers));
    this.idLimit = this.program.idLimit;
    this.io = this.owned.add(new Workspace(rt, { x: this.capacity * this.inputSize, y: this.capacity * this.outputSize }));
  }

  /** Members in row order: row i of step()'s input and output belongs to members[i]. */
  get members(): readonly GroupMember[] { return this.list; }

  get size(): number { return this.list.length; }

  /** A new member with zero state, or with the state of a one-stream snapshot. */
  join(snapshot?: Uint8Array): GroupMember {
    this.alive();
    if (this.list.length === this.capacity) throw new RecurOptionError(`streamGroup: full (capacity ${this.capacity})`);
    const member = new GroupMember(this, this.nextId++);
    const row = this.list.length;
    this.list.push(member);
    try {
      if (snapshot) this.loadRow(row, snapshot); else this.zeroRow(row);
    } catch (err) {
      this.list.pop();
      throw err;
    }
    return member;
  }

  /** One step of every member: xs [size, inputSize] (ids [size]) → a new Float32Array [size, outputSize]. */
  step(xs: StreamInput): Float32Array {
    this.alive();
    const n = this.list.length;
    if (n === 0) throw new RecurShapeError('streamGroup: no members to step');
    const want = n * this.inputSize;
    if (this.idLimit) {
      if (!(xs instanceof Int32Array)) throw new RecurShapeError('streamGroup: this model starts with an embedding; give token ids as an Int32Array');
      for (let i = 0; i < xs.length; i++) {
        if (xs[i] < 0 || xs[i] >= this.idLimit) throw new RecurShapeError(`streamGroup: token id ${xs[i]} at row ${i} is outside [0, ${this.idLimit})`);
      }
    } else if (!(xs instanceof Float32Array)) {
      throw new RecurShapeError('streamGroup: input must be a Float32Array');
    }
    if (xs.length !== want) throw new RecurShapeError(`streamGroup: input [size=${n}, inputSize=${this.inputSize}] should have ${want} values, got ${xs.length}`);
    const x = this.io.at('x');
    (this.idLimit ? this.rt.i32(x, want) : this.rt.f32(x, want)).set(xs);
    this.program.rows = n;
    this.program.run(1, x, this.io.at('y'));
    return this.rt.read(this.io.at('y'), n * this.outputSize);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const m of this.list) m.row = -1;
    this.list.length = 0;
    this.owned.freeAll();
  }

  /** @internal */ saveRow(row: number): Uint8Array {
    this.alive();
    return encodeSnapshot(this.fingerprint(), 1, this.program.states.map((s) => this.rt.read(s.ptr + row * s.rowFloats * 4, s.rowFloats)));
  }

  /** @internal */ loadRow(row: number, snapshot: Uint8Array): void {
    this.alive();
    const states = this.program.states;
    const tensors = decodeSnapshot(snapshot, this.fingerprint(), 1, states.map((s) => s.rowFloats));
    checkPhases(states, tensors);
    states.forEach((s, i) => this.rt.f32(s.ptr + row * s.rowFloats * 4, s.rowFloats).set(tensors[i]));
  }

  /** @internal */ zeroRow(row: number): void {
    for (const s of this.program.states) this.rt.f32(s.ptr + row * s.rowFloats * 4, s.rowFloats).fill(0);
  }

  /** @internal The last member moves into the leaving member's row. */
  remove(member: GroupMember): void {
    const row = member.row;
    const last = this.list.length - 1;
    if (row !== last) {
      for (const s of this.program.states) {
        const all = this.rt.f32(s.ptr, this.capacity * s.rowFloats);
        all.copyWithin(row * s.rowFloats, last * s.rowFloats, (last + 1) * s.rowFloats);
      }
      this.list[row] = this.list[last];
      this.list[row].row = row;
    }
    this.list.pop();
    member.row = -1;
  }

  private alive(): void {
    if (this.disposed) throw new RecurDisposedError('streamGroup: used after dispose()');
  }
}

/** One stream of a StreamGroup. */
export class GroupMember {
  /** @internal Current row in the group's step input/output; -1 once left. */
  row: number;

  /** @internal */
  constructor(private readonly group: StreamGroup, readonly id: number) {
    this.row = group.size;
  }

  /** Whether it is still in its group. */
  get active(): boolean { return this.row >= 0; }

  /** This member's state as a one-stream snapshot (loadable by a Stream of batch 1 too). */
  saveState(): Uint8Array { return this.group.saveRow(this.checkedRow()); }

  loadState(snapshot: Uint8Array): void { this.group.loadRow(this.checkedRow(), snapshot); }

  reset(): void { this.group.zeroRow(this.checkedRow()); }

  /** Leaves the group; the member's row is reused. */
  leave(): void {
    this.checkedRow();
    this.group.remove(this);
  }

  private checkedRow(): number {
    if (this.row < 0) throw new RecurDisposedError(`streamGroup member ${this.id}: has left its group`);
    return this.row;
  }
}
