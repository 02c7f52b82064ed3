// A stream's state can be saved and restored: saveState() writes every layer's h (and c) as bytes,
// and loadState() of those bytes — in the same stream, a new stream, another Runtime or another
// process — continues bit-for-bit as the original would have. Bytes that are not a snapshot of
// this architecture and batch are refused with a RecurFormatError and leave the state untouched.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GRU, LSTM, RNN, RecurFormatError, Runtime, Sequential, type LayerDescription, type Stream,
} from '../src/node/index.js';
import { defaultWasmUrl } from './helpers.js';

const wasmPath = fileURLToPath(defaultWasmUrl());   // the build the default runtime loads

function inputs(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 4 - 2);
}

function tokenIds(n: number, vocabulary: number, seed: number): Int32Array {
  let s = seed;
  return Int32Array.from({ length: n }, () => (s = (s * 1103515245 + 12345) >>> 0) % vocabulary);
}

/** Steps `count` inputs of `perStep` values each, returning every output. */
function run(s: Stream, xs: Float32Array | Int32Array, count: number): Float32Array[] {
  const perStep = xs.length / count;
  return Array.from({ length: count }, (_, t) => s.step(xs.subarray(t * perStep, (t + 1) * perStep)));
}

const CHAR_MODEL: LayerDescription[] = [
  { name: 'embed', type: 'embedding', numEmbeddings: 13, embeddingDim: 6, seed: 1 },
  { name: 'lstm', type: 'lstm', inputSize: 6, hiddenSize: 9, numLayers: 2, seed: 2 },
  { name: 'head', type: 'linear', inFeatures: 9, outFeatures: 13, seed: 3 },
];

type Model = { stream(o?: { batch?: number }): Stream; dispose(): void };

const MODELS: [string, () => Promise<Model>, (n: number, seed: number) => Float32Array | Int32Array][] = [
  ['LSTM, 2 layers, peephole', () => LSTM.create({ inputSize: 4, hiddenSize: 7, numLayers: 2, peephole: true, seed: 1 }), (n, seed) => inputs(n * 4, seed)],
  ['GRU, linearBeforeReset false', () => GRU.create({ inputSize: 4, hiddenSize: 10, linearBeforeReset: false, seed: 2 }), (n, seed) => inputs(n * 4, seed)],
  ['RNN relu', () => RNN.create({ inputSize: 4, hiddenSize: 5, nonlinearity: 'relu', seed: 3 }), (n, seed) => inputs(n * 4, seed)],
  ['embedding → LSTM ×2 → linear', () => Sequential.create({ layers: CHAR_MODEL }), (n, seed) => tokenIds(n, 13, seed)],
];

describe('loadState(saveState()) continues exactly where the snapshot was taken', () => {
  const B = 3;

  it.each(MODELS)('%s: in the same stream and in a new one', async (_name, make, data) => {
    const model = await make();
    const s = model.stream({ batch: B });
    run(s, data(5 * B, 11), 5);
    const snapshot = s.saveState();
    const next = data(6 * B, 12);
    const original = run(s, next, 6);

    s.loadState(snapshot);
    expect(run(s, next, 6)).toEqual(original);

    const fresh = model.stream({ batch: B });
    fresh.loadState(snapshot);
    expect(run(fresh, next, 6)).toEqual(original);
    expect(fresh.saveState()).toEqual(s.saveState());
    s.dispose(); fresh.dispose(); model.dispose();
  });

  it('saveState() does not disturb the stream', async () => {
    const layer = await LSTM.create({ inputSize: 4, hiddenSize: 6, seed: 4 });
    const a = layer.stream(), b = layer.stream();
    const x = inputs(8 * 4, 5);
    for (let t = 0; t < 8; t++) {
      const step = x.subarray(t * 4, (t + 1) * 4);
      a.saveState();
      expect(a.step(step)).toEqual(b.step(step));
    }
    a.dispose(); b.dispose(); layer.dispose();
  });

  it('the snapshot holds forward()\'s final h and c, layer by layer, in the documented little-endian layout', async () => {
    const layer = await LSTM.create({ inputSize: 4, hiddenSize: 5, numLayers: 2, seed: 6 });
    const x = inputs(7 * 2 * 4, 7);
    const whole = layer.forward(x, { seqLen: 7, batch: 2 });
    const s = layer.stream({ batch: 2 });
    s.steps(x, 7);
    const bytes = s.saveState();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('RCST');
    expect(view.getUint32(4, true)).toBe(1);           // version
    expect(view.getUint32(12, true)).toBe(2);          // rows (streams)
    expect(view.getUint32(16, true)).toBe(4);          // h_l0, c_l0, h_l1, c_l1
    const data = 20 + 4 * 4;
    for (let i = 0; i < 4; i++) expect(view.getUint32(20 + 4 * i, true)).toBe(2 * 5);
    expect(bytes.byteLength).toBe(data + 4 * 4 * 2 * 5);
    const tensor = (i: number) => Float32Array.from({ length: 10 }, (_, j) => view.getFloat32(data + 4 * (10 * i + j), true));
    for (let l = 0; l < 2; l++) {
      expect(tensor(2 * l)).toEqual(whole.h.subarray(l * 10, (l + 1) * 10));
      expect(tensor(2 * l + 1)).toEqual(whole.c!.subarray(l * 10, (l + 1) * 10));
    }
    s.dispose(); layer.dispose();
  });

  it('weights are not part of the snapshot: it loads into the same architecture with other weights', async () => {
    const a = await GRU.create({ inputSize: 3, hiddenSize: 4, seed: 1 });
    const b = await GRU.create({ inputSize: 3, hiddenSize: 4, seed: 2 });
    const sa = a.stream();
    run(sa, inputs(3 * 3, 8), 3);
    const sb = b.stream();
    sb.loadState(sa.saveState());
    expect(sb.saveState()).toEqual(sa.saveState());
    sa.dispose(); sb.dispose(); a.dispose(); b.dispose();
  });

  it('a snapshot in a view at an odd byte offset of a larger buffer loads the same', async () => {
    const layer = await LSTM.create({ inputSize: 4, hiddenSize: 6, seed: 9 });
    const s = layer.stream();
    run(s, inputs(4 * 4, 10), 4);
    const snapshot = s.saveState();
    const padded = new Uint8Array(snapshot.length + 8);
    padded.set(snapshot, 3);
    const next = inputs(3 * 4, 11);
    const expected = run(s, next, 3);
    s.loadState(padded.subarray(3, 3 + snapshot.length));
    expect(run(s, next, 3)).toEqual(expected);
    s.dispose(); layer.dispose();
  });
});

describe('a state that is not finite', () => {
  it('a relu RNN whose h overflowed to Infinity: loadState(saveState()) restores it', async () => {
    const layer = await RNN.create({ inputSize: 1, hiddenSize: 2, nonlinearity: 'relu', bias: false, seed: 1 });
    layer.loadStateDict({ weight_ih_l0: [1e30, 1e30], weight_hh_l0: [0, 0, 0, 0] });   // finite weights
    const s = layer.stream();
    expect(s.step(Float32Array.of(1e10))).toEqual(Float32Array.of(Infinity, Infinity));
    const snapshot = s.saveState();
    s.reset();
    s.loadState(snapshot);
    expect(s.saveState()).toEqual(snapshot);
    s.dispose(); layer.dispose();
  });
});

describe('reset()', () => {
  it.each(MODELS)('%s: a reset stream behaves as a fresh one', async (_name, make, data) => {
    const model = await make();
    const used = model.stream({ batch: 2 });
    run(used, data(4 * 2, 21), 4);
    used.reset();
    const fresh = model.stream({ batch: 2 });
    expect(used.saveState()).toEqual(fresh.saveState());
    const next = data(5 * 2, 22);
    expect(run(used, next, 5)).toEqual(run(fresh, next, 5));
    used.dispose(); fresh.dispose(); model.dispose();
  });
});

describe('a snapshot moves to another Runtime', () => {
  it('a model rebuilt from stateDict() in a second wasm instance continues bit-for-bit', async () => {
    const model = await Sequential.create({ layers: CHAR_MODEL });
    const other = await Runtime.create(readFileSync(wasmPath));
    expect(other).not.toBe(model.runtime);
    // Other seeds, so the weights can only come from the state dict.
    const twin = await Sequential.create({ layers: CHAR_MODEL.map((d) => ({ ...d, seed: (d.seed ?? 0) + 100 })) }, other);
    twin.loadStateDict(model.stateDict());
    expect(twin.runtime).toBe(other);

    const s = model.stream({ batch: 2 });
    run(s, tokenIds(9 * 2, 13, 31), 9);
    const snapshot = s.saveState();
    const next = tokenIds(7 * 2, 13, 32);
    const expected = run(s, next, 7);

    const t = twin.stream({ batch: 2 });
    t.loadState(snapshot);
    expect(run(t, next, 7)).toEqual(expected);
    expect(t.saveState()).toEqual(s.saveState());
    s.dispose(); t.dispose(); model.dispose(); twin.dispose();
  });
});

describe('a snapshot survives a process restart', () => {
  // The child process is plain Node: it imports recur compiled from src/ by the TypeScript compiler
  // (transpileModule, one file at a time: no bundler, no type check), with recur.wasm where the
  // Node entry point looks for it, and reads the model, the snapshot and the inputs from disk.
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'recur-state-'));
    const src = fileURLToPath(new URL('../src/', import.meta.url));
    const walk = (d: string): string[] => readdirSync(d).flatMap((f) => {
      const p = join(d, f);
      return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
    });
    for (const file of walk(src)) {
      const out = join(dir, 'src', relative(src, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(out), { recursive: true });
      const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      writeFileSync(out, outputText);
    }
    mkdirSync(join(dir, 'build'));
    for (const file of ['recur.wasm', 'recur-relaxed.wasm']) copyFileSync(fileURLToPath(new URL(`../build/${file}`, import.meta.url)), join(dir, 'build', file));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    writeFileSync(join(dir, 'continue.mjs'), `
      import { readFileSync } from 'node:fs';
      const { Sequential } = await import('./src/node/index.js');
      const read = (f) => readFileSync(new URL(f, import.meta.url));
      const f32 = (b64) => new Float32Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer);
      const job = JSON.parse(read('./job.json'));
      const model = await Sequential.create(job.description);
      model.loadStateDict(Object.fromEntries(Object.entries(job.weights).map(([k, v]) => [k, f32(v)])));
      const s = model.stream({ batch: job.batch });
      s.loadState(new Uint8Array(read('./snapshot.bin')));
      const out = job.steps.map((ids) => Buffer.from(s.step(Int32Array.from(ids)).buffer).toString('base64'));
      process.stdout.write(JSON.stringify(out));
    `);
  }, 60_000);   // transpiles every file of src/: seconds on a busy machine

  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('another Node process loads model and snapshot from disk and steps to the same outputs', async () => {
    const B = 2;
    // Other seeds for the child, so its weights can only come from the state dict.
    const description = { layers: CHAR_MODEL.map((d) => ({ ...d, seed: (d.seed ?? 0) + 100 })) };
    const model = await Sequential.create({ layers: CHAR_MODEL });
    const s = model.stream({ batch: B });
    run(s, tokenIds(10 * B, 13, 41), 10);
    writeFileSync(join(dir, 'snapshot.bin'), s.saveState());
    const steps = Array.from({ length: 6 }, (_, t) => Array.from(tokenIds(B, 13, 42 + t)));
    const weights = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')]));
    writeFileSync(join(dir, 'job.json'), JSON.stringify({ description, weights, batch: B, steps }));

    const expected = steps.map((ids) => s.step(Int32Array.from(ids)));
    const stdout = execFileSync(process.execPath, [...process.execArgv.filter((a) => a.includes('relaxed-simd')), join(dir, 'continue.mjs')], { encoding: 'utf8' });   // same build: same flag, same RECUR_WASM
    const got = (JSON.parse(stdout) as string[]).map((b64) => new Float32Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer));
    expect(got).toEqual(expected);
    expect(got[0].length).toBe(B * 13);
    s.dispose(); model.dispose();
  });
});

describe('loadState() refuses what is not a snapshot of this architecture and batch', () => {
  let layer: LSTM;
  let s: Stream;
  let good: Uint8Array;
  const probe = inputs(3 * 2 * 4, 51);

  beforeAll(async () => {
    layer = await LSTM.create({ inputSize: 4, hiddenSize: 6, numLayers: 2, seed: 12 });
    s = layer.stream({ batch: 2 });
    run(s, inputs(5 * 2 * 4, 50), 5);
    good = s.saveState();
  });

  afterAll(() => { s.dispose(); layer.dispose(); });

  /** Throws RecurFormatError matching `message`, and the stream's state is what it was. */
  function refuses(snapshot: unknown, message: RegExp): void {
    s.loadState(good);
    const expected = run(s, probe, 3);
    s.loadState(good);
    let error: unknown;
    try { s.loadState(snapshot as Uint8Array); } catch (err) { error = err; }
    expect(error).toBeInstanceOf(RecurFormatError);
    expect((error as Error).message).toMatch(message);
    expect(run(s, probe, 3)).toEqual(expected);
  }

  const patched = (at: number, value: number) => {
    const bytes = good.slice();
    new DataView(bytes.buffer).setUint32(at, value, true);
    return bytes;
  };

  it('a snapshot of another hidden size', async () => {
    const wider = await LSTM.create({ inputSize: 4, hiddenSize: 7, numLayers: 2, seed: 12 });
    const w = wider.stream({ batch: 2 });
    refuses(w.saveState(), /another architecture/);
    w.dispose(); wider.dispose();
  });

  it('a snapshot of another layer kind with the same state sizes', async () => {
    const gru = await GRU.create({ inputSize: 4, hiddenSize: 6, numLayers: 4, seed: 12 });   // 4 tensors of 2·6 floats too
    const g = gru.stream({ batch: 2 });
    refuses(g.saveState(), /another architecture/);
    g.dispose(); gru.dispose();
  });

  it('a snapshot of a Sequential whose layers have other names', async () => {
    const model = await Sequential.create({ layers: CHAR_MODEL });
    const renamed = await Sequential.create({ layers: CHAR_MODEL.map((d) => (d.name === 'lstm' ? { ...d, name: 'rnn' } : d)) });
    const a = model.stream(), b = renamed.stream();
    let error: unknown;
    try { b.loadState(a.saveState()); } catch (err) { error = err; }
    expect(error).toBeInstanceOf(RecurFormatError);
    expect((error as Error).message).toMatch(/another architecture/);
    a.dispose(); b.dispose(); model.dispose(); renamed.dispose();
  });

  it('a snapshot of another batch size', () => {
    const three = layer.stream({ batch: 3 });
    refuses(three.saveState(), /holds 3 stream\(s\), expected 2/);
    three.dispose();
  });

  it('a snapshot cut short at every length', () => {
    for (let n = 0; n < good.length; n++) refuses(good.subarray(0, n), /truncated/);
  });

  it('trailing bytes', () => {
    for (const extra of [1, 4, 100]) {
      const longer = new Uint8Array(good.length + extra);
      longer.set(good);
      refuses(longer, new RegExp(`${extra} trailing bytes`));
    }
  });

  it('a wrong magic', () => {
    const bytes = good.slice();
    bytes[0] ^= 0x20;   // "rCST"
    refuses(bytes, /not a recur state snapshot/);
  });

  it('another format version', () => {
    refuses(patched(4, 2), /version 2 is not supported.*version 1/);
    refuses(patched(4, 0), /version 0 is not supported/);
  });

  it('a tensor table that disagrees with the architecture', () => {
    refuses(patched(16, 3), /holds 3 state tensors, expected 4/);
    refuses(patched(20 + 4, 11), /tensor 1 has 11 values, expected 12/);
  });

  it('anything that is not a Uint8Array', () => {
    for (const value of [good.buffer, Array.from(good), new Int8Array(good.buffer), new DataView(good.buffer), 'RCST', null, undefined]) {
      refuses(value, /must be a Uint8Array/);
    }
  });
});

describe('snapshots move between a Stream of batch 1 and a StreamGroup member', () => {
  it('Stream → member: join(snapshot) and member.loadState(snapshot) continue the stream', async () => {
    const model = await Sequential.create({ layers: CHAR_MODEL });
    const s = model.stream();
    run(s, tokenIds(6, 13, 61), 6);
    const snapshot = s.saveState();
    const next = tokenIds(5, 13, 62);
    const expected = run(s, next, 5);

    const group = model.streamGroup({ capacity: 3 });
    const other = group.join();
    const joined = group.join(snapshot);
    const loaded = group.join();
    loaded.loadState(snapshot);
    for (let t = 0; t < 5; t++) {
      const y = group.step(Int32Array.of(0, next[t], next[t]));
      expect(y.subarray(13, 26)).toEqual(expected[t]);
      expect(y.subarray(26, 39)).toEqual(expected[t]);
    }
    expect(joined.saveState()).toEqual(s.saveState());
    expect(other.saveState()).not.toEqual(s.saveState());
    group.dispose(); s.dispose(); model.dispose();
  });

  it('member → Stream: GroupMember.saveState() loads into stream({ batch: 1 })', async () => {
    const layer = await LSTM.create({ inputSize: 4, hiddenSize: 6, numLayers: 2, seed: 13 });
    const group = layer.streamGroup({ capacity: 4 });
    const members = [group.join(), group.join(), group.join()];
    const x = inputs(5 * 3 * 4, 63);
    for (let t = 0; t < 5; t++) group.step(x.subarray(t * 12, (t + 1) * 12));
    const snapshot = members[1].saveState();

    const s = layer.stream({ batch: 1 });
    s.loadState(snapshot);
    const next = inputs(4 * 4, 64);
    for (let t = 0; t < 4; t++) {
      const step = next.subarray(t * 4, (t + 1) * 4);
      const rows = new Float32Array(12);
      rows.set(step, 4);
      expect(s.step(step)).toEqual(group.step(rows).subarray(6, 12));
    }
    group.dispose(); s.dispose(); layer.dispose();
  });

  it('a snapshot of several streams does not load into a member', async () => {
    const layer = await GRU.create({ inputSize: 2, hiddenSize: 3, seed: 14 });
    const s = layer.stream({ batch: 2 });
    const group = layer.streamGroup({ capacity: 2 });
    const member = group.join();
    expect(() => member.loadState(s.saveState())).toThrow(RecurFormatError);
    expect(() => group.join(s.saveState())).toThrow(/holds 2 stream\(s\), expected 1/);
    expect(group.size).toBe(1);
    group.dispose(); s.dispose(); layer.dispose();
  });
});
