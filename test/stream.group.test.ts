// A StreamGroup is many batch-1 streams stepped together: row i of step()'s input and output
// belongs to members[i], and each member's outputs are exactly (bit for bit) those of its own
// Stream fed the same inputs — however members join and leave between steps.

import { describe, expect, it } from 'vitest';
import {
  GRU, LSTM, RecurDisposedError, RecurFormatError, RecurOptionError, RecurShapeError, Sequential,
  type GroupMember, type Stream, type StreamGroup,
} from '../src/node/index.js';

/** A seeded PRNG (mulberry32): the same schedule and inputs on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

type Model = { stream(o?: { batch?: number }): Stream; streamGroup(o: { capacity: number }): StreamGroup; dispose(): void };

interface Case {
  make: () => Promise<Model>;
  inputSize: number;
  /** One member's input for one step. */
  input: (random: () => number) => Float32Array | Int32Array;
}

const floats = (n: number) => (random: () => number) => Float32Array.from({ length: n }, () => random() * 4 - 2);

const CASES: [string, Case][] = [
  ['LSTM, 2 layers', { make: () => LSTM.create({ inputSize: 5, hiddenSize: 7, numLayers: 2, seed: 1 }), inputSize: 5, input: floats(5) }],
  ['GRU', { make: () => GRU.create({ inputSize: 5, hiddenSize: 12, seed: 2 }), inputSize: 5, input: floats(5) }],
  ['embedding → GRU → LSTM → linear', {
    make: () => Sequential.create({ layers: [
      { name: 'embed', type: 'embedding', numEmbeddings: 17, embeddingDim: 6, seed: 1 },
      { name: 'gru', type: 'gru', inputSize: 6, hiddenSize: 8, seed: 2 },
      { name: 'lstm', type: 'lstm', inputSize: 8, hiddenSize: 5, seed: 3 },
      { name: 'head', type: 'linear', inFeatures: 5, outFeatures: 17, seed: 4 }] }),
    inputSize: 1, input: (random) => Int32Array.of(Math.floor(random() * 17)),
  }],
  // Dilated layers keep a ring slot per member: members that joined at different steps read
  // different slots in the same step.
  ['LSTM, dilation [1, 3], learned leak', {
    make: () => LSTM.create({ inputSize: 5, hiddenSize: 7, numLayers: 2, dilation: [1, 3], learnLeak: true, leak: 0.3, seed: 5 }), inputSize: 5, input: floats(5),
  }],
  ['GRU dilation 2 → RNN leak 0.4', {
    make: () => Sequential.create({ layers: [
      { name: 'gru', type: 'gru', inputSize: 5, hiddenSize: 6, dilation: 2, seed: 6 },
      { name: 'rnn', type: 'rnn', inputSize: 6, hiddenSize: 4, leak: 0.4, dilation: 5, seed: 7 }] }),
    inputSize: 5, input: floats(5),
  }],
];

/** The rows of every member's input, concatenated in row order. */
function concat(parts: (Float32Array | Int32Array)[]): Float32Array | Int32Array {
  const out = parts[0] instanceof Int32Array ? new Int32Array(parts.reduce((n, p) => n + p.length, 0)) : new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function concatFloats(parts: Float32Array[]): Float32Array {
  return concat(parts) as Float32Array;
}

describe('a StreamGroup steps its members as separate batch-1 streams would', () => {
  it.each(CASES)('%s: 4 members over 8 steps', async (_name, c) => {
    const model = await c.make();
    const random = prng(7);
    const group = model.streamGroup({ capacity: 6 });
    const members = Array.from({ length: 4 }, () => group.join());
    const own = members.map(() => model.stream());
    expect(group.members).toEqual(members);
    for (let t = 0; t < 8; t++) {
      const xs = members.map(() => c.input(random));
      const y = group.step(concat(xs));
      expect(y).toEqual(concatFloats(own.map((s, i) => s.step(xs[i]))));
      expect(y.length).toBe(4 * group.outputSize);
    }
    members.forEach((m, i) => expect(m.saveState()).toEqual(own[i].saveState()));
    group.dispose(); own.forEach((s) => s.dispose()); model.dispose();
  });

  it.each(CASES)('%s: members join and leave at random over 50 steps (capacity 8)', async (_name, c) => {
    const model = await c.make();
    const random = prng(2024);
    const group = model.streamGroup({ capacity: 8 });
    const own = new Map<GroupMember, Stream>();
    const left: GroupMember[] = [];
    let joinedFromSnapshot = 0, largest = 0;
    for (let t = 0; t < 50; t++) {
      // Some leave: any member, not only the last row.
      while (group.size > 0 && random() < 0.3) {
        const m = group.members[Math.floor(random() * group.size)];
        m.leave();
        own.get(m)!.dispose();
        own.delete(m);
        left.push(m);
      }
      // Some join: fresh, or resuming a stream that has already run a few steps.
      while (group.size < group.capacity && (group.size === 0 || random() < 0.35)) {
        const s = model.stream();
        if (random() < 0.4) {
          for (let k = 0; k < 3; k++) s.step(c.input(random));
          own.set(group.join(s.saveState()), s);
          joinedFromSnapshot++;
        } else {
          own.set(group.join(), s);
        }
      }
      largest = Math.max(largest, group.size);
      expect(group.members.length).toBe(group.size);
      expect(new Set(group.members)).toEqual(new Set(own.keys()));
      const xs = group.members.map(() => c.input(random));
      const y = group.step(concat(xs));
      expect(y).toEqual(concatFloats(group.members.map((m, i) => own.get(m)!.step(xs[i]))));
    }
    for (const [m, s] of own) expect(m.saveState()).toEqual(s.saveState());
    // The schedule really exercised joining, leaving, resuming and a full group.
    expect(left.length).toBeGreaterThan(10);
    expect(joinedFromSnapshot).toBeGreaterThan(5);
    expect(largest).toBe(8);
    expect(left.every((m) => !m.active)).toBe(true);
    group.dispose(); own.forEach((s) => s.dispose()); model.dispose();
  });
});

describe('members and rows', () => {
  it('members lists row order: when a member leaves, the last one takes its row', async () => {
    const layer = await GRU.create({ inputSize: 2, hiddenSize: 3, seed: 3 });
    const group = layer.streamGroup({ capacity: 4 });
    const [a, b, c, d] = [group.join(), group.join(), group.join(), group.join()];
    const x = Float32Array.of(1, 2, -1, 0.5, 0, 0, 3, -2);
    group.step(x);
    const states = [a, b, c, d].map((m) => m.saveState());
    a.leave();
    expect(group.members).toEqual([d, b, c]);
    expect([d, b, c].map((m) => m.saveState())).toEqual([states[3], states[1], states[2]]);
    c.leave();
    expect(group.members).toEqual([d, b]);
    const e = group.join();
    expect(group.members).toEqual([d, b, e]);

    // Row 0 is now d's: the step continues d's sequence, not a's.
    const alone = layer.stream();
    alone.loadState(states[3]);
    const y = group.step(Float32Array.of(5, 6, 0, 0, 0, 0));
    expect(y.subarray(0, 3)).toEqual(alone.step(Float32Array.of(5, 6)));
    group.dispose(); alone.dispose(); layer.dispose();
  });

  it('a member that joined without a snapshot starts from zero state, even in a reused row', async () => {
    const layer = await LSTM.create({ inputSize: 2, hiddenSize: 3, seed: 4 });
    const group = layer.streamGroup({ capacity: 2 });
    const a = group.join();
    group.join();
    group.step(Float32Array.of(1, 1, 1, 1));
    const zero = layer.stream().saveState();
    a.leave();
    group.members[0].leave();
    const fresh = group.join();
    expect(fresh.saveState()).toEqual(zero);
    group.dispose(); layer.dispose();
  });

  it('member.reset() zeroes that member only', async () => {
    const layer = await LSTM.create({ inputSize: 2, hiddenSize: 3, seed: 5 });
    const group = layer.streamGroup({ capacity: 2 });
    const [a, b] = [group.join(), group.join()];
    group.step(Float32Array.of(1, 2, 3, 4));
    const before = b.saveState();
    a.reset();
    expect(a.saveState()).toEqual(layer.stream().saveState());
    expect(b.saveState()).toEqual(before);
    group.dispose(); layer.dispose();
  });

  it('join(snapshot) starts from the snapshot\'s state', async () => {
    const layer = await LSTM.create({ inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 6 });
    const s = layer.stream();
    const random = prng(8);
    for (let t = 0; t < 5; t++) s.step(floats(3)(random));
    const group = layer.streamGroup({ capacity: 3 });
    group.join();
    const m = group.join(s.saveState());
    expect(m.saveState()).toEqual(s.saveState());
    for (let t = 0; t < 4; t++) {
      const x = floats(3)(random);
      const rows = new Float32Array(6);
      rows.set(x, 3);
      expect(group.step(rows).subarray(4, 8)).toEqual(s.step(x));
    }
    group.dispose(); s.dispose(); layer.dispose();
  });

  it('join(bad snapshot) throws RecurFormatError and adds no member', async () => {
    const layer = await GRU.create({ inputSize: 2, hiddenSize: 3, seed: 7 });
    const other = await GRU.create({ inputSize: 2, hiddenSize: 4, seed: 7 });
    const group = layer.streamGroup({ capacity: 2 });
    const a = group.join();
    expect(() => group.join(other.stream().saveState())).toThrow(RecurFormatError);
    expect(() => group.join(new Uint8Array(3))).toThrow(RecurFormatError);
    expect(group.members).toEqual([a]);
    group.join();
    expect(group.size).toBe(2);
    group.dispose(); layer.dispose(); other.dispose();
  });
});

describe('misuse', () => {
  it('a member that left throws RecurDisposedError', async () => {
    const layer = await LSTM.create({ inputSize: 2, hiddenSize: 3, seed: 8 });
    const group = layer.streamGroup({ capacity: 2 });
    const m = group.join();
    const snapshot = m.saveState();
    m.leave();
    expect(m.active).toBe(false);
    expect(() => m.saveState()).toThrow(RecurDisposedError);
    expect(() => m.saveState()).toThrow(/has left its group/);
    expect(() => m.loadState(snapshot)).toThrow(RecurDisposedError);
    expect(() => m.reset()).toThrow(RecurDisposedError);
    expect(() => m.leave()).toThrow(RecurDisposedError);
    group.dispose(); layer.dispose();
  });

  it('joining a full group throws RecurOptionError; a leave makes room', async () => {
    const layer = await GRU.create({ inputSize: 2, hiddenSize: 3, seed: 9 });
    const group = layer.streamGroup({ capacity: 3 });
    const members = [group.join(), group.join(), group.join()];
    expect(() => group.join()).toThrow(RecurOptionError);
    expect(() => group.join()).toThrow(/full \(capacity 3\)/);
    expect(group.size).toBe(3);
    members[1].leave();
    expect(group.join().active).toBe(true);
    group.dispose(); layer.dispose();
  });

  it('step() with a wrong input length, or with no members, throws RecurShapeError', async () => {
    const layer = await LSTM.create({ inputSize: 3, hiddenSize: 4, seed: 10 });
    const group = layer.streamGroup({ capacity: 4 });
    expect(() => group.step(new Float32Array(3))).toThrow(RecurShapeError);
    expect(() => group.step(new Float32Array(0))).toThrow(/no members/);
    group.join(); group.join();
    for (const n of [0, 3, 5, 7, 12]) {
      expect(() => group.step(new Float32Array(n))).toThrow(RecurShapeError);
    }
    expect(() => group.step(new Float32Array(5))).toThrow(/should have 6 values, got 5/);
    expect(() => group.step(new Int32Array(6) as never)).toThrow(RecurShapeError);
    expect(group.step(new Float32Array(6)).length).toBe(8);
    group.dispose(); layer.dispose();
  });

  it('token ids: a Float32Array or an id out of range throws RecurShapeError and changes no state', async () => {
    const model = await Sequential.create({ layers: [
      { name: 'embed', type: 'embedding', numEmbeddings: 5, embeddingDim: 3, seed: 1 },
      { name: 'lstm', type: 'lstm', inputSize: 3, hiddenSize: 4, seed: 2 }] });
    const group = model.streamGroup({ capacity: 2 });
    const [a, b] = [group.join(), group.join()];
    group.step(Int32Array.of(1, 2));
    const before = [a.saveState(), b.saveState()];
    expect(() => group.step(Float32Array.of(1, 2))).toThrow(RecurShapeError);
    expect(() => group.step(Int32Array.of(1, 5))).toThrow(/token id 5 .* outside \[0, 5\)/);
    expect(() => group.step(Int32Array.of(-1, 0))).toThrow(RecurShapeError);
    expect(() => group.step(Int32Array.of(1))).toThrow(RecurShapeError);
    expect([a.saveState(), b.saveState()]).toEqual(before);
    group.dispose(); model.dispose();
  });

  it('capacity must be a positive integer', async () => {
    const layer = await GRU.create({ inputSize: 2, hiddenSize: 3, seed: 11 });
    for (const capacity of [0, -1, 1.5, '2', undefined]) {
      expect(() => layer.streamGroup({ capacity } as never)).toThrow(RecurOptionError);
    }
    expect(() => layer.streamGroup(undefined as never)).toThrow(RecurOptionError);
    expect(() => layer.streamGroup({ capacity: 2, batch: 2 } as never)).toThrow(/unknown option batch/);
    layer.dispose();
  });

  it('a disposed group: members are inactive, and join() and step() throw RecurDisposedError', async () => {
    const layer = await GRU.create({ inputSize: 2, hiddenSize: 3, seed: 12 });
    const group = layer.streamGroup({ capacity: 2 });
    const m = group.join();
    group.dispose();
    expect(m.active).toBe(false);
    expect(group.size).toBe(0);
    expect(() => m.saveState()).toThrow(RecurDisposedError);
    expect(() => group.join()).toThrow(RecurDisposedError);
    expect(() => group.step(new Float32Array(2))).toThrow(RecurDisposedError);
    group.dispose();   // twice is harmless
    layer.dispose();
  });

  it('a disposed model: step() throws RecurDisposedError', async () => {
    const layer = await GRU.create({ inputSize: 2, hiddenSize: 3, seed: 13 });
    const group = layer.streamGroup({ capacity: 2 });
    group.join();
    layer.dispose();
    expect(() => group.step(new Float32Array(2))).toThrow(RecurDisposedError);
    expect(() => layer.streamGroup({ capacity: 2 })).toThrow(RecurDisposedError);
    group.dispose();
  });
});

describe('bidirectional models cannot stream', () => {
  it('LSTM: stream() and streamGroup() throw RecurOptionError naming the reason, and allocate nothing', async () => {
    const layer = await LSTM.create({ inputSize: 2, hiddenSize: 3, bidirectional: true, seed: 14 });
    const before = layer.runtime.bytesInUse;
    expect(() => layer.stream()).toThrow(RecurOptionError);
    expect(() => layer.stream()).toThrow(/bidirectional/);
    expect(() => layer.streamGroup({ capacity: 2 })).toThrow(RecurOptionError);
    expect(() => layer.streamGroup({ capacity: 2 })).toThrow(/bidirectional/);
    expect(layer.runtime.bytesInUse).toBe(before);
    layer.dispose();
  });

  it('Sequential with a bidirectional GRU: the message names the layer', async () => {
    const model = await Sequential.create({ layers: [
      { name: 'encoder', type: 'gru', inputSize: 2, hiddenSize: 3, bidirectional: true, seed: 1 },
      { name: 'head', type: 'linear', inFeatures: 6, outFeatures: 2, seed: 2 }] });
    const before = model.runtime.bytesInUse;
    expect(() => model.stream()).toThrow(RecurOptionError);
    expect(() => model.stream()).toThrow(/encoder is bidirectional/);
    expect(() => model.streamGroup({ capacity: 3 })).toThrow(RecurOptionError);
    expect(() => model.streamGroup({ capacity: 3 })).toThrow(/encoder is bidirectional/);
    expect(model.runtime.bytesInUse).toBe(before);
    model.dispose();
  });
});
