// Wasm linear memory never shrinks, so recur must give back every byte it takes: a
// create → forward → dispose cycle leaves the runtime exactly as it found it, and the allocator
// under it reuses freed space instead of growing.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Embedding, GRU, Linear, LSTM, RNN, Sequential, Runtime, RecurOptionError, RecurShapeError, RecurValueError, seededRandom } from '../src/node/index.js';
import { ALIGN, Allocator } from '../src/runtime/allocator.js';

const wasmBytes = readFileSync(new URL('../build/recur.wasm', import.meta.url));

/** mulberry32 (recur's seededRandom), so every run does the same operations. */
const prng = seededRandom;

const floats = (n: number, offset = 0) => Float32Array.from({ length: n }, (_, i) => Math.sin(i + offset));

/**
 * One create → forward → dispose cycle per entry; returns the output length, which must be as
 * expected (so each cycle really ran its forward pass).
 */
const CYCLES: [string, (rt: Runtime, i: number) => Promise<number>, number][] = [
  ['LSTM', async (rt, i) => {
    const m = await LSTM.create({ inputSize: 3, hiddenSize: 5, seed: i }, rt);
    try { return m.forward(floats(4 * 3, i)).output.length; } finally { m.dispose(); }
  }, 4 * 5],
  ['GRU, bidirectional, linearBeforeReset false', async (rt, i) => {
    const m = await GRU.create({ inputSize: 4, hiddenSize: 6, bidirectional: true, linearBeforeReset: false, seed: i }, rt);
    try { return m.forward(floats(3 * 2 * 4, i), { batch: 2 }).output.length; } finally { m.dispose(); }
  }, 3 * 2 * 12],
  ['RNN relu, 2 layers, with h0', async (rt, i) => {
    const m = await RNN.create({ inputSize: 2, hiddenSize: 3, numLayers: 2, nonlinearity: 'relu', seed: i }, rt);
    try { return m.forward(floats(5 * 2, i), { h0: floats(6) }).output.length; } finally { m.dispose(); }
  }, 5 * 3],
  ['LSTM, batch-first with peephole (transposing path)', async (rt, i) => {
    const m = await LSTM.create({ inputSize: 2, hiddenSize: 4, batchFirst: true, peephole: true, seed: i }, rt);
    try { return m.forward(floats(2 * 3 * 2, i), { batch: 2, c0: floats(8) }).output.length; } finally { m.dispose(); }
  }, 2 * 3 * 4],
  ['Linear', async (rt, i) => {
    const m = await Linear.create({ inFeatures: 7, outFeatures: 5, seed: i }, rt);
    try { return m.forward(floats(3 * 7, i)).length; } finally { m.dispose(); }
  }, 3 * 5],
  ['Embedding', async (rt, i) => {
    const m = await Embedding.create({ numEmbeddings: 20, embeddingDim: 8, seed: i }, rt);
    try { return m.forward(Int32Array.of(0, i % 20, 19)).length; } finally { m.dispose(); }
  }, 3 * 8],
  ['Sequential embedding → LSTM → linear', async (rt, i) => {
    const m = await Sequential.create({
      layers: [
        { name: 'embed', type: 'embedding', numEmbeddings: 10, embeddingDim: 4, seed: i },
        { name: 'lstm', type: 'lstm', inputSize: 4, hiddenSize: 6, seed: i },
        { name: 'head', type: 'linear', inFeatures: 6, outFeatures: 10, seed: i },
      ],
    }, rt);
    try { return m.forward(Int32Array.of(1, 2, 3, i % 10), { batch: 2 }).output.length; } finally { m.dispose(); }
  }, 4 * 10],
];

describe('create → forward → dispose cycles on one Runtime', () => {
  it('10,000 mixed cycles: memoryBytes stops growing after a warm-up of 100, bytesInUse always returns to its start', async () => {
    const rt = await Runtime.create(wasmBytes);
    const startInUse = rt.bytesInUse;
    let warmMemory = 0;
    let wrongLength = 0, leaked = 0;
    for (let i = 0; i < 10_000; i++) {
      const [, cycle, expected] = CYCLES[i % CYCLES.length];
      if ((await cycle(rt, i)) !== expected) wrongLength++;
      if (rt.bytesInUse !== startInUse) leaked++;
      if (i === 99) warmMemory = rt.memoryBytes;
    }
    expect(wrongLength).toBe(0);
    expect(leaked).toBe(0);
    expect(warmMemory).toBeGreaterThan(0);
    expect(rt.memoryBytes).toBe(warmMemory);
    expect(rt.bytesInUse).toBe(startInUse);
  });

  it.each(CYCLES)('%s: a single cycle gives back every byte it allocated', async (_, cycle, expected) => {
    const rt = await Runtime.create(wasmBytes);
    expect(await cycle(rt, 1)).toBe(expected);
    expect(rt.bytesInUse).toBe(0);
  });

  it('layers that stay alive keep their bytes; disposing them in any order returns all of it', async () => {
    const rt = await Runtime.create(wasmBytes);
    const layers = [
      await LSTM.create({ inputSize: 3, hiddenSize: 5 }, rt),
      await GRU.create({ inputSize: 3, hiddenSize: 5 }, rt),
      await Linear.create({ inFeatures: 3, outFeatures: 5 }, rt),
      await Embedding.create({ numEmbeddings: 3, embeddingDim: 5 }, rt),
    ];
    const held = rt.bytesInUse;
    expect(held).toBeGreaterThan(0);
    (layers[0] as LSTM).forward(floats(6));
    expect(rt.bytesInUse).toBe(held);   // the forward pass's workspace is freed on return
    for (const i of [2, 0, 3, 1]) layers[i].dispose();
    expect(rt.bytesInUse).toBe(0);
  });
});

describe('failed calls allocate nothing', () => {
  let rt: Runtime;
  beforeAll(async () => { rt = await Runtime.create(wasmBytes); });

  it('a rejected forward (bad input) and a rejected loadStateDict (NaN) leave bytesInUse unchanged', async () => {
    const lstm = await LSTM.create({ inputSize: 3, hiddenSize: 4 }, rt);
    const held = rt.bytesInUse;
    expect(() => lstm.forward(new Float32Array(7))).toThrow(RecurShapeError);
    const dict = lstm.stateDict();
    dict.bias_hh_l0[3] = NaN;
    expect(() => lstm.loadStateDict(dict)).toThrow(RecurValueError);
    expect(rt.bytesInUse).toBe(held);
    lstm.dispose();
    expect(rt.bytesInUse).toBe(0);
  });

  it('a Sequential.create that fails on a later layer frees the layers it already made', async () => {
    const before = rt.bytesInUse;
    await expect(Sequential.create({
      layers: [
        { name: 'embed', type: 'embedding', numEmbeddings: 10, embeddingDim: 4 },
        { name: 'lstm', type: 'lstm', inputSize: 4, hiddenSize: 6 },
        { name: 'head', type: 'linear', inFeatures: 5, outFeatures: 10 },   // 5 ≠ 6
      ],
    }, rt)).rejects.toThrow(RecurOptionError);
    expect(rt.bytesInUse).toBe(before);
  });

  it('a create rejected for a bad option that is checked before allocation allocates nothing', async () => {
    const before = rt.bytesInUse;
    await expect(LSTM.create({ inputSize: 3, hiddenSize: 0 }, rt)).rejects.toThrow(RecurOptionError);
    await expect(RNN.create({ inputSize: 3, hiddenSize: 2, nonlinearity: 'gelu' as 'tanh' }, rt)).rejects.toThrow(RecurOptionError);
    expect(rt.bytesInUse).toBe(before);
  });

  it('a create rejected for a bad seed allocates nothing', async () => {
    const before = rt.bytesInUse;
    await expect(LSTM.create({ inputSize: 3, hiddenSize: 4, seed: -1 }, rt)).rejects.toThrow(RecurOptionError);
    await expect(Linear.create({ inFeatures: 3, outFeatures: 4, seed: 1.5 }, rt)).rejects.toThrow(RecurOptionError);
    await expect(Embedding.create({ numEmbeddings: 3, embeddingDim: 4, seed: 2 ** 32 }, rt)).rejects.toThrow(RecurOptionError);
    expect(rt.bytesInUse).toBe(before);
  });
});

describe('Allocator (src/runtime/allocator.ts)', () => {
  const roundUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

  /** An allocator over a pretend memory that records how far it was asked to grow. */
  function allocator(base: number) {
    const memory = { end: 0, grows: 0 };
    const a = new Allocator(base, (minEnd) => { memory.end = Math.max(memory.end, minEnd); memory.grows++; });
    return { a, memory };
  }

  /** A request size: mostly small, sometimes exact multiples of ALIGN, sometimes 0 or large. */
  function size(random: () => number): number {
    const r = random();
    if (r < 0.05) return 0;
    if (r < 0.25) return ALIGN * (1 + Math.floor(random() * 8));
    if (r < 0.9) return 1 + Math.floor(random() * 600);
    return 1 + Math.floor(random() * 20_000);
  }

  it('hands out 64-byte-aligned blocks, never the null pointer, starting at the aligned base', () => {
    expect(ALIGN).toBe(64);
    expect(allocator(1024).a.alloc(1)).toBe(1024);
    expect(allocator(1000).a.alloc(1)).toBe(1024);
    expect(allocator(0).a.alloc(1)).toBe(64);   // pointer 0 means "absent" to the kernels
    expect(allocator(0).a.end).toBe(64);
  });

  it('rounds every block up to a multiple of 64 bytes (a request of 0 still gets a block)', () => {
    const { a } = allocator(1024);
    const p = a.alloc(0), q = a.alloc(65), r = a.alloc(64);
    expect([p, q, r]).toEqual([1024, 1088, 1216]);
    expect(a.bytesInUse).toBe(64 + 128 + 64);
    expect(a.end).toBe(1280);
  });

  it('reuses a freed block first-fit and coalesces neighbours', () => {
    const { a } = allocator(1024);
    const [p, q, r] = [a.alloc(100), a.alloc(100), a.alloc(100)];   // 128 bytes each
    a.alloc(1);                                                     // keeps r from being the top
    a.release(p);
    a.release(q);                                                   // p+q: one free 256-byte block
    expect(a.alloc(200)).toBe(p);                                   // fits only in the merged block
    a.release(r);
    expect(a.alloc(64)).toBe(r);
  });

  it('gives the top of the heap back when the highest block is released', () => {
    const { a } = allocator(1024);
    const p = a.alloc(64), q = a.alloc(1000);
    expect(a.end).toBe(1024 + 64 + 1024);
    a.release(q);
    expect(a.end).toBe(1088);
    a.release(p);
    expect(a.end).toBe(1024);
  });

  it('asks memory to cover every block it hands out; reusing freed space needs no more memory', () => {
    const { a, memory } = allocator(1024);
    const p = a.alloc(5000);
    expect(memory.end).toBeGreaterThanOrEqual(p + 5000);
    a.alloc(10);                      // keeps p's block below the top
    const reach = memory.end, grows = memory.grows;
    a.release(p);
    expect(a.alloc(4000)).toBe(p);    // taken from the freed block…
    expect(memory.grows).toBe(grows); // …without asking for memory
    a.release(p);
    a.alloc(5000);
    expect(memory.end).toBe(reach);
  });

  it('rejects releasing a pointer it did not hand out, or releasing twice', () => {
    const { a } = allocator(1024);
    const p = a.alloc(10);
    expect(() => a.release(p + 64)).toThrow(/is not an allocated block/);
    a.release(p);
    expect(() => a.release(p)).toThrow(/is not an allocated block/);
    expect(a.bytesInUse).toBe(0);
  });

  it.each([[1, 1024], [2, 1000], [3, 0], [4, 65536], [5, 1024]])(
    'random alloc/release sequence (seed %i, base %i): aligned, disjoint, covered by memory; end returns to base',
    (seed, base) => {
      const random = prng(seed);
      const { a, memory } = allocator(base);
      const start = roundUp(Math.max(base, ALIGN));
      const live = new Map<number, number>();   // ptr → requested bytes
      let reserved = 0;                         // sum of rounded sizes of live blocks
      const problems: string[] = [];

      const check = (ptr: number, bytes: number) => {
        if (ptr % ALIGN !== 0) problems.push(`${ptr} is not ${ALIGN}-byte aligned`);
        if (ptr < start) problems.push(`${ptr} is below the base ${start}`);
        if (ptr + bytes > a.end) problems.push(`block ${ptr}+${bytes} ends past end ${a.end}`);
        if (ptr + bytes > memory.end) problems.push(`block ${ptr}+${bytes} ends past grown memory ${memory.end}`);
        const rounded = roundUp(Math.max(bytes, 1));
        for (const [other, otherBytes] of live) {
          const otherRounded = roundUp(Math.max(otherBytes, 1));
          if (ptr < other + otherRounded && other < ptr + rounded) problems.push(`${ptr}+${rounded} overlaps ${other}+${otherRounded}`);
        }
      };

      for (let op = 0; op < 3000; op++) {
        if (live.size === 0 || random() < 0.55) {
          const bytes = size(random);
          const ptr = a.alloc(bytes);
          check(ptr, bytes);
          live.set(ptr, bytes);
          reserved += roundUp(Math.max(bytes, 1));
        } else {
          const ptrs = [...live.keys()];
          const ptr = ptrs[Math.floor(random() * ptrs.length)];
          reserved -= roundUp(Math.max(live.get(ptr)!, 1));
          live.delete(ptr);
          a.release(ptr);
        }
        if (a.bytesInUse !== reserved) problems.push(`op ${op}: bytesInUse ${a.bytesInUse} ≠ ${reserved}`);
        if (a.end % ALIGN !== 0) problems.push(`op ${op}: end ${a.end} is not aligned`);
        if (problems.length) break;
      }
      expect(problems).toEqual([]);
      expect(live.size).toBeGreaterThan(10);   // the sequence really built up a heap

      // Release everything in a random order: the heap is empty and its end is back at the base.
      const remaining = [...live.keys()].sort(() => random() - 0.5);
      for (const ptr of remaining) a.release(ptr);
      expect(a.bytesInUse).toBe(0);
      expect(a.end).toBe(start);
      expect(a.alloc(1)).toBe(start);
    },
  );
});
