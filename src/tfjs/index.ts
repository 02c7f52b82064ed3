// recur/tfjs: imports a TensorFlow.js Layers model (tf.LayersModel.save(), or a Keras model
// converted by tensorflowjs_converter) as a recur Sequential. It reads the model.json and the
// weight bytes only; @tensorflow/tfjs is not needed. What is supported and what is rejected, and
// why: src/tfjs/README.md.

import { RecurShapeError } from '../errors.js';
import { Sequential, type SequentialDescription } from '../model/sequential.js';
import type { Runtime } from '../runtime/runtime.js';
import { planLayers, type Plan } from './layers.js';
import { chainLayers, modelRoot } from './topology.js';
import { concatBytes, decodeWeights, manifestGroupBytes, weightSpecs, type WeightSpec } from './weights.js';

export interface TfjsImportOptions {
  /** The runtime the model is created in; default the shared one. */
  runtime?: Runtime;
  /**
   * Import a model whose last layer ends in a softmax without it: recur's outputs are then the
   * logits (the same argmax; softmax over the last axis gives Keras's probabilities). Without
   * this option such a model is rejected, so outputs never silently differ from Keras's.
   */
  dropSoftmax?: boolean;
}

/** What importTfjs() makes of a model.json, before any weight is read. */
export interface TfjsArchitecture {
  /** The Sequential importTfjs() creates: recurrent layers batch-first, like Keras. */
  description: SequentialDescription;
  /**
   * The last recurrent layer has return_sequences: false, so Keras's output is one step per
   * sequence, while recur's forward() returns every step: Keras's output is recur's last step,
   * lastStep(output, { batch, seqLen }).
   */
  lastStepOnly: boolean;
  /** The final softmax was left out (dropSoftmax): outputs are logits. */
  droppedSoftmax: boolean;
  /** Keras layer name → recur layer name (Keras names made identifiers), for the layers kept. */
  layerNames: Record<string, string>;
}

type ModelJson = object | string;
type WeightData = ArrayBuffer | Uint8Array | (ArrayBuffer | Uint8Array)[];

function plan(modelJson: ModelJson, options: TfjsImportOptions): { plan: Plan; specs: WeightSpec[] } {
  const root = modelRoot(modelJson);
  const specs = weightSpecs(root);
  return { plan: planLayers(chainLayers(root), specs, options), specs };
}

/**
 * Reads a model.json (object or text: modelTopology and weightsManifest, or the ModelArtifacts
 * of a tf.io IOHandler) without its weights: the recur architecture, or a RecurFormatError that
 * names every layer or option recur cannot reproduce.
 */
export function tfjsArchitecture(modelJson: ModelJson, options: TfjsImportOptions = {}): TfjsArchitecture {
  const { plan: p } = plan(modelJson, options);
  return {
    description: { layers: p.layers.map((l) => l.description) },
    lastStepOnly: p.lastStepOnly,
    droppedSoftmax: p.droppedSoftmax,
    layerNames: Object.fromEntries(p.layers.map((l) => [l.kerasName, l.description.name])),
  };
}

/**
 * For a model.json read from disk: how many bytes the weight files of each weightsManifest group
 * hold together, as the manifest's weights declare (their shapes and dtypes). A reader should
 * read no more than that from the files a group names.
 */
export function weightFileBytes(modelJson: ModelJson): number[] {
  return manifestGroupBytes(modelRoot(modelJson));
}

/**
 * A TensorFlow.js Layers model as a recur Sequential. weightData is the weight file (the
 * manifest's groups and shards concatenated in manifest order) or its shards in that order.
 * Inputs are batch-first like Keras: Float32Array [B, T, F], or Int32Array ids [B, T] if the
 * model starts with an Embedding; the output is [B, T, F_out].
 */
export async function importTfjs(modelJson: ModelJson, weightData: WeightData, options: TfjsImportOptions = {}): Promise<Sequential> {
  const { plan: p, specs } = plan(modelJson, options);
  const weights = decodeWeights(specs, concatBytes(weightData));
  const dict = Object.assign({}, ...p.layers.map((l) => l.stateDict(weights)));
  const model = await Sequential.create({ layers: p.layers.map((l) => l.description) }, options.runtime);
  try {
    model.loadStateDict(dict);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/**
 * Keras's output for a model whose last recurrent layer has return_sequences: false: the last
 * step of recur's batch-first output [B, T, F] → [B, F].
 */
export function lastStep(output: Float32Array, shape: { batch: number; seqLen: number }): Float32Array {
  const { batch: B, seqLen: T } = shape;
  const F = output.length / (B * T);
  if (!Number.isInteger(B) || B < 1 || !Number.isInteger(T) || T < 1 || !Number.isInteger(F) || F < 1) {
    throw new RecurShapeError(`lastStep: output [batch=${B}, seqLen=${T}, features] should have a multiple of ${B}·${T} values, got ${output.length}`);
  }
  const out = new Float32Array(B * F);
  for (let b = 0; b < B; b++) out.set(output.subarray((b * T + T - 1) * F, (b * T + T) * F), b * F);
  return out;
}
