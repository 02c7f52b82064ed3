// recur train: a character model on text and a numeric one on CSV; progress lines without a
// terminal; checkpoints; a resumed run ends exactly where an uninterrupted one does; Ctrl-C
// saves and exits 130.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, recur, root, tempDir } from './helpers.js';

const tmp = tempDir();
const path = (name: string) => join(tmp.dir, name);
const TINY = ['--hidden', '16', '--embed', '8', '--batch', '4', '--seq', '16', '--seed', '5', '--log-every', '1'];

beforeAll(async () => {
  await ensureBuilt();
  writeFileSync(path('text.txt'), readFileSync(join(root, 'models/data/jargon-valid.txt'), 'utf8').slice(0, 4000));
  // Two columns: a sine and the sine 5 ticks ahead.
  writeFileSync(path('rows.csv'), `now,later\n${Array.from({ length: 400 }, (_, t) => `${Math.sin(t * 0.2).toFixed(5)},${Math.sin((t + 5) * 0.2).toFixed(5)}`).join('\n')}\n`);
}, 120_000);
afterAll(() => tmp.cleanup());

describe('recur train', () => {
  it('trains a character model, printing a progress line per step without a terminal, and saves it with its vocabulary', async () => {
    const r = await recur(['train', path('a.safetensors'), '--data', path('text.txt'), '--steps', '6', ...TINY,
      '--checkpoint', path('a.ckpt'), '--checkpoint-every', '3', '--valid', path('text.txt')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^new model: embedding \d+×8 → LSTM 16 → linear \d+, [\d,]+ parameters; 4,000 characters, vocabulary \d+; batch 4 × seq 16, 6 steps$/);
    for (let s = 1; s <= 6; s++) expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^step ${s}/6  loss \\d+\\.\\d{4} \\(\\d+\\.\\d{3} bits/char\\)  [\\d.]+ steps/s  ETA \\d+:\\d\\d$`)));
    expect(r.stderr).toMatch(/saved .*a\.safetensors \(f32, [\d.]+ kB\) and its vocabulary .*a\.json; checkpoint .*a\.ckpt/);
    expect(r.stderr).toMatch(/validation: \d+\.\d{4} bits\/char on .*text\.txt \(4,000 characters\)/);
    const vocab = JSON.parse(readFileSync(path('a.json'), 'utf8'));
    expect(vocab.vocab).toBe([...new Set(readFileSync(path('text.txt'), 'utf8'))].sort().join(''));
    const g = await recur(['run', path('a.safetensors'), '--generate', '20', '--seed', '1']);
    expect(g.code).toBe(0);
    expect([...g.stdout]).toHaveLength(20);
  });

  it('resumes from a checkpoint to exactly the weights of an uninterrupted run', async () => {
    const first = await recur(['train', path('b.safetensors'), '--data', path('text.txt'), '--steps', '3', ...TINY, '--checkpoint', path('b.ckpt')]);
    expect(first.code).toBe(0);
    const inspect = await recur(['inspect', path('b.ckpt')]);
    expect(inspect.stdout).toMatch(/training {4}Adam, 3 updates, step 3 of 3, lr 0\.002/);
    // Only --steps changes; everything that decides the result comes from the checkpoint.
    const rest = await recur(['train', path('b.safetensors'), '--data', path('text.txt'), '--steps', '6', '--log-every', '1', '--checkpoint', path('b.ckpt'), '--resume']);
    expect(rest.code).toBe(0);
    expect(rest.stderr).toContain(`resuming from ${path('b.ckpt')} at step 3 of 6`);
    expect(rest.stderr).not.toMatch(/^step [123]\//m);
    expect(rest.stderr).toMatch(/^step 6\/6 /m);
    expect(readFileSync(path('b.safetensors')).equals(readFileSync(path('a.safetensors')))).toBe(true);
  });

  it('Ctrl-C finishes the step, saves the checkpoint and the model, and exits 130; --resume goes on from there', async () => {
    let sent = false;
    const r = await recur(['train', path('c.safetensors'), '--data', path('text.txt'), '--steps', '100000', ...TINY, '--checkpoint', path('c.ckpt')], {
      onStderr: (text, child) => { if (!sent && /^step 3\//m.test(text)) { sent = true; child.kill('SIGINT'); } },
    });
    expect(r.code).toBe(130);
    const stopped = Number(/interrupted at step (\d+) of 100000/.exec(r.stderr)?.[1]);
    expect(stopped).toBeGreaterThanOrEqual(3);
    expect(r.stderr).toContain('continue with the same command and --resume');
    expect(existsSync(path('c.safetensors'))).toBe(true);
    const rest = await recur(['train', path('c.safetensors'), '--data', path('text.txt'), '--steps', String(stopped + 2), '--checkpoint', path('c.ckpt'), '--resume', '--log-every', '1']);
    expect(rest.code).toBe(0);
    expect(rest.stderr).toContain(`at step ${stopped} of ${stopped + 2}`);
    expect(rest.stderr).toMatch(new RegExp(`^step ${stopped + 2}/${stopped + 2} `, 'm'));
  });

  it('resuming with a different architecture option is a usage error', async () => {
    const r = await recur(['train', path('b.safetensors'), '--data', path('text.txt'), '--hidden', '32', '--checkpoint', path('b.ckpt'), '--resume']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^recur train: --hidden cannot change when resuming: .*b\.ckpt fixes it at 16;/);
    for (const [option, value] of [['--seq', '8'], ['--batch', '2'], ['--embed', '4'], ['--cell', 'gru'], ['--vocab', 'ascii']]) {
      const changed = await recur(['train', path('b.safetensors'), '--data', path('text.txt'), option, value, '--checkpoint', path('b.ckpt'), '--resume']);
      expect(changed.code, option).toBe(2);
      expect(changed.stderr).toMatch(new RegExp(`^recur train: ${option} cannot change when resuming`));
    }
  });

  it('resuming with the very command that started the run (the same --hidden, --seq, --batch, …) goes on', async () => {
    const first = await recur(['train', path('d.safetensors'), '--data', path('text.txt'), '--steps', '3', ...TINY, '--cell', 'lstm', '--layers', '1', '--checkpoint', path('d.ckpt')]);
    expect(first.code).toBe(0);
    const rest = await recur(['train', path('d.safetensors'), '--data', path('text.txt'), '--steps', '6', ...TINY, '--cell', 'lstm', '--layers', '1', '--checkpoint', path('d.ckpt'), '--resume']);
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stderr).toContain(`resuming from ${path('d.ckpt')} at step 3 of 6`);
    expect(readFileSync(path('d.safetensors')).equals(readFileSync(path('a.safetensors')))).toBe(true);
  });

  it('resuming accepts the initialisation options again with their values, and refuses a change', async () => {
    const init = ['--chrono', '20', '--recurrent-init', 'orthogonal'];
    const first = await recur(['train', path('e.safetensors'), '--data', path('text.txt'), '--steps', '2', ...TINY, ...init, '--checkpoint', path('e.ckpt')]);
    expect(first.code, first.stderr).toBe(0);
    const rest = await recur(['train', path('e.safetensors'), '--data', path('text.txt'), '--steps', '3', ...TINY, ...init, '--checkpoint', path('e.ckpt'), '--resume']);
    expect(rest.code, rest.stderr).toBe(0);
    const changed = await recur(['train', path('e.safetensors'), '--data', path('text.txt'), '--steps', '4', ...TINY, '--chrono', '30', '--checkpoint', path('e.ckpt'), '--resume']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/^recur train: --chrono cannot change when resuming: .*e\.ckpt fixes it at 20;/);
  });

  it('fine-tunes an existing model', async () => {
    const r = await recur(['train', path('a.safetensors'), '--data', path('text.txt'), '--steps', '2', '--batch', '2', '--seq', '8', '--out', path('a2.safetensors')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^fine-tuning .*a\.safetensors: embedding/);
    expect(existsSync(path('a2.json'))).toBe(true);
  });

  it('trains a numeric GRU on CSV (last column the target) and runs it on the input column', async () => {
    const r = await recur(['train', path('n.safetensors'), '--data', path('rows.csv'), '--targets', '1', '--cell', 'gru', '--hidden', '12',
      '--steps', '40', '--batch', '8', '--seq', '32', '--lr', '0.01', '--valid', path('rows.csv')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^new model: GRU 12 → linear 1, [\d,]+ parameters; 400 rows of 2; batch 8 × seq 32, 40 steps$/m);
    const mse = Number(/validation: mse ([\d.e-]+)/.exec(r.stderr)?.[1]);
    expect(mse).toBeLessThan(0.2);                        // the sine's variance is 0.5
    const run = await recur(['run', path('n.safetensors'), '--input', path('rows.csv'), '--columns', '1']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(400);
  });
});
