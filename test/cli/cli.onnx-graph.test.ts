// ONNX files that are not chains of recur's layers but run on its graph runtime (Silero VAD,
// a Conv before an LSTM): recur inspect describes the graph as the runtime sees it, recur convert
// refuses them in one line that says why and what runs them instead. Files neither the layer
// importer nor the graph runtime can run are refused as before.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, expectOneLineError, recur, root, tempDir } from './helpers.js';

const SILERO_V5 = join(root, 'node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx');
const SILERO_LEGACY = join(root, 'node_modules/@ricky0123/vad-web/dist/silero_vad_legacy.onnx');
const tmp = tempDir();

beforeAll(ensureBuilt, 120_000);
afterAll(() => tmp.cleanup());

describe('recur inspect on an ONNX graph', () => {
  it('Silero v5: producer, opset, nodes, operators, inputs, outputs, state → stateN, the If on sr', async () => {
    const r = await recur(['inspect', SILERO_V5]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = r.stdout;
    expect(out).toContain(`${SILERO_V5}: ONNX graph, not a chain of recur's layers\n`);
    expect(out).toContain('  producer    spox, opset 16, IR version 8\n');
    expect(out).toContain('  nodes       689, sub-graphs included\n');
    expect(out).toMatch(/operators {3}Constant 341, Slice 60, .*If 25/);
    expect(out).toMatch(/^ {2}input {2}float {2}\[\?, \?\]$/m);
    expect(out).toMatch(/^ {2}state {2}float {2}\[2, \?, 128\]$/m);
    expect(out).toMatch(/^ {2}sr {5}int64 {2}\[\]$/m);
    expect(out).toMatch(/^ {2}output {2}float {2}\[\?, 1\]$/m);
    expect(out).toMatch(/^ {2}stateN {2}float /m);
    expect(out).toContain('  states      state → stateN\n');
    expect(out).toMatch(/^ {2}If_0 {2}the value of sr {2}342 nodes {2}342 nodes$/m);
    expect(out).toContain('and 24 Ifs inside those branches, all decided by shapes and constants');
    expect(out).toMatch(/runs on {5}recur's graph runtime: importOnnx or loadOnnxGraph from recur\/onnx \(planned for input\s+\[1, 576\]/);
    expect(out).toMatch(/convert {5}no: a recur model file holds a chain of recur's layers; the layer importer says:/);
    expect(out).toContain(`note        Silero VAD: recur vad AUDIO.wav --model ${SILERO_V5}`);
  });

  it('--json: the same as one object', async () => {
    const r = await recur(['inspect', SILERO_V5, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      format: 'ONNX graph', producer: 'spox', opset: 16, nodes: 689, states: { state: 'stateN' },
      convertible: false, runtime: expect.stringContaining('importOnnx or loadOnnxGraph from recur/onnx'),
      planned: { shapes: { input: [1, 576], state: [2, 1, 128], sr: [] } },
    });
    expect(report.inputs).toEqual([
      { name: 'input', type: 'float', shape: [null, null] },
      { name: 'state', type: 'float', shape: [2, null, 128] },
      { name: 'sr', type: 'int64', shape: [] },
    ]);
    expect(report.outputs.map((o: { name: string }) => o.name)).toEqual(['output', 'stateN']);
    expect(report.operators).toMatchObject({ If: 25, LSTM: 4, Conv: 12, Constant: 341 });
    expect(report.ifs).toHaveLength(25);
    expect(report.ifs[0]).toEqual({ name: 'If_0', in: '', condition: 'Equal_0_C', on: ['sr'], thenNodes: 342, elseNodes: 342 });
    expect(report.ifs.slice(1).every((i: { in: string; on: string[] }) => i.in.startsWith('If_0 ') && i.on.length === 0)).toBe(true);
    expect(report.reason).toMatch(/\bIf\b/);                                // the layer importer's words
  });

  it('Silero legacy: h → hn and c → cn, symbolic sizes by name', async () => {
    const r = await recur(['inspect', SILERO_LEGACY]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  states      h → hn, c → cn\n');
    expect(r.stdout).toMatch(/^ {2}input {2}float {2}\[batch, sequence\]$/m);
    expect(r.stdout).toMatch(/^ {2}If_25 {2}the value of sr /m);
  });

  it('a graph whose operators the runtime has but cannot plan says so, and why', async () => {
    const r = await recur(['inspect', join(root, 'test/fixtures/onnx/bad/lstm_input_forget.onnx'), '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.runtime).toBe(null);
    expect(report.planned.error).toMatch(/\(LSTM\): input_forget/);
  });
});

describe('recur convert on an ONNX graph', () => {
  it('Silero v5: exit 1, one line: not a chain of layers (why), importOnnx runs it, a model file holds layers only', async () => {
    const out = join(tmp.dir, 'silero.safetensors');
    const r = await recur(['convert', SILERO_V5, out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const line = expectOneLineError(r);
    expect(line).toMatch(new RegExp(`^recur convert: ${SILERO_V5.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not a chain of recur's layers, ` +
      'so it cannot become a recur model file, which holds layers only; recur runs this graph with importOnnx from recur/onnx'));
    expect(line).toMatch(/\. The layer importer says: .*\bIf\b/);
    expect(line).toContain(`recur vad AUDIO.wav --model ${SILERO_V5}`);
    expect(existsSync(out)).toBe(false);
  });

  it('a Conv before an LSTM: the same refusal, naming the Conv', async () => {
    const r = await recur(['convert', join(root, 'test/fixtures/onnx/bad/conv_lstm.onnx'), join(tmp.dir, 'conv.safetensors')]);
    expect(r.code).toBe(1);
    expect(expectOneLineError(r)).toMatch(/^recur convert: .*conv_lstm\.onnx: not a chain of recur's layers, .*importOnnx from recur\/onnx\. The layer importer says: .*\bConv\b/);
  });

  it('what neither importer runs is refused with the layer importer\'s reason, as before', async () => {
    const r = await recur(['convert', join(root, 'test/fixtures/onnx/bad/lstm_reverse.onnx'), join(tmp.dir, 'reverse.safetensors')]);
    expect(r.code).toBe(1);
    const line = expectOneLineError(r);
    expect(line).toMatch(/^recur convert: .*lstm_reverse\.onnx: ONNX node .*\(LSTM\): direction 'reverse'/);
    expect(line).not.toContain('importOnnx');
  });

  it('recur run on Silero points to recur vad', async () => {
    const r = await recur(['run', SILERO_V5]);
    expect(r.code).toBe(1);
    expect(expectOneLineError(r)).toMatch(/not a chain of recur's layers, so not a recur model; recur runs this graph with importOnnx or loadOnnxGraph from recur\/onnx; for Silero VAD: recur vad AUDIO\.wav --model /);
  });
});
