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
  // <target>.tmp-<pid>-<stamp>: the stamp is the time in ms, made unique within the process
  // (two saves in the same millisecond would otherwise share a file).
  const stamp = lastStamp = Math.max(Date.now(), lastStamp + 1);
  const tmp = `${path}.tmp-${process.pid}-${stamp}`;
  inFlight.add(tmp);
  try {
    await removeStaleTemporaries(path, stamp);
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
  } finally {
    inFlight.delete(tmp);
  }
  const dir = await open(dirname(path), 'r').catch(() => undefined);
  if (dir) { await dir.sync().catch(() => {}); await dir.close(); }
}

let lastStamp = 0;
/** Temporaries this process is writing now: never stale. */
const inFlight = new Set<string>();

/**
 * Removes what saves to `path` that were killed (power loss, SIGKILL) between writing their
 * temporary and renaming it left behind: files named exactly `<target>.tmp-<pid>-<stamp>` with
 * a stamp older than this save's, written by a process that is gone or by this one (and no
 * longer in flight). A live process's temporary is left alone, unless untouched for an hour (its
 * pid reused after a reboot). Best effort: a file that cannot be listed or removed is left.
 */
async function removeStaleTemporaries(path: string, stamp: number): Promise<void> {
  const { readdir, stat, unlink } = await import('node:fs/promises');
  const { basename, dirname, join } = await import('node:path');
  const dir = dirname(path), base = basename(path);
  const prefix = `${base}.tmp-`;
  let names: string[];
  try { names = await readdir(dir); } catch { return; }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)-(\d+)$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]), made = Number(m[2]);
    const file = join(dir, name);
    if (!(made < stamp) || inFlight.has(file)) continue;
    try {
      if (pid !== process.pid && running(pid) && Date.now() - (await stat(file)).mtimeMs < 3_600_000) continue;
      await unlink(file);
    } catch { /* gone already, or not ours to remove */ }
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
function running(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as { code?: string }).code === 'EPERM'; }
}

export async function saveCheckpointFile(trainer: Trainer, path: string): Promise<void> {
  await writeFileAtomic(path, trainer.saveCheckpoint());
}

export async function loadCheckpointFile(trainer: Trainer, path: string): Promise<void> {
  const { readFile } = await import('node:fs/promises');
  trainer.loadCheckpoint(new Uint8Array(await readFile(path)));
}
