// The limits of this machine for wasm SIMD code, so recur's figures can be read as a fraction of
// what is possible here (Williams, Waterman & Patterson 2009, "Roofline"):
//
//   peak      f32x4.mul + f32x4.add on 12 independent accumulators (acc = acc·m + c): GFLOP/s
//             with the instructions recur's GEMM uses (wasm SIMD has no fused multiply-add)
//   bandwidth v128 loads streaming over a buffer of a given size, summed into 8 accumulators
//             with i32x4.add (one cycle: f32 adds' latency capped L1 at ~90 GB/s, the loads at
//             ~118): GB/s when the data sits in L1/L2 (small), last-level cache or DRAM (64 MB)
//
// The module is written here as WebAssembly text and assembled with binaryen (a devDependency),
// so nothing is committed in binary. Limits are the best of several runs, not the median: a
// limit is what the machine can reach, and noise only ever lowers it. compare.js probes at the
// start and at the end of its run and keeps the better of the two (bestOf).
//
//   node bench/peers/roofline.js [--quick]     prints the limits

import binaryen from 'binaryen';
import { setTimeout as sleep } from 'node:timers/promises';

const ACC = 12;                   // independent accumulator chains in the peak loop
const SUMS = 8;                   // accumulators in the streaming loop: 8 loads (128 bytes) per iteration
const FLOPS_PER_ITER = ACC * 4 * 2;
const PAGES = 1025;               // 64 MiB + one page
const MAX_BYTES = 64 * 2 ** 20;

function wat() {
  const accs = Array.from({ length: ACC }, (_, k) => k);
  const sums = Array.from({ length: SUMS }, (_, k) => k);
  return `(module
  (memory (export "memory") ${PAGES})
  (func (export "peak") (param $n i32) (result f32)
    ${accs.map((k) => `(local $a${k} v128)`).join(' ')}
    (local $m v128) (local $c v128)
    (local.set $m (f32x4.splat (f32.const 0.999)))
    (local.set $c (f32x4.splat (f32.const 0.0005)))
    ${accs.map((k) => `(local.set $a${k} (f32x4.splat (f32.const ${0.25 + k / 64})))`).join('\n    ')}
    (loop $l
      ${accs.map((k) => `(local.set $a${k} (f32x4.add (f32x4.mul (local.get $a${k}) (local.get $m)) (local.get $c)))`).join('\n      ')}
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    ${accs.slice(1).map((k) => `(local.set $a0 (f32x4.add (local.get $a0) (local.get $a${k})))`).join('\n    ')}
    (f32x4.extract_lane 0 (local.get $a0)))
  (func (export "stream") (param $p i32) (param $bytes i32) (param $reps i32) (result f32)
    (local $i i32) (local $end i32) ${sums.map((k) => `(local $s${k} v128)`).join(' ')}
    (local.set $end (i32.add (local.get $p) (local.get $bytes)))
    (loop $rep
      (local.set $i (local.get $p))
      (loop $l
        ${sums.map((k) => `(local.set $s${k} (i32x4.add (local.get $s${k}) (v128.load offset=${16 * k} (local.get $i))))`).join('\n        ')}
        (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const ${16 * SUMS}))) (local.get $end))))
      (br_if $rep (local.tee $reps (i32.sub (local.get $reps) (i32.const 1)))))
    ${sums.slice(1).map((k) => `(local.set $s0 (i32x4.add (local.get $s0) (local.get $s${k})))`).join('\n    ')}
    (f32x4.extract_lane 0 (local.get $s0))))`;
}

async function instantiate() {
  const mod = binaryen.parseText(wat());
  mod.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128);
  if (!mod.validate()) throw new Error('roofline: the probe module does not validate');
  const bytes = mod.emitBinary();
  mod.dispose();
  const { instance } = await WebAssembly.instantiate(bytes);
  return instance.exports;
}

function best(fn, runs) {
  let t = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
}

/** GB/s reading `bytes` (rounded down to 128) over and over; about `total` bytes per run. */
function bandwidth(x, bytes, total, runs) {
  const size = Math.max(16 * SUMS, bytes - (bytes % (16 * SUMS)));
  const reps = Math.max(1, Math.round(total / size));
  const ms = best(() => x.stream(0, size, reps), runs);
  return (size * reps) / (ms * 1e6);
}

/**
 * Measures the machine. `sizes`: extra buffer sizes in bytes (the models' weights) to measure the
 * bandwidth at. Returns { peakGflops, bandwidth: [{ bytes, gbps }] } and bandwidthAt(bytes).
 */
export async function roofline({ quick = false, sizes = [] } = {}) {
  const x = await instantiate();
  new Float32Array(x.memory.buffer, 0, MAX_BYTES / 4).fill(1);
  // Warm up so V8 tiers the functions up from Liftoff to TurboFan before anything is timed.
  for (let i = 0; i < 20; i++) { x.peak(100_000); x.stream(0, 1 << 16, 16); }
  await sleep(100);
  for (let i = 0; i < 5; i++) { x.peak(100_000); x.stream(0, 1 << 16, 16); }

  const runs = quick ? 3 : 7;
  const iters = quick ? 500_000 : 2_000_000;
  const peakGflops = (FLOPS_PER_ITER * iters) / (best(() => x.peak(iters), runs) * 1e6);
  const total = quick ? 64e6 : 256e6;
  const points = [...new Set([16 << 10, 256 << 10, 2 << 20, 8 << 20, MAX_BYTES, ...sizes.map((s) => Math.min(s, MAX_BYTES))])].sort((a, b) => a - b);
  return limits(peakGflops, points.map((bytes) => ({ bytes, gbps: bandwidth(x, bytes, total, runs) })));
}

/** The better of two probes of the same sizes (one at the start of a run, one at the end). */
export function bestOf(a, b) {
  return limits(Math.max(a.peakGflops, b.peakGflops), a.bandwidth.map((p, i) => ({ bytes: p.bytes, gbps: Math.max(p.gbps, b.bandwidth[i]?.gbps ?? 0) })));
}

function limits(peakGflops, bw) {
  return {
    peakGflops,
    bandwidth: bw,
    /** Bandwidth measured at the size nearest to `bytes` (log scale). */
    bandwidthAt(bytes) {
      return bw.reduce((a, b) => (Math.abs(Math.log(b.bytes / bytes)) < Math.abs(Math.log(a.bytes / bytes)) ? b : a)).gbps;
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await roofline({ quick: process.argv.includes('--quick') });
  console.log(`wasm SIMD peak (mul+add): ${r.peakGflops.toFixed(1)} GFLOP/s`);
  for (const b of r.bandwidth) console.log(`bandwidth ${String(b.bytes >= 1 << 20 ? `${b.bytes / 2 ** 20} MiB` : `${b.bytes / 1024} KiB`).padStart(8)}: ${b.gbps.toFixed(1)} GB/s`);
}
