// The part of the two onnxruntime adapters (ort-node.js, ort-web.js) that is the same: both
// expose onnxruntime-common's InferenceSession, and both run the ONNX files torch.onnx.export
// wrote from the same weights (models/make_onnx.py): inputs x [T, B, I], h0 (c0) [1, B, H];
// and Silero VAD's files (common.js VADS), which @ricky0123/vad-web runs on onnxruntime-web.

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

    // Silero VAD as vad-web 0.0.31 feeds it: input [1, 64 + N] for v5 (the previous frame's last
    // 64 samples, then the frame; legacy: [1, N]), sr an int64 scalar, and the state (v5: state
    // [2, 1, 128]; legacy: h, c [2, 1, 64]) fed back from the previous run's outputs.
    async vad(model) {
      const ort = getOrt();
      const s = await session(model);
      const zeros = (H) => new ort.Tensor('float32', new Float32Array(2 * H), [2, 1, H]);
      const sr = new ort.Tensor('int64', BigInt64Array.of(16000n), []);
      const legacy = model.version === 'legacy';
      let state = legacy ? { h: zeros(64), c: zeros(64) } : { state: zeros(128) };
      const context = legacy ? 0 : 64, input = new Float32Array(context + model.frame);
      return {
        async: true,
        async process(frame) {
          input.set(frame, context);
          const r = await s.run({ input: new ort.Tensor('float32', input.slice(), [1, input.length]), ...state, sr });
          input.copyWithin(0, input.length - context);
          state = legacy ? { h: r.hn, c: r.cn } : { state: r.stateN };
          return r.output.data[0];
        },
        dispose: () => s.release(),
      };
    },
  };
}
