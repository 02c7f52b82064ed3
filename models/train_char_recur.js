// The shipped character model, trained by recur's own Trainer through the recur CLI:
//
//   node models/prepare_text.js          (once: models/data/jargon-{train,valid}.txt)
//   npm run build                        (the CLI is dist/cli.js)
//   node models/train_char_recur.js [--steps 3000]
//
// Writes models/char-lstm.safetensors (f32) with its vocabulary models/char-lstm.json, the int8
// version models/char-lstm.int8.safetensors (+ .json), and records the training time in
// models/results.json (node models/eval_char.js adds the bits/char). The checkpoint goes to the
// system's temporary directory: if the run is stopped, running this again resumes it (and ends
// with the same weights).
//
// Model: embedding 96 × 32 → LSTM 256 → linear 96 (324,704 parameters, 1.3 MB in f32). The 96
// characters are printable ASCII and newline (--vocab ascii), the same as train_char_torch.py.
// Adam, lr 3e-3 with a cosine schedule down to 3e-4, gradient norm clipped to 1, batches of 16
// random windows of 128 characters, full BPTT through each window.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const steps = arg('steps', '3000');
const checkpoint = join(tmpdir(), `recur-char-lstm-${steps}.ckpt`);

const recur = (...args) => {
  console.log(`$ recur ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [join(root, 'bin/recur.js'), ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

const resuming = existsSync(checkpoint);
const started = performance.now();
recur('train', 'models/char-lstm.safetensors',
  '--data', 'models/data/jargon-train.txt', '--valid', 'models/data/jargon-valid.txt',
  '--vocab', 'ascii', '--embed', '32', '--hidden', '256',
  '--steps', steps, '--batch', '16', '--seq', '128', '--lr', '0.003', '--schedule', 'cosine', '--clip', '1',
  '--seed', '1', '--checkpoint', checkpoint, '--checkpoint-every', '250', '--resume', '--log-every', '100');
const seconds = (performance.now() - started) / 1000;
recur('quantize', 'models/char-lstm.safetensors', 'models/char-lstm.int8.safetensors', '--dtype', 'int8', '--force');
rmSync(checkpoint, { force: true });     // done: a new run starts afresh

// Training time (wall clock of this run; a resumed run counts only its own part).
const resultsPath = join(root, 'models/results.json');
const results = existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, 'utf8')) : {};
results.charLstm = {
  ...results.charLstm,
  training: {
    steps: Number(steps), batch: 16, seqLen: 128, optimizer: 'adam', lr: 0.003, schedule: 'cosine', clipNorm: 1,
    wallSeconds: Math.round(seconds), machine: '2-core x86-64, Node ' + process.version, resumed: resuming,
  },
};
writeFileSync(resultsPath, `${JSON.stringify(results, null, 1)}\n`);
console.log(`trained in ${(seconds / 60).toFixed(1)} min; now run node models/eval_char.js`);
