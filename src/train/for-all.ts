// recur/train's entry point (dist/train.js), the same in every runtime: the training API, on the
// default entry's module, which every runtime's recur (Node, Workers, browsers) imports too, so
// an app has one copy of the library, and the bundle puts what both need in the main entry's
// files rather than in a chunk of its own. The kernels come from whichever entry loaded first.

import '../index.js';

export * from './index.js';
