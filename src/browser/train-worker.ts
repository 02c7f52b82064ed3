// The Web Worker script that trainInWorker() starts (dist/train-worker.js): recur's training
// protocol on this worker's global scope. recur.wasm is fetched from beside it (the default entry).

import '../index.js';
import { serveTraining } from '../train/serve-training.js';

serveTraining();
