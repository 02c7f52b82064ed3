// One cold start, run by compare.js in a fresh `node` process per sample:
//   node bench/peers/cold.js <peer>
// imports the peer's library, loads LSTM 64→128 from its file and computes the first output of
// a streaming step; prints that value. compare.js times the whole process and subtracts the time
// of `node bench/peers/cold.js none`: Node starting and loading this script's own modules (the
// harness: node:fs, the model list), without any library.

import { MODELS, inputs } from './common.js';
import { importPeer } from './peers.js';

if (process.argv[2] === 'none') process.exit(0);
const peer = await importPeer(process.argv[2]);
const model = MODELS[0];
await peer.load();
const s = await peer.stream(model);
const y = await s.step(inputs(model.inputSize, 1));
process.stdout.write(`${y[0]}\n`);
