// Hostile file system (issue #15): a save killed between writing its temporary file and renaming
// it leaves the temporary behind (`<target>.tmp-<pid>-<ms>`). The next save to the same target
// removes such leftovers (and only those: other targets' temporaries, files that merely look
// alike, and saves still in flight are left alone), so repeated kills do not fill a device.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sequential, saveCheckpointFile, writeFileAtomic, type LayerDescription } from '../src/node/index.js';
import { Trainer } from '../src/train/index.js';
import { ensureBuilt, root } from './cli/helpers.js';

const LAYERS: LayerDescription[] = [
  { name: 'lstm', type: 'lstm', inputSize: 3, hiddenSize: 4, seed: 1 },
  { name: 'head', type: 'linear', inFeatures: 4, outFeatures: 2, seed: 2 },
];

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'recur-files-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has exited (a short-lived child). */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('stale temporaries of a save', () => {
  it('the next save to the same target removes them, and nothing else', async () => {
    const path = join(dir, 'run.ckpt');
    const dead = deadPid(), old = Date.now() - 60_000;
    const stale = [`run.ckpt.tmp-${dead}-${old}`, `run.ckpt.tmp-${dead}-${old + 1}`, `run.ckpt.tmp-${process.pid}-${old}`];
    const kept = [
      `other.ckpt.tmp-${dead}-${old}`,          // another target's
      `run.ckpt.tmp-${dead}-${old}.bak`,        // not the exact pattern
      `run.ckpt.tmp-x-${old}`, `xrun.ckpt.tmp-${dead}-${old}`, `run.ckpt.tmp-${dead}-`,
      `run.ckpt.tmp-${dead}-${Date.now() + 3_600_000}`,   // newer than the save
    ];
    for (const name of [...stale, ...kept]) writeFileSync(join(dir, name), new Uint8Array(1000));
    const model = await Sequential.create({ layers: LAYERS });
    const trainer = new Trainer(model, { loss: 'mse' });
    await saveCheckpointFile(trainer, path);
    expect(readdirSync(dir).sort()).toEqual([...kept, 'run.ckpt'].sort());
    trainer.dispose(); model.dispose();
    for (const name of kept) rmSync(join(dir, name));
  });

  it('saves killed mid-write leave temporaries that the next save removes', async () => {
    await ensureBuilt();
    const path = join(dir, 'model.safetensors');
    // Each child saves 32 MB to the target in a loop; it is killed as soon as a temporary appears.
    const script = `import(${JSON.stringify(join(root, 'dist/node.js'))}).then(async ({ writeFileAtomic }) => {
      const bytes = new Uint8Array(32 * 2 ** 20).fill(7);
      for (;;) await writeFileAtomic(${JSON.stringify(path)}, bytes);
    });`;
    let kills = 0;
    for (let k = 0; k < 6; k++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
      const t0 = Date.now();
      while (!readdirSync(dir).some((n) => n.startsWith(`model.safetensors.tmp-${child.pid}-`)) && Date.now() - t0 < 10_000) {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      kills++;
    }
    const left = readdirSync(dir).filter((n) => n.startsWith('model.safetensors.tmp-'));
    expect(kills).toBe(6);
    expect(left.length).toBeGreaterThan(0);
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect(readdirSync(dir).filter((n) => n.startsWith('model.safetensors'))).toEqual(['model.safetensors']);
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(existsSync(path)).toBe(true);
  }, 60_000);

  it('two saves in flight at once in one process do not remove each other\'s temporary', async () => {
    const path = join(dir, 'both.bin');
    const a = new Uint8Array(8 * 2 ** 20).fill(1), b = new Uint8Array(8 * 2 ** 20).fill(2);
    await Promise.all([writeFileAtomic(path, a), writeFileAtomic(path, b), writeFileAtomic(path, a)]);
    expect(readdirSync(dir).filter((n) => n.startsWith('both.bin'))).toEqual(['both.bin']);
  });
});
