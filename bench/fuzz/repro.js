// Runs cases of the fuzzer again, in this process, with their outcome and time:
//   node bench/fuzz/repro.js SURFACE INDEX[,INDEX…] [SEED]
import { caseFor, loadLibrary } from './harness.js';
import { SURFACES } from './surfaces.js';

const [name, indices, seed = '1'] = process.argv.slice(2);
const surface = SURFACES[name];
if (!surface || !indices) { console.error('usage: node bench/fuzz/repro.js SURFACE INDEX[,INDEX…] [SEED]'); process.exit(2); }
const lib = await loadLibrary();
const state = await surface.setup(lib);
for (const index of indices.split(',').map(Number)) {
  const c = caseFor(surface, state, Number(seed), name, index);
  const t0 = performance.now();
  let outcome;
  try { await surface.run(lib, state, c); outcome = 'valid'; } catch (err) {
    outcome = `${err instanceof lib.node.RecurError ? 'typed' : 'UNTYPED'} ${err.name}: ${err.message.slice(0, 300)}`;
    if (!(err instanceof lib.node.RecurError)) console.log(err.stack);
  }
  console.log(`${name} case ${index}: ${(performance.now() - t0).toFixed(1)} ms, ${outcome}`);
}
