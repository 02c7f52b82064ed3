// Which recur.wasm build this runtime can run. recur ships two builds of the same kernels
// (scripts/build-wasm.sh): recur.wasm (wasm SIMD, runs everywhere) and recur-relaxed.wasm (adds
// relaxed SIMD: f32x4.relaxed_madd, an FMA on CPUs that have one — about 25% faster matrix
// products at batch ≥ 2 and in training). Chrome ≥ 114, Firefox ≥ 120, Node ≥ 22 and workerd run
// relaxed SIMD; Node 20 only with --experimental-wasm-relaxed-simd.

/** The two builds: 'simd' (recur.wasm) and 'relaxed' (recur-relaxed.wasm). */
export type WasmBuild = 'simd' | 'relaxed';

// (module (func (param v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 0) (local.get 0))))
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 0, 32, 0, 253, 133, 2, 11,
]);

let relaxed: boolean | undefined;

/** True when this runtime validates relaxed-SIMD code (checked once). */
export function supportsRelaxedSimd(): boolean {
  if (relaxed === undefined) {
    try { relaxed = WebAssembly.validate(RELAXED_PROBE); } catch { relaxed = false; }
  }
  return relaxed;
}

/** The build the entry points load by default: relaxed where supported, else plain SIMD. */
export function preferredBuild(): WasmBuild {
  return supportsRelaxedSimd() ? 'relaxed' : 'simd';
}

/** File name of a build. */
export function wasmFile(build: WasmBuild): string {
  return build === 'relaxed' ? 'recur-relaxed.wasm' : 'recur.wasm';
}
