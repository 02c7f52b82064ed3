// Runs the recur command as a user would: `node bin/recur.js …` in a child process, on the
// bundled CLI (dist/cli.js). npm test builds dist/ first; run alone (npx vitest run test/cli),
// ensureBuilt() rebundles when a source file is newer than dist/cli.js.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(root, 'bin/recur.js');

function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const fresh = () => {
  const cli = join(root, 'dist/cli.js');
  return existsSync(cli) && existsSync(join(root, 'dist/recur.wasm')) && statSync(cli).mtimeMs >= newest(join(root, 'src'));
};

/**
 * dist/cli.js, rebuilt with rollup if missing or older than src/ (about 20 s). Test files run in
 * parallel, so one builds while the others wait on a lock directory.
 */
export async function ensureBuilt(): Promise<void> {
  if (fresh()) return;
  const lock = join(root, 'node_modules/.recur-cli-build.lock');
  for (;;) {
    try { mkdirSync(lock); break; } catch { /* another test file is building */ }
    if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  try {
    if (fresh()) return;
    const r = spawnSync('npx', ['rollup', '-c', '--silent'], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building dist/ failed:\n${r.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface Result { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export interface RunOptions { input?: string; cwd?: string; env?: Record<string, string>; onStderr?: (text: string, child: ReturnType<typeof spawn>) => void }

/** `recur ...args`, with `input` on stdin; resolves when it exits. */
export function recur(args: string[], options: RunOptions = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? root, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; options.onStderr?.(stderr, child); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.on('error', () => {});   // the command may exit before reading all of it
    child.stdin.end(options.input ?? '');
  });
}

/** A fresh temporary directory, and a function that removes it. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'recur-cli-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A user-facing error: exactly one line on stderr, no stack trace. */
export function expectOneLineError(r: Result): string {
  const lines = r.stderr.trimEnd().split('\n');
  if (lines.length !== 1) throw new Error(`expected one line on stderr, got:\n${r.stderr}`);
  if (/\n\s+at |internal error/.test(r.stderr)) throw new Error(`stack trace or internal error on stderr:\n${r.stderr}`);
  return lines[0];
}
