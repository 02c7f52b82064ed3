// Diagnostics of memory on the command line: recur train --diagnostics N prints, every N steps,
// how far back the gradient reaches, the gates and the spectra; recur inspect prints the spectra
// of the recurrent matrices.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors } from '../../src/node/index.js';
import { ensureBuilt, recur, tempDir } from './helpers.js';

const tmp = tempDir();
const path = (name: string) => join(tmp.dir, name);
const TINY = ['--hidden', '8', '--batch', '4', '--seq', '20', '--seed', '3', '--log-every', '1', '--targets', '1'];

beforeAll(async () => {
  await ensureBuilt();
  writeFileSync(path('rows.csv'), `now,later\n${Array.from({ length: 300 }, (_, t) => `${Math.sin(t * 0.2).toFixed(5)},${Math.sin((t + 5) * 0.2).toFixed(5)}`).join('\n')}\n`);
}, 120_000);
afterAll(() => tmp.cleanup());

describe('recur train --diagnostics', () => {
  it('prints the diagnostics of memory every N steps', async () => {
    const r = await recur(['train', path('g.safetensors'), '--data', path('rows.csv'), '--cell', 'gru', '--layers', '2', '--steps', '4', ...TINY, '--diagnostics', '2']);
    expect(r.code).toBe(0);
    const blocks = r.stderr.split('diagnostics at step ').slice(1);
    expect(blocks.map((b) => b.split(':')[0])).toEqual(['2', '4']);
    for (const layer of ['gru.l0', 'gru.l1']) {
      expect(blocks[0]).toMatch(new RegExp(`${layer.replace('.', '\\.')}  ‖∂L/∂h_t‖ peaks at \\d\\.\\de-?\\d+ \\(t \\d+ of 20\\)`));
    }
    expect(blocks[0]).toMatch(/gates: sigmoid saturated \d+\.\d%, tanh saturated \d+\.\d%, mean forget 0\.\d{3}/);
    expect(blocks[0]).toMatch(/W_hh: r ρ \d\.\d{3} σ₁ \d\.\d{3}, z ρ \d\.\d{3} σ₁ \d\.\d{3}, n ρ/);
  });

  it('with --tbptt, reports the last chunk\'s backward pass over its window', async () => {
    const r = await recur(['train', path('x.safetensors'), '--data', path('rows.csv'), '--steps', '1', ...TINY, '--tbptt', '5', '--diagnostics', '1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/diagnostics at step 1 \(the last chunk's backward pass: t \d+–\d+, of \d+ chunks\):/);
  });
});

describe('recur inspect', () => {
  it('shows the spectra of every W_hh, gate by gate', async () => {
    const t = await recur(['train', path('l.safetensors'), '--data', path('rows.csv'), '--steps', '1', ...TINY]);
    expect(t.code).toBe(0);
    const r = await recur(['inspect', path('l.safetensors')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/recurrent matrix {3}gate {2}spectral radius {2}largest singular value/);
    for (const gate of ['i', 'f', 'g', 'o']) expect(r.stdout).toMatch(new RegExp(`lstm\\.weight_hh_l0  ${gate} +\\d\\.\\d{4}( ~)? +\\d\\.\\d{4}`));
    const json = JSON.parse((await recur(['inspect', path('l.safetensors'), '--json'])).stdout);
    expect(json.spectra.map((s: { gate: string }) => s.gate)).toEqual(['i', 'f', 'g', 'o']);
    expect(json.spectra[0].largestSingularValue).toBeGreaterThanOrEqual(json.spectra[0].spectralRadius * (1 - 1e-6));
  });
});

describe('recur train: initialisation for long memory', () => {
  it('--recurrent-init orthogonal --chrono T make the model, and its file records them', async () => {
    const r = await recur(['train', path('o.safetensors'), '--data', path('rows.csv'), '--steps', '1', ...TINY, '--recurrent-init', 'orthogonal', '--chrono', '50', '--diagnostics', '1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/lstm\.l0  ‖∂L\/∂h_t‖ peaks at .*\n +‖∂L\/∂c_t‖ peaks at \d\.\de-?\d+ \(t \d+\), /);
    const meta = parseSafetensors(new Uint8Array(readFileSync(path('o.safetensors')))).metadata;
    expect(JSON.parse(meta.model).layers[0]).toMatchObject({ type: 'lstm', recurrentInit: 'orthogonal', chronoMaxLength: 50 });
    const f = await recur(['train', path('f.safetensors'), '--data', path('rows.csv'), '--steps', '1', ...TINY, '--forget-bias', '1']);
    expect(f.code).toBe(0);
    expect(JSON.parse(parseSafetensors(new Uint8Array(readFileSync(path('f.safetensors')))).metadata.model).layers[0]).toMatchObject({ forgetBias: 1 });
    const i = await recur(['train', path('i.safetensors'), '--data', path('rows.csv'), '--steps', '1', ...TINY, '--cell', 'rnn', '--recurrent-init', 'identity']);
    expect(i.code).toBe(0);
  });

  it('--dilation and --leak/--learn-leak make the model, its file records them, and inspect shows them', async () => {
    const r = await recur(['train', path('d.safetensors'), '--data', path('rows.csv'), '--steps', '2', ...TINY, '--cell', 'gru', '--layers', '2',
      '--dilation', '1,4', '--leak', '0.25', '--learn-leak', '--diagnostics', '1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/gru\.l1  ‖∂L\/∂h_t‖ peaks at /);
    const file = parseSafetensors(new Uint8Array(readFileSync(path('d.safetensors'))));
    expect(JSON.parse(file.metadata.model).layers[0]).toMatchObject({ type: 'gru', numLayers: 2, dilation: [1, 4], leak: 0.25, learnLeak: true });
    expect(Object.keys(file.tensors)).toContain('gru.leak_logit_l1');
    const inspect = await recur(['inspect', path('d.safetensors')]);
    expect(inspect.stdout).toContain('2 layers, dilation 1, 4, learned leak (from α 0.25)');
  });

  it('refuses what the cell cannot take', async () => {
    for (const [args, message] of [
      [['--recurrent-init', 'identity'], 'IRNN'],
      [['--cell', 'gru', '--forget-bias', '1'], '--forget-bias is for --cell lstm'],
      [['--cell', 'rnn', '--chrono', '20'], '--chrono sets gate biases'],
      [['--chrono', '2'], '--chrono must be a number ≥ 3'],
      [['--dilation', '0'], '--dilation 0: skip lengths are integers from 1 to 65536'],
      [['--dilation', '1,2'], '--dilation 1,2 gives 2 lengths for 1 layer'],
      [['--dilation', '2', '--tbptt', '4'], '--dilation needs full BPTT'],
      [['--leak', '1.5'], '--leak 1.5: a rate in (0, 1]'],
      [['--leak', '1', '--learn-leak'], 'the initial rate must be below 1 with --learn-leak'],
    ] as const) {
      const r = await recur(['train', path('x.safetensors'), '--data', path('rows.csv'), '--steps', '1', ...TINY, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });
});
