// Mistakes in files and data: exit status 1 and one line on stderr that names the file, the
// line or the tensor — never a stack trace.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sequential, saveModel } from '../../src/node/index.js';
import { ensureBuilt, expectOneLineError, recur, tempDir } from './helpers.js';

const tmp = tempDir();
const path = (name: string) => join(tmp.dir, name);

beforeAll(async () => {
  await ensureBuilt();
  // A numeric model: 2 inputs per step → GRU 4 → 1 output.
  const model = await Sequential.create({ layers: [
    { name: 'gru', type: 'gru', inputSize: 2, hiddenSize: 4, seed: 1 },
    { name: 'head', type: 'linear', inFeatures: 4, outFeatures: 1, seed: 2 }] });
  writeFileSync(path('numeric.safetensors'), saveModel(model));
  model.dispose();
  writeFileSync(path('garbage.safetensors'), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
  writeFileSync(path('truncated.safetensors'), (await import('node:fs')).readFileSync(path('numeric.safetensors')).subarray(0, 200));
  writeFileSync(path('notes.txt'), 'not a model');
}, 120_000);
afterAll(() => tmp.cleanup());

describe('recur errors', () => {
  it('a missing model file', async () => {
    const r = await recur(['run', path('nope.safetensors')]);
    expect(r.code).toBe(1);
    expect(expectOneLineError(r)).toBe(`recur run: cannot read model file '${path('nope.safetensors')}': no such file`);
  });

  it('a missing input file', async () => {
    const r = await recur(['run', path('numeric.safetensors'), '--input', path('nope.csv')]);
    expect(r.code).toBe(1);
    expect(expectOneLineError(r)).toBe(`recur run: cannot read input file '${path('nope.csv')}': no such file`);
  });

  it('a CSV field that is not a number names the line and column, after the rows before it were output', async () => {
    const r = await recur(['run', path('numeric.safetensors')], { input: 'a,b\n1,2\n3,4\n5,abc\n7,8\n' });
    expect(r.code).toBe(1);
    expect(expectOneLineError(r)).toBe("recur run: stdin, line 4, column 2: 'abc' is not a finite number");
    expect(r.stdout.trim().split('\n')).toHaveLength(2);   // streamed: lines 2 and 3
  });

  it('a CSV row of the wrong width', async () => {
    const r = await recur(['run', path('numeric.safetensors')], { input: '1,2\n3\n' });
    expect(r.code).toBe(1);
    expect(expectOneLineError(r)).toMatch(/^recur run: stdin, line 2: expected 2 values \(the model's input size\), got 1/);
  });

  it('a file that is not a model', async () => {
    for (const [file, message] of [
      ['garbage.safetensors', /^recur inspect: .*garbage\.safetensors: /],
      ['truncated.safetensors', /^recur inspect: .*truncated\.safetensors: /],
      ['notes.txt', /^recur inspect: cannot tell what kind of file .*notes\.txt is/],
    ]) {
      const r = await recur(['inspect', path(file as string)]);
      expect(r.code, file as string).toBe(1);
      expect(expectOneLineError(r)).toMatch(message);
    }
  });

  it('character options on a numeric model are usage errors that say why', async () => {
    const r = await recur(['run', path('numeric.safetensors'), '--generate', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^recur run: --generate is for character models; .* has numeric inputs/);
  });

  it('training on data too short for the window', async () => {
    writeFileSync(path('short.txt'), 'abc');
    const r = await recur(['train', path('new.safetensors'), '--data', path('short.txt'), '--seq', '8']);
    expect(r.code).toBe(1);
    expect(expectOneLineError(r)).toMatch(/short\.txt has 3 characters; --seq 8 needs at least 9$/);
  });

  it('a write to a directory that does not exist', async () => {
    const r = await recur(['quantize', path('numeric.safetensors'), path('no/such/dir/out.safetensors')]);
    expect(r.code).toBe(1);
    expect(expectOneLineError(r)).toMatch(/^recur quantize: cannot write output file '.*out\.safetensors': its directory does not exist$/);
  });
});
