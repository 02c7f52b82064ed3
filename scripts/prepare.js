// `npm install`'s prepare step: builds dist/ (the kernels and the bundles) when recur's build tools
// are installed and dist/ is missing or older than its sources, and otherwise says what it did or
// what to do, instead of failing.
//
// npm runs `prepare` in two situations. In a clone, `npm install` installs recur's devDependencies
// (AssemblyScript, binaryen, rollup, TypeScript) and then builds: that is the normal case. But a
// package that depends on recur by folder (examples/worker's "recur": "file:../..") makes npm run
// recur's prepare too, without recur's devDependencies: `npx asc` then fails ("could not determine
// executable to run") and the whole install with it. There, dist/ is used as it is if it is built
// and up to date; if not, this says how to build it and exits 0 (the package's own install,
// examples/worker/install-recur.js, installs the tools in the repository and builds).
//
//   node scripts/prepare.js          what npm runs as `prepare`

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const TOOLS = ['asc', 'wasm-opt', 'rollup', 'tsc'];
const CONFIG = ['package.json', 'rollup.config.js', 'tsconfig.json', 'asconfig.json', 'asconfig.graph.json', 'asconfig.train.json', 'scripts/build-wasm.sh'];
const OUTPUTS = ['dist/worker.js', 'dist/node.js', 'dist/index.js', 'dist/train.js', 'dist/recur.wasm', 'dist/recur-relaxed.wasm', 'dist/recur-train.wasm', 'dist/recur-train-relaxed.wasm', 'dist/types/index.d.ts'];

const newest = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((t, e) => {
  const p = join(dir, e.name);
  return Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
}, 0);

/** dist/ has every output, each newer than every source (src/, assembly/ and the build's configuration). */
export function distIsCurrent() {
  if (!OUTPUTS.every((f) => existsSync(join(root, f)))) return false;
  const built = Math.min(...OUTPUTS.map((f) => statSync(join(root, f)).mtimeMs));
  const sources = [newest(join(root, 'src')), newest(join(root, 'assembly')),
    ...CONFIG.filter((f) => existsSync(join(root, f))).map((f) => statSync(join(root, f)).mtimeMs)];
  return built >= Math.max(...sources);
}

export const toolsInstalled = () => TOOLS.every((t) => existsSync(join(root, 'node_modules/.bin', t)));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (toolsInstalled() && !distIsCurrent()) {
    const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
    process.exit(r.status ?? 1);
  }
  if (distIsCurrent()) {
    console.log(`recur: dist/ is built and up to date (${join(root, 'dist')}); using it as it is`);
  } else {
    console.log(`recur: dist/ is ${existsSync(join(root, 'dist')) ? 'out of date' : 'not built'}, and recur's build tools (its devDependencies) are not installed in
${root}, so it is not built now. Run \`npm install\` there once (about two minutes: it installs the tools and builds dist/).`);
  }
}
