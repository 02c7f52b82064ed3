// recur bench says which build of the kernels it measured: a figure from recur.wasm (plain SIMD)
// and one from recur-relaxed.wasm (relaxed SIMD, an FMA) differ by about a quarter. Timings
// themselves are not checked here (npm run bench's job).

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, recur, root } from './helpers.js';

beforeAll(async () => { await ensureBuilt(); }, 120_000);

const QUICK = ['--seconds', '0.01', '--seq', '4', '--batch', '2'];

describe('recur bench', () => {
  it('names the build that ran, plain SIMD or relaxed, in its first line and in --json', async () => {
    const simd = await recur(['bench', ...QUICK], { env: { RECUR_WASM: 'simd' } });
    expect(simd.code, simd.stderr).toBe(0);
    expect(simd.stdout.split('\n')[0]).toMatch(/; node v[\d.]+, recur\.wasm \(plain SIMD\), one thread$/);
    const json = await recur(['bench', ...QUICK, '--json', '--no-train'], { env: { RECUR_WASM: 'simd' } });
    expect(JSON.parse(json.stdout).wasm).toBe('simd');
  });

  it('relaxed SIMD where the runtime has it (Node 20 with --experimental-wasm-relaxed-simd)', async () => {
    const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', join(root, 'bin/recur.js'), 'bench', ...QUICK, '--no-train'],
      { encoding: 'utf8', env: { ...process.env, RECUR_WASM: 'relaxed' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/, recur-relaxed\.wasm \(relaxed SIMD\), one thread$/);
  });
});
