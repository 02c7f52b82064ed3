// Optimizers (SGD, Adam, AdamW), gradient clipping and the non-finite check against torch 1.13
// (test/fixtures/optim/optim.json, made by make_optim.py beside it): every step's parameters,
// the final optimizer state, clipped gradients and norms; padding entries stay exactly 0.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  init, RecurDisposedError, RecurOptionError, RecurShapeError, RecurValueError, type Runtime,
} from '../../src/node/index.js';
import {
  Adam, AdamW, createOptimizer, SGD, type Optimizer, type OptimizerOptions, type ParamSlot,
} from '../../src/train/optimizer.js';
import { clipGradNorm, clipGradValue, countNonFiniteGrads, gradNorm, gradsFinite } from '../../src/train/clip.js';
import { relativeError } from '../helpers.js';

interface Encoded { shape: number[]; data: string }
interface SlotShape { floats: number; padding: number }
interface OptimizerCase {
  name: string; type: 'sgd' | 'adam' | 'adamw'; options: Record<string, unknown>; lrs: number[];
  slots: SlotShape[]; tensors: Record<string, Encoded>;
}
interface ClipCase {
  name: string; kind: 'norm' | 'value'; maxNorm?: number; normType?: 2 | 'inf'; clipValue?: number;
  totalNorm?: number; totalNorm64?: number; slots: SlotShape[]; tensors: Record<string, Encoded>;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/optim/optim.json', import.meta.url), 'utf8'));
const STEPS: number = fixture.steps;

function f32(e: Encoded): Float32Array {
  const b = Buffer.from(e.data, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Distance in float32 ulps (both finite). */
function ulps(a: number, b: number): number {
  const i = new Int32Array(new Float32Array([a, b]).buffer);
  const key = (x: number) => (x < 0 ? -(x & 0x7fffffff) : x);
  return Math.abs(key(i[0]) - key(i[1]));
}

let rt: Runtime;
beforeAll(async () => { rt = await init(); });

/** Parameter and gradient blocks in wasm memory for the given slot shapes. */
function makeSlots(shapes: SlotShape[]): { slots: ParamSlot[]; free(): void } {
  const slots = shapes.map(({ floats }) => ({ param: rt.alloc(floats * 4), grad: rt.alloc(floats * 4), floats }));
  for (const s of slots) { rt.f32(s.param, s.floats).fill(0); rt.f32(s.grad, s.floats).fill(0); }
  return { slots, free: () => slots.forEach((s) => { rt.free(s.param); rt.free(s.grad); }) };
}

function optimizerFor(c: OptimizerCase, slots: ParamSlot[]): Optimizer {
  return createOptimizer(rt, slots, { type: c.type, ...c.options } as OptimizerOptions);
}

function loadStep(c: OptimizerCase, slots: ParamSlot[], step: number): void {
  slots.forEach((s, i) => rt.f32(s.grad, s.floats).set(f32(c.tensors[`grad.${i}.${step}`])));
}

const STATE_NAMES = { sgd: ['momentum_buffer'], adam: ['exp_avg', 'exp_avg_sq'], adamw: ['exp_avg', 'exp_avg_sq'] };

describe('optimizers against torch 1.13: 5 steps on three slots with zero padding', () => {
  let worstUlps = 0, worstRel = 0;

  for (const c of fixture.optimizers as OptimizerCase[]) {
    it(c.name, () => {
      const { slots, free } = makeSlots(c.slots);
      const opt = optimizerFor(c, slots);
      try {
        slots.forEach((s, i) => rt.f32(s.param, s.floats).set(f32(c.tensors[`param.${i}`])));
        for (let step = 1; step <= STEPS; step++) {
          loadStep(c, slots, step);
          opt.lr = c.lrs[step - 1];
          opt.step();
          expect(opt.stepCount).toBe(step);
          slots.forEach((s, i) => {
            const got = rt.read(s.param, s.floats), want = f32(c.tensors[`param.${i}.${step}`]);
            const rel = relativeError(got, want);
            worstRel = Math.max(worstRel, rel);
            for (let j = 0; j < got.length; j++) worstUlps = Math.max(worstUlps, ulps(got[j], want[j]));
            expect(rel, `${c.name} step ${step} slot ${i}`).toBeLessThanOrEqual(1e-6);
            const pad = got.subarray(s.floats - c.slots[i].padding);
            expect(pad.every((x) => x === 0), `${c.name} step ${step} slot ${i} padding`).toBe(true);
            expect(got.every(Number.isFinite)).toBe(true);
          });
        }
        // The state after the last step: momentum buffers / exp_avg, exp_avg_sq, slot by slot.
        const state = opt.exportState();
        expect(state.step).toBe(STEPS);
        const names = STATE_NAMES[c.type].filter(() => c.type !== 'sgd' || (c.options.momentum ?? 0) !== 0);
        expect(state.buffers.length).toBe(slots.length * names.length);
        slots.forEach((_, i) => names.forEach((name, k) => {
          const got = state.buffers[i * names.length + k], want = f32(c.tensors[`state.${i}.${name}`]);
          expect(relativeError(got, want), `${c.name} state.${i}.${name}`).toBeLessThanOrEqual(1e-6);
          expect(got.subarray(got.length - c.slots[i].padding).every((x) => x === 0)).toBe(true);
        }));
      } finally {
        opt.dispose();
        free();
      }
    });
  }

  it('agrees with torch to an ulp or so (reported)', () => {
    console.log(`optimizers: worst relative error ${worstRel.toExponential(2)}, worst difference ${worstUlps} float32 ulp`);
    expect(worstUlps).toBeLessThanOrEqual(4);
  });
});

describe('optimizer state: export, import, lr, zeroGrad, dispose', () => {
  for (const name of ['sgd_momentum_weight_decay_nesterov', 'adam_weight_decay', 'adamw_weight_decay']) {
    it(`${name}: 3 steps, checkpoint, 2 more steps in a new optimizer = 5 steps in one`, () => {
      const c = (fixture.optimizers as OptimizerCase[]).find((x) => x.name === name)!;
      const a = makeSlots(c.slots), b = makeSlots(c.slots);
      const first = optimizerFor(c, a.slots);
      let second: Optimizer | undefined;
      try {
        a.slots.forEach((s, i) => rt.f32(s.param, s.floats).set(f32(c.tensors[`param.${i}`])));
        for (let step = 1; step <= 3; step++) { loadStep(c, a.slots, step); first.lr = c.lrs[step - 1]; first.step(); }
        const checkpoint = first.exportState();
        const params = a.slots.map((s) => rt.read(s.param, s.floats));
        second = optimizerFor(c, b.slots);
        second.importState({ step: checkpoint.step, buffers: checkpoint.buffers.map((x) => x.slice()) });
        expect(second.stepCount).toBe(3);
        b.slots.forEach((s, i) => rt.f32(s.param, s.floats).set(params[i]));
        for (let step = 4; step <= STEPS; step++) {
          for (const [opt, slots] of [[first, a.slots], [second, b.slots]] as const) {
            loadStep(c, slots, step); opt.lr = c.lrs[step - 1]; opt.step();
          }
        }
        a.slots.forEach((s, i) => expect(rt.read(b.slots[i].param, s.floats)).toEqual(rt.read(s.param, s.floats)));
      } finally {
        first.dispose(); second?.dispose(); a.free(); b.free();
      }
    });
  }

  it('importState rejects wrong shapes and changes nothing', () => {
    const { slots, free } = makeSlots([{ floats: 10, padding: 0 }, { floats: 3, padding: 0 }]);
    const opt = new Adam(rt, slots);
    try {
      const good = opt.exportState();
      expect(good.buffers.map((b) => b.length)).toEqual([10, 10, 3, 3]);
      expect(() => opt.importState({ step: 1, buffers: good.buffers.slice(1) })).toThrow(RecurShapeError);
      expect(() => opt.importState({ step: 1, buffers: [good.buffers[0], good.buffers[1], new Float32Array(4), good.buffers[3]] }))
        .toThrow(/buffers\[2\] should be a Float32Array of 3, got 4/);
      expect(() => opt.importState({ step: -1, buffers: good.buffers })).toThrow(RecurOptionError);
      expect(opt.stepCount).toBe(0);
    } finally { opt.dispose(); free(); }
  });

  it('zeroGrad clears every gradient; lr is settable and validated', () => {
    const { slots, free } = makeSlots([{ floats: 5, padding: 0 }, { floats: 17, padding: 0 }]);
    const opt = new SGD(rt, slots, { lr: 0.1 });
    try {
      for (const s of slots) rt.f32(s.grad, s.floats).fill(3);
      opt.zeroGrad();
      for (const s of slots) expect(rt.read(s.grad, s.floats).every((x) => x === 0)).toBe(true);
      opt.lr = 0.01;
      expect(opt.lr).toBe(0.01);
      expect(() => { opt.lr = -1; }).toThrow(RecurOptionError);
      expect(() => { opt.lr = NaN; }).toThrow(/lr must be a finite number ≥ 0/);
    } finally { opt.dispose(); free(); }
  });

  it('dispose frees the state; use after dispose is a RecurDisposedError', () => {
    const { slots, free } = makeSlots([{ floats: 1000, padding: 0 }]);
    const before = rt.bytesInUse;
    const opt = new AdamW(rt, slots);
    expect(rt.bytesInUse).toBeGreaterThanOrEqual(before + 2 * 4000);
    opt.dispose();
    opt.dispose();
    expect(rt.bytesInUse).toBe(before);
    expect(() => opt.step()).toThrow(RecurDisposedError);
    expect(() => opt.exportState()).toThrow(RecurDisposedError);
    free();
  });

  it('SGD without momentum keeps no state', () => {
    const { slots, free } = makeSlots([{ floats: 8, padding: 0 }]);
    const before = rt.bytesInUse;
    const opt = new SGD(rt, slots, { lr: 1 });
    expect(rt.bytesInUse).toBe(before);
    expect(opt.exportState()).toEqual({ step: 0, buffers: [] });
    rt.f32(slots[0].param, 8).set([1, 2, 3, 4, 5, 6, 7, 8]);
    rt.f32(slots[0].grad, 8).fill(0.5);
    opt.step();
    expect(Array.from(rt.read(slots[0].param, 8))).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5]);
    opt.dispose(); free();
  });

  it('entries whose gradient is always 0 never move or turn NaN (Adam, AdamW without decay, SGD)', () => {
    for (const make of [
      (s: ParamSlot[]) => new Adam(rt, s, { lr: 0.1, weightDecay: 0 }),
      (s: ParamSlot[]) => new AdamW(rt, s, { lr: 0.1, weightDecay: 0 }),
      (s: ParamSlot[]) => new SGD(rt, s, { lr: 0.1, momentum: 0.9, nesterov: true }),
    ]) {
      const { slots, free } = makeSlots([{ floats: 7, padding: 0 }]);
      rt.f32(slots[0].param, 7).set([0, 1, -2, 0, 3, 0, 5]);
      const opt = make(slots);
      for (let k = 0; k < 10; k++) opt.step();
      expect(Array.from(rt.read(slots[0].param, 7))).toEqual([0, 1, -2, 0, 3, 0, 5]);
      opt.dispose(); free();
    }
  });
});

describe('optimizer options', () => {
  let slots: ParamSlot[]; let free: () => void;
  beforeAll(() => ({ slots, free } = makeSlots([{ floats: 4, padding: 0 }])));
  afterAll(() => free());

  it.each([
    [() => new SGD(rt, slots, {} as never), /SGD: lr is required/],
    [() => new SGD(rt, slots, { lr: 0.1, momentum: -0.5 }), /SGD: momentum must be a finite number ≥ 0, got -0.5/],
    [() => new SGD(rt, slots, { lr: 0.1, nesterov: true }), /nesterov needs momentum > 0 and dampening = 0/],
    [() => new SGD(rt, slots, { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /nesterov needs/],
    [() => new SGD(rt, slots, { lr: 0.1, weightDecay: -1 }), /weightDecay must be a finite number ≥ 0/],
    [() => new SGD(rt, slots, { lr: 0.1, betas: [0.9, 0.9] } as never), /SGD: unknown option betas/],
    [() => new Adam(rt, slots, { betas: [0.9, 1] }), /Adam: betas must be two numbers in \[0, 1\)/],
    [() => new Adam(rt, slots, { eps: 0 }), /Adam: eps must be > 0/],
    [() => new AdamW(rt, slots, { lr: -1 }), /AdamW: lr must be a finite number ≥ 0, got -1/],
    [() => new Adam(rt, slots, { momentum: 0.9 } as never), /Adam: unknown option momentum/],
    [() => createOptimizer(rt, slots, { type: 'rmsprop' } as never), /type must be one of 'sgd', 'adam', 'adamw'/],
  ])('%#: %s', (make, message) => {
    const before = rt.bytesInUse;
    expect(make).toThrow(RecurOptionError);
    expect(make).toThrow(message);
    expect(rt.bytesInUse).toBe(before);
  });

  it('rejects slots that are not in wasm memory or overlap', () => {
    expect(() => new SGD(rt, [{ param: 0, grad: 64, floats: 4 }], { lr: 1 })).toThrow(/slots\[0\]\.param must be a nonzero 4-byte-aligned/);
    expect(() => new SGD(rt, [{ param: 64, grad: 66, floats: 4 }], { lr: 1 })).toThrow(RecurOptionError);
    expect(() => new SGD(rt, [{ param: 64, grad: rt.memoryBytes - 8, floats: 4 }], { lr: 1 })).toThrow(/end past wasm memory/);
    expect(() => new SGD(rt, [{ param: 64, grad: 72, floats: 4 }], { lr: 1 })).toThrow(/overlap/);
  });

  it('defaults are torch\'s', () => {
    const { slots: s, free: f } = makeSlots([{ floats: 4, padding: 0 }]);
    const sgd = new SGD(rt, s, { lr: 0.5 }), adam = new Adam(rt, s), adamw = new AdamW(rt, s);
    expect([sgd.momentum, sgd.dampening, sgd.nesterov, sgd.weightDecay]).toEqual([0, 0, false, 0]);
    expect([adam.lr, adam.betas, adam.eps, adam.weightDecay]).toEqual([1e-3, [0.9, 0.999], 1e-8, 0]);
    expect([adamw.lr, adamw.betas, adamw.eps, adamw.weightDecay]).toEqual([1e-3, [0.9, 0.999], 1e-8, 1e-2]);
    sgd.dispose(); adam.dispose(); adamw.dispose(); f();
  });
});

describe('gradient clipping against torch 1.13', () => {
  for (const c of fixture.clip as ClipCase[]) {
    it(c.name, () => {
      const { slots, free } = makeSlots(c.slots);
      try {
        slots.forEach((s, i) => rt.f32(s.grad, s.floats).set(f32(c.tensors[`grad.${i}`])));
        if (c.kind === 'norm') {
          const normType = c.normType === 'inf' ? Infinity : 2;
          expect(gradNorm(rt, slots, normType)).toBeCloseTo(c.totalNorm64!, 12);
          const total = clipGradNorm(rt, slots, c.maxNorm!, normType);
          expect(Math.abs(total - c.totalNorm!) / c.totalNorm!).toBeLessThanOrEqual(1e-6);
          expect(Math.abs(total - c.totalNorm64!) / c.totalNorm64!).toBeLessThanOrEqual(1e-12);
        } else {
          clipGradValue(rt, slots, c.clipValue!);
        }
        slots.forEach((s, i) => {
          const got = rt.read(s.grad, s.floats), want = f32(c.tensors[`clipped.${i}`]);
          expect(relativeError(got, want), `${c.name} slot ${i}`).toBeLessThanOrEqual(1e-6);
          expect(got.subarray(s.floats - c.slots[i].padding).every((x) => x === 0)).toBe(true);
        });
      } finally { free(); }
    });
  }

  it('sums squares in f64: 10⁶ entries of 1e-3 and one of 1 (an f32 running sum would be off by ~1e-3)', () => {
    const n = 1_000_001;
    const { slots, free } = makeSlots([{ floats: n, padding: 0 }]);
    const g = rt.f32(slots[0].grad, n);
    g.fill(Math.fround(1e-3)); g[n - 1] = 1;
    const exact = Math.sqrt(1 + (n - 1) * Math.fround(1e-3) ** 2);
    expect(Math.abs(gradNorm(rt, slots) - exact) / exact).toBeLessThan(1e-10);
    free();
  });

  it('rejects bad arguments; errorIfNonfinite', () => {
    const { slots, free } = makeSlots([{ floats: 6, padding: 0 }]);
    expect(() => clipGradNorm(rt, slots, -1)).toThrow(RecurOptionError);
    expect(() => clipGradNorm(rt, slots, 1, 1 as never)).toThrow(/normType must be 2 or Infinity/);
    expect(() => clipGradValue(rt, slots, NaN)).toThrow(RecurOptionError);
    rt.f32(slots[0].grad, 6).set([1, 2, NaN, 3, 4, 5]);
    expect(() => clipGradNorm(rt, slots, 1, 2, { errorIfNonfinite: true })).toThrow(RecurValueError);
    expect(Number.isNaN(clipGradNorm(rt, slots, 1))).toBe(true);           // torch: NaN everywhere
    expect(rt.read(slots[0].grad, 6).every(Number.isNaN)).toBe(true);
    free();
  });
});

describe('non-finite gradients', () => {
  it('finds a single NaN, +Infinity or -Infinity at any position, tails included', () => {
    for (const floats of [1, 3, 4, 5, 37, 130]) {
      const { slots, free } = makeSlots([{ floats: 8, padding: 0 }, { floats, padding: 0 }]);
      expect(gradsFinite(rt, slots)).toBe(true);
      for (let j = 0; j < floats; j++) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const g = rt.f32(slots[1].grad, floats);
          g[j] = bad;
          expect(gradsFinite(rt, slots)).toBe(false);
          expect(countNonFiniteGrads(rt, slots)).toBe(1);
          g[j] = 0;
        }
      }
      rt.f32(slots[1].grad, floats).fill(3.4e38);            // large but finite
      rt.f32(slots[0].grad, 8).fill(-1e-45);                // subnormal
      expect(gradsFinite(rt, slots)).toBe(true);
      rt.f32(slots[1].grad, floats).fill(NaN);
      rt.f32(slots[0].grad, 8)[7] = -Infinity;
      expect(countNonFiniteGrads(rt, slots)).toBe(floats + 1);
      free();
    }
  });
});
