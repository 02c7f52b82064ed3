// TensorFlow.js (Layers API) on two of its backends: 'cpu' (plain JavaScript kernels) and 'wasm'
// (XNNPACK compiled to wasm SIMD, 1 thread). Both peers share one module instance of tfjs, so
// the runner calls enter() before each of their samples: it selects the peer's backend and
// touches the peer's tensors with a cheap op, which moves them to that backend if the other
// one ran last (tfjs moves data lazily, on first use).
//
// Weights: the PyTorch tensors converted as recur's own TF.js importer documents (src/tfjs):
//   LSTM  kernel = W_ihᵀ [I, 4H], recurrent_kernel = W_hhᵀ, bias = b_ih + b_hh (gates i f c o
//         = PyTorch's i f g o); recurrentActivation 'sigmoid' (tfjs's default is hardSigmoid)
//   GRU   tfjs-layers 4.22 rejects resetAfter: true, the variant PyTorch computes (the reset
//         gate applied after W_hn h + b_hn). So its GRU rows run resetAfter: false (Cho et al.
//         2014) with the same-sized weights: timed, not checked.
// Streaming calls the layer's cell directly, state carried as tensors (tidy + keep): much less
// overhead than a stateful model's predict() per step. Sequences are layer.apply() on [B, T, I].

import { CHAR, NotAvailable, T, charBatch, gateBlocks, packageVersion, readSafetensors, swap01, torchWeights, transpose } from './common.js';

let tf;

async function loadTf(backend) {
  if (!tf) {
    tf = await import('@tensorflow/tfjs');
    tf.enableProdMode();
  }
  if (backend === 'wasm' && !tf.findBackend('wasm')) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The non-threaded SIMD binary, what a page without cross-origin isolation loads.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasm.setThreadsCount(1);
  }
  if (!(await tf.setBackend(backend))) throw new NotAvailable(`tf.setBackend('${backend}') failed`);
  await tf.ready();
}

/** The tfjs weights [kernel, recurrentKernel, bias] of a PyTorch LSTM/GRU state dict. */
function recurrentWeights(w, cell, I, H) {
  const G = cell === 'lstm' ? 4 : 3;
  let wih = w.weight_ih_l0, whh = w.weight_hh_l0, bih = w.bias_ih_l0, bhh = w.bias_hh_l0;
  if (cell === 'gru') {
    const zrh = [1, 0, 2];                   // tfjs z r h ← PyTorch r z n
    wih = gateBlocks(wih, H, zrh); whh = gateBlocks(whh, H, zrh);
    bih = gateBlocks(bih, H, zrh); bhh = gateBlocks(bhh, H, zrh);
  }
  return [
    tf.tensor2d(transpose(wih, G * H, I), [I, G * H]),
    tf.tensor2d(transpose(whh, G * H, H), [H, G * H]),
    tf.tensor1d(bih.map((b, i) => b + bhh[i])),
  ];
}

const GRU_NOTE = 'tfjs-layers 4.22 rejects resetAfter: true (PyTorch\'s GRU); timed with resetAfter: false, not checked';

function recurrentLayer(cell, H, extra) {
  const common = { units: H, recurrentActivation: 'sigmoid', kernelInitializer: 'zeros', recurrentInitializer: 'zeros', ...extra };
  return cell === 'lstm' ? tf.layers.lstm(common) : tf.layers.gru(common);
}

/** A layer with the model's weights, built for input [batch, ·, I]. */
function loadedLayer(model, batch) {
  const { cell, inputSize: I, hiddenSize: H } = model;
  const layer = recurrentLayer(cell, H, { returnSequences: true });
  tf.dispose(layer.apply(tf.zeros([batch, 1, I])));    // builds it (build() alone leaves it unbuilt for dispose())
  const weights = recurrentWeights(torchWeights(model), cell, I, H);
  layer.setWeights(weights);
  tf.dispose(weights);
  return layer;
}

/** A cheap op on each tensor, so the current backend holds its data before anything is timed. */
function touch(tensors) {
  tf.tidy(() => { for (const t of tensors) if (t && !t.isDisposed) t.sum(); });
}

function makePeer(backend) {
  const enter = () => loadTf(backend);
  return {
    id: `tfjs-${backend}`,
    name: `TF.js ${backend}`,
    setting: backend === 'wasm' ? 'wasm SIMD (XNNPACK), 1 thread' : 'JavaScript kernels',
    weights: 'same',

    async load() {
      await enter();
      return { version: packageVersion('@tensorflow/tfjs') };
    },

    async stream(model) {
      await enter();
      const { cell, inputSize: I, hiddenSize: H } = model;
      const layer = loadedLayer(model, 1);
      let state = Array.from({ length: cell === 'lstm' ? 2 : 1 }, () => tf.zeros([1, H]));
      const step = (x) => {
        const next = tf.tidy(() => layer.cell.call([tf.tensor2d(x, [1, I]), ...state], {}).slice(1));
        tf.dispose(state);
        state = next;
        return next[0].dataSync();          // the output is h
      };
      return {
        step,
        unchecked: cell === 'gru' ? GRU_NOTE : undefined,
        enter: async () => { await enter(); touch([...layer.weights.map((w) => w.read()), ...state]); },
        dispose: () => { tf.dispose(state); layer.dispose(); },
      };
    },

    async sequence(model, batch) {
      await enter();
      const { inputSize: I, hiddenSize: H } = model;
      const layer = loadedLayer(model, batch);
      return {
        prepare: (x) => swap01(x, T, batch, I),          // tfjs is batch-first
        output: (y) => swap01(y, batch, T, H),
        run: (x) => tf.tidy(() => layer.apply(tf.tensor3d(x, [batch, T, I])).dataSync()),
        unchecked: model.cell === 'gru' ? GRU_NOTE : undefined,
        enter: async () => { await enter(); touch(layer.weights.map((w) => w.read())); },
        dispose: () => layer.dispose(),
      };
    },

    // Embedding → LSTM → Dense, softmax cross-entropy on logits, Adam (PyTorch's ε = 1e-8). The
    // wasm backend has no UnsortedSegmentSum, the gradient of a gather, so there the embedding is
    // its equivalent: one-hot inputs times a bias-free Dense whose kernel is the embedding matrix.
    async train() {
      await enter();
      const { vocab: V, embed: E, hiddenSize: H, seqLen: S, batch: B } = CHAR;
      const oneHotInput = backend === 'wasm';
      const model = tf.sequential({ layers: [
        oneHotInput
          ? tf.layers.dense({ units: E, useBias: false, inputShape: [S, V], kernelInitializer: 'zeros' })
          : tf.layers.embedding({ inputDim: V, outputDim: E, inputLength: S, embeddingsInitializer: 'zeros' }),
        recurrentLayer('lstm', H, { returnSequences: true }),
        tf.layers.dense({ units: V, kernelInitializer: 'zeros' }),
      ] });
      const file = readSafetensors(CHAR.safetensors);
      const w = Object.fromEntries(Object.entries(file).map(([k, v]) => [k, v.data]));
      const lstm = Object.fromEntries(Object.entries(w).filter(([k]) => k.startsWith('lstm.')).map(([k, v]) => [k.slice(5), v]));
      const weights = [
        tf.tensor2d(w['embed.weight'], [V, E]),
        ...recurrentWeights(lstm, 'lstm', E, H),
        tf.tensor2d(transpose(w['head.weight'], V, H), [H, V]),
        tf.tensor1d(w['head.bias']),
      ];
      model.setWeights(weights);
      tf.dispose(weights);
      const { ids, targets } = charBatch();
      const swapIds = (a) => Int32Array.from({ length: S * B }, (_, i) => a[(i % S) * B + Math.floor(i / S)]);   // [T, B] → [B, T]
      const xs = tf.tidy(() => {
        const x = tf.tensor2d(swapIds(ids), [B, S], 'int32');
        return oneHotInput ? tf.oneHot(x, V).toFloat() : x;
      });
      const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(swapIds(targets), 'int32'), V).reshape([B, S, V]));
      const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
      const vars = model.trainableWeights.map((v) => v.read());
      const step = () => {
        const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true })), true, vars);
        const value = loss.dataSync()[0];
        loss.dispose();
        return value;
      };
      const moments = () => [optimizer.accBeta1, optimizer.accBeta2,
        ...[...(optimizer.accumulatedFirstMoment ?? []), ...(optimizer.accumulatedSecondMoment ?? [])].map((m) => m?.variable)];
      return {
        step,
        note: oneHotInput ? 'embedding as one-hot × Dense (the wasm backend cannot take a gather\'s gradient)' : undefined,
        enter: async () => { await enter(); touch([xs, ys, ...vars, ...moments()]); },
        dispose: () => { tf.dispose([xs, ys]); optimizer.dispose(); model.dispose(); },
      };
    },

    download() {
      const nm = new URL('../../node_modules/@tensorflow/', import.meta.url);
      const files = ['tfjs-core/dist/tf-core.min.js', 'tfjs-layers/dist/tf-layers.min.js'];
      files.push(backend === 'wasm'
        ? 'tfjs-backend-wasm/dist/tf-backend-wasm.min.js'
        : 'tfjs-backend-cpu/dist/tf-backend-cpu.min.js');
      if (backend === 'wasm') files.push('tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm');
      return files.map((f) => new URL(f, nm));
    },
  };
}

export const peers = [makePeer('wasm'), makePeer('cpu')];
