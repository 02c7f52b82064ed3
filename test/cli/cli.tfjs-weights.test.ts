// recur reading a TensorFlow.js model.json from disk (issue #15): the weight files its manifest
// names must be regular files inside the model's folder, and are read no further than the sizes
// the manifest declares — a hostile model.json cannot make the CLI read ../secret.txt, an
// absolute path, a symlink out of the folder, /dev/zero or a FIFO.

import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, expectOneLineError, root, tempDir, type Result } from './helpers.js';

/** `recur ...args`, killed after 20 s: before the fix, /dev/zero and a FIFO never finished. */
function recur(args: string[]): Promise<Result> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/recur.js'), ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, timeout: 20_000 });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

const tmp = tempDir();
const model = join(tmp.dir, 'model');
// An LSTM(4) on 3 features: 48 + 64 + 16 floats = 512 bytes of weights.
const BYTES = (48 + 64 + 16) * 4;

function modelJson(paths: string[]): string {
  return JSON.stringify({
    format: 'layers-model',
    modelTopology: { class_name: 'Sequential', config: { name: 'm', layers: [{ class_name: 'LSTM', config: {
      name: 'rec', units: 4, activation: 'tanh', recurrent_activation: 'sigmoid', return_sequences: true, batch_input_shape: [null, null, 3] } }] } },
    weightsManifest: [{ paths, weights: [
      { name: 'rec/kernel', shape: [3, 16], dtype: 'float32' },
      { name: 'rec/recurrent_kernel', shape: [4, 16], dtype: 'float32' },
      { name: 'rec/bias', shape: [16], dtype: 'float32' }] }],
  });
}

/** model/<name>.json naming the given weight paths. */
function write(name: string, paths: string[]): string {
  const file = join(model, `${name}.json`);
  writeFileSync(file, modelJson(paths));
  return file;
}

beforeAll(async () => {
  await ensureBuilt();
  mkdirSync(model);
  writeFileSync(join(tmp.dir, 'secret.txt'), new Uint8Array(BYTES).fill(0x41));
  writeFileSync(join(model, 'w.bin'), new Uint8Array(BYTES));
  writeFileSync(join(model, 'big.bin'), new Uint8Array(BYTES * 1000));
  symlinkSync(join(tmp.dir, 'secret.txt'), join(model, 'link.bin'));
  mkdirSync(join(model, 'dir.bin'));
  if (process.platform !== 'win32') spawnSync('mkfifo', [join(model, 'fifo.bin')]);
}, 120_000);
afterAll(() => tmp.cleanup());

describe('recur inspect model.json: weight files', () => {
  it('a manifest naming a weight file beside model.json loads', async () => {
    const r = await recur(['inspect', write('good', ['w.bin'])]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it.each([
    ['../secret.txt', /weight file '\.\.\/secret\.txt' is outside the model's folder/],
    ['/dev/zero', /weight file '\/dev\/zero' is outside the model's folder/],
    ['link.bin', /weight file 'link\.bin' is outside the model's folder/],
    ['dir.bin', /weight file 'dir\.bin' is not a regular file/],
    ['fifo.bin', /weight file 'fifo\.bin' is not a regular file/],
    ['big.bin', /weight file 'big\.bin' has 512000 bytes, more than the 512 the manifest declares/],
  ])('%s is refused with one line, exit 1', async (path, message) => {
    const r = await recur(['inspect', write('bad', [path])]);
    expect(r.code).toBe(1);
    expect(expectOneLineError(r)).toMatch(message);
  });
});

