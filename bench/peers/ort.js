// The part of the two onnxruntime adapters (ort-node.js, ort-web.js) that is the same: both
// expose onnxruntime-common's InferenceSession, and both run the ONNX files torch.onnx.export
// wrote from the same weights (models/make_onnx.py): inputs x [T, B, I], h0 (c0) [1, B, H].

import { readFileSync } from 'node:fs';
import { T } from './common.js';

/** The peer's streaming and sequence workloads on the library `ort` with session options `options`. */
export function ortWorkloads(getOrt, options) {
  // From bytes: onnxruntime-web's bundle fetch()es a path, which Node cannot do for files.
  const session = (model) => getOrt().InferenceSession.create(readFileSync(model.onnx), options);

  /** Zero initial states for batch B. */
  function zeros(ort, model, B) {
    const z = () => new ort.Tensor('float32', new Float32Array(B * model.hiddenSize), [1, B, model.hiddenSize]);
    return model.cell === 'lstm' ? { h0: z(), c0: z() } : { h0: z() };
  }

  return {
    // One run() per step; the state comes back as output tensors and goes in as the next feeds.
    async stream(model) {
      const ort = getOrt();
      const s = await session(model);
      let state = zeros(ort, model, 1);
      const lstm = model.cell === 'lstm';
      return {
        async: true,
        async step(x) {
          const r = await s.run({ x: new ort.Tensor('float32', x, [1, 1, model.inputSize]), ...state });
          state = lstm ? { h0: r.hn, c0: r.cn } : { h0: r.hn };
          return r.y.data;
        },
        dispose: () => s.release(),
      };
    },

    async sequence(model, batch) {
      const ort = getOrt();
      const s = await session(model);
      const state = zeros(ort, model, batch);
      return {
        async: true,
        async run(x) {
          const r = await s.run({ x: new ort.Tensor('float32', x, [T, batch, model.inputSize]), ...state });
          return r.y.data;
        },
        dispose: () => s.release(),
      };
    },
  };
}
