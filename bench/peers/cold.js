// One cold start, run by compare.js in a fresh `node` process per sample:
//   node bench/peers/cold.js <peer>
// imports the peer's library, loads LSTM 64→128 from its file and computes the first output of
// a streaming step. Prints that value and the milliseconds it all took, timed inside the process
// from just before the library's import: Node's own start-up and this harness's modules are not
// in it, and neither is the noise of spawning a process, which on a shared machine is larger
// than what is measured.

import { MODELS, inputs } from './common.js';
import { importPeer } from './peers.js';

const t0 = performance.now();
const peer = await importPeer(process.argv[2]);
const model = MODELS[0];
await peer.load();
const s = await peer.stream(model);
const y = await s.step(inputs(model.inputSize, 1));
const ms = performance.now() - t0;
process.stdout.write(`${y[0]} ${ms}\n`);
