// Checkpoint files for Node devices, written atomically: the bytes go to a temporary file in the
// same directory, are flushed to disk (fsync), and the file is renamed over the old checkpoint
// (rename is atomic on POSIX file systems), then the directory is flushed. A device that loses
// power mid-save keeps its previous checkpoint, never a torn one.

import type { Trainer } from '../train/trainer.js';

// node:fs/promises and node:path are imported when a checkpoint is first written or read, not
// when recur is: start-up should not pay for what most programs never call.

export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const { open, rename, unlink } = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const file = await open(tmp, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } catch (err) {
    await file.close();
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await file.close();
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r').catch(() => undefined);
  if (dir) { await dir.sync().catch(() => {}); await dir.close(); }
}

export async function saveCheckpointFile(trainer: Trainer, path: string): Promise<void> {
  await writeFileAtomic(path, trainer.saveCheckpoint());
}

export async function loadCheckpointFile(trainer: Trainer, path: string): Promise<void> {
  const { readFile } = await import('node:fs/promises');
  trainer.loadCheckpoint(new Uint8Array(await readFile(path)));
}
