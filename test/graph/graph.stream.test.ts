// OnnxGraphModel.run() and GraphStream on Silero v5 and legacy (their state carried by graph
// inputs and outputs): a stream equals run() with the state threaded by hand, bit for bit;
// snapshots restore exactly; reset() starts over; plans are made per input shape and dropped
// beyond four; every misuse is a typed error.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import '../../src/node/index.js';
import { RecurDisposedError, RecurFormatError, RecurOptionError, RecurShapeError } from '../../src/errors.js';
import { loadOnnxGraph } from '../../src/graph/index.js';
import { seededRandom } from '../../src/stream/sample.js';

const file = (name: string) => readFileSync(new URL(`../../node_modules/@ricky0123/vad-web/dist/silero_vad_${name}.onnx`, import.meta.url));
const frames = (count: number, length: number, seed: number) => {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length }, () => (random() * 2 - 1) * 0.3));
};

describe('GraphStream', () => {
  it('equals run() with the state threaded by hand, bit for bit', async () => {
    const model = await loadOnnxGraph(file('v5'), { fixedInputs: { sr: 16000 } });
    expect(model.states).toEqual({ state: 'stateN' });
    expect(model.inputs.map((i) => i.name)).toEqual(['input', 'state']);
    const s = model.stream();
    let state = new Float32Array(256);
    for (const frame of frames(20, 576, 1)) {
      const p = s.step(frame);
      const out = model.run({ input: { dims: [1, 576], data: frame }, state: { dims: [2, 1, 128], data: state } });
      expect(Array.from(p)).toEqual(Array.from(out.output.data));
      state = out.stateN.data as Float32Array;
      expect(Array.from(s.states.state)).toEqual(Array.from(state));
    }
    model.dispose();
  });

  it('saveState / loadState restore exactly, in another stream of another model instance', async () => {
    const a = await loadOnnxGraph(file('legacy'), { fixedInputs: { sr: 16000 } });
    const b = await loadOnnxGraph(file('legacy'), { fixedInputs: { sr: 16000 } });
    expect(a.states).toEqual({ h: 'hn', c: 'cn' });
    const [first, second] = [frames(10, 512, 2), frames(10, 512, 3)];
    const sa = a.stream(), sb = b.stream();
    for (const f of first) sa.step(f);
    const snapshot = sa.saveState();
    const expected = second.map((f) => Array.from(sa.step(f)));
    sb.loadState(snapshot);
    expect(second.map((f) => Array.from(sb.step(f)))).toEqual(expected);
    sb.reset();
    const fresh = a.stream();
    expect(Array.from(sb.step(first[0]))).toEqual(Array.from(fresh.step(first[0])));
    a.dispose(); b.dispose();
  });

  it('refuses a snapshot of another model, a truncated one and garbage, and changes nothing', async () => {
    const v5 = await loadOnnxGraph(file('v5'), { fixedInputs: { sr: 16000 } });
    const legacy = await loadOnnxGraph(file('legacy'), { fixedInputs: { sr: 16000 } });
    const s = v5.stream();
    s.step(frames(1, 576, 4)[0]);
    const before = s.states.state;
    const theirs = legacy.stream().saveState(), ours = s.saveState();
    for (const bad of [theirs, ours.subarray(0, ours.length - 1), new Uint8Array(3), new Uint8Array(ours.length)]) {
      expect(() => s.loadState(bad)).toThrow(RecurFormatError);
      expect(Array.from(s.states.state)).toEqual(Array.from(before));
    }
    v5.dispose(); legacy.dispose();
  });

  it('runs If on the value of an input (sr not fixed): both branches planned, the one sr picks runs', async () => {
    const open = await loadOnnxGraph(file('v5'));
    expect(open.inputs.map((i) => i.name)).toEqual(['input', 'state', 'sr']);
    for (const sr of [16000, 8000]) {
      const fixed = await loadOnnxGraph(file('v5'), { fixedInputs: { sr } });
      const n = sr === 16000 ? 576 : 288;
      let state = new Float32Array(256), stateFixed = new Float32Array(256);
      for (const frame of frames(5, n, sr)) {
        const a = open.run({ input: { dims: [1, n], data: frame }, state: { dims: [2, 1, 128], data: state }, sr });
        const b = fixed.run({ input: { dims: [1, n], data: frame }, state: { dims: [2, 1, 128], data: stateFixed } });
        expect(Array.from(a.output.data)).toEqual(Array.from(b.output.data));
        state = a.stateN.data as Float32Array; stateFixed = b.stateN.data as Float32Array;
      }
      fixed.dispose();
    }
    open.dispose();
  });

  it('plans once per input shape, keeps four, and still runs a shape whose plan was dropped', async () => {
    const model = await loadOnnxGraph(file('legacy'), { fixedInputs: { sr: 16000 } });
    const s = model.stream();
    const lengths = [512, 1024, 1536, 512 * 4, 512 * 5, 512];
    const results = lengths.map((n) => s.step(frames(1, n, n)[0])[0]);
    expect((model as any).plans.size).toBe(4);
    expect(results.every((p) => p >= 0 && p <= 1)).toBe(true);
    model.dispose();
  });

  it('says what is wrong with an input, an option or a disposed model', async () => {
    const model = await loadOnnxGraph(file('v5'), { fixedInputs: { sr: 16000 } });
    const state = { dims: [2, 1, 128], data: new Float32Array(256) };
    expect(() => model.run({ state })).toThrow(/input 'input' is missing/);
    expect(() => model.run({ input: { dims: [1, 576], data: new Float32Array(10) }, state })).toThrow(RecurShapeError);
    expect(() => model.run({ input: { dims: [1, 576], data: new Float32Array(576) }, state: { dims: [2, 1, 64], data: new Float32Array(128) } })).toThrow(/do not match the declared \[2, \?, 128\]/);
    expect(() => model.run({ input: { dims: [1, 576], data: new Float32Array(576) }, state, sr: 16000 })).toThrow(/no input 'sr'/);
    expect(() => model.run(null as never)).toThrow(RecurShapeError);
    expect(() => model.stream({ batch: 0 })).toThrow(RecurShapeError);
    await expect(loadOnnxGraph(file('v5'), { fixedInputs: { rate: 16000 } })).rejects.toThrow(/no input 'rate'/);
    await expect(loadOnnxGraph(file('v5'), { shapes: { input: [1, 576] } })).rejects.toThrow(RecurOptionError);
    model.dispose();
    expect(() => model.run({ input: { dims: [1, 576], data: new Float32Array(576) }, state })).toThrow(RecurDisposedError);
  });
});
