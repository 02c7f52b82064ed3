// examples/worker's postinstall: makes sure recur (this repository, "recur": "file:../..") is
// built. npm links the folder but installs none of recur's devDependencies, so recur's own
// prepare (scripts/prepare.js) cannot build dist/ from a fresh clone; here, once, `npm install`
// in the repository installs them and builds (about two minutes). The VAD route also imports
// Silero's model file from the repository's node_modules (@ricky0123/vad-web, a devDependency).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { distIsCurrent, toolsInstalled } from '../../scripts/prepare.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const silero = `${root}node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx`;

if (toolsInstalled() && existsSync(silero)) {
  if (!distIsCurrent()) {
    const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
    process.exit(r.status ?? 1);
  }
} else {
  console.log(`examples/worker: installing recur's build tools in ${root} and building recur (npm install there, about two minutes)`);
  const r = spawnSync('npm', ['install'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  process.exit(r.status ?? 1);
}
